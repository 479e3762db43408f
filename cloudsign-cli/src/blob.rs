//! `cloudsign blob`: store files encrypted in a directory, read them back, rotate keys.
//!
//! The key file holds one `KEYID HEX64` entry per line (64 hex digits = a 256-bit key); the
//! first entry is the active key, the others can still unwrap older blobs; `#` starts a
//! comment. `cloudsign blob keygen KEYID` prints a fresh entry.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use cloudsign_core::store::{BlobId, EncryptedBlobStore, FsBackend, StaticKeyProvider};

#[derive(Subcommand)]
pub(crate) enum BlobCommand {
    /// Encrypt FILE into the store and print its blob id.
    Put {
        /// The file to store.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Decrypt blob ID to OUT; OUT appears only once the whole blob has been verified.
    Get {
        /// The blob id (32 hex digits).
        id: String,
        /// Where to write the plaintext.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-wrap every blob's data key under the active (first) key of the key file; bodies
    /// are not re-encrypted.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a new key-file entry `KEYID HEX64` with a random key.
    Keygen {
        /// Name of the key (1-64 characters of A-Z a-z 0-9 . _ -).
        key_id: String,
    },
}

#[derive(Args)]
pub(crate) struct StoreArgs {
    /// The store directory (created if missing).
    #[arg(long = "store")]
    dir: PathBuf,
    /// Key file: lines `KEYID HEX64`, the first is the active key.
    #[arg(long = "key-file")]
    key_file: PathBuf,
}

type Store = EncryptedBlobStore<FsBackend, StaticKeyProvider>;

impl StoreArgs {
    fn open(&self) -> Result<Store, String> {
        let keys = StaticKeyProvider::from_key_file(&self.key_file)
            .map_err(|e| format!("key file {}: {e}", self.key_file.display()))?;
        let backend =
            FsBackend::new(&self.dir).map_err(|e| format!("store {}: {e}", self.dir.display()))?;
        Ok(EncryptedBlobStore::new(backend, keys))
    }
}

pub(crate) fn run(command: BlobCommand) -> Result<(), String> {
    match command {
        BlobCommand::Put { file, store } => put(&file, &store.open()?),
        BlobCommand::Get { id, output, store } => get(&id, &output, &store.open()?),
        BlobCommand::Rotate { store } => {
            let n = store.open()?.rotate_all().map_err(|e| e.to_string())?;
            println!("rotated {n} blob(s)");
            Ok(())
        }
        BlobCommand::Keygen { key_id } => {
            cloudsign_core::store::KeyId::new(&key_id).map_err(|e| e.to_string())?;
            let mut key = [0u8; 32];
            cloudsign_core::crypto::random_bytes(&mut key);
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            println!("{key_id} {hex}");
            Ok(())
        }
    }
}

fn put(file: &Path, store: &Store) -> Result<(), String> {
    let mut input = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut writer = store.writer().map_err(|e| e.to_string())?;
    io::copy(&mut input, &mut writer)
        .map_err(|e| format!("cannot store {}: {e}", file.display()))?;
    let id = writer.finish().map_err(|e| e.to_string())?;
    println!("{id}");
    Ok(())
}

fn get(id: &str, output: &Path, store: &Store) -> Result<(), String> {
    let id: BlobId = id.parse().map_err(|e| format!("{id}: {e}"))?;
    let mut reader = store.reader(&id).map_err(|e| format!("blob {id}: {e}"))?;
    // Stream into a temporary file next to OUT and rename it only after the last chunk
    // verified: a tampered or truncated blob never leaves a plausible-looking OUT behind.
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    io::copy(&mut reader, &mut temp).map_err(|e| format!("blob {id}: {e}"))?;
    temp.flush().map_err(|e| e.to_string())?;
    temp.persist(output)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    Ok(())
}
