//! Encrypted blob store: round trips, every kind of tampering, rotation, replication and
//! crash safety of the filesystem backend.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cloudsign_core::store::{
    BlobBackend, BlobId, BlobSink, BlobSource, EncryptedBlobStore, FsBackend, KeyId, MemoryBackend,
    ReplicatedBackend, StaticKeyProvider, StoreError, WritePolicy,
};

const CHUNK: usize = 64 * 1024;

pub(crate) fn keys(id: &str, byte: u8) -> StaticKeyProvider {
    StaticKeyProvider::new(KeyId::new(id).unwrap(), &[byte; 32])
}

fn mem_store(chunk: u32) -> EncryptedBlobStore<MemoryBackend, StaticKeyProvider> {
    EncryptedBlobStore::new(MemoryBackend::new(), keys("k1", 1))
        .with_chunk_size(chunk)
        .unwrap()
}

/// Deterministic, non-repeating-looking content.
pub(crate) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Length of the header the test key provider produces for key id "k1".
const HEADER_LEN: usize = 19 + 2 + 60;

fn read_all(
    store: &EncryptedBlobStore<impl BlobBackend, StaticKeyProvider>,
    id: &BlobId,
) -> (Vec<u8>, Option<StoreError>) {
    let mut out = Vec::new();
    let mut reader = match store.reader(id) {
        Ok(r) => r,
        Err(e) => return (out, Some(e)),
    };
    let mut buf = [0u8; 1000];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                let inner = e.into_inner().unwrap().downcast::<StoreError>().unwrap();
                return (out, Some(*inner));
            }
        }
    }
}

#[test]
fn round_trips_at_chunk_boundaries_and_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    let fs = EncryptedBlobStore::new(FsBackend::new(dir.path()).unwrap(), keys("k1", 1));
    let mem = EncryptedBlobStore::new(MemoryBackend::new(), keys("k1", 1));
    for (n, len) in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5_000_000]
        .into_iter()
        .enumerate()
    {
        let data = pattern(len, n as u64);
        let id = mem.put(&data).unwrap();
        assert_eq!(mem.get(&id).unwrap(), data, "len {len}");
        // Streaming on the filesystem, written in awkward pieces.
        let mut w = fs.writer().unwrap();
        for piece in data.chunks(7777) {
            w.write_all(piece).unwrap();
        }
        let id = w.finish().unwrap();
        let (out, err) = read_all(&fs, &id);
        assert!(err.is_none(), "len {len}: {err:?}");
        assert_eq!(out, data, "len {len}");
        // Overhead: header + 16 bytes per chunk, the final chunk always present.
        let stored = std::fs::metadata(fs.backend().path_of(&id)).unwrap().len();
        assert_eq!(
            usize::try_from(stored).unwrap(),
            HEADER_LEN + len + (len / CHUNK + 1) * 16
        );
    }
}

#[test]
fn the_backend_never_sees_plaintext() {
    let s = mem_store(64 * 1024);
    let data = b"CONFIDENTIAL CONTRACT TERMS ".repeat(1000);
    let id = s.put(&data).unwrap();
    let raw = s.backend().raw(&id).unwrap();
    assert!(!raw.windows(12).any(|w| w == b"CONFIDENTIAL"));
    // The same plaintext twice gives unrelated ciphertexts (fresh data key and nonce prefix).
    let id2 = s.put(&data).unwrap();
    assert_ne!(
        raw[HEADER_LEN..],
        s.backend().raw(&id2).unwrap()[HEADER_LEN..]
    );
}

/// Every tampered variant must fail with `Authentication` from `get` (which then returns
/// nothing) and from the streaming reader, which may only have released whole chunks that
/// precede `first_bad_chunk`.
fn assert_rejected(
    s: &EncryptedBlobStore<MemoryBackend, StaticKeyProvider>,
    id: &BlobId,
    tampered: Vec<u8>,
    data: &[u8],
    first_bad_chunk: usize,
    what: &str,
) {
    s.backend().set_raw(id, tampered);
    assert_eq!(s.get(id), Err(StoreError::Authentication), "{what}");
    let (out, err) = read_all(s, id);
    assert_eq!(err, Some(StoreError::Authentication), "{what}");
    assert!(
        out.len() <= first_bad_chunk * 64,
        "{what}: {} bytes released",
        out.len()
    );
    assert_eq!(out[..], data[..out.len()], "{what}");
}

#[test]
fn every_kind_of_tampering_is_an_authentication_error() {
    let s = mem_store(64);
    let data = pattern(64 * 4 + 10, 1); // four full chunks and a short final one
    let id = s.put(&data).unwrap();
    let good = s.backend().raw(&id).unwrap();
    let chunk = |i: usize| HEADER_LEN + i * 80..(HEADER_LEN + (i + 1) * 80).min(good.len());
    assert_eq!(good.len(), HEADER_LEN + 4 * 80 + 26);

    // A flipped bit anywhere: header (magic, version, key id, wrapped key, prefix, chunk size)
    // or body.
    for at in 0..good.len() {
        let mut t = good.clone();
        t[at] ^= 0x10;
        let first_bad = at.saturating_sub(HEADER_LEN) / 80;
        let first_bad = if at < HEADER_LEN { 0 } else { first_bad };
        assert_rejected(&s, &id, t, &data, first_bad, &format!("flip at {at}"));
    }
    // Truncation at every length, including exactly at chunk boundaries (missing final chunk).
    for cut in 0..good.len() {
        let first_bad = cut.saturating_sub(HEADER_LEN) / 80;
        assert_rejected(
            &s,
            &id,
            good[..cut].to_vec(),
            &data,
            first_bad,
            &format!("cut {cut}"),
        );
    }
    // Extension: a byte, or a copy of the final chunk, after the final chunk.
    let mut t = good.clone();
    t.push(0);
    assert_rejected(&s, &id, t, &data, 4, "extra byte");
    let mut t = good.clone();
    t.extend_from_slice(&good[chunk(4)]);
    assert_rejected(&s, &id, t, &data, 4, "duplicated final chunk");
    // Reordering two chunks, duplicating one, dropping one from the middle.
    let mut t = good.clone();
    t[chunk(1)].copy_from_slice(&good[chunk(2)]);
    t[chunk(2)].copy_from_slice(&good[chunk(1)]);
    assert_rejected(&s, &id, t, &data, 1, "swapped chunks");
    let mut t = good[..chunk(2).start].to_vec();
    t.extend_from_slice(&good[chunk(3).start..]);
    assert_rejected(&s, &id, t, &data, 2, "dropped middle chunk");

    // Bodies and whole blobs moved between ids under the same key.
    let other = s.put(&data).unwrap();
    let other_raw = s.backend().raw(&other).unwrap();
    let mut t = good[..HEADER_LEN].to_vec();
    t.extend_from_slice(&other_raw[HEADER_LEN..]);
    assert_rejected(&s, &id, t, &data, 0, "other blob's body");
    assert_rejected(
        &s,
        &id,
        other_raw.clone(),
        &data,
        0,
        "other blob under this id",
    );
    let mut t = other_raw[..HEADER_LEN].to_vec();
    t.extend_from_slice(&good[HEADER_LEN..]);
    assert_rejected(&s, &id, t, &data, 0, "other blob's header");

    // Restored, it reads again.
    s.backend().set_raw(&id, good);
    assert_eq!(s.get(&id).unwrap(), data);
}

#[test]
fn wrong_or_unknown_keys_are_authentication_errors() {
    let backend = MemoryBackend::new();
    let s = EncryptedBlobStore::new(backend.clone(), keys("k1", 1));
    let id = s.put(b"secret").unwrap();
    let wrong_key = EncryptedBlobStore::new(backend.clone(), keys("k1", 2));
    assert_eq!(wrong_key.get(&id), Err(StoreError::Authentication));
    let unknown_id = EncryptedBlobStore::new(backend, keys("k9", 1));
    assert_eq!(unknown_id.get(&id), Err(StoreError::Authentication));
    assert_eq!(
        s.get(&"00".repeat(16).parse().unwrap()),
        Err(StoreError::NotFound)
    );
}

#[test]
fn rotation_rewraps_headers_only_and_keeps_blobs_readable() {
    let backend = MemoryBackend::new();
    let old = EncryptedBlobStore::new(backend.clone(), keys("k2025", 1))
        .with_chunk_size(1024)
        .unwrap();
    let blobs: Vec<(BlobId, Vec<u8>)> = (0..5)
        .map(|i| {
            let data = pattern(i * 1500, i as u64);
            (old.put(&data).unwrap(), data)
        })
        .collect();
    let text = format!("k2026 {}\nk2025 {}\n", "02".repeat(32), "01".repeat(32));
    let both = EncryptedBlobStore::new(backend.clone(), StaticKeyProvider::parse(&text).unwrap());
    let before: Vec<Vec<u8>> = blobs
        .iter()
        .map(|(id, _)| backend.raw(id).unwrap())
        .collect();

    assert_eq!(both.rotate_all().unwrap(), 5);
    assert_eq!(both.rotate_all().unwrap(), 0, "already rotated");
    let new_only = EncryptedBlobStore::new(backend.clone(), keys("k2026", 2));
    for ((id, data), before) in blobs.iter().zip(&before) {
        let after = backend.raw(id).unwrap();
        // Same header length (same key id length, same wrap size); only key id and wrapped key
        // change, the body is byte-identical.
        assert_eq!(&after[6..11], b"k2026");
        assert_ne!(after[..HEADER_LEN + 2], before[..HEADER_LEN + 2]);
        assert_eq!(after[HEADER_LEN + 2..], before[HEADER_LEN + 2..]);
        assert_eq!(new_only.get(id).unwrap(), *data);
        assert_eq!(old.get(id), Err(StoreError::Authentication));
    }

    // The rotated wrapped key is still bound: flipping any of its bytes fails.
    let (id, _) = &blobs[1];
    let good = backend.raw(id).unwrap();
    for at in 13..13 + 60 {
        let mut t = good.clone();
        t[at] ^= 1;
        backend.set_raw(id, t);
        assert_eq!(
            new_only.get(id),
            Err(StoreError::Authentication),
            "byte {at}"
        );
    }
    // A wrapped key moved from another blob (same key) does not unwrap here.
    let (other, _) = &blobs[2];
    let mut t = good;
    t[..HEADER_LEN + 2].copy_from_slice(&backend.raw(other).unwrap()[..HEADER_LEN + 2]);
    backend.set_raw(id, t);
    assert_eq!(new_only.get(id), Err(StoreError::Authentication));
}

fn replicated(
    chunk: u32,
) -> (
    EncryptedBlobStore<ReplicatedBackend, StaticKeyProvider>,
    Vec<MemoryBackend>,
) {
    let replicas: Vec<MemoryBackend> = (0..3).map(|_| MemoryBackend::new()).collect();
    let boxed = replicas
        .iter()
        .map(|r| Box::new(r.clone()) as Box<dyn BlobBackend>)
        .collect();
    let store = EncryptedBlobStore::new(
        ReplicatedBackend::new(boxed, WritePolicy::All),
        keys("k1", 1),
    )
    .with_chunk_size(chunk)
    .unwrap();
    (store, replicas)
}

#[test]
fn replicas_missing_or_corrupt_are_skipped_and_repaired() {
    let (s, replicas) = replicated(256);
    let data = pattern(256 * 10 + 3, 9);
    let id = s.put(&data).unwrap();
    let good = replicas[0].raw(&id).unwrap();
    assert!(replicas.iter().all(|r| r.raw(&id).unwrap() == good));

    // Replica 0 corrupt in its 6th chunk, replica 1 missing: both get and the streaming reader
    // (which fails over mid-stream) still return the data from replica 2.
    let mut bad = good.clone();
    bad[HEADER_LEN + 5 * 272 + 9] ^= 4;
    replicas[0].set_raw(&id, bad);
    replicas[1].delete(&id).unwrap();
    assert_eq!(s.get(&id).unwrap(), data);
    let (out, err) = read_all(&s, &id);
    assert!(err.is_none());
    assert_eq!(out, data);

    let report = s.repair(&id).unwrap();
    assert_eq!((report.source, report.repaired), (2, vec![0, 1]));
    assert!(replicas.iter().all(|r| r.raw(&id).unwrap() == good));
    assert!(s.repair(&id).unwrap().repaired.is_empty());

    // All three bad: authentication error, and repair has nothing to copy from.
    for r in &replicas {
        let mut t = good.clone();
        t[HEADER_LEN] ^= 1;
        r.set_raw(&id, t);
    }
    assert_eq!(s.get(&id), Err(StoreError::Authentication));
    assert_eq!(s.repair(&id).unwrap_err(), StoreError::Authentication);
}

#[test]
fn replicated_rotation_and_listing() {
    let (s, replicas) = replicated(1024);
    let id = s.put(b"contract").unwrap();
    replicas[2].delete(&id).unwrap();
    assert_eq!(s.list().unwrap(), vec![id.clone()]);
    let text = format!("k2 {}\nk1 {}\n", "02".repeat(32), "01".repeat(32));
    let boxed = replicas
        .iter()
        .map(|r| Box::new(r.clone()) as Box<dyn BlobBackend>)
        .collect();
    let rotated = EncryptedBlobStore::new(
        ReplicatedBackend::new(boxed, WritePolicy::All),
        StaticKeyProvider::parse(&text).unwrap(),
    );
    assert!(rotated.rotate(&id).unwrap());
    assert_eq!(&replicas[0].raw(&id).unwrap()[6..8], b"k2");
    assert_eq!(&replicas[1].raw(&id).unwrap()[6..8], b"k2");
    assert_eq!(rotated.repair(&id).unwrap().repaired, vec![2]);
    assert_eq!(rotated.get(&id).unwrap(), b"contract");
}

/// A backend whose writes always fail.
#[derive(Debug)]
struct Broken;

impl BlobBackend for Broken {
    fn create(&self, _: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        Err(io::Error::other("disk on fire"))
    }
    fn open(&self, _: &BlobId) -> io::Result<BlobSource<'_>> {
        Err(io::Error::other("disk on fire"))
    }
    fn delete(&self, _: &BlobId) -> io::Result<()> {
        Ok(())
    }
    fn exists(&self, _: &BlobId) -> io::Result<bool> {
        Ok(false)
    }
    fn list(&self, _: &str) -> io::Result<Vec<BlobId>> {
        Ok(Vec::new())
    }
}

#[test]
fn write_policy_all_or_quorum() {
    let make = |policy| {
        let replicas: Vec<Box<dyn BlobBackend>> = vec![
            Box::new(MemoryBackend::new()),
            Box::new(Broken),
            Box::new(MemoryBackend::new()),
        ];
        EncryptedBlobStore::new(ReplicatedBackend::new(replicas, policy), keys("k1", 1))
    };
    assert!(matches!(
        make(WritePolicy::All).put(b"x"),
        Err(StoreError::Backend(_))
    ));
    let quorum = make(WritePolicy::Quorum(2));
    let id = quorum.put(b"x").unwrap();
    // The broken replica is skipped on read too.
    assert_eq!(quorum.get(&id).unwrap(), b"x");
    assert!(matches!(
        make(WritePolicy::Quorum(3)).put(b"x"),
        Err(StoreError::Backend(_))
    ));
}

#[test]
fn fs_backend_ignores_temp_files_and_foreign_names() {
    let dir = tempfile::tempdir().unwrap();
    let s = EncryptedBlobStore::new(FsBackend::new(dir.path()).unwrap(), keys("k1", 1));
    let id = s.put(b"kept").unwrap();
    let mut w = s.writer().unwrap();
    w.write_all(&[0u8; 200_000]).unwrap();
    let abandoned = w.id().clone();
    // While a write is in flight its temp file exists but is invisible.
    assert_eq!(s.list().unwrap(), vec![id.clone()]);
    assert!(!s.exists(&abandoned).unwrap());
    drop(w);
    std::fs::write(dir.path().join(".tmp-leftover"), b"junk").unwrap();
    std::fs::write(dir.path().join("README"), b"not a blob").unwrap();
    assert_eq!(s.list().unwrap(), vec![id.clone()]);
    assert_eq!(s.backend().remove_temp_files().unwrap(), 1);
    s.delete(&id).unwrap();
    assert_eq!(s.get(&id), Err(StoreError::NotFound));
    s.delete(&id).unwrap();
}

const CRASH_DIR_ENV: &str = "CLOUDSIGN_STORE_CRASH_CHILD_DIR";
const CRASH_BLOBS: usize = 1000;

fn crash_blob(i: usize) -> Vec<u8> {
    pattern(i * 7919 % 150_000, i as u64)
}

/// Child half of the crash test (a no-op unless the parent sets the environment variable):
/// writes blobs and reports each id once `finish` has returned.
#[test]
fn crash_child_writes_blobs() {
    let Ok(dir) = std::env::var(CRASH_DIR_ENV) else {
        return;
    };
    let s = EncryptedBlobStore::new(FsBackend::new(dir).unwrap(), keys("crash", 3))
        .with_chunk_size(4096)
        .unwrap();
    let mut out = io::stdout().lock();
    for i in 0..CRASH_BLOBS {
        let mut w = s.writer().unwrap();
        for piece in crash_blob(i).chunks(10_000) {
            w.write_all(piece).unwrap();
        }
        let id = w.finish().unwrap();
        writeln!(out, "BLOB {i} {id}").unwrap();
        out.flush().unwrap();
    }
}

/// Kills a writing child with SIGKILL at random moments; every blob it reported must read back
/// intact and every other file must be an ignored temp file, never a readable partial blob.
#[test]
fn fs_backend_survives_sigkill_mid_write() {
    if std::env::var(CRASH_DIR_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let start = Instant::now();
    let mut reported = Vec::new();
    for run in 0..20 {
        let mut rnd = [0u8; 2];
        cloudsign_core::crypto::random_bytes(&mut rnd);
        let delay = Duration::from_millis(50 + u64::from(u16::from_le_bytes(rnd)) % 451);
        let mut child = Command::new(&exe)
            .args(["store::crash_child_writes_blobs", "--exact", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CRASH_DIR_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL on Unix
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        child.wait().unwrap();
        for line in text.lines().filter_map(|l| l.strip_prefix("BLOB ")) {
            let (i, id) = line.split_once(' ').unwrap();
            reported.push((i.parse::<usize>().unwrap(), id.parse::<BlobId>().unwrap()));
        }
        eprintln!(
            "run {run}: killed after {delay:?}, {} blobs reported so far",
            reported.len()
        );
    }
    assert!(start.elapsed() < Duration::from_secs(120));

    let s = EncryptedBlobStore::new(FsBackend::new(dir.path()).unwrap(), keys("crash", 3));
    for (i, id) in &reported {
        assert_eq!(s.get(id).unwrap(), crash_blob(*i), "blob {i}");
    }
    // Every id-named file decrypts in full; everything else is a temp file list() ignores.
    let listed = s.list().unwrap();
    for id in &listed {
        s.get(id).unwrap();
    }
    let mut temps = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.parse::<BlobId>().is_err() {
            assert!(name.starts_with(".tmp-"), "unexpected file {name}");
            temps += 1;
        }
    }
    eprintln!(
        "{} blobs reported, {} files readable, {temps} temp files left",
        reported.len(),
        listed.len()
    );
    assert!(listed.len() >= reported.len());
    assert!(!reported.is_empty(), "the child never got to write a blob");
}
