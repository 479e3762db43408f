//! Long-term validation data for documents already signed: `ltv_add` (B-T to B-LT, or B-LTA
//! with a timestamp authority) and `ltv_extend` (renewing a B-LTA archive).

use cloudsign_core::pades::LtvUpdater;
use cloudsign_core::pdf::dss::ValidationData;
use cloudsign_core::revocation::{
    HttpRevocationSource, NoFetch, RevocationError, RevocationSource,
};
use cloudsign_core::x509::Certificate;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::buffer::Bytes;
use crate::errors::{CallbackError, IntoPyResult, to_py_with};
use crate::kwargs;
use crate::tsa::AnyTimestamper;

/// The keyword options of `ltv_add` and `ltv_extend`.
const OPTION_NAMES: [&str; 6] = [
    "tsa",
    "revocation",
    "vri",
    "extra_certificates",
    "extra_crls",
    "extra_ocsp_responses",
];

/// A Python object answering the core's revocation queries with DER bytes (the
/// `RevocationSource` protocol): `ocsp(cert, issuer)` an `OCSPResponse` or None, `crls(cert)`
/// and `ca_issuers(cert)` lists. Its exception comes back out of the call unchanged.
#[derive(Debug)]
struct PythonRevocation {
    object: Py<PyAny>,
    raised: CallbackError,
}

impl PythonRevocation {
    fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        for method in ["ocsp", "crls", "ca_issuers"] {
            if !object.hasattr(method)? {
                return Err(PyTypeError::new_err(format!(
                    "revocation must be \"http\", \"offline\" or an object with ocsp, crls and \
                     ca_issuers (see cloudsign.RevocationSource); {method} is missing"
                )));
            }
        }
        Ok(Self {
            object: object.clone().unbind(),
            raised: CallbackError::default(),
        })
    }

    /// Calls `method` on the DER of `certificates`, keeping an exception for the caller.
    fn call<T: for<'a, 'py> FromPyObject<'a, 'py, Error = PyErr>>(
        &self,
        method: &str,
        certificates: &[&Certificate],
    ) -> cloudsign_core::error::Result<T> {
        Python::attach(|py| {
            let args = certificates.iter().map(|c| PyBytes::new(py, c.der()));
            let args = PyTuple::new(py, args)?;
            self.object.call_method1(py, method, args)?.extract::<T>(py)
        })
        .map_err(|e| {
            let reason = e.to_string();
            self.raised.set(e);
            RevocationError::Fetch {
                url: format!("(the Python revocation source's {method})"),
                reason,
            }
            .into()
        })
    }
}

impl RevocationSource for PythonRevocation {
    fn ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> cloudsign_core::error::Result<Option<Vec<u8>>> {
        self.call("ocsp", &[cert, issuer])
    }

    fn crls(&self, cert: &Certificate) -> cloudsign_core::error::Result<Vec<Vec<u8>>> {
        self.call("crls", &[cert])
    }

    fn ca_issuers(&self, cert: &Certificate) -> cloudsign_core::error::Result<Vec<Vec<u8>>> {
        self.call("ca_issuers", &[cert])
    }
}

/// Where revocation data comes from.
#[derive(Debug)]
enum Revocation {
    /// Fetched over HTTP from the addresses the certificates name.
    Http(HttpRevocationSource),
    /// Nothing is fetched: only what the caller passes as extra data is stored.
    Offline(NoFetch),
    /// Asked of a Python object.
    Python(PythonRevocation),
}

impl Revocation {
    fn from_object(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        let Ok(name) = value.extract::<String>() else {
            return PythonRevocation::from_object(value).map(Self::Python);
        };
        match name.as_str() {
            "http" => Ok(Self::Http(HttpRevocationSource::new())),
            "offline" => Ok(Self::Offline(NoFetch)),
            _ => Err(PyValueError::new_err(format!(
                "revocation must be \"http\", \"offline\" or a RevocationSource, not {name:?}"
            ))),
        }
    }

    fn as_core(&self) -> &dyn RevocationSource {
        match self {
            Self::Http(s) => s,
            Self::Offline(s) => s,
            Self::Python(s) => s,
        }
    }

    fn raised(&self) -> Option<&CallbackError> {
        match self {
            Self::Python(s) => Some(&s.raised),
            Self::Http(_) | Self::Offline(_) => None,
        }
    }
}

/// The options of one update, parsed before any work starts.
struct Request {
    tsa: Option<AnyTimestamper>,
    revocation: Revocation,
    vri: bool,
    extra: ValidationData,
}

impl Request {
    fn new(function: &str, keywords: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut request = Self {
            tsa: None,
            revocation: Revocation::Http(HttpRevocationSource::new()),
            vri: false,
            extra: ValidationData::default(),
        };
        for (key, value) in kwargs::given(function, &OPTION_NAMES, keywords)? {
            match key.as_str() {
                "tsa" => request.tsa = Some(value.extract()?),
                "revocation" => request.revocation = Revocation::from_object(&value)?,
                "vri" => request.vri = value.extract()?,
                "extra_certificates" => {
                    for der in value.extract::<Vec<Vec<u8>>>()? {
                        request.extra.add_certificate(der);
                    }
                }
                "extra_crls" => {
                    for der in value.extract::<Vec<Vec<u8>>>()? {
                        request.extra.add_crl(der);
                    }
                }
                "extra_ocsp_responses" => {
                    for der in value.extract::<Vec<Vec<u8>>>()? {
                        request.extra.add_ocsp_response(der);
                    }
                }
                _ => {} // `given` refused every other name
            }
        }
        Ok(request)
    }

    fn updater(&self) -> LtvUpdater<'_> {
        let updater = LtvUpdater::new(self.revocation.as_core())
            .vri(self.vri)
            .extra(self.extra.clone());
        match &self.tsa {
            Some(t) => updater.timestamper(t.as_core()),
            None => updater,
        }
    }

    /// Runs `update` without the interpreter after issuing the updater's warnings (a
    /// certification that permits no changes) as `cloudsign.LtvWarning`.
    fn run<'py>(
        &self,
        py: Python<'py>,
        pdf: &[u8],
        update: impl FnOnce(&LtvUpdater<'_>, &[u8]) -> cloudsign_core::error::Result<Vec<u8>> + Send,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let updater = self.updater();
        let warnings = py.detach(|| updater.warnings(pdf)).py()?;
        if !warnings.is_empty() {
            let category = py.import("cloudsign._errors")?.getattr("LtvWarning")?;
            let warn = py.import("warnings")?.getattr("warn")?;
            for message in warnings {
                // stacklevel 2: the warning points at the caller's line.
                warn.call1((message, &category, 2))?;
            }
        }
        let updated = py.detach(|| update(&updater, pdf)).map_err(|e| {
            let slots: Vec<_> = (self.tsa.iter().filter_map(AnyTimestamper::raised))
                .chain(self.revocation.raised())
                .collect();
            to_py_with(e, &slots)
        })?;
        Ok(PyBytes::new(py, &updated))
    }
}

/// Adds validation data (certificates, OCSP responses, CRLs in the DSS) for every signature
/// and document timestamp of `pdf`; with `tsa`, a document timestamp over it as well, which
/// makes B-T signatures B-LTA.
#[pyfunction]
#[pyo3(signature = (pdf, **options))]
pub(crate) fn ltv_add<'py>(
    py: Python<'py>,
    pdf: Bytes<'_>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let request = Request::new("ltv_add", options)?;
    request.run(py, &pdf, |updater, pdf| updater.add(pdf))
}

/// Renews an archive: validation data for the newest document timestamp, then a fresh
/// document timestamp from `tsa` over everything.
#[pyfunction]
#[pyo3(signature = (pdf, tsa, **options))]
pub(crate) fn ltv_extend<'py>(
    py: Python<'py>,
    pdf: Bytes<'_>,
    tsa: AnyTimestamper,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut request = Request::new("ltv_extend", options)?;
    request.tsa = Some(tsa);
    request.run(py, &pdf, |updater, pdf| updater.extend(pdf))
}
