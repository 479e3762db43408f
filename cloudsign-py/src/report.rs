//! Verification and its reports, as frozen Python objects with `to_dict()`.

use std::path::PathBuf;
use std::sync::Arc;

use cloudsign_core::Validator;
use cloudsign_core::revocation::HttpRevocationSource;
use cloudsign_core::time::UnixTime;
use cloudsign_core::validate::{SignatureReport as CoreSignature, ValidationReport};
use cloudsign_core::x509::TrustStore;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::buffer::Bytes;
use crate::errors::IntoPyResult;
use crate::kwargs;
use crate::signer::parse_certificates;

/// The JSON text of a serialisable report part, as Python data.
pub(crate) fn to_python<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (json,))
}

/// A serde enum's wire name, e.g. `"PASSED"`.
pub(crate) fn wire_name<T: serde::Serialize>(value: &T) -> String {
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

/// The keyword options of `verify_pdf` and `verify_pdf_file`; `trust` is required.
const OPTION_NAMES: [&str; 5] = ["trust", "tsa_trust", "at", "fetch_revocation", "limits"];

/// The validator the keywords of `function` describe (see [`OPTION_NAMES`]).
fn validator(function: &str, keywords: Option<&Bound<'_, PyDict>>) -> PyResult<Validator> {
    let (mut trust, mut tsa_trust, mut at, mut fetch) = (None, None, None, false);
    let mut limits = None;
    for (key, value) in kwargs::given(function, &OPTION_NAMES, keywords)? {
        match key.as_str() {
            "trust" => trust = Some(trust_store(&value.extract::<Vec<Vec<u8>>>()?)?),
            "tsa_trust" => tsa_trust = Some(trust_store(&value.extract::<Vec<Vec<u8>>>()?)?),
            "at" => at = Some(UnixTime::from_secs(value.extract()?)),
            "fetch_revocation" => fetch = value.extract()?,
            "limits" => limits = Some(kwargs::limits(&value)?),
            _ => {} // `given` refused every other name
        }
    }
    let trust = trust.ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{function}() missing required keyword argument 'trust' (the trust anchors, PEM or DER)"
        ))
    })?;
    let mut validator = Validator::new(trust);
    if let Some(anchors) = tsa_trust {
        validator = validator.tsa_trust(anchors);
    }
    if let Some(time) = at {
        validator = validator.at_time(time);
    }
    if fetch {
        validator = validator.revocation_source(Arc::new(HttpRevocationSource::new()));
    }
    if let Some(limits) = limits {
        validator = validator.limits(limits);
    }
    Ok(validator)
}

fn report(py: Python<'_>, report: ValidationReport) -> PyResult<VerificationReport> {
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

/// Verifies every signature of `pdf` against the trust anchors in `trust` (PEM or DER).
///
/// Offline by default: only the revocation data the document holds (its DSS) counts. With
/// `fetch_revocation=True`, what is missing is fetched over HTTP from the addresses the
/// certificates name.
#[pyfunction]
#[pyo3(signature = (pdf, **options))]
pub(crate) fn verify_pdf(
    py: Python<'_>,
    pdf: Bytes<'_>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<VerificationReport> {
    let validator = validator("verify_pdf", options)?;
    let validated = py.detach(|| validator.validate_pdf(&pdf)).py()?;
    report(py, validated)
}

/// As `verify_pdf`, for the file at `path`, reading only what validation needs: memory does
/// not grow with the file.
#[pyfunction]
#[pyo3(signature = (path, **options))]
pub(crate) fn verify_pdf_file(
    py: Python<'_>,
    path: PathBuf,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<VerificationReport> {
    let validator = validator("verify_pdf_file", options)?;
    let validated = py.detach(|| validator.validate_file(&path)).py()?;
    report(py, validated)
}
