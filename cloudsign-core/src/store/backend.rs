//! Untrusted ciphertext storage: the [`BlobBackend`] trait and the in-memory and replicated
//! backends. A backend sees only sealed blobs; it is trusted for availability, never for
//! integrity or confidentiality (the store authenticates every byte it reads back).

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use super::BlobId;

/// A blob being written. Nothing is visible under the id until [`commit`](Self::commit)
/// returns; dropping the sink without committing discards what was written.
pub trait BlobSink: Write + Send {
    /// Makes the written bytes durable and visible under the id, atomically.
    fn commit(self: Box<Self>) -> io::Result<()>;
}

/// A readable stored blob.
pub type BlobSource<'a> = Box<dyn Read + Send + 'a>;

/// Storage of sealed blobs by id.
///
/// A backend that holds several copies (see [`ReplicatedBackend`]) exposes them through the
/// `replica` methods so that the store, which alone can verify a blob, can pick a good copy
/// and repair bad ones; single-copy backends keep the defaults.
pub trait BlobBackend: Send + Sync {
    /// Starts writing blob `id` (replacing it on commit if it exists).
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>>;

    /// Opens blob `id`; `io::ErrorKind::NotFound` if absent.
    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>>;

    /// Deletes blob `id`; deleting an absent blob is not an error.
    fn delete(&self, id: &BlobId) -> io::Result<()>;

    /// Whether blob `id` exists.
    fn exists(&self, id: &BlobId) -> io::Result<bool>;

    /// The ids whose hex form starts with `prefix`, sorted.
    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>>;

    /// Writes a whole blob.
    fn put_bytes(&self, id: &BlobId, bytes: &[u8]) -> io::Result<()> {
        let mut sink = self.create(id)?;
        sink.write_all(bytes)?;
        sink.commit()
    }

    /// Number of independent copies this backend keeps.
    fn replica_count(&self) -> usize {
        1
    }

    /// Opens copy `replica` (0-based) of blob `id`.
    fn open_replica(&self, id: &BlobId, replica: usize) -> io::Result<BlobSource<'_>> {
        let _ = replica;
        self.open(id)
    }

    /// Starts writing copy `replica` of blob `id` only.
    fn create_replica(&self, id: &BlobId, replica: usize) -> io::Result<Box<dyn BlobSink + '_>> {
        let _ = replica;
        self.create(id)
    }
}

/// A shared backend: several stores, or a store and a [`ReplicatedBackend`], can use one
/// backend (and one connection pool) at once.
///
/// ```
/// use std::sync::Arc;
/// use cloudsign_core::store::{BlobBackend, EncryptedBlobStore, KeyId, MemoryBackend, StaticKeyProvider};
///
/// let backend: Arc<dyn BlobBackend> = Arc::new(MemoryBackend::new());
/// let keys = Arc::new(StaticKeyProvider::new(KeyId::new("k1")?, &[7u8; 32]));
/// let writer = EncryptedBlobStore::new(Arc::clone(&backend), Arc::clone(&keys));
/// let reader = EncryptedBlobStore::new(backend, keys);
/// let id = writer.put(b"contract")?;
/// assert_eq!(reader.get(&id)?, b"contract");
/// # Ok::<(), cloudsign_core::store::StoreError>(())
/// ```
impl<B: BlobBackend + ?Sized> BlobBackend for Arc<B> {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        (**self).create(id)
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        (**self).open(id)
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        (**self).delete(id)
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        (**self).exists(id)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        (**self).list(prefix)
    }

    fn put_bytes(&self, id: &BlobId, bytes: &[u8]) -> io::Result<()> {
        (**self).put_bytes(id, bytes)
    }

    fn replica_count(&self) -> usize {
        (**self).replica_count()
    }

    fn open_replica(&self, id: &BlobId, replica: usize) -> io::Result<BlobSource<'_>> {
        (**self).open_replica(id, replica)
    }

    fn create_replica(&self, id: &BlobId, replica: usize) -> io::Result<Box<dyn BlobSink + '_>> {
        (**self).create_replica(id, replica)
    }
}

/// Blobs in memory, for tests and caches. Cloning shares the storage.
#[derive(Clone, Debug, Default)]
pub struct MemoryBackend {
    blobs: Arc<Mutex<BTreeMap<BlobId, Arc<Vec<u8>>>>>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored (sealed) bytes of a blob, as an attacker with storage access sees them.
    pub fn raw(&self, id: &BlobId) -> Option<Vec<u8>> {
        self.lock().get(id).map(|b| b.to_vec())
    }

    /// Replaces the stored bytes of a blob, as an attacker with storage access could.
    pub fn set_raw(&self, id: &BlobId, bytes: Vec<u8>) {
        self.lock().insert(id.clone(), Arc::new(bytes));
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<BlobId, Arc<Vec<u8>>>> {
        // A panic while holding the lock cannot leave the map half-updated (every update is
        // a single insert or remove), so a poisoned lock is safe to use.
        self.blobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct MemorySink {
    id: BlobId,
    buf: Vec<u8>,
    blobs: Arc<Mutex<BTreeMap<BlobId, Arc<Vec<u8>>>>>,
}

impl Write for MemorySink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for MemorySink {
    fn commit(self: Box<Self>) -> io::Result<()> {
        let this = *self;
        this.blobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(this.id, Arc::new(this.buf));
        Ok(())
    }
}

struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl BlobBackend for MemoryBackend {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        Ok(Box::new(MemorySink {
            id: id.clone(),
            buf: Vec::new(),
            blobs: Arc::clone(&self.blobs),
        }))
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        let blob = self.lock().get(id).cloned();
        match blob {
            Some(b) => Ok(Box::new(Cursor::new(SharedBytes(b)))),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("blob {id}"),
            )),
        }
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        self.lock().remove(id);
        Ok(())
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        Ok(self.lock().contains_key(id))
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        Ok(self
            .lock()
            .keys()
            .filter(|id| id.to_string().starts_with(prefix))
            .cloned()
            .collect())
    }
}

/// How many replicas must commit for a write to succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WritePolicy {
    /// Every replica.
    All,
    /// At least this many replicas (the rest can be restored with
    /// [`EncryptedBlobStore::repair`](super::EncryptedBlobStore::repair)).
    Quorum(usize),
}

/// Several backends holding the same blobs. Writes go to all of them; reads are served by the
/// first replica that has the blob, and the store falls back to the next replica when a copy
/// is missing or fails authentication.
pub struct ReplicatedBackend {
    replicas: Vec<Box<dyn BlobBackend>>,
    policy: WritePolicy,
}

impl ReplicatedBackend {
    /// Replicas in read-preference order.
    pub fn new(replicas: Vec<Box<dyn BlobBackend>>, policy: WritePolicy) -> Self {
        Self { replicas, policy }
    }

    fn required(&self) -> usize {
        match self.policy {
            WritePolicy::All => self.replicas.len(),
            WritePolicy::Quorum(n) => n.clamp(1, self.replicas.len().max(1)),
        }
    }

    fn replica(&self, index: usize) -> io::Result<&dyn BlobBackend> {
        self.replicas
            .get(index)
            .map(AsRef::as_ref)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no such replica"))
    }
}

impl std::fmt::Debug for ReplicatedBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicatedBackend")
            .field("replicas", &self.replicas.len())
            .field("policy", &self.policy)
            .finish()
    }
}

/// Writes to every replica's sink; a replica whose write fails is dropped (its partial copy
/// discarded) and the commit succeeds if enough of the rest commit.
struct FanOutSink<'a> {
    sinks: Vec<Option<Box<dyn BlobSink + 'a>>>,
    required: usize,
    first_error: Option<io::Error>,
}

impl FanOutSink<'_> {
    fn live(&self) -> usize {
        self.sinks.iter().filter(|s| s.is_some()).count()
    }

    fn fail(&mut self, e: io::Error) -> io::Result<()> {
        if self.live() < self.required {
            return Err(self.first_error.take().unwrap_or(e));
        }
        self.first_error.get_or_insert(e);
        Ok(())
    }
}

impl Write for FanOutSink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut errors = Vec::new();
        for slot in &mut self.sinks {
            if let Some(sink) = slot {
                if let Err(e) = sink.write_all(data) {
                    *slot = None;
                    errors.push(e);
                }
            }
        }
        for e in errors {
            self.fail(e)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for FanOutSink<'_> {
    fn commit(self: Box<Self>) -> io::Result<()> {
        let mut this = *self;
        let mut committed = 0;
        let mut last_error = this.first_error.take();
        for sink in this.sinks.drain(..).flatten() {
            match sink.commit() {
                Ok(()) => committed += 1,
                Err(e) => last_error = Some(e),
            }
        }
        if committed >= this.required {
            Ok(())
        } else {
            Err(last_error.unwrap_or_else(|| io::Error::other("too few replicas committed")))
        }
    }
}

impl BlobBackend for ReplicatedBackend {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        let mut sink = FanOutSink {
            sinks: Vec::new(),
            required: self.required(),
            first_error: None,
        };
        for r in &self.replicas {
            match r.create(id) {
                Ok(s) => sink.sinks.push(Some(s)),
                Err(e) => {
                    sink.sinks.push(None);
                    sink.first_error.get_or_insert(e);
                }
            }
        }
        if sink.live() < sink.required {
            return Err(sink
                .first_error
                .take()
                .unwrap_or_else(|| io::Error::other("no replicas")));
        }
        Ok(Box::new(sink))
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("blob {id}"));
        for r in &self.replicas {
            match r.open(id) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        let mut result = Ok(());
        for r in &self.replicas {
            if let Err(e) = r.delete(id) {
                result = Err(e);
            }
        }
        result
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        for r in &self.replicas {
            if r.exists(id)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        let mut all = std::collections::BTreeSet::new();
        for r in &self.replicas {
            all.extend(r.list(prefix)?);
        }
        Ok(all.into_iter().collect())
    }

    fn replica_count(&self) -> usize {
        self.replicas.len()
    }

    fn open_replica(&self, id: &BlobId, replica: usize) -> io::Result<BlobSource<'_>> {
        self.replica(replica)?.open(id)
    }

    fn create_replica(&self, id: &BlobId, replica: usize) -> io::Result<Box<dyn BlobSink + '_>> {
        self.replica(replica)?.create(id)
    }
}
