//! Encrypted blob storage with static keys, in memory or in a directory: put, get, delete,
//! list, and key rotation.

use std::ffi::c_char;

use cloudsign_core::store::{
    BlobBackend, BlobId, EncryptedBlobStore, FsBackend, MemoryBackend, ReplicatedBackend,
    StaticKeyProvider, StoreError, WritePolicy,
};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// An encrypted blob store (AES-256-GCM, a fresh data key per blob). Made by
/// `cs_blob_store_new_memory` or `cs_blob_store_new_fs`, freed by `cs_blob_store_free`.
#[derive(Debug)]
pub struct cs_blob_store {
    inner: Store,
}

// One backend seen as a set of one replica: a single store type serves every backend.
type Store = EncryptedBlobStore<ReplicatedBackend, StaticKeyProvider>;

/// Hands C a store over the backend `backend` makes, with keys as key-file lines.
fn new_store(
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
    backend: impl FnOnce() -> Result<Box<dyn BlobBackend>, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let backend = ReplicatedBackend::new(vec![backend()?], WritePolicy::All);
        let keys = StaticKeyProvider::parse(ffi::text(keys_text, "keys")?)?;
        out.set(cs_blob_store {
            inner: EncryptedBlobStore::new(backend, keys),
        });
        Ok(())
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

/// Frees a store (the stored blobs of a directory store stay); NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_free(store: *mut cs_blob_store) {
    guard((), || ffi::free_handle(store));
}
