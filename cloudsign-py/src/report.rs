//! Verification and its reports, as frozen Python objects with `to_dict()`.

use std::sync::Arc;

use cloudsign_core::Validator;
use cloudsign_core::revocation::HttpRevocationSource;
use cloudsign_core::time::UnixTime;
use cloudsign_core::validate::{SignatureReport as CoreSignature, ValidationReport};
use cloudsign_core::x509::TrustStore;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::IntoPyResult;
use crate::signer::parse_certificates;

/// The JSON text of a serialisable report part, as Python data.
fn to_python<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (json,))
}

/// A serde enum's wire name, e.g. `"PASSED"`.
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The verdict on one signature or document timestamp (ETSI EN 319 102-1 vocabulary).
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct SignatureReport {
    inner: CoreSignature,
}

#[pymethods]
impl SignatureReport {
    /// Whether the indication is `"PASSED"`.
    #[getter]
    fn passed(&self) -> bool {
        self.inner.passed()
    }

    /// Fully qualified field name.
    #[getter]
    fn field(&self) -> &str {
        &self.inner.field
    }

    /// `"SIGNATURE"` or `"DOCUMENT_TIMESTAMP"`.
    #[getter]
    fn kind(&self) -> String {
        wire_name(&self.inner.kind)
    }

    /// `"PASSED"`, `"INDETERMINATE"` or `"FAILED"`.
    #[getter]
    fn indication(&self) -> String {
        wire_name(&self.inner.indication)
    }

    /// Why it did not pass, e.g. `"HASH_FAILURE"`, or None.
    #[getter]
    fn sub_indication(&self) -> Option<String> {
        self.inner.sub_indication.as_ref().map(wire_name)
    }

    /// Detected PAdES level, e.g. `"B-T"`, or None.
    #[getter]
    fn level(&self) -> Option<&str> {
        self.inner.level.as_deref()
    }

    /// The signer certificate's subject, if a signer certificate was found.
    #[getter]
    fn signer_subject(&self) -> Option<&str> {
        self.inner.signer.as_ref().map(|c| c.subject.as_str())
    }

    /// Claimed signing time (`/M`, RFC 3339); not proof of time.
    #[getter]
    fn claimed_signing_time(&self) -> Option<&str> {
        self.inner.claimed_signing_time.as_deref()
    }

    /// Time proven by a valid timestamp (RFC 3339), or None.
    #[getter]
    fn proven_time(&self) -> Option<&str> {
        self.inner.proven_time.as_deref()
    }

    /// Everything worth telling, in plain words, most important first.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.findings)
    }

    /// The full report of this signature as plain Python data.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::to_string(&self.inner)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        to_python(py, &json)
    }

    fn __repr__(&self) -> String {
        format!(
            "SignatureReport(field={:?}, indication={:?}, level={:?})",
            self.inner.field,
            self.indication(),
            self.inner.level.as_deref().unwrap_or("None")
        )
    }
}

/// The result of verifying one PDF: a verdict per signature, never an exception for a bad
/// signature.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct VerificationReport {
    inner: ValidationReport,
    signatures: Py<PyTuple>,
}

#[pymethods]
impl VerificationReport {
    /// True when the document has at least one signature and every signature passed.
    #[getter]
    fn passed(&self) -> bool {
        self.inner.passed()
    }

    /// One report per signature, in field order.
    #[getter]
    fn signatures(&self, py: Python<'_>) -> Py<PyTuple> {
        self.signatures.clone_ref(py)
    }

    /// Findings about the document as a whole.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.findings)
    }

    /// Number of revisions.
    #[getter]
    fn revisions(&self) -> usize {
        self.inner.revisions
    }

    /// Version of the report layout (`to_dict()`/`to_json()`).
    #[getter]
    fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    /// The full report as plain Python data (the layout of `to_json()`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.to_json())
    }

    /// The full report as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __repr__(&self) -> String {
        format!(
            "VerificationReport(passed={}, signatures={})",
            if self.inner.passed() { "True" } else { "False" },
            self.inner.signatures.len()
        )
    }
}

pub(crate) fn trust_store(certificates: &[Vec<u8>]) -> PyResult<TrustStore> {
    let mut store = TrustStore::new();
    for data in certificates {
        for cert in parse_certificates(data)? {
            store.add(cert);
        }
    }
    Ok(store)
}

/// Verifies every signature of `pdf` against the trust anchors in `trust` (PEM or DER).
#[pyfunction]
///
/// Offline by default: only the revocation data the document holds (its DSS) counts. With
/// `fetch_revocation=True`, what is missing is fetched over HTTP from the addresses the
/// certificates name.
#[pyo3(signature = (pdf, *, trust, tsa_trust=None, at=None, fetch_revocation=false))]
pub(crate) fn verify_pdf(
    py: Python<'_>,
    pdf: &[u8],
    trust: Vec<Vec<u8>>,
    tsa_trust: Option<Vec<Vec<u8>>>,
    at: Option<u64>,
    fetch_revocation: bool,
) -> PyResult<VerificationReport> {
    let mut validator = Validator::new(trust_store(&trust)?);
    if let Some(anchors) = tsa_trust {
        validator = validator.tsa_trust(trust_store(&anchors)?);
    }
    if let Some(secs) = at {
        validator = validator.at_time(UnixTime::from_secs(secs));
    }
    if fetch_revocation {
        validator = validator.revocation_source(Arc::new(HttpRevocationSource::new()));
    }
    let report = py.detach(|| validator.validate_pdf(pdf)).py()?;
    let signatures = report
        .signatures
        .iter()
        .map(|s| Py::new(py, SignatureReport { inner: s.clone() }))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(VerificationReport {
        inner: report,
        signatures: PyTuple::new(py, signatures)?.unbind(),
    })
}
