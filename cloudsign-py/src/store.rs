//! Encrypted blob storage: `cloudsign.BlobStore` over memory or a directory, keys from a
//! `cloudsign.StaticKeyProvider`.

use std::path::PathBuf;
use std::sync::Arc;

use cloudsign_core::store::{
    BlobId, DataKey, EncryptedBlobStore, FsBackend, KeyId, KeyProvider, MemoryBackend,
    StaticKeyProvider as CoreKeys, StoreError, WrappedKey,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zeroize::Zeroizing;

use crate::errors::IntoPyResult;

/// Key-encryption keys held in Rust memory (zeroized when dropped), one of them active.
///
/// The key bytes passed in from Python stay in the caller's `bytes` object, which Python
/// cannot zeroize; prefer `from_key_file` for long-running services.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct StaticKeyProvider {
    inner: Arc<CoreKeys>,
}

#[pymethods]
impl StaticKeyProvider {
    /// A provider with one active 32-byte key.
    #[new]
    fn new(key_id: &str, key: &[u8]) -> PyResult<Self> {
        let key = <&[u8; 32]>::try_from(key)
            .map_err(|_| PyValueError::new_err("a key-encryption key is exactly 32 bytes"))?;
        let id = KeyId::new(key_id).py()?;
        Ok(Self::wrap(CoreKeys::new(id, key)))
    }

    /// Keys in the key-file format: one `KEYID HEX64` per line (or `;`-separated), the first
    /// one active.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        CoreKeys::parse(text).py().map(Self::wrap)
    }

    /// Loads a key file in the format of `parse`.
    #[staticmethod]
    fn from_key_file(path: PathBuf) -> PyResult<Self> {
        CoreKeys::from_key_file(&path).py().map(Self::wrap)
    }

    /// The id new blobs are wrapped under.
    #[getter]
    fn active_key_id(&self) -> String {
        self.inner.active_key_id().to_string()
    }

    /// Every known key id.
    #[getter]
    fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids().map(ToString::to_string).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "StaticKeyProvider(active_key_id={:?}, key_ids={:?})",
            self.active_key_id(),
            self.key_ids()
        )
    }
}

impl StaticKeyProvider {
    fn wrap(keys: CoreKeys) -> Self {
        Self {
            inner: Arc::new(keys),
        }
    }
}

/// One provider shared by the Python object and every store built from it.
#[derive(Debug, Clone)]
struct SharedKeys(Arc<CoreKeys>);

impl KeyProvider for SharedKeys {
    fn active_key_id(&self) -> KeyId {
        self.0.active_key_id()
    }

    fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        self.0.wrap(data_key, context)
    }

    fn unwrap(
        &self,
        key_id: &KeyId,
        wrapped: &[u8],
        context: &[u8],
    ) -> Result<DataKey, StoreError> {
        self.0.unwrap(key_id, wrapped, context)
    }
}

#[derive(Debug)]
enum Backend {
    Memory(EncryptedBlobStore<MemoryBackend, SharedKeys>),
    Fs(EncryptedBlobStore<FsBackend, SharedKeys>),
}

/// Runs `$body` with `$store` bound to whichever store `$self` holds.
macro_rules! with_store {
    ($self:expr, $store:ident => $body:expr) => {
        match &$self.backend {
            Backend::Memory($store) => $body,
            Backend::Fs($store) => $body,
        }
    };
}

/// Blobs sealed with AES-256-GCM under a fresh data key each, the data key wrapped by the key
/// provider; the backend only ever sees ciphertext. Every sign of tampering raises
/// `cloudsign.StoreError`.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct BlobStore {
    backend: Backend,
}

fn blob_id(id: &str) -> PyResult<BlobId> {
    id.parse::<BlobId>().py()
}

#[pymethods]
impl BlobStore {
    /// A store in process memory (for tests and caches).
    #[staticmethod]
    fn memory(keys: &StaticKeyProvider) -> Self {
        let keys = SharedKeys(Arc::clone(&keys.inner));
        Self {
            backend: Backend::Memory(EncryptedBlobStore::new(MemoryBackend::new(), keys)),
        }
    }

    /// A store in the directory `path` (created if missing); writes are atomic.
    #[staticmethod]
    fn filesystem(path: PathBuf, keys: &StaticKeyProvider) -> PyResult<Self> {
        let backend = FsBackend::new(path).map_err(StoreError::Backend).py()?;
        let keys = SharedKeys(Arc::clone(&keys.inner));
        Ok(Self {
            backend: Backend::Fs(EncryptedBlobStore::new(backend, keys)),
        })
    }

    /// Seals and stores `data`; returns the new blob's id (32 hex digits).
    fn put(&self, py: Python<'_>, data: &[u8]) -> PyResult<String> {
        let id = py.detach(|| with_store!(self, s => s.put(data))).py()?;
        Ok(id.to_string())
    }

    /// Reads, authenticates and decrypts a blob; nothing is returned if any byte fails.
    fn get<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyBytes>> {
        let id = blob_id(id)?;
        let plain = Zeroizing::new(py.detach(|| with_store!(self, s => s.get(&id))).py()?);
        Ok(PyBytes::new(py, &plain))
    }

    /// Deletes a blob (deleting an absent blob is not an error).
    fn delete(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        let id = blob_id(id)?;
        py.detach(|| with_store!(self, s => s.delete(&id))).py()
    }

    /// Whether a blob is stored under `id` (not authenticated).
    fn exists(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        let id = blob_id(id)?;
        py.detach(|| with_store!(self, s => s.exists(&id))).py()
    }

    /// Every stored id, sorted (not authenticated).
    fn list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let ids = py.detach(|| with_store!(self, s => s.list())).py()?;
        Ok(ids.iter().map(ToString::to_string).collect())
    }

    /// Re-wraps a blob's data key under the active key; True if anything was rewritten.
    fn rotate(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        let id = blob_id(id)?;
        py.detach(|| with_store!(self, s => s.rotate(&id))).py()
    }

    fn __repr__(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "BlobStore(memory)",
            Backend::Fs(_) => "BlobStore(filesystem)",
        }
    }
}
