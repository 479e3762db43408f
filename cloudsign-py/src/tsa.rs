//! Timestamp authorities as given from Python: an RFC 3161 HTTP URL, or any object with
//! `exchange(request: bytes) -> bytes` (the `TimestampTransport` protocol).

use std::sync::Arc;

use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::tsp::{TimeStamper, TransportError, TspError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::{CallbackError, IntoPyResult};

/// Python-facing results of calls through a [`SharedTimestamper`].
impl SharedTimestamper {
    /// The result of a core call that used this authority: a Python transport's own
    /// exception if it raised one, else the mapped core error.
    pub(crate) fn outcome<T, E: Into<cloudsign_core::Error>>(
        &self,
        result: Result<T, E>,
    ) -> PyResult<T> {
        match self.0.raised() {
            Some(slot) => slot.outcome(result),
            None => result.py(),
        }
    }
}

/// A Python object moving timestamp requests: `exchange(request: bytes) -> bytes`, and
/// optionally `max_token_len`.
#[derive(Debug)]
pub(crate) struct PythonTimeStamper {
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
pub(crate) enum AnyTimestamper {
    Http(HttpTimeStamper),
    Python(PythonTimeStamper),
}

impl<'a, 'py> FromPyObject<'a, 'py> for AnyTimestamper {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Self::from_object(&obj)
    }
}

impl AnyTimestamper {
    pub(crate) fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(url) = object.cast::<PyString>() {
            let stamper = HttpTimeStamper::new(&url.to_cow()?)
                .map_err(TspError::from)
                .py()?;
            return Ok(Self::Http(stamper));
        }
        if !object.hasattr("exchange")? {
            return Err(PyTypeError::new_err(
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

    pub(crate) fn as_core(&self) -> &dyn TimeStamper {
        match self {
            Self::Http(t) => t,
            Self::Python(t) => t,
        }
    }

    /// The slot of a Python transport's exception, if this is one.
    pub(crate) fn raised(&self) -> Option<&CallbackError> {
        match self {
            Self::Http(_) => None,
            Self::Python(t) => Some(&t.raised),
        }
    }
}

/// One authority owned by a long-lived core object (an audit log) and by its Python wrapper,
/// which reads the transport's exceptions back out.
#[derive(Debug, Clone)]
pub(crate) struct SharedTimestamper(pub(crate) Arc<AnyTimestamper>);

impl TimeStamper for SharedTimestamper {
    fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.as_core().exchange(request)
    }

    fn max_token_len(&self) -> usize {
        self.0.as_core().max_token_len()
    }
}
