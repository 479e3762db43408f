//! Revocation of the certificates in a validated path, judged from the document's DSS (and,
//! when allowed, from data fetched now), at the time that matters.

use super::report::{RevocationCheck, time_text};
use crate::pades::names_revocation_source;
use crate::revocation::{Evidence, RevocationSource, RevocationStatus, check_revocation, gather};
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
/// configured) that names where its status is published. A status is sought at `time` (the
/// proven time of use), then at `now`: evidence current at a later time that says "not
/// revoked" also shows the certificate was not revoked at `time`. A revocation dated after
/// `time` does not invalidate what was proven to exist before it.
pub(super) fn check_path(
    path: &[Certificate],
    time: UnixTime,
    now: UnixTime,
    store: &Store,
    fetch: Option<&dyn RevocationSource>,
) -> PathRevocation {
    let mut out = PathRevocation {
        from_document: true,
        ..PathRevocation::default()
    };
    for pair in path.windows(2) {
        let [cert, issuer] = pair else { continue };
        if !names_revocation_source(cert) {
            continue;
        }
        let evidence = Evidence {
            ocsp: &store.ocsp,
            crls: &store.crls,
            certificates: &store.certificates,
        };
        let mut origin = "DSS";
        let mut status = judge(cert, issuer, &evidence, time, now);
        if let (RevocationStatus::Unknown { .. }, Some(source)) = (&status, fetch) {
            if let Ok(found) = gather(source, cert, issuer) {
                let fetched = Evidence {
                    ocsp: &found.ocsp,
                    crls: &found.crls,
                    certificates: &store.certificates,
                };
                origin = "fetched";
                status = judge(cert, issuer, &fetched, time, now);
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

fn judge(
    cert: &Certificate,
    issuer: &Certificate,
    evidence: &Evidence<'_>,
    time: UnixTime,
    now: UnixTime,
) -> RevocationStatus {
    let at_time = check_revocation(cert, issuer, evidence, time);
    match at_time {
        RevocationStatus::Unknown { .. } if now > time => {
            match check_revocation(cert, issuer, evidence, now) {
                RevocationStatus::Unknown { .. } => at_time,
                later => later,
            }
        }
        other => other,
    }
}
