//! Signing, two-phase signing and document timestamps.

use std::path::PathBuf;

use cloudsign_core::Limits;
use cloudsign_core::pades::{
    DocMdpPermissions, DocumentTimestamper, PdfSigner, PreparedSignature as CorePrepared,
    SignatureOptions, SignatureProfile,
};
use cloudsign_core::revocation::HttpRevocationSource;
use cloudsign_core::time::UnixTime;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::buffer::Bytes;
use crate::errors::{CallbackError, IntoPyResult, to_py_with};
use crate::kwargs;
use crate::signer::{AnySigner, ToBeSigned, algorithm_name, parse_digest};
use crate::tsa::AnyTimestamper;

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

/// The keyword arguments `sign_pdf`, `sign_pdf_file` and `prepare_pdf` share.
const OPTION_NAMES: [&str; 10] = [
    "level",
    "tsa",
    "field_name",
    "reason",
    "location",
    "contact_info",
    "certify",
    "signing_time",
    "vri",
    "limits",
];

/// What the signing functions share: the signer, level, authority and options, parsed and
/// checked before any work starts.
struct Request {
    signer: AnySigner,
    tsa: Option<AnyTimestamper>,
    level: Level,
    options: SignatureOptions,
    limits: Limits,
    revocation: HttpRevocationSource,
}

impl Request {
    /// Reads the signing keywords (see [`OPTION_NAMES`]); `function` names the caller in the
    /// error about an unknown keyword.
    fn new(
        function: &str,
        signer: &Bound<'_, PyAny>,
        keywords: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut level = Level::B;
        let mut tsa = None;
        let mut options = SignatureOptions::new();
        let mut limits = Limits::default();
        for (key, value) in kwargs::given(function, &OPTION_NAMES, keywords)? {
            match key.as_str() {
                "level" => level = Level::parse(&value.extract::<String>()?)?,
                "tsa" => tsa = Some(value.extract()?),
                "field_name" => options = options.field_name(value.extract::<String>()?),
                "reason" => options = options.reason(value.extract::<String>()?),
                "location" => options = options.location(value.extract::<String>()?),
                "contact_info" => options = options.contact_info(value.extract::<String>()?),
                "certify" => {
                    let p = value.extract::<i64>()?;
                    let permissions = DocMdpPermissions::from_level(p).ok_or_else(|| {
                        PyValueError::new_err(format!("certify must be 1, 2 or 3, not {p}"))
                    })?;
                    options = options.certify(permissions);
                }
                "signing_time" => {
                    options = options.signing_time(UnixTime::from_secs(value.extract()?));
                }
                "vri" => options = options.vri(value.extract()?),
                "limits" => limits = kwargs::limits(&value)?,
                _ => {} // `given` refused every other name
            }
        }
        let request = Self {
            signer: AnySigner::extract(signer)?,
            tsa,
            level,
            options,
            limits,
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
            .options(self.options.clone())
            .limits(self.limits.clone()))
    }

    fn error(&self, err: cloudsign_core::Error) -> PyErr {
        to_py_with(err, &slots(Some(&self.signer), self.tsa.as_ref()))
    }
}

/// Signs `pdf` and returns the signed document (the input followed by one incremental
/// update).
#[pyfunction]
#[pyo3(signature = (pdf, signer, **options))]
pub(crate) fn sign_pdf<'py>(
    py: Python<'py>,
    pdf: Bytes<'_>,
    signer: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let request = Request::new("sign_pdf", signer, options)?;
    let pdf_signer = request.pdf_signer()?;
    let signed = py
        .detach(|| pdf_signer.sign(&pdf))
        .map_err(|e| request.error(e))?;
    Ok(PyBytes::new(py, &signed))
}

/// Signs the file at `in_path` into a new file at `out_path`, streaming: memory does not grow
/// with the file (at "b-lt" and "b-lta" the document is read into memory, as the validation
/// data depends on the finished signature). The output appears complete or not at all.
#[pyfunction]
#[pyo3(signature = (in_path, out_path, signer, **options))]
pub(crate) fn sign_pdf_file(
    py: Python<'_>,
    in_path: PathBuf,
    out_path: PathBuf,
    signer: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let request = Request::new("sign_pdf_file", signer, options)?;
    let pdf_signer = request.pdf_signer()?;
    py.detach(|| pdf_signer.sign_file(&in_path, &out_path))
        .map_err(|e| request.error(e))
}

/// Prepares a signature whose value is computed elsewhere. Only the signer's
/// `certificate_chain`, `algorithm` and `max_signature_len` are used here; its `sign` is not
/// called.
#[pyfunction]
#[pyo3(signature = (pdf, signer, **options))]
pub(crate) fn prepare_pdf(
    py: Python<'_>,
    pdf: Bytes<'_>,
    signer: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PreparedSignature> {
    let request = Request::new("prepare_pdf", signer, options)?;
    if matches!(request.level, Level::Lt | Level::Lta) {
        // The validation data depends on the finished signature, so it cannot be prepared.
        return Err(PyValueError::new_err(
            "prepare_pdf makes levels \"b-b\" and \"b-t\"; sign_pdf makes \"b-lt\" and \"b-lta\"",
        ));
    }
    let pdf_signer = request.pdf_signer()?;
    let inner = py
        .detach(|| pdf_signer.prepare(&pdf))
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
        pdf: Bytes<'_>,
        signature: Bytes<'_>,
        tsa: Option<AnyTimestamper>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let prepared = self.inner.clone();
        let signed = py.detach(|| match &tsa {
            None => prepared.finish_pdf(&pdf, &signature),
            Some(t) => prepared.finish_pdf_timestamped(&pdf, &signature, t.as_core()),
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
    pdf: Bytes<'_>,
    tsa: AnyTimestamper,
    field_name: Option<String>,
    digest: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut stamper = DocumentTimestamper::new(tsa.as_core());
    if let Some(name) = field_name {
        stamper = stamper.field_name(name);
    }
    if let Some(d) = digest {
        stamper = stamper.digest(parse_digest(d)?);
    }
    let stamped = py.detach(|| stamper.timestamp(&pdf));
    let stamped = stamped.map_err(|e| to_py_with(e, &slots(None, Some(&tsa))))?;
    Ok(PyBytes::new(py, &stamped))
}
