//! Revocation of the certificates in a validated path, judged from the document's DSS (and,
//! when allowed, from data fetched now), at the time that matters.

use super::report::{RevocationCheck, time_text};
use crate::pades::names_revocation_source;
use crate::revocation::{
    DEFAULT_SKEW_SECS, Evidence, EvidenceTime, RevocationSource, RevocationStatus,
    check_revocation_of_issued, gather,
};
use crate::time::UnixTime;
use crate::x509::Certificate;

/// Validation data available to the validator.
#[derive(Debug, Default)]
pub(super) struct Store {
    pub(super) certificates: Vec<Certificate>,
    pub(super) ocsp: Vec<Vec<u8>>,
    pub(super) crls: Vec<Vec<u8>>,
}

/// The outcome for a whole path.
#[derive(Debug, Default)]
pub(super) struct PathRevocation {
    pub(super) checks: Vec<RevocationCheck>,
    /// A certificate was revoked at or before the time of interest.
    pub(super) revoked: Option<String>,
    /// A certificate's status could not be established.
    pub(super) unknown: Option<String>,
    /// Every status rests on data from the document.
    pub(super) from_document: bool,
}

/// Checks every certificate of `path` (leaf first, anchor last; the anchor is trusted as
/// configured; a path that `x509::validate_path` returned, so each certificate's issuance
/// is already verified) that names where its status is published, or whose status the evidence at
/// hand shows anyway. A status is sought for `time` (the proven time of use): evidence
/// current then, or issued later while the certificate was valid, since a "not revoked"
/// issued later also shows the certificate was not revoked at `time`
/// ([`EvidenceTime::IssuedLater`]). A revocation dated after `time` does not invalidate what
/// was proven to exist before it.
pub(super) fn check_path(
    path: &[Certificate],
    time: UnixTime,
    store: &Store,
    fetch: Option<&dyn RevocationSource>,
) -> PathRevocation {
    let mut out = PathRevocation {
        from_document: true,
        ..PathRevocation::default()
    };
    for pair in path.windows(2) {
        let [cert, issuer] = pair else { continue };
        let evidence = Evidence {
            ocsp: &store.ocsp,
            crls: &store.crls,
            certificates: &store.certificates,
        };
        let mut origin = "DSS";
        let mut status = judge(cert, issuer, &evidence, time);
        let named = names_revocation_source(cert);
        if !named && matches!(status, RevocationStatus::Unknown { .. }) {
            // Nobody publishes its status, and none was stored: nothing can be asked of it.
            continue;
        }
        if let (true, RevocationStatus::Unknown { .. }, Some(source)) = (named, &status, fetch) {
            if let Ok(found) = gather(source, cert, issuer) {
                let fetched = Evidence {
                    ocsp: &found.ocsp,
                    crls: &found.crls,
                    certificates: &store.certificates,
                };
                origin = "fetched";
                status = judge(cert, issuer, &fetched, time);
                out.from_document = false;
            }
        }
        let subject = cert.subject();
        match &status {
            RevocationStatus::Revoked { revoked_at, .. } if *revoked_at <= time => {
                out.revoked.get_or_insert(format!(
                    "certificate {subject} was revoked at {}, before {}",
                    time_text(*revoked_at),
                    time_text(time)
                ));
            }
            RevocationStatus::Unknown { reason } => {
                out.unknown
                    .get_or_insert(format!("no usable revocation data for {subject}: {reason}"));
            }
            _ => {}
        }
        out.checks.push(RevocationCheck {
            certificate: subject,
            serial: cert.serial_hex(),
            time: time_text(time),
            origin: origin.to_owned(),
            status,
        });
    }
    out
}

/// The status of `cert`, issued by `issuer` in a validated path.
fn judge(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    time: UnixTime,
) -> RevocationStatus {
    check_revocation_of_issued(
        cert,
        issuer,
        evidence,
        time,
        DEFAULT_SKEW_SECS,
        EvidenceTime::IssuedLater,
    )
}
