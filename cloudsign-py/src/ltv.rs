//! Long-term validation data for documents already signed: `ltv_add` (B-T to B-LT, or B-LTA
//! with a timestamp authority) and `ltv_extend` (renewing a B-LTA archive).

use cloudsign_core::pades::LtvUpdater;
use cloudsign_core::pdf::dss::ValidationData;
use cloudsign_core::revocation::{HttpRevocationSource, NoFetch, RevocationSource};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::buffer::Bytes;
use crate::errors::{IntoPyResult, to_py_with};
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

/// Where revocation data comes from.
#[derive(Debug)]
enum Revocation {
    /// Fetched over HTTP from the addresses the certificates name.
    Http(HttpRevocationSource),
    /// Only what the caller passes as extra data.
    Offline(NoFetch),
}

impl Revocation {
    fn parse(name: &str) -> PyResult<Self> {
        match name {
            "http" => Ok(Self::Http(HttpRevocationSource::new())),
            "offline" => Ok(Self::Offline(NoFetch)),
            _ => Err(PyValueError::new_err(format!(
                "revocation must be \"http\" or \"offline\", not {name:?}"
            ))),
        }
    }

    fn as_core(&self) -> &dyn RevocationSource {
        match self {
            Self::Http(s) => s,
            Self::Offline(s) => s,
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
                "revocation" => {
                    request.revocation = Revocation::parse(&value.extract::<String>()?)?
                }
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
            let slots: Vec<_> = self.tsa.iter().filter_map(AnyTimestamper::raised).collect();
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
