//! Encrypted blob storage: contracts at rest, sealed before they reach any storage backend.
//!
//! An [`EncryptedBlobStore`] seals each blob under a fresh AES-256 data key, wraps that key
//! with a [`KeyProvider`] and hands only ciphertext to a [`BlobBackend`]. Bodies are a STREAM
//! of 64 KiB AES-256-GCM chunks whose nonces carry a counter and a last-chunk flag, so
//! truncation, extension, reordering and moving bodies between blob ids all fail to
//! authenticate; the byte layout is documented in the `format` section below.
//!
//! ```
//! use cloudsign_core::store::{EncryptedBlobStore, KeyId, MemoryBackend, StaticKeyProvider};
//! use std::io::{Read, Write};
//!
//! let keys = StaticKeyProvider::new(KeyId::new("k1")?, &[7u8; 32]);
//! let store = EncryptedBlobStore::new(MemoryBackend::new(), keys);
//! let id = store.put(b"contract")?;
//! assert_eq!(store.get(&id)?, b"contract");
//!
//! // Streaming: memory stays at one chunk whatever the blob size.
//! let mut w = store.writer()?;
//! w.write_all(b"a large contract")?;
//! let id = w.finish()?; // without finish() nothing becomes readable
//! let mut text = String::new();
//! store.reader(&id)?.read_to_string(&mut text)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Format
//!
//! ```text
//! offset     len  field
//! 0          4    magic "CSBL"
//! 4          1    format version (1)
//! 5          1    key id length K (1..=64)
//! 6          K    key id (ASCII [A-Za-z0-9._-])
//! 6+K        2    wrapped data key length W, big-endian (1..=1024)
//! 8+K        W    wrapped data key (opaque, from the KeyProvider)
//! 8+K+W      7    nonce prefix (random per blob)
//! 15+K+W     4    chunk size C, big-endian (16..=16 MiB, default 65536)
//! 19+K+W     ...  chunks: C plaintext bytes + 16-byte tag each, then a final chunk of
//!                 0..C-1 plaintext bytes + tag (empty when the length is a multiple of C)
//!
//! chunk nonce  = nonce prefix (7) ‖ chunk counter (u32 BE, from 0) ‖ last flag (0 or 1)
//! chunk AAD    = binding = "CSBL" ‖ version ‖ blob id (16) ‖ nonce prefix ‖ chunk size (BE)
//! wrap context = the same binding
//! ```
//!
//! The key id and wrapped key are deliberately outside the chunk AAD so that
//! [`rotate`](EncryptedBlobStore::rotate) rewrites only the header: the wrapped key is
//! authenticated by the wrap itself (its AAD is the binding) and a changed key id names no key
//! or the wrong one. Everything else in the header is in the binding.
//!
//! # Errors and partial output
//!
//! Every sign of tampering (altered bytes anywhere, truncation, extension, reordered chunks, a
//! body under another id, an unknown or wrong key) is [`StoreError::Authentication`], with no
//! finer detail. A chunk's plaintext is released only after its tag verifies. A streaming
//! [`BlobReader`] may already have returned earlier verified chunks when it reports the error
//! (before EOF): treat output as complete only when `read` returned `Ok(0)`.
//! [`EncryptedBlobStore::get`] returns nothing on error.

mod backend;
mod format;
mod fs;
mod key;
#[cfg(feature = "object-store")]
mod object;

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

pub use backend::{
    BlobBackend, BlobSink, BlobSource, MemoryBackend, ReplicatedBackend, WritePolicy,
};
pub use fs::FsBackend;
pub use key::{DataKey, KeyId, KeyProvider, StaticKeyProvider, WrappedKey};
#[cfg(feature = "object-store")]
pub use object::{MAX_PART_SIZE, MIN_PART_SIZE, ObjectStoreBackend, S3Config};
/// The `object_store` crate this backend is built on, so that a store made for
/// [`ObjectStoreBackend::from_store`] comes from the same version.
#[cfg(feature = "object-store")]
pub use object_store;

use crate::crypto::aead::{self, TAG_LEN};
use format::{Header, PREFIX_LEN};

/// What went wrong in the blob store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The blob is not authentic: altered, truncated, extended, reordered, stored under another
    /// id, or sealed under a key that is unknown or does not match. Deliberately coarse.
    #[error("blob failed authentication")]
    Authentication,
    /// The storage backend failed.
    #[error("blob storage: {0}")]
    Backend(#[source] io::Error),
    /// A blob id is not 32 lowercase hex digits.
    #[error("invalid blob id")]
    InvalidBlobId,
    /// A chunk size outside 16 bytes ..= 16 MiB.
    #[error("invalid chunk size")]
    InvalidChunkSize,
    /// A key id is not 1 to 64 characters of `[A-Za-z0-9._-]`.
    #[error("invalid key id")]
    InvalidKeyId,
    /// The key provider is misconfigured or unavailable (not an authentication verdict).
    #[error("key provider: {0}")]
    KeyProvider(String),
    /// No replica holds the blob.
    #[error("blob not found")]
    NotFound,
    /// The blob exceeds the format's 2^32 chunks.
    #[error("blob too large for its chunk size")]
    TooLarge,
}

impl StoreError {
    fn from_open(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            Self::NotFound
        } else {
            Self::Backend(e)
        }
    }

    /// Recovers a store error carried through `std::io` (by [`BlobReader`]/[`BlobWriter`]).
    fn from_io(e: io::Error) -> Self {
        if e.get_ref().is_some_and(|inner| inner.is::<Self>()) {
            if let Some(Ok(inner)) = e.into_inner().map(|b| b.downcast::<Self>()) {
                return *inner;
            }
            return Self::Authentication;
        }
        Self::Backend(e)
    }

    fn into_io(self) -> io::Error {
        match self {
            Self::Backend(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// A blob's id: 128 random bits, written as 32 lowercase hex digits. Exists only in checked
/// form, which is what keeps ids safe as file names and object keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobId([u8; 16]);

impl BlobId {
    fn generate() -> Self {
        let mut id = [0u8; 16];
        crate::crypto::random_bytes(&mut id);
        Self(id)
    }

    /// The raw id bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::str::FromStr for BlobId {
    type Err = StoreError;

    /// Exactly 32 lowercase hex digits (one spelling per id, so ids compare as strings).
    fn from_str(s: &str) -> Result<Self, StoreError> {
        if s.len() != 32 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(StoreError::InvalidBlobId);
        }
        let mut id = [0u8; 16];
        hex::decode_to_slice(s, &mut id).map_err(|_| StoreError::InvalidBlobId)?;
        Ok(Self(id))
    }
}

/// Outcome of [`EncryptedBlobStore::repair`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepairReport {
    /// The replica whose verified copy was used.
    pub source: usize,
    /// Replicas that were missing or failed authentication and were rewritten.
    pub repaired: Vec<usize>,
}

/// Sealed blobs over a backend, keys from a provider. See the [module docs](self).
#[derive(Debug)]
pub struct EncryptedBlobStore<B, K> {
    backend: B,
    keys: K,
    chunk_size: u32,
}

impl<B: BlobBackend, K: KeyProvider> EncryptedBlobStore<B, K> {
    /// A store with the default 64 KiB chunks.
    pub fn new(backend: B, keys: K) -> Self {
        Self {
            backend,
            keys,
            chunk_size: format::DEFAULT_CHUNK_SIZE,
        }
    }

    /// Sets the chunk size for new blobs (16 bytes ..= 16 MiB). Existing blobs keep theirs.
    pub fn with_chunk_size(mut self, chunk_size: u32) -> Result<Self, StoreError> {
        if !(format::MIN_CHUNK_SIZE..=format::MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(StoreError::InvalidChunkSize);
        }
        self.chunk_size = chunk_size;
        Ok(self)
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The key provider.
    pub fn key_provider(&self) -> &K {
        &self.keys
    }

    /// Seals and stores `bytes` under a new random id.
    pub fn put(&self, bytes: &[u8]) -> Result<BlobId, StoreError> {
        let mut w = self.writer()?;
        w.write_all(bytes).map_err(StoreError::from_io)?;
        w.finish()
    }

    /// A streaming writer for a new blob; call [`BlobWriter::finish`] to store it.
    pub fn writer(&self) -> Result<BlobWriter<'_>, StoreError> {
        let id = BlobId::generate();
        let key = DataKey::generate();
        let mut nonce_prefix = [0u8; PREFIX_LEN];
        crate::crypto::random_bytes(&mut nonce_prefix);
        let binding = format::binding(&id, &nonce_prefix, self.chunk_size);
        let wrapped = self.keys.wrap(&key, &binding)?;
        if wrapped.bytes.is_empty() || wrapped.bytes.len() > format::MAX_WRAPPED_LEN {
            return Err(StoreError::KeyProvider(
                "wrapped key of unsupported size".into(),
            ));
        }
        let header = Header {
            key_id: wrapped.key_id,
            wrapped_key: wrapped.bytes,
            nonce_prefix,
            chunk_size: self.chunk_size,
        };
        let mut sink = self.backend.create(&id).map_err(StoreError::Backend)?;
        sink.write_all(&header.to_bytes())
            .map_err(StoreError::Backend)?;
        let chunk_len = header.chunk_len();
        let mut buf = Zeroizing::new(Vec::new());
        // Sized once so sealing in place never reallocates (a reallocation would leave an
        // unzeroized copy of plaintext behind).
        buf.reserve_exact(chunk_len + TAG_LEN);
        Ok(BlobWriter {
            id,
            header,
            binding,
            key,
            sink: Some(sink),
            buf,
            chunk_len,
            counter: 0,
            failed: false,
        })
    }

    /// Reads, verifies and decrypts a whole blob into memory; nothing is returned on error.
    /// Falls back to the next replica when one is missing or fails authentication.
    pub fn get(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        let mut reader = self.reader(id)?;
        let mut out = Zeroizing::new(Vec::new());
        // Only the end of the blob yields an empty chunk (non-final chunks are never empty).
        loop {
            let chunk = reader.next_chunk()?;
            if chunk.is_empty() {
                break;
            }
            out.extend_from_slice(chunk);
        }
        Ok(std::mem::take(&mut *out))
    }

    /// A streaming reader; see the module docs on partial output.
    pub fn reader(&self, id: &BlobId) -> Result<BlobReader<'_>, StoreError> {
        let mut last = StoreError::NotFound;
        for replica in 0..self.backend.replica_count() {
            match self.open_replica(id, replica) {
                Ok(opened) => return Ok(self.reader_over(id, replica, opened, true)),
                Err(e) => last = worse(last, e),
            }
        }
        Err(last)
    }

    /// Deletes a blob from every replica.
    pub fn delete(&self, id: &BlobId) -> Result<(), StoreError> {
        self.backend.delete(id).map_err(StoreError::Backend)
    }

    /// Whether any replica holds the blob (unverified).
    pub fn exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        self.backend.exists(id).map_err(StoreError::Backend)
    }

    /// The stored ids (unverified), sorted.
    pub fn list(&self) -> Result<Vec<BlobId>, StoreError> {
        self.backend.list("").map_err(StoreError::Backend)
    }

    /// Re-wraps the blob's data key under the provider's active key, on every replica that
    /// holds it under another key. Only the header changes: the body is copied byte for byte,
    /// not re-encrypted (and not verified; a corrupt replica stays corrupt, see
    /// [`repair`](Self::repair)). Returns whether any replica was rewritten.
    pub fn rotate(&self, id: &BlobId) -> Result<bool, StoreError> {
        let active = self.keys.active_key_id();
        let mut rotated = false;
        let mut seen = false;
        let mut last = StoreError::NotFound;
        for replica in 0..self.backend.replica_count() {
            let mut source = match self.backend.open_replica(id, replica) {
                Ok(s) => s,
                Err(e) => {
                    last = worse(last, StoreError::from_open(e));
                    continue;
                }
            };
            let header = match Header::read_from(&mut source) {
                Ok(h) => h,
                Err(e) => {
                    last = worse(last, e);
                    continue;
                }
            };
            if header.key_id == active {
                seen = true;
                continue;
            }
            let binding = header.binding(id);
            let key = match self
                .keys
                .unwrap(&header.key_id, &header.wrapped_key, &binding)
            {
                Ok(k) => k,
                Err(e) => {
                    last = worse(last, e);
                    continue;
                }
            };
            let wrapped = self.keys.wrap(&key, &binding)?;
            let new_header = Header {
                key_id: wrapped.key_id,
                wrapped_key: wrapped.bytes,
                ..header
            };
            let mut sink = self
                .backend
                .create_replica(id, replica)
                .map_err(StoreError::Backend)?;
            sink.write_all(&new_header.to_bytes())
                .map_err(StoreError::Backend)?;
            io::copy(&mut source, &mut sink).map_err(StoreError::Backend)?;
            drop(source);
            sink.commit().map_err(StoreError::Backend)?;
            seen = true;
            rotated = true;
        }
        if seen { Ok(rotated) } else { Err(last) }
    }

    /// [`rotate`](Self::rotate)s every stored blob; returns how many were rewritten. Stops at
    /// the first blob that cannot be rotated (for example one no replica can authenticate);
    /// blobs already rotated stay rotated, so running it again resumes.
    pub fn rotate_all(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in self.list()? {
            if self.rotate(&id)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Verifies every replica of a blob in full and rewrites those that are missing or fail
    /// authentication with the bytes of the first verified one.
    pub fn repair(&self, id: &BlobId) -> Result<RepairReport, StoreError> {
        let count = self.backend.replica_count();
        let mut good = None;
        let mut bad = Vec::new();
        let mut last = StoreError::NotFound;
        for replica in 0..count {
            match self.verify_replica(id, replica) {
                Ok(()) if good.is_none() => good = Some(replica),
                Ok(()) => {}
                Err(e @ (StoreError::Authentication | StoreError::NotFound)) => {
                    last = worse(last, e);
                    bad.push(replica);
                }
                Err(e) => return Err(e),
            }
        }
        let source = good.ok_or(last)?;
        for &replica in &bad {
            let mut from = self
                .backend
                .open_replica(id, source)
                .map_err(StoreError::Backend)?;
            let mut sink = self
                .backend
                .create_replica(id, replica)
                .map_err(StoreError::Backend)?;
            io::copy(&mut from, &mut sink).map_err(StoreError::Backend)?;
            sink.commit().map_err(StoreError::Backend)?;
        }
        Ok(RepairReport {
            source,
            repaired: bad,
        })
    }

    fn verify_replica(&self, id: &BlobId, replica: usize) -> Result<(), StoreError> {
        let opened = self.open_replica(id, replica)?;
        let mut reader = self.reader_over(id, replica, opened, false);
        while !reader.next_chunk()?.is_empty() {}
        Ok(())
    }

    fn open_replica(&self, id: &BlobId, replica: usize) -> Result<Opened<'_>, StoreError> {
        let mut source = self
            .backend
            .open_replica(id, replica)
            .map_err(StoreError::from_open)?;
        let header = Header::read_from(&mut source)?;
        let key = self
            .keys
            .unwrap(&header.key_id, &header.wrapped_key, &header.binding(id))?;
        Ok(Opened {
            source,
            header,
            key,
        })
    }

    fn reader_over<'a>(
        &'a self,
        id: &BlobId,
        replica: usize,
        opened: Opened<'a>,
        failover: bool,
    ) -> BlobReader<'a> {
        let binding = opened.header.binding(id);
        BlobReader {
            id: id.clone(),
            reopen: if failover { Some(self) } else { None },
            replicas: self.backend.replica_count(),
            replica,
            binding,
            opened,
            counter: 0,
            buf: Zeroizing::new(Vec::new()),
            pos: 0,
            done: false,
            failed: None,
        }
    }
}

/// Of two failures across replicas, the one to report: a replica that exists but fails
/// authentication says more than one that is missing.
fn worse(a: StoreError, b: StoreError) -> StoreError {
    match (&a, &b) {
        (_, StoreError::NotFound) => a,
        _ => b,
    }
}

/// One replica's stream, positioned after a verified header, with its unwrapped data key.
struct Opened<'a> {
    source: BlobSource<'a>,
    header: Header,
    key: DataKey,
}

/// Lets a reader open further replicas without naming the store's type parameters.
trait Reopen: Sync {
    fn reopen(&self, id: &BlobId, replica: usize) -> Result<Opened<'_>, StoreError>;
}

impl<B: BlobBackend, K: KeyProvider> Reopen for EncryptedBlobStore<B, K> {
    fn reopen(&self, id: &BlobId, replica: usize) -> Result<Opened<'_>, StoreError> {
        self.open_replica(id, replica)
    }
}

/// Streams a new blob into the backend, sealing one chunk at a time.
///
/// [`finish`](Self::finish) seals the final chunk and commits; a writer dropped without it
/// leaves nothing readable (the backend discards the partial blob).
#[must_use = "call finish() or the blob is discarded"]
pub struct BlobWriter<'a> {
    id: BlobId,
    header: Header,
    binding: [u8; format::BINDING_LEN],
    key: DataKey,
    sink: Option<Box<dyn BlobSink + 'a>>,
    buf: Zeroizing<Vec<u8>>,
    chunk_len: usize,
    counter: u32,
    failed: bool,
}

impl BlobWriter<'_> {
    /// The id the blob will have.
    pub fn id(&self) -> &BlobId {
        &self.id
    }

    /// Seals the final chunk, commits the blob and returns its id.
    pub fn finish(mut self) -> Result<BlobId, StoreError> {
        if self.failed {
            return Err(StoreError::Backend(io::Error::other(
                "an earlier write failed",
            )));
        }
        self.seal_chunk(true)?;
        let sink = self
            .sink
            .take()
            .ok_or_else(|| StoreError::Backend(io::Error::other("writer already closed")))?;
        sink.commit().map_err(StoreError::Backend)?;
        Ok(self.id.clone())
    }

    fn seal_chunk(&mut self, last: bool) -> Result<(), StoreError> {
        // A non-final chunk at the last counter value would leave no counter for the final
        // chunk; refuse rather than wrap around and reuse a nonce.
        if !last && self.counter == u32::MAX {
            return Err(StoreError::TooLarge);
        }
        let nonce = self.header.nonce(self.counter, last);
        // Chunks are at most 16 MiB, far below GCM's limit; should sealing fail anyway, the
        // buffer is cleared and nothing is written.
        aead::seal_in_place(self.key.aead(), &nonce, &self.binding, &mut self.buf)
            .map_err(|_| StoreError::TooLarge)?;
        let sink = self
            .sink
            .as_mut()
            .ok_or_else(|| StoreError::Backend(io::Error::other("writer already closed")))?;
        sink.write_all(&self.buf).map_err(StoreError::Backend)?;
        self.buf.clear();
        self.counter = self.counter.wrapping_add(1);
        Ok(())
    }
}

impl Write for BlobWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("an earlier write failed"));
        }
        let take = (self.chunk_len - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        // A full buffer is sealed at once as non-final: the final chunk is always shorter than
        // a chunk (empty if need be), so a full chunk is never the last one.
        if self.buf.len() == self.chunk_len {
            if let Err(e) = self.seal_chunk(false) {
                self.failed = true;
                return Err(e.into_io());
            }
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Debug for BlobWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("id", &self.id)
            .field("chunks", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Streams a blob's plaintext, one verified chunk at a time (memory: one chunk).
///
/// Returns an error before EOF if any chunk fails authentication or the blob is truncated;
/// output is complete only when `read` returns `Ok(0)`. Errors carry a [`StoreError`] inside
/// the `io::Error` (`ErrorKind::InvalidData` for authentication failures). When a replica
/// fails mid-stream the reader switches to the next replica holding the same data key.
pub struct BlobReader<'a> {
    id: BlobId,
    reopen: Option<&'a dyn Reopen>,
    replicas: usize,
    replica: usize,
    binding: [u8; format::BINDING_LEN],
    opened: Opened<'a>,
    counter: u32,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    done: bool,
    failed: Option<String>,
}

impl BlobReader<'_> {
    /// The remaining plaintext of the current chunk, reading the next chunk when it is used up;
    /// empty with `done` set at the end.
    fn next_chunk(&mut self) -> Result<&[u8], StoreError> {
        if self.failed.is_some() {
            return Err(StoreError::Authentication);
        }
        if self.pos == self.buf.len() && !self.done {
            if let Err(e) = self.fill() {
                self.failed = Some(e.to_string());
                return Err(e);
            }
        }
        let start = self.pos;
        self.pos = self.buf.len();
        Ok(&self.buf[start..])
    }

    fn fill(&mut self) -> Result<(), StoreError> {
        loop {
            match read_chunk(&mut self.opened, &self.binding, self.counter, &mut self.buf) {
                Ok(last) => {
                    self.pos = 0;
                    self.done = last;
                    self.counter = self.counter.wrapping_add(1);
                    return Ok(());
                }
                Err(e) => {
                    if !self.fail_over() {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Switches to the next replica that has the same data key and parameters and whose
    /// chunks up to the current position verify. Returns whether one was found.
    fn fail_over(&mut self) -> bool {
        let Some(reopen) = self.reopen else {
            return false;
        };
        while self.replica + 1 < self.replicas {
            self.replica += 1;
            let Ok(mut next) = reopen.reopen(&self.id, self.replica) else {
                continue;
            };
            if next.key != self.opened.key
                || next.header.nonce_prefix != self.opened.header.nonce_prefix
                || next.header.chunk_size != self.opened.header.chunk_size
            {
                continue;
            }
            let mut scratch = Zeroizing::new(Vec::new());
            let skipped = (0..self.counter)
                .all(|c| read_chunk(&mut next, &self.binding, c, &mut scratch) == Ok(false));
            if skipped {
                self.opened = next;
                return true;
            }
        }
        false
    }
}

/// Reads and opens chunk `counter` into `buf`; returns whether it was the final chunk.
fn read_chunk(
    opened: &mut Opened<'_>,
    binding: &[u8],
    counter: u32,
    buf: &mut Vec<u8>,
) -> Result<bool, StoreError> {
    let full = opened.header.chunk_len() + TAG_LEN;
    buf.clear();
    buf.resize(full, 0);
    let n = format::read_full(&mut opened.source, buf).map_err(StoreError::Backend)?;
    // A full-length chunk is never final (see the writer); a shorter one must be, and since
    // read_full stopped early the source is at its end, so nothing can follow it.
    let last = n < full;
    if n < TAG_LEN {
        buf.clear();
        return Err(StoreError::Authentication);
    }
    buf.truncate(n);
    let nonce = opened.header.nonce(counter, last);
    aead::open_in_place(opened.key.aead(), &nonce, binding, buf)
        .map_err(|_| StoreError::Authentication)?;
    if !last && counter == u32::MAX {
        buf.clear();
        return Err(StoreError::Authentication);
    }
    Ok(last)
}

impl PartialEq for StoreError {
    /// Errors compare by variant (I/O errors by kind), for tests and callers that branch.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Backend(a), Self::Backend(b)) => a.kind() == b.kind(),
            (Self::KeyProvider(a), Self::KeyProvider(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.buf.len() {
                let n = (self.buf.len() - self.pos).min(out.len());
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.failed.is_some() {
                return Err(StoreError::Authentication.into_io());
            }
            if let Err(e) = self.fill() {
                self.failed = Some(e.to_string());
                return Err(e.into_io());
            }
        }
    }
}

impl std::fmt::Debug for BlobReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("id", &self.id)
            .field("replica", &self.replica)
            .field("chunk", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Entry points for the fuzz targets and their replay test.
pub mod fuzzing {
    use std::io::{Read, Write};

    use super::{BlobId, EncryptedBlobStore, KeyId, MemoryBackend, StaticKeyProvider};

    /// The fixed key-encryption key of the fuzz store (key id `fuzz`).
    const FUZZ_KEK: [u8; 32] = [0x42; 32];

    fn fuzz_store() -> Option<EncryptedBlobStore<MemoryBackend, StaticKeyProvider>> {
        let keys = StaticKeyProvider::new(KeyId::new("fuzz").ok()?, &FUZZ_KEK);
        EncryptedBlobStore::new(MemoryBackend::new(), keys)
            .with_chunk_size(16)
            .ok()
    }

    /// Input: blob id (16 bytes) ‖ stored blob. Parses the header and reads the body under the
    /// fixed key, through `get` and through the streaming reader with small reads; both must
    /// agree, and neither may panic.
    pub fn fuzz_blob_reader(data: &[u8]) {
        let (Some(id), Some(store)) = (data.get(..16), fuzz_store()) else {
            return;
        };
        let Ok(id) = <[u8; 16]>::try_from(id) else {
            return;
        };
        let id = BlobId(id);
        store.backend().set_raw(&id, data[16..].to_vec());
        let whole = store.get(&id);
        let mut streamed = Vec::new();
        let streamed_ok = store.reader(&id).is_ok_and(|mut r| {
            let mut buf = [0u8; 7];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return true,
                    Ok(n) => streamed.extend_from_slice(&buf[..n]),
                    Err(_) => return false,
                }
            }
        });
        match whole {
            Ok(plain) => assert!(streamed_ok && plain == streamed, "get and reader disagree"),
            Err(_) => assert!(!streamed_ok, "reader accepted what get rejected"),
        }
    }

    /// A seed for [`fuzz_blob_reader`]: `plaintext` sealed under the fuzz key with 16-byte
    /// chunks, prefixed with its id.
    pub fn blob_reader_seed(plaintext: &[u8]) -> Vec<u8> {
        let Some(store) = fuzz_store() else {
            return Vec::new();
        };
        let Ok(mut w) = store.writer() else {
            return Vec::new();
        };
        let id = w.id().clone();
        if w.write_all(plaintext).is_err() || w.finish().is_err() {
            return Vec::new();
        }
        let mut out = id.as_bytes().to_vec();
        out.extend(store.backend().raw(&id).unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests;
