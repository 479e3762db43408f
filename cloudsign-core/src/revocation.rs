//! Revocation data: OCSP (RFC 6960) and CRLs (RFC 5280 §5), how to fetch them, how to judge
//! them, and embedded responders that issue them.
//!
//! The parts follow the library's split between pure cores and I/O at the edges:
//!
//! - [`OcspRequest`], [`OcspResponse`] and [`Crl`] encode, parse and verify bytes;
//! - [`check_revocation`] judges a certificate from evidence already at hand (no I/O), for
//!   example the OCSP responses and CRLs of a PDF's DSS;
//! - [`RevocationSource`] is the seam to the outside world: [`NoFetch`] stays offline,
//!   `HttpRevocationSource` (feature `http`) follows the URLs in the certificate; [`gather`]
//!   asks a source for what [`check_revocation`] will need later;
//! - [`OcspResponder`] and [`CrlIssuer`] are sans-I/O issuers for tests and private
//!   deployments; `serve::ocsp_handler` and `serve::crl_handler` put them on HTTP.
//!
//! ```
//! # fn main() -> cloudsign_core::error::Result<()> {
//! use cloudsign_core::revocation::{
//!     Evidence, OcspRequest, OcspResponder, RevocationStatus, check_revocation,
//! };
//! use cloudsign_core::testkit::TestPki;
//! use cloudsign_core::time::UnixTime;
//! let pki = TestPki::generate()?;
//! let responder = OcspResponder::new(pki.intermediate.certificate.clone(), pki.ocsp.signer()?)?;
//! let cert = &pki.signer_ec.certificate;
//! let issuer = &pki.intermediate.certificate;
//! let request = OcspRequest::new(cert, issuer);
//! let response = responder.respond(&request.to_der()?);
//! let evidence = Evidence { ocsp: &[response], crls: &[], certificates: &[] };
//! let status = check_revocation(cert, issuer, &evidence, UnixTime::now());
//! assert!(matches!(status, RevocationStatus::Good { .. }));
//! # Ok(()) }
//! ```

mod crl;
mod ocsp;
mod reason;
mod responder;
mod source;
mod status;

pub use crl::{Crl, CrlIssuer, RevokedEntry};
pub use ocsp::{CertIdHash, OcspCertStatus, OcspCheck, OcspRequest, OcspResponse, SingleStatus};
pub use reason::RevocationReason;
pub use responder::OcspResponder;
pub use source::{Gathered, NoFetch, RevocationSource, complete_chain, gather, gather_at};
pub(crate) use status::check_revocation_of_issued;
pub use status::{
    Evidence, EvidenceSource, EvidenceTime, RevocationStatus, check_revocation,
    check_revocation_with, check_revocation_with_skew,
};

#[cfg(feature = "http")]
pub use crate::http::HttpRevocationSource;

/// Clock skew tolerated by default when comparing `at` with thisUpdate and nextUpdate (five
/// minutes, as responders and relying parties rarely share a clock exactly).
pub const DEFAULT_SKEW_SECS: u64 = 300;

/// Media type of an OCSP request over HTTP (RFC 6960 Appendix A.1).
pub const OCSP_REQUEST_MEDIA_TYPE: &str = "application/ocsp-request";
/// Media type of an OCSP response over HTTP (RFC 6960 Appendix A.2).
pub const OCSP_RESPONSE_MEDIA_TYPE: &str = "application/ocsp-response";
/// Media type of a DER CRL over HTTP (RFC 2585 §4.2).
pub const CRL_MEDIA_TYPE: &str = "application/pkix-crl";

/// Revocation data could not be obtained, parsed or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The OCSP request or response, or the CRL, is not well-formed.
    #[error("malformed revocation data: {0}")]
    Malformed(String),
    /// The OCSP responder answered without a status (responseStatus other than successful).
    #[error("OCSP responder answered {0}")]
    ResponderStatus(String),
    /// A signature over the response or CRL does not verify.
    #[error("revocation data signature does not verify: {0}")]
    BadSignature(String),
    /// The response was signed by neither the issuer nor a responder it authorised.
    #[error("OCSP response signer is not authorised: {0}")]
    UnauthorizedResponder(String),
    /// A nonce was sent and the response does not carry the same one.
    #[error("OCSP response nonce does not match the request")]
    NonceMismatch,
    /// The response has no status for the certificate asked about.
    #[error("OCSP response has no status for the certificate")]
    NoMatchingResponse,
    /// The evidence is not current at the time of interest (thisUpdate/nextUpdate).
    #[error("revocation data not current: {0}")]
    NotCurrent(String),
    /// A feature we do not support: delta CRLs, an unknown critical extension, an unknown
    /// response type or hash.
    #[error("unsupported revocation data: {0}")]
    Unsupported(String),
    /// The revocation data could not be encoded.
    #[error("cannot encode revocation data: {0}")]
    Encoding(String),
    /// Fetching from a URL failed.
    #[error("fetching {url} failed: {reason}")]
    Fetch {
        /// The URL asked.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// Nothing usable could be gathered for the certificate.
    #[error("no usable revocation data: {0}")]
    NoEvidence(String),
}

fn malformed(e: impl std::fmt::Display) -> RevocationError {
    RevocationError::Malformed(e.to_string())
}

fn encoding(e: impl std::fmt::Display) -> RevocationError {
    RevocationError::Encoding(e.to_string())
}

/// Seconds since the epoch of a DER time (times before 1970 clamp to the epoch).
fn unix_time(t: der::DateTime) -> crate::time::UnixTime {
    crate::time::UnixTime::from_secs(t.unix_duration().as_secs())
}

/// Entry points for fuzzers; not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::time::UnixTime;

    /// Parses `data` as an OCSP response and exercises every accessor and check against
    /// a fixed certificate pair, ignoring errors.
    pub fn fuzz_ocsp_response(data: &[u8]) {
        let Ok(response) = super::OcspResponse::parse(data) else {
            return;
        };
        let _ = response.der();
        let _ = response.produced_at();
        let _ = response.nonce();
        let _ = response.responder();
        let _ = response.single_statuses();
        for cert in response.certificates() {
            let _ = response.verify_signer(cert, &[]);
            let _ = response.status_for(cert, cert);
            let check = super::OcspCheck::new(UnixTime::from_secs(1_700_000_000));
            let _ = response.verify(cert, cert, &check);
        }
    }

    /// Parses `data` as a CRL and exercises every accessor, ignoring errors.
    pub fn fuzz_crl(data: &[u8]) {
        let _ = super::Crl::from_pem(data);
        let Ok(crl) = super::Crl::parse(data) else {
            return;
        };
        let _ = crl.der();
        let _ = crl.issuer();
        let _ = crl.this_update();
        let _ = crl.next_update();
        let _ = crl.number();
        let _ = crl.check_current(UnixTime::from_secs(1_700_000_000), 0);
        for entry in crl.entries() {
            let _ = crl.lookup_serial(&entry.serial_hex);
        }
        let _ = crl.lookup_serial("zz");
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
