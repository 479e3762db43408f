//! Audit log verification: the hash chain, sequence and timestamped checkpoints of a JSON
//! Lines log.

use cloudsign_core::audit::{self, AuditReport as CoreReport};
use cloudsign_core::x509::TrustStore;
use pyo3::prelude::*;

use crate::errors::IntoPyResult;
use crate::report::trust_store;

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
    path: std::path::PathBuf,
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
