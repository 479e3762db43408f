//! Status codes, the error object and the panic boundary.
//!
//! Codes live in named ranges and are never reused for another meaning: `0` is success,
//! `1..=99` are failures of the C boundary itself, and each [`ErrorKind`] of the core owns a
//! range of a hundred starting at its [`ErrorKind::code`]. Only the first code of each range
//! is used today; finer codes may be added inside a range later.

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use cloudsign_core::store::StoreError;
use cloudsign_core::token::TokenError;
use cloudsign_core::tsp::TransportError;
use cloudsign_core::{Error, ErrorKind};

use crate::ffi;

/// The outcome of a call: `CS_OK` or the range of what went wrong.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum cs_status {
    /// Success.
    CS_OK = 0,
    /// A required pointer argument was NULL.
    CS_ERR_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    CS_ERR_INVALID_UTF8 = 2,
    /// The library panicked; the call had no effect on its outputs. Please report it.
    CS_ERR_PANIC = 3,
    /// An argument had a value outside its documented set (level, algorithm, size).
    CS_ERR_INVALID_ARGUMENT = 4,
    /// Malformed or unsupported PDF.
    CS_ERR_PDF = 100,
    /// A resource limit was exceeded.
    CS_ERR_LIMIT = 200,
    /// Malformed or unsupported CMS.
    CS_ERR_CMS = 300,
    /// Malformed or unusable certificate.
    CS_ERR_CERTIFICATE = 400,
    /// Unusable key, wrong password, unreadable key container, a refusing signing callback.
    CS_ERR_KEY = 500,
    /// Unsupported or forbidden algorithm.
    CS_ERR_CRYPTO = 600,
    /// Signing could not complete.
    CS_ERR_SIGNING = 700,
    /// A timestamp could not be obtained or does not verify.
    CS_ERR_TIMESTAMP = 800,
    /// File or stream I/O.
    CS_ERR_IO = 900,
    /// A token was refused or its store failed.
    CS_ERR_TOKEN = 1000,
    /// An authentication check failed.
    CS_ERR_AUTH = 1100,
    /// The audit log could not be written or does not verify.
    CS_ERR_AUDIT = 1200,
    /// Encrypted blob storage, including a blob that fails authentication.
    CS_ERR_STORE = 1300,
    /// Revocation data (OCSP, CRL) could not be obtained, parsed or trusted.
    CS_ERR_REVOCATION = 1400,
}

impl From<ErrorKind> for cs_status {
    /// The one mapping from the core's kinds to C codes. No wildcard: a new kind must be given
    /// its own range here before the crate builds again.
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Pdf => Self::CS_ERR_PDF,
            ErrorKind::Limit => Self::CS_ERR_LIMIT,
            ErrorKind::Cms => Self::CS_ERR_CMS,
            ErrorKind::Certificate => Self::CS_ERR_CERTIFICATE,
            ErrorKind::Key => Self::CS_ERR_KEY,
            ErrorKind::Crypto => Self::CS_ERR_CRYPTO,
            ErrorKind::Signing => Self::CS_ERR_SIGNING,
            ErrorKind::Timestamp => Self::CS_ERR_TIMESTAMP,
            ErrorKind::Io => Self::CS_ERR_IO,
            ErrorKind::Token => Self::CS_ERR_TOKEN,
            ErrorKind::Auth => Self::CS_ERR_AUTH,
            ErrorKind::Audit => Self::CS_ERR_AUDIT,
            ErrorKind::Store => Self::CS_ERR_STORE,
            ErrorKind::Revocation => Self::CS_ERR_REVOCATION,
        }
    }
}

/// An error: its status code and a message. Handed out through the optional `cs_error **err`
/// parameter of fallible functions; free it with [`cs_error_free`].
#[derive(Debug)]
pub struct cs_error {
    status: cs_status,
    message: CString,
}

/// The status code of `err` (`CS_ERR_NULL_ARGUMENT` for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn cs_error_status(err: *const cs_error) -> cs_status {
    guard(cs_status::CS_ERR_PANIC, || {
        ffi::handle(err, "err").map_or(cs_status::CS_ERR_NULL_ARGUMENT, |e| e.status)
    })
}

/// The message of `err`, NUL-terminated UTF-8, valid until `cs_error_free(err)`; an empty
/// string for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_error_message(err: *const cs_error) -> *const c_char {
    guard(c"".as_ptr(), || {
        ffi::handle(err, "err").map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// Frees an error; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_error_free(err: *mut cs_error) {
    guard((), || ffi::free_handle(err));
}

/// A failure inside a call, before it becomes a status and a `cs_error`.
#[derive(Debug)]
pub(crate) struct Failure {
    status: cs_status,
    message: String,
}

impl Failure {
    pub(crate) fn new(status: cs_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        Self::new(
            cs_status::CS_ERR_NULL_ARGUMENT,
            format!("{name} must not be NULL"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(cs_status::CS_ERR_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::new(e.kind().into(), e.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Error::from(e).into()
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        Error::from(e).into()
    }
}

impl From<TransportError> for Failure {
    fn from(e: TransportError) -> Self {
        Error::from(cloudsign_core::tsp::TspError::from(e)).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Error::from(e).into()
    }
}

/// Runs the body of a fallible entry point: catches panics, turns a failure into its status
/// and, when `err` is not NULL, a new `cs_error`.
pub(crate) fn boundary(
    err: *mut *mut cs_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> cs_status {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return cs_status::CS_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure::new(cs_status::CS_ERR_PANIC, format!("internal panic: {what}"))
        }
    };
    let status = failure.status;
    // A message with an interior NUL is cut there rather than lost.
    let message = CString::new(failure.message).unwrap_or_else(|e| {
        let end = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(end);
        CString::new(bytes).unwrap_or_default()
    });
    ffi::set_error(err, cs_error { status, message });
    status
}

/// Runs the body of an infallible entry point (accessors, `_free`), returning `on_panic` if
/// it panics.
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_range_at_its_core_code() {
        let kinds = [
            ErrorKind::Pdf,
            ErrorKind::Limit,
            ErrorKind::Cms,
            ErrorKind::Certificate,
            ErrorKind::Key,
            ErrorKind::Crypto,
            ErrorKind::Signing,
            ErrorKind::Timestamp,
            ErrorKind::Io,
            ErrorKind::Token,
            ErrorKind::Auth,
            ErrorKind::Audit,
            ErrorKind::Store,
            ErrorKind::Revocation,
        ];
        let mut seen = std::collections::HashSet::new();
        for kind in kinds {
            let status = cs_status::from(kind) as u32;
            assert_eq!(status, kind.code(), "{kind:?}");
            assert!(status >= 100 && status % 100 == 0, "{kind:?}");
            assert!(seen.insert(status), "{kind:?} reuses {status}");
        }
    }

    #[test]
    fn a_panic_becomes_a_status_and_an_error() {
        let mut err: *mut cs_error = std::ptr::null_mut();
        #[allow(clippy::panic)]
        let status = boundary(&mut err, || panic!("boom"));
        assert_eq!(status, cs_status::CS_ERR_PANIC);
        assert_eq!(cs_error_status(err), cs_status::CS_ERR_PANIC);
        let message = ffi::text(cs_error_message(err), "message").unwrap();
        assert!(message.contains("boom"), "{message}");
        cs_error_free(err);
    }
}
