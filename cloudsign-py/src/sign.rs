//! Signing, two-phase signing and document timestamps.

use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::pades::{
    DocMdpPermissions, DocumentTimestamper, PdfSigner, PreparedSignature as CorePrepared,
    SignatureOptions, SignatureProfile,
};
use cloudsign_core::revocation::HttpRevocationSource;
use cloudsign_core::tsp::{TimeStamper, TransportError, TspError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::{CallbackError, IntoPyResult, to_py_with};
use crate::signer::{AnySigner, ToBeSigned, algorithm_name, parse_digest};

/// The PAdES baseline levels this binding can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    B,
    T,
    Lt,
    Lta,
}

impl Level {
    /// The accepted spellings, exported as `cloudsign.SUPPORTED_LEVELS`.
    pub(crate) const NAMES: [&'static str; 4] = ["b-b", "b-t", "b-lt", "b-lta"];

    fn parse(name: &str) -> PyResult<Self> {
        match name.to_ascii_lowercase().as_str() {
            "b-b" => Ok(Self::B),
            "b-t" => Ok(Self::T),
            "b-lt" => Ok(Self::Lt),
            "b-lta" => Ok(Self::Lta),
            _ => Err(PyValueError::new_err(format!(
                "unknown level {name:?} (supported: {})",
                Self::NAMES.join(", ")
            ))),
        }
    }

    /// The core profile, checking that a timestamp authority is given exactly when needed.
    /// The long-term levels fetch revocation data over HTTP from the addresses the
    /// certificates name (OCSP, CRL distribution points, CA issuers).
    fn profile<'a>(
        self,
        tsa: Option<&'a AnyTimestamper>,
        revocation: &'a HttpRevocationSource,
    ) -> PyResult<SignatureProfile<'a>> {
        match (self, tsa) {
            (Self::B, None) => Ok(SignatureProfile::BaselineB),
            (Self::T, Some(t)) => Ok(SignatureProfile::BaselineT {
                timestamper: t.as_core(),
            }),
            (Self::Lt, Some(t)) => Ok(SignatureProfile::BaselineLt {
                timestamper: t.as_core(),
                revocation,
            }),
            (Self::Lta, Some(t)) => Ok(SignatureProfile::BaselineLta {
                timestamper: t.as_core(),
                revocation,
            }),
            (Self::B, Some(_)) => Err(PyValueError::new_err(
                "tsa is not used at level \"b-b\"; pass a timestamped level or drop tsa",
            )),
            (_, None) => Err(PyValueError::new_err(format!(
                "level {:?} needs tsa= (a URL or an object with exchange(request) -> bytes)",
                self.name()
            ))),
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::B => "b-b",
            Self::T => "b-t",
            Self::Lt => "b-lt",
            Self::Lta => "b-lta",
        }
    }
}

/// A Python object moving timestamp requests: `exchange(request: bytes) -> bytes`, and
/// optionally `max_token_len`.
#[derive(Debug)]
struct PythonTimeStamper {
    object: Py<PyAny>,
    max_token_len: Option<usize>,
    raised: CallbackError,
}

impl TimeStamper for PythonTimeStamper {
    fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        Python::attach(|py| {
            self.object
                .call_method1(py, "exchange", (PyBytes::new(py, request),))
                .and_then(|r| r.extract::<Vec<u8>>(py))
        })
        .map_err(|e| {
            let message = format!("the Python timestamp transport raised {e}");
            self.raised.set(e);
            TransportError::Other(message)
        })
    }

    fn max_token_len(&self) -> usize {
        self.max_token_len.unwrap_or(12 * 1024)
    }
}

/// A timestamp authority: an RFC 3161 HTTP URL or a Python transport.
#[derive(Debug)]
enum AnyTimestamper {
    Http(HttpTimeStamper),
    Python(PythonTimeStamper),
}

impl AnyTimestamper {
    pub(crate) fn extract(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(url) = object.cast::<PyString>() {
            let stamper = HttpTimeStamper::new(&url.to_cow()?)
                .map_err(TspError::from)
                .py()?;
            return Ok(Self::Http(stamper));
        }
        if !object.hasattr("exchange")? {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "tsa must be a URL or an object with exchange(request: bytes) -> bytes",
            ));
        }
        let max_token_len = match object.getattr("max_token_len") {
            Ok(v) if !v.is_none() => Some(v.extract()?),
            _ => None,
        };
        Ok(Self::Python(PythonTimeStamper {
            object: object.clone().unbind(),
            max_token_len,
            raised: CallbackError::default(),
        }))
    }

    fn as_core(&self) -> &dyn TimeStamper {
        match self {
            Self::Http(t) => t,
            Self::Python(t) => t,
        }
    }

    fn raised(&self) -> Option<&CallbackError> {
        match self {
            Self::Http(_) => None,
            Self::Python(t) => Some(&t.raised),
        }
    }
}

/// Callback exception slots of an optional signer and timestamper.
fn slots<'a>(
    signer: Option<&'a AnySigner>,
    tsa: Option<&'a AnyTimestamper>,
) -> Vec<&'a CallbackError> {
    signer
        .and_then(AnySigner::raised)
        .into_iter()
        .chain(tsa.and_then(AnyTimestamper::raised))
        .collect()
}

/// What `sign_pdf` and `prepare_pdf` share: the signer, level, authority and options, parsed
/// and checked before any work starts.
struct Request {
    signer: AnySigner,
    tsa: Option<AnyTimestamper>,
    level: Level,
    options: SignatureOptions,
    revocation: HttpRevocationSource,
}

impl Request {
    #[allow(clippy::too_many_arguments)] // the keyword arguments of the two functions
    fn new(
        signer: &Bound<'_, PyAny>,
        level: &str,
        tsa: Option<&Bound<'_, PyAny>>,
        field_name: Option<String>,
        reason: Option<String>,
        location: Option<String>,
        contact_info: Option<String>,
        certify: Option<i64>,
    ) -> PyResult<Self> {
        let level = Level::parse(level)?;
        let mut options = SignatureOptions::new();
        if let Some(v) = field_name {
            options = options.field_name(v);
        }
        if let Some(v) = reason {
            options = options.reason(v);
        }
        if let Some(v) = location {
            options = options.location(v);
        }
        if let Some(v) = contact_info {
            options = options.contact_info(v);
        }
        if let Some(p) = certify {
            let permissions = DocMdpPermissions::from_level(p).ok_or_else(|| {
                PyValueError::new_err(format!("certify must be 1, 2 or 3, not {p}"))
            })?;
            options = options.certify(permissions);
        }
        let request = Self {
            signer: AnySigner::extract(signer)?,
            tsa: tsa.map(AnyTimestamper::extract).transpose()?,
            level,
            options,
            revocation: HttpRevocationSource::new(),
        };
        request
            .level
            .profile(request.tsa.as_ref(), &request.revocation)?;
        Ok(request)
    }

    fn pdf_signer(&self) -> PyResult<PdfSigner<'_>> {
        Ok(PdfSigner::new(self.signer.as_core())
            .profile(self.level.profile(self.tsa.as_ref(), &self.revocation)?)
            .options(self.options.clone()))
    }

    fn error(&self, err: cloudsign_core::Error) -> PyErr {
        to_py_with(err, &slots(Some(&self.signer), self.tsa.as_ref()))
    }
}

/// Signs `pdf` and returns the signed document (the input followed by one incremental
/// update).
#[pyfunction]
#[pyo3(signature = (pdf, signer, *, level="b-b", tsa=None, field_name=None, reason=None, location=None, contact_info=None, certify=None))]
#[allow(clippy::too_many_arguments)] // keyword arguments, the Python idiom for options
pub(crate) fn sign_pdf<'py>(
    py: Python<'py>,
    pdf: &[u8],
    signer: &Bound<'py, PyAny>,
    level: &str,
    tsa: Option<&Bound<'py, PyAny>>,
    field_name: Option<String>,
    reason: Option<String>,
    location: Option<String>,
    contact_info: Option<String>,
    certify: Option<i64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let request = Request::new(
        signer,
        level,
        tsa,
        field_name,
        reason,
        location,
        contact_info,
        certify,
    )?;
    let pdf_signer = request.pdf_signer()?;
    let signed = py
        .detach(|| pdf_signer.sign(pdf))
        .map_err(|e| request.error(e))?;
    Ok(PyBytes::new(py, &signed))
}

/// Prepares a signature whose value is computed elsewhere. Only the signer's
/// `certificate_chain`, `algorithm` and `max_signature_len` are used here; its `sign` is not
/// called.
#[pyfunction]
#[pyo3(signature = (pdf, signer, *, level="b-b", tsa=None, field_name=None, reason=None, location=None, contact_info=None, certify=None))]
#[allow(clippy::too_many_arguments)] // keyword arguments, the Python idiom for options
pub(crate) fn prepare_pdf(
    py: Python<'_>,
    pdf: &[u8],
    signer: &Bound<'_, PyAny>,
    level: &str,
    tsa: Option<&Bound<'_, PyAny>>,
    field_name: Option<String>,
    reason: Option<String>,
    location: Option<String>,
    contact_info: Option<String>,
    certify: Option<i64>,
) -> PyResult<PreparedSignature> {
    let request = Request::new(
        signer,
        level,
        tsa,
        field_name,
        reason,
        location,
        contact_info,
        certify,
    )?;
    if matches!(request.level, Level::Lt | Level::Lta) {
        // The validation data depends on the finished signature, so it cannot be prepared.
        return Err(PyValueError::new_err(
            "prepare_pdf makes levels \"b-b\" and \"b-t\"; sign_pdf makes \"b-lt\" and \"b-lta\"",
        ));
    }
    let pdf_signer = request.pdf_signer()?;
    let inner = py
        .detach(|| pdf_signer.prepare(pdf))
        .map_err(|e| request.error(e))?;
    Ok(PreparedSignature { inner })
}

/// A signature whose incremental update is written and hashed, waiting for its value.
/// Serialise it with `to_json()` to finish in another process or on another day.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct PreparedSignature {
    inner: CorePrepared,
}

#[pymethods]
impl PreparedSignature {
    /// What the signer must sign.
    #[getter]
    fn to_be_signed(&self) -> ToBeSigned {
        ToBeSigned {
            inner: self.inner.to_be_signed().clone(),
        }
    }

    /// The `/ByteRange` of the signature.
    #[getter]
    fn byte_range(&self) -> (u64, u64, u64, u64) {
        let [a, b, c, d] = self.inner.byte_range();
        (a, b, c, d)
    }

    /// Digest of the signed bytes of the document (the CMS message-digest).
    #[getter]
    fn document_digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.document_digest())
    }

    /// The state as JSON (versioned); read back with `PreparedSignature.from_json`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Reads a state written by `to_json`.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        CorePrepared::from_json(json)
            .py()
            .map(|inner| Self { inner })
    }

    /// Completes the signature with `signature` (the signer's output over `to_be_signed`) and
    /// returns the signed document; `pdf` must be the document it was prepared on. A B-T
    /// preparation needs `tsa` again for the signature timestamp.
    #[pyo3(signature = (pdf, signature, *, tsa=None))]
    fn finish<'py>(
        &self,
        py: Python<'py>,
        pdf: &[u8],
        signature: &[u8],
        tsa: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let tsa = tsa.map(AnyTimestamper::extract).transpose()?;
        let prepared = self.inner.clone();
        let signed = py.detach(|| match &tsa {
            None => prepared.finish_pdf(pdf, signature),
            Some(t) => prepared.finish_pdf_timestamped(pdf, signature, t.as_core()),
        });
        let signed = signed.map_err(|e| to_py_with(e, &slots(None, tsa.as_ref())))?;
        Ok(PyBytes::new(py, &signed))
    }

    fn __repr__(&self) -> String {
        format!(
            "PreparedSignature(byte_range={:?}, algorithm={:?})",
            self.inner.byte_range(),
            algorithm_name(self.inner.to_be_signed().algorithm())
        )
    }
}

/// Adds a document timestamp (`/DocTimeStamp`, `ETSI.RFC3161`) over the whole of `pdf`.
#[pyfunction]
#[pyo3(signature = (pdf, tsa, *, field_name=None, digest=None))]
pub(crate) fn timestamp_pdf<'py>(
    py: Python<'py>,
    pdf: &[u8],
    tsa: &Bound<'py, PyAny>,
    field_name: Option<String>,
    digest: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let tsa = AnyTimestamper::extract(tsa)?;
    let mut stamper = DocumentTimestamper::new(tsa.as_core());
    if let Some(name) = field_name {
        stamper = stamper.field_name(name);
    }
    if let Some(d) = digest {
        stamper = stamper.digest(parse_digest(d)?);
    }
    let stamped = py.detach(|| stamper.timestamp(pdf));
    let stamped = stamped.map_err(|e| to_py_with(e, &slots(None, Some(&tsa))))?;
    Ok(PyBytes::new(py, &stamped))
}
