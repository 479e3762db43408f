//! RFC 3161 timestamps: requests, responses, tokens, and a sans-I/O timestamp authority.
//!
//! The outside world enters only through [`TimeStamper`], which moves bytes: whatever
//! transport answers, the core itself checks the status, nonce, message imprint, the TSA
//! certificate's key purpose and the ESS binding of every response.

mod asn1;
mod authority;
mod request;
mod response;
mod token;

use std::fmt::Debug;

pub use authority::TimestampAuthority;
pub use request::{TimestampRequest, parse_request};
pub use response::{FailureInfo, check_response, timestamp};
pub use token::{TimestampToken, check_timestamping_certificate};

/// Moves a DER `TimeStampReq` to a timestamp authority and its DER `TimeStampResp` back.
///
/// Implementations do transport only (HTTP, a queue, an in-process authority); they never
/// need to parse what they carry.
///
/// ```
/// use cloudsign_core::tsp::{TimeStamper, TransportError};
/// #[derive(Debug)]
/// struct Offline;
/// impl TimeStamper for Offline {
///     fn exchange(&self, _request: &[u8]) -> Result<Vec<u8>, TransportError> {
///         Err(TransportError::Unreachable("no network here".into()))
///     }
/// }
/// assert!(Offline.exchange(b"").is_err());
/// ```
pub trait TimeStamper: Send + Sync + Debug {
    /// Sends `request` (DER `TimeStampReq`) and returns the DER `TimeStampResp`.
    ///
    /// # Errors
    /// A [`TransportError`] when no response could be had.
    fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Upper bound of the size of a token from this authority, used to size signature
    /// placeholders. The default suits a token with a certificate chain of a few RSA
    /// certificates.
    fn max_token_len(&self) -> usize {
        12 * 1024
    }
}

/// No timestamp response could be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The authority could not be reached (connection refused, DNS, TLS).
    #[error("timestamp authority unreachable: {0}")]
    Unreachable(String),
    /// The authority did not answer in time.
    #[error("timestamp authority timed out")]
    Timeout,
    /// The authority answered with an HTTP error status.
    #[error("timestamp authority answered HTTP {0}")]
    HttpStatus(u16),
    /// The answer was not `application/timestamp-reply`.
    #[error("timestamp authority answered with content type {0:?}")]
    WrongContentType(String),
    /// Anything else the transport could not do.
    #[error("timestamp transport failed: {0}")]
    Other(String),
    /// The answer was longer than the transport's limit (in bytes).
    #[error("timestamp authority answered more than {limit} bytes")]
    ResponseTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// A timestamp could not be obtained or does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TspError {
    /// The transport failed (see [`TransportError`]).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The authority refused the request (PKIStatus rejection or waiting/revocation states).
    #[error("timestamp request rejected (status {status}{}){}", .fail_info.as_ref().map(|f| format!(", failure {f}")).unwrap_or_default(), .text.as_ref().map(|t| format!(": {t}")).unwrap_or_default())]
    Rejected {
        /// PKIStatus value.
        status: u8,
        /// PKIFailureInfo bits, named.
        fail_info: Option<String>,
        /// PKIFreeText, if any.
        text: Option<String>,
    },
    /// The response or token is not well-formed.
    #[error("malformed timestamp response: {0}")]
    Malformed(String),
    /// The token's nonce differs from the request's.
    #[error("timestamp nonce does not match the request")]
    NonceMismatch,
    /// The token's message imprint differs from the request's.
    #[error("timestamp message imprint does not match the request")]
    ImprintMismatch,
    /// The TSA certificate lacks a critical extendedKeyUsage of exactly id-kp-timeStamping.
    #[error("the timestamp signer's certificate is not a timestamping certificate: {0}")]
    NotTimestampingCertificate(String),
    /// The token's signature, message digest or ESS binding does not verify.
    #[error("the timestamp token does not verify: {0}")]
    BadToken(String),
    /// The request's message imprint uses a hash algorithm we do not accept (anything but
    /// SHA-256, SHA-384 and SHA-512).
    #[error("unsupported imprint hash algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The policy is not the one required.
    #[error("timestamp policy {found} is not the required {required}")]
    PolicyMismatch {
        /// The policy required by the caller.
        required: String,
        /// The policy in the token.
        found: String,
    },
}

/// Entry points for fuzzers; not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::crypto::DigestAlgorithm;

    /// Checks `data` as a response to a fixed request and exercises every token accessor,
    /// ignoring errors: the token is taken from the response when there is one, else `data`
    /// itself is tried as a token, so that the accessors see every token that parses.
    pub fn fuzz_timestamp_response(data: &[u8]) {
        let request = super::TimestampRequest::new(DigestAlgorithm::Sha256, vec![0x5a; 32]);
        let _ = super::check_response(&request, data);
        let _ = super::parse_request(data);
        let token = super::response::token_span(data)
            .and_then(super::TimestampToken::from_der)
            .or_else(|_| super::TimestampToken::from_der(data));
        let Ok(token) = token else {
            return;
        };
        let _ = token.der();
        let _ = token.tst_info_der();
        let _ = token.gen_time();
        let _ = token.policy();
        let _ = token.serial_hex();
        let _ = token.imprint_algorithm();
        let _ = token.imprint();
        let _ = token.nonce();
        let _ = token.certificates();
        let _ = token.signer_certificate();
        let _ = token.tsa_name();
        let _ = token.accuracy();
        let _ = token.matches_imprint(DigestAlgorithm::Sha256, &[0x5a; 32]);
        let _ = token.verify();
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
