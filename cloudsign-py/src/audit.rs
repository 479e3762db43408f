//! The audit log: writing a hash-chained JSON Lines log with timestamped checkpoints,
//! resuming it after a restart, repairing a torn tail, and verifying it.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use cloudsign_core::audit::{
    self, AuditError as CoreAuditError, AuditLog as CoreLog, AuditRecord as CoreRecord,
    AuditReport as CoreReport, CheckpointPolicy, FsyncPolicy, JsonLinesFile,
};
use cloudsign_core::time::{SystemClock, TimeProvider};
use cloudsign_core::tsp::TimeStamper;
use cloudsign_core::x509::TrustStore;
use pyo3::exceptions::{PyFileExistsError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

use crate::errors::IntoPyResult;
use crate::report::{to_python, trust_store, wire_name};
use crate::tsa::{AnyTimestamper, SharedTimestamper};

/// One record of an audit log, as written.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct AuditRecord {
    /// Position in the segment, from 0.
    #[pyo3(get)]
    seq: u64,
    /// When it was written (seconds since the epoch).
    #[pyo3(get)]
    time: u64,
    /// `"genesis"`, `"entry"` or `"checkpoint"`.
    #[pyo3(get)]
    kind: String,
    /// Who acted, what was done, and to what.
    #[pyo3(get)]
    actor: String,
    #[pyo3(get)]
    action: String,
    #[pyo3(get)]
    subject: String,
    /// The record's hash (hex): keep the newest one elsewhere to detect truncation later.
    #[pyo3(get)]
    hash: String,
    /// The previous record's hash (hex).
    #[pyo3(get)]
    prev_hash: String,
    inner: CoreRecord,
}

impl From<CoreRecord> for AuditRecord {
    fn from(inner: CoreRecord) -> Self {
        Self {
            seq: inner.seq,
            time: inner.time,
            kind: wire_name(&inner.kind),
            actor: inner.actor.clone(),
            action: inner.action.clone(),
            subject: inner.subject.clone(),
            hash: inner.hash.clone(),
            prev_hash: inner.prev_hash.clone(),
            inner,
        }
    }
}

#[pymethods]
impl AuditRecord {
    /// The record as plain Python data (the JSON line's fields, `details` included).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::to_string(&self.inner)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        to_python(py, &json)
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditRecord(seq={}, kind={:?}, action={:?})",
            self.seq, self.kind, self.action
        )
    }
}

fn fsync_policy(name: &str) -> PyResult<FsyncPolicy> {
    match name {
        "every-record" => Ok(FsyncPolicy::EveryRecord),
        "on-checkpoint" => Ok(FsyncPolicy::OnCheckpoint),
        "never" => Ok(FsyncPolicy::Never),
        _ => Err(PyValueError::new_err(format!(
            "fsync must be \"every-record\", \"on-checkpoint\" or \"never\", not {name:?}"
        ))),
    }
}

/// A log segment being written: records are appended to a JSON Lines file, each chained to
/// the one before by its hash, with checkpoints timestamped by `tsa` (a URL or a
/// `TimestampTransport`) every `checkpoint_every_records` records or
/// `checkpoint_every_secs` seconds (None turns a trigger off). Use it as a context manager,
/// or call `close()`.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct AuditLog {
    log: Mutex<Option<CoreLog<JsonLinesFile>>>,
    tsa: SharedTimestamper,
    fsync: FsyncPolicy,
}

/// The writer's settings, shared by `create` and `resume`.
struct Writer {
    tsa: SharedTimestamper,
    policy: CheckpointPolicy,
    fsync: FsyncPolicy,
}

impl Writer {
    fn new(
        tsa: &Bound<'_, PyAny>,
        every_records: Option<u64>,
        every_secs: Option<u64>,
        fsync: &str,
    ) -> PyResult<Self> {
        let mut policy = CheckpointPolicy::default();
        policy.every_records = every_records;
        policy.every_secs = every_secs;
        Ok(Self {
            tsa: SharedTimestamper(Arc::new(AnyTimestamper::from_object(tsa)?)),
            policy,
            fsync: fsync_policy(fsync)?,
        })
    }

    /// Opens `path` for appending and begins writing with `begin` (create or resume),
    /// without the interpreter.
    fn start(
        self,
        py: Python<'_>,
        path: &Path,
        begin: impl FnOnce(
            JsonLinesFile,
            Box<dyn TimeProvider>,
            Box<dyn TimeStamper>,
            CheckpointPolicy,
        ) -> Result<CoreLog<JsonLinesFile>, CoreAuditError>
        + Send,
    ) -> PyResult<AuditLog> {
        let log = py.detach(|| {
            begin(
                JsonLinesFile::open(path, self.fsync)?,
                Box::new(SystemClock),
                Box::new(self.tsa.clone()),
                self.policy,
            )
        });
        Ok(AuditLog {
            log: Mutex::new(Some(self.tsa.outcome(log)?)),
            tsa: self.tsa,
            fsync: self.fsync,
        })
    }
}

/// A file that holds records already: `create` would write a second genesis into it.
fn refuse_non_empty(path: &Path) -> PyResult<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 => Err(PyFileExistsError::new_err(format!(
            "{} already holds an audit log: continue it with AuditLog.resume",
            path.display()
        ))),
        _ => Ok(()),
    }
}

#[pymethods]
impl AuditLog {
    /// Starts a new log at `path` (absent or empty) with its genesis record.
    #[staticmethod]
    #[pyo3(signature = (path, *, tsa, checkpoint_every_records=Some(1000), checkpoint_every_secs=Some(3600), fsync="on-checkpoint"))]
    fn create(
        py: Python<'_>,
        path: PathBuf,
        tsa: &Bound<'_, PyAny>,
        checkpoint_every_records: Option<u64>,
        checkpoint_every_secs: Option<u64>,
        fsync: &str,
    ) -> PyResult<Self> {
        refuse_non_empty(&path)?;
        Writer::new(tsa, checkpoint_every_records, checkpoint_every_secs, fsync)?.start(
            py,
            &path,
            CoreLog::create,
        )
    }

    /// Continues the log at `path` after a restart. What is there is verified first
    /// (checkpoints against `tsa_trust`), so nothing is chained onto a broken log; a torn last
    /// line raises `AuditError` until `AuditLog.repair_torn_tail` removes it.
    #[staticmethod]
    #[pyo3(signature = (path, *, tsa, tsa_trust, checkpoint_every_records=Some(1000), checkpoint_every_secs=Some(3600), fsync="on-checkpoint"))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, the Python idiom for options
    fn resume(
        py: Python<'_>,
        path: PathBuf,
        tsa: &Bound<'_, PyAny>,
        tsa_trust: Vec<Vec<u8>>,
        checkpoint_every_records: Option<u64>,
        checkpoint_every_secs: Option<u64>,
        fsync: &str,
    ) -> PyResult<Self> {
        let writer = Writer::new(tsa, checkpoint_every_records, checkpoint_every_secs, fsync)?;
        let trust = trust_store(&tsa_trust)?;
        // Opened before the appending side, which would create a missing file.
        let existing = File::open(&path)
            .map(BufReader::new)
            .map_err(CoreAuditError::from)
            .py()?;
        writer.start(py, &path, |sink, clock, stamper, policy| {
            CoreLog::resume(sink, existing, &trust, clock, stamper, policy)
        })
    }

    /// Cuts an incomplete last line (a write torn by a crash) from the log at `path` and
    /// returns the bytes removed, or None if the log ends with a complete record.
    #[staticmethod]
    fn repair_torn_tail<'py>(
        py: Python<'py>,
        path: PathBuf,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let cut = py.detach(|| JsonLinesFile::repair_torn_tail(&path)).py()?;
        Ok(cut.map(|bytes| PyBytes::new(py, &bytes)))
    }

    /// Appends an event; `details` is any JSON-serialisable value. Takes a checkpoint after
    /// it when the policy says so (if that fails, the event is written and the error raised).
    #[pyo3(signature = (actor, action, subject, details=None))]
    fn append(
        &self,
        py: Python<'_>,
        actor: &str,
        action: &str,
        subject: &str,
        details: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AuditRecord> {
        let details = match details {
            None => serde_json::Value::Null,
            Some(value) => {
                let json: String = py
                    .import("json")?
                    .call_method1("dumps", (value,))?
                    .extract()?;
                serde_json::from_str(&json).map_err(|e| PyValueError::new_err(e.to_string()))?
            }
        };
        self.with_log(py, |log| log.append(actor, action, subject, details))
    }

    /// Timestamps the current head now and appends the checkpoint record.
    fn checkpoint(&self, py: Python<'_>) -> PyResult<AuditRecord> {
        self.with_log(py, CoreLog::checkpoint)
    }

    /// Ends this segment with a checkpoint and starts the next one at `next_path`, whose
    /// genesis record links to this segment's final hash; returns the new segment's writer.
    /// This one is closed (also if sealing fails: then resume its file to go on); the old
    /// file can be archived.
    fn seal(&self, py: Python<'_>, next_path: PathBuf) -> PyResult<Self> {
        refuse_non_empty(&next_path)?;
        let log = self.take()?;
        let sealed = py.detach(|| log.seal(JsonLinesFile::open(&next_path, self.fsync)?));
        let sealed = self.tsa.outcome(sealed)?;
        Ok(Self {
            log: Mutex::new(Some(sealed)),
            tsa: self.tsa.clone(),
            fsync: self.fsync,
        })
    }

    /// The hash of the last record written.
    #[getter]
    fn head(&self) -> PyResult<String> {
        Ok(self.lock()?.as_ref().ok_or_else(closed)?.head().to_owned())
    }

    /// Whether `close()` (or `seal()`) was called.
    #[getter]
    fn closed(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_none())
    }

    /// Closes the file; records written so far stay (the unanchored tail too).
    fn close(&self) -> PyResult<()> {
        drop(self.lock()?.take());
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _kind: Option<&Bound<'_, PyType>>,
        _value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.lock().as_deref() {
            Ok(Some(log)) => format!("AuditLog(head={:?})", log.head()),
            _ => "AuditLog(closed)".to_owned(),
        }
    }
}

fn closed() -> PyErr {
    PyValueError::new_err("the audit log is closed")
}

impl AuditLog {
    fn lock(&self) -> PyResult<MutexGuard<'_, Option<CoreLog<JsonLinesFile>>>> {
        self.log
            .lock()
            .map_err(|_| PyRuntimeError::new_err("an earlier write to the audit log panicked"))
    }

    fn take(&self) -> PyResult<CoreLog<JsonLinesFile>> {
        self.lock()?.take().ok_or_else(closed)
    }

    /// Runs `write` on the open log without the interpreter. The lock is taken inside, so a
    /// thread waiting for it never holds the interpreter that a Python transport needs.
    fn with_log(
        &self,
        py: Python<'_>,
        write: impl FnOnce(&mut CoreLog<JsonLinesFile>) -> Result<CoreRecord, CoreAuditError> + Send,
    ) -> PyResult<AuditRecord> {
        let written = py.detach(|| {
            let mut guard = self.lock()?;
            let log = guard.as_mut().ok_or_else(closed)?;
            Ok::<_, PyErr>(write(log))
        })?;
        Ok(self.tsa.outcome(written)?.into())
    }
}

/// The outcome of a successful `verify_audit_log`.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct AuditReport {
    inner: CoreReport,
}

#[pymethods]
impl AuditReport {
    /// Records in the segment, genesis and checkpoints included.
    #[getter]
    fn records(&self) -> u64 {
        self.inner.records
    }

    /// Checkpoints verified.
    #[getter]
    fn checkpoints(&self) -> u64 {
        self.inner.checkpoints
    }

    /// Sequence number of the last checkpoint, or None.
    #[getter]
    fn last_checkpoint_seq(&self) -> Option<u64> {
        self.inner.last_checkpoint_seq
    }

    /// Time of the last checkpoint (seconds since the epoch) by its timestamp authority.
    #[getter]
    fn last_checkpoint_time(&self) -> Option<u64> {
        self.inner.last_checkpoint_time.map(|t| t.as_secs())
    }

    /// Records after the last checkpoint: cutting them off cannot be seen in the file.
    #[getter]
    fn unanchored_records(&self) -> u64 {
        self.inner.unanchored_records
    }

    /// The hash of the last record (hex).
    #[getter]
    fn head_hash(&self) -> &str {
        &self.inner.head_hash
    }

    /// For a segment started by a seal: the sealed segment's final hash.
    #[getter]
    fn previous_segment_head(&self) -> Option<&str> {
        self.inner.previous_segment_head.as_deref()
    }

    /// Whether `hash` (a head or checkpoint kept elsewhere) is a record of this log; if not,
    /// the log was truncated before it or rewritten.
    fn contains_head(&self, hash: &str) -> bool {
        self.inner.contains_head(hash)
    }

    /// The caveat about tail truncation, to print with the report.
    fn truncation_note(&self) -> String {
        self.inner.truncation_note()
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditReport(records={}, checkpoints={}, unanchored_records={})",
            self.inner.records, self.inner.checkpoints, self.inner.unanchored_records
        )
    }
}

/// Verifies the audit log segment at `path`: every record's hash and link, the sequence, and
/// each checkpoint's timestamp against `tsa_trust` (PEM or DER anchors; without them a log
/// with checkpoints does not verify). Raises `AuditError` at the first problem.
#[pyfunction]
#[pyo3(signature = (path, *, tsa_trust=None))]
pub(crate) fn verify_audit_log(
    py: Python<'_>,
    path: PathBuf,
    tsa_trust: Option<Vec<Vec<u8>>>,
) -> PyResult<AuditReport> {
    let trust = match tsa_trust {
        Some(anchors) => trust_store(&anchors)?,
        None => TrustStore::new(),
    };
    py.detach(|| audit::verify_log(&path, &trust))
        .py()
        .map(|inner| AuditReport { inner })
}
