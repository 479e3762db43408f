//! Where revocation data comes from: the [`RevocationSource`] seam, gathering evidence, and
//! completing a chain from caIssuers.

use super::{Evidence, RevocationError, RevocationStatus, check_revocation};
use crate::error::Result;
use crate::time::UnixTime;
use crate::x509::Certificate;

/// Fetches revocation data and issuer certificates named in a certificate (transport only:
/// what comes back is judged by [`check_revocation`]).
///
/// ```
/// use cloudsign_core::revocation::{NoFetch, RevocationSource};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let cert = &pki.signer_ec.certificate;
/// assert_eq!(NoFetch.ocsp(cert, &pki.intermediate.certificate)?, None);
/// assert!(NoFetch.crls(cert)?.is_empty());
/// # Ok(()) }
/// ```
pub trait RevocationSource: Send + Sync + std::fmt::Debug {
    /// DER OCSPResponse for `cert` issued by `issuer`, from the responder named in cert's AIA;
    /// Ok(None) when the certificate names no OCSP responder.
    ///
    /// # Errors
    /// When a responder is named but no response could be had.
    fn ocsp(&self, cert: &Certificate, issuer: &Certificate) -> Result<Option<Vec<u8>>>;

    /// DER CRLs from the certificate's CRL distribution points (empty when it names none).
    ///
    /// # Errors
    /// When distribution points are named but no CRL could be had.
    fn crls(&self, cert: &Certificate) -> Result<Vec<Vec<u8>>>;

    /// DER issuer certificates from AIA caIssuers (empty when none).
    ///
    /// # Errors
    /// When caIssuers URLs are named but nothing could be had.
    fn ca_issuers(&self, cert: &Certificate) -> Result<Vec<Vec<u8>>>;
}

/// A [`RevocationSource`] that never fetches (offline): no OCSP, no CRLs, no issuers.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFetch;

impl RevocationSource for NoFetch {
    fn ocsp(&self, _cert: &Certificate, _issuer: &Certificate) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }

    fn crls(&self, _cert: &Certificate) -> Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }

    fn ca_issuers(&self, _cert: &Certificate) -> Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }
}

/// Revocation data gathered for one certificate, as raw DER for a DSS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gathered {
    /// DER OCSPResponses (at most one: the first usable).
    pub ocsp: Vec<Vec<u8>>,
    /// DER CRLs (only when no usable OCSP response was had).
    pub crls: Vec<Vec<u8>>,
}

/// Fetches what is needed to show `cert`'s status offline later: an OCSP response when the
/// responder gives a usable one, otherwise the CRLs. "Usable" means that
/// [`check_revocation`] gives a status other than unknown with it now; a revoked status is
/// usable evidence too.
///
/// # Errors
/// [`RevocationError::NoEvidence`] with each failure when nothing usable could be had.
///
/// ```
/// use cloudsign_core::revocation::{NoFetch, gather};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// assert!(gather(&NoFetch, &pki.signer_ec.certificate, &pki.intermediate.certificate).is_err());
/// # Ok(()) }
/// ```
pub fn gather(
    source: &dyn RevocationSource,
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<Gathered> {
    gather_at(source, cert, issuer, UnixTime::now())
}

/// [`gather`], judging usability as of `now` instead of the system clock (a fixed clock in
/// tests, or a responder whose clock runs elsewhere).
///
/// # Errors
/// As [`gather`].
///
/// ```
/// use cloudsign_core::revocation::{NoFetch, gather_at};
/// use cloudsign_core::time::UnixTime;
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let (cert, issuer) = (&pki.signer_ec.certificate, &pki.intermediate.certificate);
/// assert!(gather_at(&NoFetch, cert, issuer, UnixTime::now()).is_err());
/// # Ok(()) }
/// ```
pub fn gather_at(
    source: &dyn RevocationSource,
    cert: &Certificate,
    issuer: &Certificate,
    now: UnixTime,
) -> Result<Gathered> {
    let mut notes = Vec::new();
    match source.ocsp(cert, issuer) {
        Ok(Some(response)) => {
            let ocsp = vec![response];
            let evidence = Evidence {
                ocsp: &ocsp,
                ..Evidence::default()
            };
            match check_revocation(cert, issuer, &evidence, now) {
                RevocationStatus::Unknown { reason } => notes.push(reason),
                _ => {
                    return Ok(Gathered {
                        ocsp,
                        crls: Vec::new(),
                    });
                }
            }
        }
        Ok(None) => notes.push("the certificate names no OCSP responder".into()),
        Err(e) => notes.push(e.to_string()),
    }
    match source.crls(cert) {
        Ok(crls) if crls.is_empty() => {
            notes.push("the certificate names no CRL distribution point".into());
        }
        Ok(crls) => {
            let evidence = Evidence {
                crls: &crls,
                ..Evidence::default()
            };
            match check_revocation(cert, issuer, &evidence, now) {
                RevocationStatus::Unknown { reason } => notes.push(reason),
                _ => {
                    return Ok(Gathered {
                        ocsp: Vec::new(),
                        crls,
                    });
                }
            }
        }
        Err(e) => notes.push(e.to_string()),
    }
    Err(RevocationError::NoEvidence(format!("{}: {}", cert.subject(), notes.join("; "))).into())
}

/// Completes `cert`'s chain by following AIA caIssuers: starting from `cert`, finds each
/// issuer among `known` or else fetches it from `source`, checks that it signed the
/// certificate below, and stops at a self-issued certificate, at a certificate with no
/// caIssuers, or after `max_depth` issuers. Returns the issuers found, nearest first.
///
/// # Errors
/// A fetch error, or [`RevocationError::Malformed`] when what was fetched is not a
/// certificate that issued the one below.
///
/// ```
/// use cloudsign_core::revocation::{NoFetch, complete_chain};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let known = [pki.intermediate.certificate.clone(), pki.root.certificate.clone()];
/// let chain = complete_chain(&NoFetch, &pki.signer_ec.certificate, &known, 5)?;
/// assert_eq!(chain, known);
/// # Ok(()) }
/// ```
pub fn complete_chain(
    source: &dyn RevocationSource,
    cert: &Certificate,
    known: &[Certificate],
    max_depth: usize,
) -> Result<Vec<Certificate>> {
    let mut chain: Vec<Certificate> = Vec::new();
    let mut current = cert.clone();
    while chain.len() < max_depth && !current.is_self_issued() {
        let issued_by =
            |c: &Certificate| current.could_be_issued_by(c) && current.verify_issued_by(c).is_ok();
        let next = match known.iter().find(|c| issued_by(c)) {
            Some(found) => found.clone(),
            None => {
                let fetched = source.ca_issuers(&current)?;
                if fetched.is_empty() {
                    break;
                }
                let mut found = None;
                for der in &fetched {
                    let candidate = Certificate::from_der(der)?;
                    if issued_by(&candidate) {
                        found = Some(candidate);
                        break;
                    }
                }
                found.ok_or_else(|| {
                    RevocationError::Malformed(format!(
                        "caIssuers of {} gave no certificate that issued it",
                        current.subject()
                    ))
                })?
            }
        };
        chain.push(next.clone());
        current = next;
    }
    Ok(chain)
}
