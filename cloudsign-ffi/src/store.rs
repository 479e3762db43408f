//! Encrypted blob storage with static keys, in memory, in a directory, in an S3-compatible
//! bucket or replicated over several of those: put, get, delete, list, key rotation and
//! replica repair.

use std::ffi::c_char;
use std::io;
use std::sync::Arc;

use cloudsign_core::store::{
    BlobBackend, BlobId, BlobSink, BlobSource, EncryptedBlobStore, FsBackend, MemoryBackend,
    ObjectStoreBackend, ReplicatedBackend, S3Config, StaticKeyProvider, StoreError, WritePolicy,
};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// An encrypted blob store (AES-256-GCM, a fresh data key per blob). Made by
/// `cs_blob_store_new_memory`, `cs_blob_store_new_fs`, `cs_blob_store_new_s3` or
/// `cs_blob_store_new_replicated`, freed by `cs_blob_store_free`.
#[derive(Debug)]
pub struct cs_blob_store {
    inner: Store,
}

// One backend seen as a set of one replica: a single store type serves every backend. The
// replicas are shared so that a replicated store can be built over stores C still holds.
type Store = EncryptedBlobStore<Shared, StaticKeyProvider>;

/// The replicas of a store, shared with the replicated stores built over it.
#[derive(Debug, Clone)]
struct Shared(Arc<ReplicatedBackend>);

impl BlobBackend for Shared {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        self.0.create(id)
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        self.0.open(id)
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        self.0.delete(id)
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        self.0.exists(id)
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        self.0.list(prefix)
    }

    fn replica_count(&self) -> usize {
        self.0.replica_count()
    }

    fn open_replica(&self, id: &BlobId, replica: usize) -> io::Result<BlobSource<'_>> {
        self.0.open_replica(id, replica)
    }

    fn create_replica(&self, id: &BlobId, replica: usize) -> io::Result<Box<dyn BlobSink + '_>> {
        self.0.create_replica(id, replica)
    }
}

/// Hands C a store over `replicas`, with keys as key-file lines.
fn hand_out(
    replicas: Vec<Box<dyn BlobBackend>>,
    policy: WritePolicy,
    keys_text: *const c_char,
    out: ffi::Out<cs_blob_store>,
) -> Result<(), Failure> {
    let backend = Shared(Arc::new(ReplicatedBackend::new(replicas, policy)));
    let keys = StaticKeyProvider::parse(ffi::text(keys_text, "keys")?)?;
    out.set(cs_blob_store {
        inner: EncryptedBlobStore::new(backend, keys),
    });
    Ok(())
}

/// Hands C a store over the backend `backend` makes, with keys as key-file lines.
fn new_store(
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
    backend: impl FnOnce() -> Result<Box<dyn BlobBackend>, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        hand_out(vec![backend()?], WritePolicy::All, keys_text, out)
    })
}

/// A store kept in memory (for tests and caches), keys given as key-file lines
/// (`KEYID HEX64` per line, the first one active).
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_new_memory(
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
) -> cs_status {
    new_store(keys_text, out, err, || Ok(Box::new(MemoryBackend::new())))
}

/// A store in directory `dir` (created if missing, atomic writes), keys as for
/// `cs_blob_store_new_memory`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_new_fs(
    dir: *const c_char,
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
) -> cs_status {
    new_store(keys_text, out, err, || {
        Ok(Box::new(FsBackend::new(ffi::text(dir, "dir")?)?))
    })
}

/// A store in the S3-compatible bucket `bucket` (AWS S3, MinIO, Ceph, ...), keys as for
/// `cs_blob_store_new_memory`. Blobs are objects `PREFIX/<id>`.
///
/// - `endpoint`: the service URL (path-style requests); NULL for AWS itself.
/// - `region`: NULL for `"us-east-1"`.
/// - `access_key_id` and `secret_access_key`: a static key, both or neither; neither (NULL)
///   takes the instance or container role.
/// - `prefix`: NULL or empty to keep blobs at the top of the bucket.
/// - `allow_http`: accept a plain `http://` endpoint (a server on loopback); keep it false
///   otherwise.
///
/// Nothing is sent before the first blob call; a request runs on a small runtime the store
/// owns and fails after a 60-second timeout and 3 retries. Do not call it from a thread
/// driving an async runtime.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_new_s3(
    endpoint: *const c_char,
    bucket: *const c_char,
    region: *const c_char,
    access_key_id: *const c_char,
    secret_access_key: *const c_char,
    prefix: *const c_char,
    allow_http: bool,
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
) -> cs_status {
    new_store(keys_text, out, err, || {
        let mut config = S3Config::new(ffi::text(bucket, "bucket")?).with_allow_http(allow_http);
        if let Some(endpoint) = ffi::optional_text(endpoint, "endpoint")? {
            config = config.with_endpoint(endpoint);
        }
        if let Some(region) = ffi::optional_text(region, "region")? {
            config = config.with_region(region);
        }
        match (
            ffi::optional_text(access_key_id, "access_key_id")?,
            ffi::optional_text(secret_access_key, "secret_access_key")?,
        ) {
            (Some(id), Some(secret)) => config = config.with_credentials(id, secret),
            (None, None) => {}
            _ => {
                return Err(Failure::invalid(
                    "access_key_id and secret_access_key go together",
                ));
            }
        }
        if let Some(prefix) = ffi::optional_text(prefix, "prefix")? {
            config = config.with_prefix(prefix);
        }
        Ok(Box::new(ObjectStoreBackend::s3(&config)?))
    })
}

/// A store that keeps every blob in each of the `count` stores `replicas` (at least one),
/// with its own keys as for `cs_blob_store_new_memory`. Reads are served by the first replica
/// holding a copy that authenticates; `cs_blob_repair` rewrites bad copies.
///
/// A write succeeds when `write_quorum` replicas commit it (0: all of them; at most
/// `count`). The replicas are shared, not consumed: each may still be used, and freed in any
/// order, the replicated store keeping what it needs alive.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_new_replicated(
    replicas: *const *const cs_blob_store,
    count: usize,
    write_quorum: usize,
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let stores = ffi::handles(replicas, count, "replicas")?;
        if stores.is_empty() || write_quorum > stores.len() {
            return Err(Failure::invalid(format!(
                "need at least one replica and a write_quorum of at most their count \
                 (got {write_quorum} of {})",
                stores.len()
            )));
        }
        let policy = match write_quorum {
            0 => WritePolicy::All,
            n => WritePolicy::Quorum(n),
        };
        let backends = stores
            .iter()
            .map(|s| Box::new(s.inner.backend().clone()) as Box<dyn BlobBackend>)
            .collect();
        hand_out(backends, policy, keys_text, out)
    })
}

/// Encrypts and stores `data`; `*id` receives the new blob's id (32 hex digits, text).
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_put(
    store: *const cs_blob_store,
    data: *const u8,
    data_len: usize,
    id: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let id_out = ffi::Out::new(id, "id")?;
        let store = ffi::handle(store, "store")?;
        let data = ffi::bytes(data, data_len, "data")?;
        let id = store.inner.put(data)?;
        id_out.set(cs_bytes::text(id.to_string()));
        Ok(())
    })
}

/// Reads and authenticates blob `id`; `*out` receives the plaintext. A missing, tampered or
/// truncated blob is `CS_ERR_STORE` and nothing is returned.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_get(
    store: *const cs_blob_store,
    id: *const c_char,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(cs_bytes::secret(with_blob(store, id, Store::get)?));
        Ok(())
    })
}

/// Runs `act` on blob `id` of `store`.
fn with_blob<T>(
    store: *const cs_blob_store,
    id: *const c_char,
    act: impl FnOnce(&Store, &BlobId) -> Result<T, StoreError>,
) -> Result<T, Failure> {
    let store = ffi::handle(store, "store")?;
    let id: BlobId = ffi::text(id, "id")?.parse()?;
    Ok(act(&store.inner, &id)?)
}

/// Runs `act` on blob `id` of `store` and hands C its answer through the out-parameter
/// `answer` (named `name`).
fn blob_answer<T>(
    store: *const cs_blob_store,
    id: *const c_char,
    (answer, name): (*mut T, &str),
    err: *mut *mut cs_error,
    act: impl FnOnce(&Store, &BlobId) -> Result<T, StoreError>,
) -> cs_status {
    boundary(err, || {
        let answer = ffi::ValueOut::new(answer, name)?;
        answer.set(with_blob(store, id, act)?);
        Ok(())
    })
}

/// Deletes blob `id`; deleting one that is not there is not an error.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_delete(
    store: *const cs_blob_store,
    id: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || with_blob(store, id, Store::delete))
}

/// `*exists` receives whether the store holds blob `id` (not read or authenticated).
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_exists(
    store: *const cs_blob_store,
    id: *const c_char,
    exists: *mut bool,
    err: *mut *mut cs_error,
) -> cs_status {
    blob_answer(store, id, (exists, "exists"), err, Store::exists)
}

/// `*ids` receives the ids of the stored blobs, sorted, one a line (text; empty when there
/// are none).
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_list(
    store: *const cs_blob_store,
    ids: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(ids, "ids")?;
        let ids = ffi::handle(store, "store")?.inner.list()?;
        let lines: Vec<String> = ids.iter().map(ToString::to_string).collect();
        out.set(cs_bytes::text(lines.join("\n")));
        Ok(())
    })
}

/// Key rotation for one blob: re-wraps its data key under the store's active key (the first
/// of its key lines) if it is sealed under another. Only the header is rewritten; the body is
/// copied byte for byte. `*rotated` receives whether the blob was rewritten.
///
/// To retire a key: open the store with the new key first and the old one after it, rotate
/// every blob (`cs_blob_rotate_all`), then drop the old key's line.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_rotate(
    store: *const cs_blob_store,
    id: *const c_char,
    rotated: *mut bool,
    err: *mut *mut cs_error,
) -> cs_status {
    blob_answer(store, id, (rotated, "rotated"), err, Store::rotate)
}

/// Rotates every stored blob as `cs_blob_rotate` does; `*count` receives how many were
/// rewritten. Stops at the first blob that cannot be rotated; those done stay done, so calling
/// it again resumes.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_rotate_all(
    store: *const cs_blob_store,
    count: *mut usize,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let count = ffi::ValueOut::new(count, "count")?;
        count.set(ffi::handle(store, "store")?.inner.rotate_all()?);
        Ok(())
    })
}

/// Checks every replica of blob `id` in full and rewrites those missing it or holding a copy
/// that fails authentication with a good copy; `*repaired` receives how many were rewritten.
/// `CS_ERR_STORE` when no replica holds a good copy.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_repair(
    store: *const cs_blob_store,
    id: *const c_char,
    repaired: *mut usize,
    err: *mut *mut cs_error,
) -> cs_status {
    blob_answer(store, id, (repaired, "repaired"), err, |store, id| {
        Ok(store.repair(id)?.repaired.len())
    })
}

/// Frees a store (the stored blobs of a directory store stay); NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_free(store: *mut cs_blob_store) {
    guard((), || ffi::free_handle(store));
}
