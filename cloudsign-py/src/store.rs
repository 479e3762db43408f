//! Encrypted blob storage: `cloudsign.BlobStore` over a `cloudsign.BlobBackend` (memory, a
//! directory, an S3 bucket, or replicas of these), data keys wrapped by a
//! `cloudsign.StaticKeyProvider` or by any Python object with the `KeyProvider` protocol.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cloudsign_core::store::{
    BlobBackend as CoreBackend, BlobId, DataKey, EncryptedBlobStore, FsBackend, KeyId, KeyProvider,
    MemoryBackend, ObjectStoreBackend, ReplicatedBackend, S3Config, StaticKeyProvider as CoreKeys,
    StoreError, WrappedKey, WritePolicy,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zeroize::Zeroizing;

use crate::buffer::Bytes;
use crate::errors::{CallbackError, IntoPyResult};

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
    fn new(key_id: &str, key: Bytes<'_>) -> PyResult<Self> {
        let key = <&[u8; 32]>::try_from(&*key)
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

    /// One key `key_id` from a file holding exactly 32 raw bytes or 64 hex digits.
    #[staticmethod]
    fn from_single_key_file(key_id: &str, path: PathBuf) -> PyResult<Self> {
        let id = KeyId::new(key_id).py()?;
        CoreKeys::from_single_key_file(id, &path)
            .py()
            .map(Self::wrap)
    }

    /// Keys in the format of `parse` from the environment variable `var`.
    #[staticmethod]
    fn from_env(var: &str) -> PyResult<Self> {
        CoreKeys::from_env(var).py().map(Self::wrap)
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

/// A Python object wrapping data keys (a KMS, an HSM): `active_key_id` (read once, when the
/// store is made), `wrap(data_key, context) -> bytes` under that key, and
/// `unwrap(key_id, wrapped, context) -> bytes` giving the 32-byte data key back.
#[derive(Debug)]
struct PythonKeys {
    object: Py<PyAny>,
    active: KeyId,
    raised: CallbackError,
}

impl PythonKeys {
    fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        for method in ["wrap", "unwrap"] {
            if !object.hasattr(method)? {
                return Err(PyTypeError::new_err(format!(
                    "keys must be cloudsign.StaticKeyProvider or have active_key_id, wrap and \
                     unwrap (see cloudsign.KeyProvider); {method} is missing"
                )));
            }
        }
        let active = object.getattr("active_key_id")?.extract::<String>()?;
        Ok(Self {
            object: object.clone().unbind(),
            active: KeyId::new(&active).py()?,
            raised: CallbackError::default(),
        })
    }

    /// Calls `method` with `args`, keeping an exception for the caller.
    fn call<'py, A: pyo3::call::PyCallArgs<'py>>(
        &self,
        py: Python<'py>,
        method: &str,
        args: A,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.object
            .call_method1(py, method, args)
            .and_then(|r| r.extract::<Vec<u8>>(py))
            .map(Zeroizing::new)
            .map_err(|e| {
                let message = format!("the Python key provider's {method} raised {e}");
                self.raised.set(e);
                StoreError::KeyProvider(message)
            })
    }
}

impl KeyProvider for PythonKeys {
    fn active_key_id(&self) -> KeyId {
        self.active.clone()
    }

    fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let bytes = Python::attach(|py| {
            let args = (
                PyBytes::new(py, data_key.as_bytes()),
                PyBytes::new(py, context),
            );
            self.call(py, "wrap", args)
        })?;
        Ok(WrappedKey {
            key_id: self.active.clone(),
            bytes: bytes.to_vec(),
        })
    }

    fn unwrap(&self, id: &KeyId, wrapped: &[u8], ctx: &[u8]) -> Result<DataKey, StoreError> {
        let plain = Python::attach(|py| {
            let args = (
                id.as_str(),
                PyBytes::new(py, wrapped),
                PyBytes::new(py, ctx),
            );
            self.call(py, "unwrap", args)
        })?;
        let key = <&[u8; 32]>::try_from(plain.as_slice()).map_err(|_| {
            StoreError::KeyProvider(format!(
                "the Python key provider's unwrap returned {} bytes, not a 32-byte data key",
                plain.len()
            ))
        })?;
        Ok(DataKey::from_bytes(key))
    }
}

/// A key provider as the store sees it, and the Python one's exception slot if it is one.
struct Keys {
    provider: Arc<dyn KeyProvider>,
    python: Option<Arc<PythonKeys>>,
}

impl Keys {
    fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(keys) = object.cast::<StaticKeyProvider>() {
            return Ok(Self {
                provider: keys.get().inner.clone(),
                python: None,
            });
        }
        let python = Arc::new(PythonKeys::from_object(object)?);
        Ok(Self {
            provider: python.clone(),
            python: Some(python),
        })
    }
}

/// A store over any backend with any key provider.
type Store = EncryptedBlobStore<Arc<dyn CoreBackend>, Arc<dyn KeyProvider>>;

/// Where sealed blobs are kept. The backend only ever sees ciphertext; a `BlobStore` over it
/// seals and authenticates. Backends can be shared by several stores and replicated.
#[pyclass(frozen, module = "cloudsign")]
pub(crate) struct BlobBackend {
    inner: Arc<dyn CoreBackend>,
    description: String,
}

#[pymethods]
impl BlobBackend {
    /// Blobs in process memory (for tests and caches).
    #[staticmethod]
    fn memory() -> Self {
        Self::new(MemoryBackend::new(), "memory".to_owned())
    }

    /// Blobs as files in the directory `path` (created if missing); writes are atomic.
    #[staticmethod]
    fn filesystem(path: PathBuf) -> PyResult<Self> {
        let backend = FsBackend::new(&path).map_err(StoreError::Backend).py()?;
        Ok(Self::new(
            backend,
            format!("filesystem {:?}", path.display()),
        ))
    }

    /// Blobs as objects `PREFIX/<id>` in an S3 bucket (AWS, or any S3-compatible service at
    /// `endpoint`). Credentials: `access_key_id` and `secret_access_key`, or with
    /// `from_env=True` the standard `AWS_*` environment variables (else the instance role).
    /// Calls block; nothing is sent until the first one.
    #[staticmethod]
    #[pyo3(signature = (bucket, *, endpoint=None, region=None, access_key_id=None, secret_access_key=None, prefix=None, allow_http=false, part_size=None, timeout=None, retries=None, from_env=false))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, the Python idiom for options
    fn s3(
        py: Python<'_>,
        bucket: &str,
        endpoint: Option<String>,
        region: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        prefix: Option<String>,
        allow_http: bool,
        part_size: Option<usize>,
        timeout: Option<f64>,
        retries: Option<usize>,
        from_env: bool,
    ) -> PyResult<Self> {
        let mut config = if from_env {
            S3Config::from_env(bucket)
        } else {
            S3Config::new(bucket)
        };
        config = config.with_allow_http(allow_http);
        if let Some(v) = endpoint {
            config = config.with_endpoint(v);
        }
        if let Some(v) = region {
            config = config.with_region(v);
        }
        match (access_key_id, secret_access_key) {
            (Some(id), Some(secret)) => config = config.with_credentials(id, secret),
            (None, None) => {}
            _ => {
                return Err(PyValueError::new_err(
                    "give both access_key_id and secret_access_key, or neither",
                ));
            }
        }
        if let Some(v) = prefix {
            config = config.with_prefix(v);
        }
        if let Some(v) = part_size {
            config = config.with_part_size(v);
        }
        if let Some(secs) = timeout {
            let timeout = Duration::try_from_secs_f64(secs)
                .map_err(|e| PyValueError::new_err(format!("timeout: {e}")))?;
            config = config.with_timeout(timeout);
        }
        if let Some(v) = retries {
            config = config.with_retries(v);
        }
        let backend = py.detach(|| ObjectStoreBackend::s3(&config)).py()?;
        Ok(Self::new(backend, format!("s3 {bucket:?}")))
    }

    /// The same blobs on every backend of `replicas`, read from the first that has a good
    /// copy. A write succeeds when every replica commits, or with `quorum=n` when `n` do
    /// (`BlobStore.repair` restores the others).
    #[staticmethod]
    #[pyo3(signature = (replicas, *, quorum=None))]
    fn replicated(replicas: Vec<Bound<'_, Self>>, quorum: Option<usize>) -> PyResult<Self> {
        if replicas.is_empty() {
            return Err(PyValueError::new_err(
                "replicated needs at least one backend",
            ));
        }
        let policy = match quorum {
            None => WritePolicy::All,
            Some(n) if (1..=replicas.len()).contains(&n) => WritePolicy::Quorum(n),
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "quorum must be 1 to {} (the number of replicas), not {n}",
                    replicas.len()
                )));
            }
        };
        let names: Vec<String> = replicas
            .iter()
            .map(|r| r.get().description.clone())
            .collect();
        let backends: Vec<Box<dyn CoreBackend>> = replicas
            .iter()
            .map(|r| Box::new(Arc::clone(&r.get().inner)) as Box<dyn CoreBackend>)
            .collect();
        let description = format!("replicated [{}] {policy:?}", names.join(", "));
        Ok(Self::new(
            ReplicatedBackend::new(backends, policy),
            description,
        ))
    }

    /// Number of copies this backend keeps.
    #[getter]
    fn replica_count(&self) -> usize {
        self.inner.replica_count()
    }

    fn __repr__(&self) -> String {
        format!("BlobBackend({})", self.description)
    }
}

impl BlobBackend {
    fn new(backend: impl CoreBackend + 'static, description: String) -> Self {
        Self {
            inner: Arc::new(backend),
            description,
        }
    }
}

impl std::fmt::Debug for BlobBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.__repr__())
    }
}

/// The outcome of `BlobStore.repair`.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct RepairReport {
    /// The replica whose verified copy was used.
    #[pyo3(get)]
    source: usize,
    /// Replicas that were missing or failed authentication and were rewritten.
    #[pyo3(get)]
    repaired: Vec<usize>,
}

#[pymethods]
impl RepairReport {
    fn __repr__(&self) -> String {
        format!(
            "RepairReport(source={}, repaired={:?})",
            self.source, self.repaired
        )
    }
}

/// Blobs sealed with AES-256-GCM under a fresh data key each, the data key wrapped by the key
/// provider; the backend only ever sees ciphertext. Every sign of tampering raises
/// `cloudsign.StoreError`; an exception raised by a Python key provider comes back unchanged.
#[pyclass(frozen, module = "cloudsign")]
pub(crate) struct BlobStore {
    store: Store,
    python_keys: Option<Arc<PythonKeys>>,
    description: String,
}

fn blob_id(id: &str) -> PyResult<BlobId> {
    id.parse::<BlobId>().py()
}

/// A store error that travelled through `std::io` (a blob reader or writer), or an I/O error
/// of a local file.
fn io_error(e: io::Error) -> cloudsign_core::Error {
    if e.get_ref().is_some_and(|inner| inner.is::<StoreError>()) {
        if let Some(Ok(inner)) = e.into_inner().map(|b| b.downcast::<StoreError>()) {
            return (*inner).into();
        }
        return StoreError::Authentication.into();
    }
    e.into()
}

/// Streams blob `id` into a temporary file beside `path`, renamed to `path` only once every
/// chunk has authenticated.
fn read_blob_to_file(store: &Store, id: &BlobId, path: &Path) -> Result<(), cloudsign_core::Error> {
    let mut reader = store.reader(id)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{id}.partial"));
    copy_then_rename(&mut reader, &temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp); // best effort: the error below is what matters
        io_error(e)
    })
}

fn copy_then_rename(from: &mut impl io::Read, temp: &Path, path: &Path) -> io::Result<()> {
    let mut out = File::create(temp)?;
    io::copy(from, &mut out)?;
    out.sync_all()?;
    std::fs::rename(temp, path)
}

#[pymethods]
impl BlobStore {
    /// A store over `backend` with data keys wrapped by `keys` (a `StaticKeyProvider` or a
    /// `KeyProvider` object). `chunk_size` (16 bytes to 16 MiB, default 64 KiB) applies to new
    /// blobs.
    #[new]
    #[pyo3(signature = (backend, keys, *, chunk_size=None))]
    fn new(
        backend: &BlobBackend,
        keys: &Bound<'_, PyAny>,
        chunk_size: Option<u32>,
    ) -> PyResult<Self> {
        let keys = Keys::from_object(keys)?;
        let mut store = EncryptedBlobStore::new(Arc::clone(&backend.inner), keys.provider);
        if let Some(size) = chunk_size {
            store = store.with_chunk_size(size).py()?;
        }
        Ok(Self {
            store,
            python_keys: keys.python,
            description: backend.description.clone(),
        })
    }

    /// A store in process memory (for tests and caches).
    #[staticmethod]
    fn memory(keys: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::new(&BlobBackend::memory(), keys, None)
    }

    /// A store in the directory `path` (created if missing); writes are atomic.
    #[staticmethod]
    fn filesystem(path: PathBuf, keys: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::new(&BlobBackend::filesystem(path)?, keys, None)
    }

    /// Seals and stores `data` (any bytes-like object); returns the new blob's id (32 hex
    /// digits).
    fn put(&self, py: Python<'_>, data: Bytes<'_>) -> PyResult<String> {
        let id = self.run(py, |s| s.put(&data).map_err(Into::into))?;
        Ok(id.to_string())
    }

    /// Seals and stores the file at `path`, streaming: memory stays at one chunk whatever
    /// the file's size. Returns the new blob's id.
    fn put_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        let id = self.run(py, |s| {
            let mut file = File::open(&path)?;
            let mut writer = s.writer()?;
            io::copy(&mut file, &mut writer).map_err(io_error)?;
            Ok(writer.finish()?)
        })?;
        Ok(id.to_string())
    }

    /// Reads, authenticates and decrypts a blob; nothing is returned if any byte fails.
    fn get<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyBytes>> {
        let id = blob_id(id)?;
        let plain = Zeroizing::new(self.run(py, |s| s.get(&id).map_err(Into::into))?);
        Ok(PyBytes::new(py, &plain))
    }

    /// Decrypts a blob into the file at `path`, streaming. The file appears only when every
    /// byte authenticated; an existing file is replaced.
    fn get_file(&self, py: Python<'_>, id: &str, path: PathBuf) -> PyResult<()> {
        let id = blob_id(id)?;
        self.run(py, |s| read_blob_to_file(s, &id, &path))
    }

    /// Deletes a blob from every replica (deleting an absent blob is not an error).
    fn delete(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        let id = blob_id(id)?;
        self.run(py, |s| s.delete(&id).map_err(Into::into))
    }

    /// Whether a blob is stored under `id` (not authenticated).
    fn exists(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        let id = blob_id(id)?;
        self.run(py, |s| s.exists(&id).map_err(Into::into))
    }

    /// Every stored id, sorted (not authenticated).
    fn list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let ids = self.run(py, |s| s.list().map_err(Into::into))?;
        Ok(ids.iter().map(ToString::to_string).collect())
    }

    /// Re-wraps a blob's data key under the active key; True if anything was rewritten.
    fn rotate(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        let id = blob_id(id)?;
        self.run(py, |s| s.rotate(&id).map_err(Into::into))
    }

    /// Rotates every stored blob; returns how many were rewritten. Running it again after an
    /// error resumes.
    fn rotate_all(&self, py: Python<'_>) -> PyResult<usize> {
        self.run(py, |s| s.rotate_all().map_err(Into::into))
    }

    /// Verifies every replica of a blob in full and rewrites those missing or failing
    /// authentication from the first good one.
    fn repair(&self, py: Python<'_>, id: &str) -> PyResult<RepairReport> {
        let id = blob_id(id)?;
        let report = self.run(py, |s| s.repair(&id).map_err(Into::into))?;
        Ok(RepairReport {
            source: report.source,
            repaired: report.repaired,
        })
    }

    fn __repr__(&self) -> String {
        format!("BlobStore({})", self.description)
    }
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.__repr__())
    }
}

impl BlobStore {
    /// Runs `op` without the interpreter; a Python key provider's exception, if it raised
    /// one that made `op` fail, comes back unchanged.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&Store) -> Result<T, cloudsign_core::Error> + Send,
    ) -> PyResult<T> {
        let result = py.detach(|| op(&self.store));
        match &self.python_keys {
            Some(keys) => keys.raised.outcome(result),
            None => result.py(),
        }
    }
}
