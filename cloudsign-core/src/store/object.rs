//! Blobs in an S3-compatible object store (feature `object-store`), through the Apache Arrow
//! project's `object_store` client.
//!
//! The client is asynchronous and [`BlobBackend`] is not: the backend owns a small Tokio
//! runtime (one worker thread) and blocks on it, so it must be called from ordinary threads,
//! not from inside an async runtime (use `spawn_blocking` there). A call made from an async
//! context fails with an error instead of blocking the executor.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use zeroize::Zeroizing;

use super::backend::{BlobBackend, BlobSink, BlobSource};
use super::{BlobId, StoreError};

/// S3's smallest part of a multipart upload (all parts but the last).
pub const MIN_PART_SIZE: usize = 5 << 20;

/// S3's largest part of a multipart upload.
pub const MAX_PART_SIZE: usize = 5 << 30;

// Parts uploading at once per blob; with the part being filled this bounds a writer's memory
// at three parts, whatever the blob's size.
const PARTS_IN_FLIGHT: usize = 2;

/// Where and how to reach an S3-compatible bucket (AWS S3, MinIO, Ceph, moto, ...).
///
/// ```
/// use std::time::Duration;
/// use cloudsign_core::store::S3Config;
///
/// let config = S3Config::new("contracts")
///     .with_endpoint("http://127.0.0.1:9000")
///     .with_allow_http(true)
///     .with_credentials("AKIDEXAMPLE", "secret")
///     .with_prefix("tenant-1/blobs")
///     .with_timeout(Duration::from_secs(30))
///     .with_retries(3);
/// assert!(!format!("{config:?}").contains("secret"));
/// ```
#[derive(Clone)]
pub struct S3Config {
    bucket: String,
    region: String,
    endpoint: Option<String>,
    credentials: Option<(String, Zeroizing<String>)>,
    from_env: bool,
    allow_http: bool,
    prefix: String,
    part_size: usize,
    timeout: Duration,
    retries: usize,
}

impl S3Config {
    /// The bucket `bucket` in region `us-east-1` on AWS, over HTTPS, with credentials from
    /// the instance or container role; 8 MiB parts, a 60-second request timeout, 3 retries.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            region: "us-east-1".into(),
            endpoint: None,
            credentials: None,
            from_env: false,
            allow_http: false,
            prefix: String::new(),
            part_size: 8 << 20,
            timeout: Duration::from_secs(60),
            retries: 3,
        }
    }

    /// As [`new`](Self::new), then the standard `AWS_*` environment variables (credentials,
    /// region, endpoint, ...); settings made on the result take precedence.
    pub fn from_env(bucket: impl Into<String>) -> Self {
        Self {
            from_env: true,
            ..Self::new(bucket)
        }
    }

    /// Sets the region.
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Sets the service URL, for S3-compatible stores other than AWS (path-style requests).
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets a static access key.
    #[must_use]
    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((
            access_key_id.into(),
            Zeroizing::new(secret_access_key.into()),
        ));
        self
    }

    /// Allows a plain `http://` endpoint (off by default).
    #[must_use]
    pub const fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Keeps the blobs under this key prefix (`a/b` stores blob `ID` as `a/b/ID`).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the multipart part size ([`MIN_PART_SIZE`] ..= [`MAX_PART_SIZE`]). A blob up to
    /// one part is sent in one request; a writer holds at most three parts in memory.
    #[must_use]
    pub const fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets the timeout of each request (connecting included).
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how often a failed request is retried (with exponential backoff, within
    /// 30 seconds); 0 disables retries.
    #[must_use]
    pub const fn with_retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.credentials.as_ref().map(|c| &c.0))
            .field("prefix", &self.prefix)
            .field("part_size", &self.part_size)
            .finish_non_exhaustive()
    }
}

/// Blobs as objects `PREFIX/<32 hex id>` in an object store.
///
/// A blob appears only when its upload completes: a blob up to one part is one `PUT`, a larger
/// one a multipart upload completed on [`commit`](BlobSink::commit) and aborted if the sink
/// is dropped first. Either way readers see the whole object or none.
///
/// ```no_run
/// use cloudsign_core::store::{EncryptedBlobStore, ObjectStoreBackend, S3Config, StaticKeyProvider};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = ObjectStoreBackend::s3(&S3Config::from_env("contracts"))?;
/// let store = EncryptedBlobStore::new(backend, StaticKeyProvider::from_env("CLOUDSIGN_KEYS")?);
/// let id = store.put(b"signed contract bytes")?;
/// # Ok(()) }
/// ```
pub struct ObjectStoreBackend {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    part_size: usize,
    runtime: tokio::runtime::Runtime,
}

impl fmt::Debug for ObjectStoreBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreBackend")
            .field("store", &self.store.to_string())
            .field("prefix", &self.prefix.as_ref())
            .field("part_size", &self.part_size)
            .finish_non_exhaustive()
    }
}

impl ObjectStoreBackend {
    /// A backend over the S3 bucket `config` names. Nothing is sent until the first call.
    ///
    /// # Errors
    /// [`StoreError::Backend`] (kind `InvalidInput`) for an unusable configuration (a part
    /// size out of range, a bad prefix or endpoint), or if the runtime cannot start.
    pub fn s3(config: &S3Config) -> Result<Self, StoreError> {
        let invalid =
            |e: String| StoreError::Backend(io::Error::new(io::ErrorKind::InvalidInput, e));
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&config.part_size) {
            return Err(invalid(format!(
                "part size {} outside {MIN_PART_SIZE}..={MAX_PART_SIZE}",
                config.part_size
            )));
        }
        let mut builder = if config.from_env {
            AmazonS3Builder::from_env()
        } else {
            AmazonS3Builder::new()
        };
        builder = builder
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(config.allow_http)
                    .with_timeout(config.timeout)
                    .with_connect_timeout(config.timeout),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: config.retries,
                retry_timeout: Duration::from_secs(30),
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some((id, secret)) = &config.credentials {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.as_str());
        }
        let store = builder.build().map_err(|e| invalid(e.to_string()))?;
        Self::from_store(Arc::new(store), &config.prefix, config.part_size)
    }

    /// A backend over any [`ObjectStore`]: Google Cloud Storage, Azure Blob Storage or others
    /// (enable the matching feature of the `object_store` crate in your own `Cargo.toml`), or
    /// a local directory through `object_store::local::LocalFileSystem`. Blobs are kept under
    /// `prefix` (may be empty); larger ones go up in multipart uploads of `part_size` bytes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cloudsign_core::store::{EncryptedBlobStore, ObjectStoreBackend, StaticKeyProvider};
    /// use cloudsign_core::store::object_store::local::LocalFileSystem;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let local = LocalFileSystem::new_with_prefix(dir.path())?;
    /// let backend = ObjectStoreBackend::from_store(Arc::new(local), "contracts", 8 << 20)?;
    /// let store = EncryptedBlobStore::new(backend, StaticKeyProvider::parse(&format!("k1 {}", "42".repeat(32)))?);
    /// let id = store.put(b"signed contract bytes")?;
    /// assert_eq!(store.get(&id)?, b"signed contract bytes");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Backend`] (kind `InvalidInput`) for a part size out of range or a bad
    /// prefix, or if the runtime cannot start.
    pub fn from_store(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        part_size: usize,
    ) -> Result<Self, StoreError> {
        let invalid =
            |e: String| StoreError::Backend(io::Error::new(io::ErrorKind::InvalidInput, e));
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(invalid(format!(
                "part size {part_size} outside {MIN_PART_SIZE}..={MAX_PART_SIZE}"
            )));
        }
        let prefix = Path::parse(prefix).map_err(|e| invalid(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("cloudsign-object-store")
            .enable_all()
            .build()
            .map_err(StoreError::Backend)?;
        Ok(Self {
            store,
            prefix,
            part_size,
            runtime,
        })
    }

    fn path_of(&self, id: &BlobId) -> Path {
        self.prefix.child(id.to_string())
    }

    fn block_on<F: Future>(&self, f: F) -> io::Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(io::Error::other(
                "ObjectStoreBackend blocks: call it outside an async runtime (spawn_blocking)",
            ));
        }
        Ok(self.runtime.block_on(f))
    }
}

fn io_error(e: object_store::Error) -> io::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

/// Buffers the first part; a blob that outgrows it becomes a multipart upload.
struct ObjectSink<'a> {
    backend: &'a ObjectStoreBackend,
    path: Path,
    first_part: Vec<u8>,
    upload: Option<WriteMultipart>,
}

impl Write for ObjectSink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.upload.is_none() && self.first_part.len() + data.len() <= self.backend.part_size {
            self.first_part.extend_from_slice(data);
            return Ok(data.len());
        }
        let backend = self.backend;
        let mut upload = match self.upload.take() {
            Some(upload) => upload,
            None => {
                let started = backend
                    .block_on(backend.store.put_multipart(&self.path))?
                    .map_err(io_error)?;
                WriteMultipart::new_with_chunk_size(started, backend.part_size)
            }
        };
        let first_part = std::mem::take(&mut self.first_part);
        // Parts are uploaded by tasks on the backend's runtime: write inside it, and wait for
        // a free slot first so that a fast writer cannot queue the whole blob in memory.
        let written = backend.block_on(async {
            let room = upload.wait_for_capacity(PARTS_IN_FLIGHT).await;
            upload.write(&first_part);
            upload.write(data);
            room
        });
        self.upload = Some(upload);
        written?.map_err(io_error)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobSink for ObjectSink<'_> {
    fn commit(mut self: Box<Self>) -> io::Result<()> {
        let backend = self.backend;
        match self.upload.take() {
            Some(upload) => backend.block_on(upload.finish())?.map_err(io_error)?,
            None => {
                let payload = PutPayload::from(std::mem::take(&mut self.first_part));
                backend
                    .block_on(backend.store.put(&self.path, payload))?
                    .map_err(io_error)?
            }
        };
        Ok(())
    }
}

impl Drop for ObjectSink<'_> {
    fn drop(&mut self) {
        // Not committed: abort the multipart upload so that the store drops its parts. Nothing
        // was ever visible under the key, so a failed abort leaks storage, not a torn blob.
        if let Some(upload) = self.upload.take() {
            let _ = self.backend.block_on(upload.abort());
        }
    }
}

/// Reads an object's body as the client streams it, one received buffer at a time.
struct ObjectSource<'a> {
    backend: &'a ObjectStoreBackend,
    body: BoxStream<'static, object_store::Result<Bytes>>,
    current: Bytes,
}

impl Read for ObjectSource<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.backend.block_on(self.body.next())? {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(e)) => return Err(io_error(e)),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        out.get_mut(..n)
            .ok_or_else(|| io::Error::other("read buffer"))?
            .copy_from_slice(&chunk);
        Ok(n)
    }
}

impl BlobBackend for ObjectStoreBackend {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        Ok(Box::new(ObjectSink {
            backend: self,
            path: self.path_of(id),
            first_part: Vec::new(),
            upload: None,
        }))
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        let found = self
            .block_on(self.store.get(&self.path_of(id)))?
            .map_err(io_error)?;
        Ok(Box::new(ObjectSource {
            backend: self,
            body: found.into_stream(),
            current: Bytes::new(),
        }))
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        match self.block_on(self.store.delete(&self.path_of(id)))? {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        match self.block_on(self.store.head(&self.path_of(id)))? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(io_error(e)),
        }
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        let under = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let objects: Vec<_> = self
            .block_on(self.store.list(under).try_collect())?
            .map_err(io_error)?;
        // Listing is recursive: keep only blob names directly under our prefix.
        let mut ids: Vec<BlobId> = objects
            .iter()
            .filter_map(|o| {
                let name = o.location.filename()?;
                let id: BlobId = name.parse().ok()?;
                (name.starts_with(prefix) && o.location == self.path_of(&id)).then_some(id)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }
}
