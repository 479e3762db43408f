//! A directory of blobs, one file per blob, written atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::BlobId;
use super::backend::{BlobBackend, BlobSink, BlobSource};

/// Prefix of in-progress files; never a valid blob id, so `open` and `list` ignore them.
const TEMP_PREFIX: &str = ".tmp-";

/// Blobs as files `DIR/<32 hex id>`.
///
/// A write goes to a temporary file in the same directory, which is fsynced, renamed over the
/// final name and followed by an fsync of the directory: after a crash a blob is either absent
/// or complete, never torn. Leftover temporary files are ignored and can be removed with
/// [`remove_temp_files`](Self::remove_temp_files). File names come only from [`BlobId`]s (32
/// hex digits), so no id can escape the directory.
#[derive(Clone, Debug)]
pub struct FsBackend {
    root: PathBuf,
}

impl FsBackend {
    /// A backend over `root`, creating the directory if needed.
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// The file holding blob `id` (for inspection and tests).
    pub fn path_of(&self, id: &BlobId) -> PathBuf {
        self.root.join(id.to_string())
    }

    /// Deletes temporary files left by interrupted writes. Only safe while no write is in
    /// progress in this directory.
    pub fn remove_temp_files(&self) -> io::Result<usize> {
        let mut n = 0;
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                fs::remove_file(entry.path())?;
                n += 1;
            }
        }
        Ok(n)
    }
}

struct FsSink {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
}

impl Write for FsSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(data),
            None => Err(io::Error::other("sink already closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl BlobSink for FsSink {
    fn commit(mut self: Box<Self>) -> io::Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("sink already closed"))?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        // The rename is durable only once the directory entry is.
        sync_dir(&self.dir)
    }
}

impl Drop for FsSink {
    fn drop(&mut self) {
        // Not committed (or the commit failed before the rename): discard the partial file.
        if self.file.take().is_some() || self.temp.exists() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobBackend for FsBackend {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobSink + '_>> {
        let mut suffix = [0u8; 8];
        crate::crypto::random_bytes(&mut suffix);
        let temp = self
            .root
            .join(format!("{TEMP_PREFIX}{id}-{}", hex::encode(suffix)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(Box::new(FsSink {
            file: Some(file),
            temp,
            target: self.path_of(id),
            dir: self.root.clone(),
        }))
    }

    fn open(&self, id: &BlobId) -> io::Result<BlobSource<'_>> {
        Ok(Box::new(io::BufReader::with_capacity(
            64 * 1024,
            File::open(self.path_of(id))?,
        )))
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        match fs::remove_file(self.path_of(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => sync_dir(&self.root),
        }
    }

    fn exists(&self, id: &BlobId) -> io::Result<bool> {
        match fs::metadata(self.path_of(id)) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(id) = name.parse::<BlobId>() {
                if name.starts_with(prefix) && entry.file_type()?.is_file() {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }
}
