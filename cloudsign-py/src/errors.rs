//! The one mapping from the core's errors to Python exceptions, and the slot that carries an
//! exception raised by a Python callback back out unchanged.
//!
//! The exception classes are defined in Python (`cloudsign/_errors.py`) so that they can be
//! subclassed, pickled and documented like any other Python class; here we only choose one by
//! [`ErrorKind`].

use std::sync::Mutex;

use cloudsign_core::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The Python class of each kind. Exhaustive by design: a new kind fails this build until it
/// has its class in `_errors.py`.
const fn exception_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Pdf => "PdfError",
        ErrorKind::Limit => "LimitError",
        ErrorKind::Cms => "CmsError",
        ErrorKind::Certificate => "CertificateError",
        ErrorKind::Key => "InvalidKeyError",
        ErrorKind::Crypto => "CryptoError",
        ErrorKind::Signing => "SigningError",
        ErrorKind::Timestamp => "TimestampError",
        ErrorKind::Io => "CloudsignIOError",
        ErrorKind::Token => "TokenError",
        ErrorKind::Auth => "AuthError",
        ErrorKind::Audit => "AuditError",
        ErrorKind::Store => "StoreError",
        ErrorKind::Revocation => "RevocationError",
    }
}

/// `cloudsign.<Class>(message, code)` for a core error.
pub(crate) fn to_py(err: Error) -> PyErr {
    let kind = err.kind();
    Python::attach(|py| {
        let raised = py
            .import("cloudsign._errors")
            .and_then(|m| m.getattr(exception_name(kind)))
            .and_then(|class| class.call1((err.to_string(), kind.code())));
        match raised {
            Ok(exception) => PyErr::from_value(exception),
            // Only a broken installation gets here; say so rather than lose the error.
            Err(e) => PyRuntimeError::new_err(format!(
                "cloudsign: cannot raise {} ({e}) for: {err}",
                exception_name(kind)
            )),
        }
    })
}

/// Holds the exception a Python callback raised while the core was running, so that the
/// caller sees that very exception object rather than the core's generic error about it.
#[derive(Debug, Default)]
pub(crate) struct CallbackError(Mutex<Option<PyErr>>);

impl CallbackError {
    /// Remembers the first exception (later ones are consequences of it).
    pub(crate) fn set(&self, err: PyErr) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(err);
        }
    }

    fn take(&self) -> Option<PyErr> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }

    /// The outcome of one call through an object whose callbacks outlive the call (a key
    /// provider, an audit log's transport): a failure raises the callback's exception if it
    /// raised one; after a success an exception the core recovered from (another replica
    /// answered) is dropped, so that it cannot surface in a later call.
    pub(crate) fn outcome<T, E: Into<Error>>(&self, result: Result<T, E>) -> PyResult<T> {
        let raised = self.take();
        result.map_err(|e| raised.unwrap_or_else(|| to_py(e.into())))
    }
}

/// The exception for a core error: a callback's own exception if one was raised, else the
/// mapped class.
pub(crate) fn to_py_with(err: Error, callbacks: &[&CallbackError]) -> PyErr {
    callbacks
        .iter()
        .find_map(|c| c.take())
        .unwrap_or_else(|| to_py(err))
}

/// Converts a core result where no Python callback was involved.
pub(crate) trait IntoPyResult<T> {
    /// The result with its error mapped by [`to_py`].
    fn py(self) -> PyResult<T>;
}

impl<T, E: Into<Error>> IntoPyResult<T> for Result<T, E> {
    fn py(self) -> PyResult<T> {
        self.map_err(|e| to_py(e.into()))
    }
}
