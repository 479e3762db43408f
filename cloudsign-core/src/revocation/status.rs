//! Judging a certificate's revocation status from evidence at hand, without I/O.

use super::{Crl, DEFAULT_SKEW_SECS, OcspCertStatus, OcspCheck, OcspResponse};
use crate::time::UnixTime;
use crate::x509::Certificate;

/// Revocation evidence already at hand: DER OCSP responses and CRLs (from a DSS, a CMS
/// signature or a fetch), and certificates that may include a delegated OCSP responder's.
#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence<'a> {
    /// DER `OCSPResponse`s.
    pub ocsp: &'a [Vec<u8>],
    /// DER CRLs.
    pub crls: &'a [Vec<u8>],
    /// Further certificates (delegated OCSP responders).
    pub certificates: &'a [Certificate],
}

/// Which piece of evidence a status rests on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvidenceSource {
    /// A CRL issued at `this_update` by `issuer`.
    Crl {
        /// The CRL's thisUpdate.
        this_update: UnixTime,
        /// The CRL issuer's name, RFC 4514 style.
        issuer: String,
    },
    /// An OCSP response signed at `produced_at` by `responder`.
    Ocsp {
        /// The response's producedAt.
        produced_at: UnixTime,
        /// The signer's subject, RFC 4514 style.
        responder: String,
    },
}

/// A certificate's revocation status as the evidence shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Verified evidence, current at the time of interest, says the certificate is not
    /// revoked.
    Good {
        /// The evidence.
        source: EvidenceSource,
    },
    /// Verified evidence says the certificate was revoked at `revoked_at` (which may lie
    /// after the time of interest: compare).
    Revoked {
        /// The revocation time.
        revoked_at: UnixTime,
        /// The reason, when stated (`keyCompromise`, ...).
        reason: Option<String>,
        /// The evidence.
        source: EvidenceSource,
    },
    /// No usable evidence: none given, stale, badly signed, or not about this certificate.
    Unknown {
        /// Why each piece of evidence was not usable.
        reason: String,
    },
}

/// The revocation status of `cert` (issued by `issuer`) at `at`, from `evidence` alone.
///
/// `issuer` must have signed `cert`. OCSP responses must verify as [`OcspResponse::verify`]
/// describes; CRLs must be issued and signed by `issuer` ([`Crl::verify`]). A verified revocation wins over any good status,
/// whatever its time; a good status needs evidence current at `at` within
/// [`DEFAULT_SKEW_SECS`]. Nothing usable gives [`RevocationStatus::Unknown`] with the reasons.
///
/// ```
/// use cloudsign_core::revocation::{Evidence, RevocationStatus, check_revocation};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let status = check_revocation(
///     &pki.signer_ec.certificate,
///     &pki.intermediate.certificate,
///     &Evidence::default(),
///     cloudsign_core::time::UnixTime::now(),
/// );
/// assert!(matches!(status, RevocationStatus::Unknown { .. }));
/// # Ok(()) }
/// ```
pub fn check_revocation(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    at: UnixTime,
) -> RevocationStatus {
    check_revocation_with_skew(cert, issuer, evidence, at, DEFAULT_SKEW_SECS)
}

/// [`check_revocation`] with `skew_secs` of tolerated clock difference.
pub fn check_revocation_with_skew(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    at: UnixTime,
    skew_secs: u64,
) -> RevocationStatus {
    check_revocation_with(cert, issuer, evidence, at, skew_secs, EvidenceTime::Current)
}

/// Which evidence may speak for the time of interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvidenceTime {
    /// Only evidence current at the time of interest: thisUpdate − skew ≤ `at` ≤
    /// nextUpdate + skew.
    #[default]
    Current,
    /// Also evidence issued later, while the certificate was still valid (`at` ≤
    /// thisUpdate + skew and thisUpdate ≤ notAfter). Revocation is final (certificateHold
    /// aside), so a "good" status issued later shows the certificate was not revoked at
    /// `at` either; this is how validation data added after signing (`ltv add` run days
    /// later) speaks for the time a timestamp proves (past signature validation, ETSI EN
    /// 319 102-1). Evidence issued after notAfter is not taken: a CRL may drop expired
    /// certificates.
    IssuedLater,
}

impl EvidenceTime {
    /// Whether evidence issued at `this_update` may speak for `at` about `cert`, beyond
    /// being current at `at`.
    fn accepts_later(
        self,
        cert: &Certificate,
        this_update: UnixTime,
        at: UnixTime,
        skew_secs: u64,
    ) -> bool {
        self == Self::IssuedLater
            && this_update.plus_secs(skew_secs) >= at
            && this_update <= cert.not_after()
    }
}

/// [`check_revocation_with_skew`], with `when` saying whether evidence issued after `at`
/// counts ([`EvidenceTime::IssuedLater`]) or only evidence current at `at`.
///
/// ```
/// use cloudsign_core::revocation::{
///     CrlIssuer, DEFAULT_SKEW_SECS, Evidence, EvidenceTime, RevocationStatus,
///     check_revocation_with,
/// };
/// use cloudsign_core::time::UnixTime;
/// # fn main() -> cloudsign_core::error::Result<()> {
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let crl = CrlIssuer::new(pki.intermediate.signer()?)?.issue()?; // issued now
/// let crls = [crl];
/// let evidence = Evidence { crls: &crls, ..Evidence::default() };
/// let (cert, issuer) = (&pki.signer_ec.certificate, &pki.intermediate.certificate);
/// let signed_at = UnixTime::now().minus_secs(86_400); // what a timestamp proves
/// let judge = |when| {
///     check_revocation_with(cert, issuer, &evidence, signed_at, DEFAULT_SKEW_SECS, when)
/// };
/// assert!(matches!(judge(EvidenceTime::Current), RevocationStatus::Unknown { .. }));
/// assert!(matches!(judge(EvidenceTime::IssuedLater), RevocationStatus::Good { .. }));
/// # Ok(()) }
/// ```
pub fn check_revocation_with(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    at: UnixTime,
    skew_secs: u64,
    when: EvidenceTime,
) -> RevocationStatus {
    // Evidence about `issuer`'s certificates says nothing about a certificate it did not
    // issue, however well it verifies.
    if !cert.could_be_issued_by(issuer) || cert.verify_issued_by(issuer).is_err() {
        return RevocationStatus::Unknown {
            reason: format!("{} did not issue {}", issuer.subject(), cert.subject()),
        };
    }
    check_revocation_of_issued(cert, issuer, evidence, at, skew_secs, when)
}

/// [`check_revocation_with`] for a `cert` already known to be issued by `issuer`: a pair of
/// a validated certificate path, whose signature the path validation verified. (Verifying it
/// again is a public-key operation per certificate, a good part of a small document's
/// validation.)
pub(crate) fn check_revocation_of_issued(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    at: UnixTime,
    skew_secs: u64,
    when: EvidenceTime,
) -> RevocationStatus {
    let mut notes = Vec::new();
    let mut good = None;
    for der in evidence.ocsp {
        let verified = OcspResponse::parse(der).and_then(|response| {
            // A response issued later is checked as of its own thisUpdate.
            let check_at = match response.status_for(cert, issuer) {
                Ok(single) if when.accepts_later(cert, single.this_update, at, skew_secs) => {
                    single.this_update
                }
                _ => at,
            };
            let check = OcspCheck::new(check_at)
                .skew_secs(skew_secs)
                .certificates(evidence.certificates);
            let (signer, single) = response.verify_with_signer(cert, issuer, &check)?;
            Ok((response, signer, single))
        });
        let (response, signer, single) = match verified {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("OCSP response: {e}"));
                continue;
            }
        };
        let source = EvidenceSource::Ocsp {
            produced_at: response.produced_at(),
            responder: signer.subject(),
        };
        match single.status {
            OcspCertStatus::Revoked { revoked_at, reason } => {
                return RevocationStatus::Revoked {
                    revoked_at,
                    reason: reason.map(|r| r.to_string()),
                    source,
                };
            }
            OcspCertStatus::Good => {
                good.get_or_insert(source);
            }
            OcspCertStatus::Unknown => notes.push(format!(
                "OCSP response: {} does not know the certificate",
                signer.subject()
            )),
        }
    }
    for der in evidence.crls {
        let crl = match Crl::parse(der).and_then(|crl| crl.verify(issuer).map(|()| crl)) {
            Ok(crl) => crl,
            Err(e) => {
                notes.push(format!("CRL: {e}"));
                continue;
            }
        };
        let source = EvidenceSource::Crl {
            this_update: crl.this_update(),
            issuer: crl.issuer(),
        };
        if let Some(entry) = crl.lookup(cert) {
            return RevocationStatus::Revoked {
                revoked_at: entry.revoked_at,
                reason: entry.reason.map(|r| r.to_string()),
                source,
            };
        }
        match crl.check_current(at, skew_secs) {
            Ok(()) => {
                good.get_or_insert(source);
            }
            Err(_) if when.accepts_later(cert, crl.this_update(), at, skew_secs) => {
                good.get_or_insert(source);
            }
            Err(e) => notes.push(format!("CRL: {e}")),
        }
    }
    match good {
        Some(source) => RevocationStatus::Good { source },
        None if notes.is_empty() => RevocationStatus::Unknown {
            reason: "no OCSP response or CRL for the certificate".into(),
        },
        None => RevocationStatus::Unknown {
            reason: notes.join("; "),
        },
    }
}
