//! Encrypted blob storage with static keys, in memory or in a directory.

use std::ffi::c_char;

use cloudsign_core::store::{
    BlobId, EncryptedBlobStore, FsBackend, MemoryBackend, StaticKeyProvider, StoreError,
};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// An encrypted blob store (AES-256-GCM, a fresh data key per blob). Made by
/// `cs_blob_store_new_memory` or `cs_blob_store_new_fs`, freed by `cs_blob_store_free`.
#[derive(Debug)]
pub struct cs_blob_store {
    inner: Backend,
}

#[derive(Debug)]
enum Backend {
    Fs(EncryptedBlobStore<FsBackend, StaticKeyProvider>),
    Memory(EncryptedBlobStore<MemoryBackend, StaticKeyProvider>),
}

impl Backend {
    fn put(&self, bytes: &[u8]) -> Result<BlobId, StoreError> {
        match self {
            Self::Fs(s) => s.put(bytes),
            Self::Memory(s) => s.put(bytes),
        }
    }

    fn get(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        match self {
            Self::Fs(s) => s.get(id),
            Self::Memory(s) => s.get(id),
        }
    }
}

/// Key lines as in a key file: `KEYID HEX64` per line, the first key active.
fn keys(text: *const c_char) -> Result<StaticKeyProvider, Failure> {
    Ok(StaticKeyProvider::parse(ffi::text(text, "keys")?)?)
}

/// A store kept in memory (for tests and caches), keys given as key-file lines
/// (`KEYID HEX64` per line, the first one active).
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_new_memory(
    keys_text: *const c_char,
    out: *mut *mut cs_blob_store,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let store = EncryptedBlobStore::new(MemoryBackend::new(), keys(keys_text)?);
        out.set(cs_blob_store {
            inner: Backend::Memory(store),
        });
        Ok(())
    })
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
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let backend = FsBackend::new(ffi::text(dir, "dir")?)?;
        let store = EncryptedBlobStore::new(backend, keys(keys_text)?);
        out.set(cs_blob_store {
            inner: Backend::Fs(store),
        });
        Ok(())
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
        let store = ffi::handle(store, "store")?;
        let id: BlobId = ffi::text(id, "id")?.parse()?;
        out.set(cs_bytes::secret(store.inner.get(&id)?));
        Ok(())
    })
}

/// Frees a store (the stored blobs of a directory store stay); NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_blob_store_free(store: *mut cs_blob_store) {
    guard((), || ffi::free_handle(store));
}
