//! Certification path building and validation (a subset of RFC 5280 §6 sufficient for
//! document signatures: no policy processing, no name constraints).

use super::{Certificate, TrustStore};
use crate::crypto::oid;
use crate::limits::Limits;
use crate::time::UnixTime;

/// Longest path we build: deep enough for any real hierarchy, short enough to stop loops.
const MAX_DEPTH: usize = 12;

/// A validated certification path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPath {
    /// Leaf first, trust anchor last.
    pub certificates: Vec<Certificate>,
}

impl CertPath {
    /// The trust anchor ending the path.
    pub fn anchor(&self) -> Option<&Certificate> {
        self.certificates.last()
    }
}

/// Why no valid path from a leaf to a trust anchor exists.
///
/// When several candidate paths reach an anchor but all fail, the failure of the first one
/// found is reported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[non_exhaustive]
pub enum PathFailure {
    /// No chain of issuers leads to a certificate in the trust store.
    #[error("no path to a trust anchor")]
    NoPathToTrustAnchor,
    /// A certificate had expired at the validation time.
    #[error("certificate {subject} expired at {}", not_after.to_rfc3339())]
    Expired {
        /// Subject of the expired certificate.
        subject: String,
        /// Its notAfter.
        not_after: UnixTime,
    },
    /// A certificate was not yet valid at the validation time.
    #[error("certificate {subject} not valid before {}", not_before.to_rfc3339())]
    NotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its notBefore.
        not_before: UnixTime,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("signature on certificate {subject} does not verify")]
    BadSignature {
        /// Subject of the certificate whose signature failed.
        subject: String,
    },
    /// A certificate is signed with an algorithm we refuse or do not know (e.g. SHA-1).
    #[error("certificate {subject} uses an unacceptable algorithm: {reason}")]
    UnacceptableAlgorithm {
        /// Subject of the certificate.
        subject: String,
        /// What was refused.
        reason: String,
    },
    /// An issuer is not a CA (basicConstraints cA false or absent, or no keyCertSign).
    #[error("certificate {subject} is not a CA but issued another certificate")]
    NotCa {
        /// Subject of the offending issuer.
        subject: String,
    },
    /// A pathLenConstraint was violated.
    #[error("path length constraint violated")]
    PathLength,
    /// A certificate carries a critical extension we do not process.
    #[error("certificate {subject} has unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// Subject of the certificate.
        subject: String,
        /// Dotted OID of the extension.
        oid: String,
    },
    /// Path building tried more candidates than [`Limits::max_path_candidates`].
    #[error("path building budget exhausted")]
    BudgetExhausted,
}

/// Builds and validates a path from `leaf` to an anchor of `store`, at time `at`.
///
/// Paths are built from names and key identifiers, trying alternatives depth first
/// (anchors before other candidates); each complete path is then validated: every signature
/// with its issuer's key, every certificate (anchor included) valid at `at`, issuers with
/// basicConstraints cA and (when keyUsage is present) keyCertSign, pathLenConstraint, and
/// no unknown critical extension. Trying an issuer candidate costs one unit of
/// `limits.max_path_candidates`.
pub fn validate_path(
    leaf: &Certificate,
    candidates: &[Certificate],
    store: &TrustStore,
    at: UnixTime,
    limits: &Limits,
) -> Result<CertPath, PathFailure> {
    let mut search = Search {
        candidates,
        store,
        at,
        budget: limits.max_path_candidates,
        first_failure: None,
    };
    let mut path = vec![leaf.clone()];
    if let Some(found) = search.extend(&mut path)? {
        return Ok(found);
    }
    Err(search
        .first_failure
        .unwrap_or(PathFailure::NoPathToTrustAnchor))
}

struct Search<'a> {
    candidates: &'a [Certificate],
    store: &'a TrustStore,
    at: UnixTime,
    budget: usize,
    first_failure: Option<PathFailure>,
}

impl Search<'_> {
    /// Depth-first extension of `path`; `Ok(None)` when no extension validates.
    fn extend(&mut self, path: &mut Vec<Certificate>) -> Result<Option<CertPath>, PathFailure> {
        let Some(last) = path.last().cloned() else {
            return Ok(None);
        };
        if self.store.contains(&last) {
            return Ok(self.complete(path));
        }
        if path.len() >= MAX_DEPTH {
            return Ok(None);
        }
        let anchors = self.store.anchors().iter();
        let others = self.candidates.iter().filter(|c| !self.store.contains(c));
        for issuer in anchors.chain(others) {
            if path.contains(issuer) || !last.could_be_issued_by(issuer) {
                continue;
            }
            self.budget = self
                .budget
                .checked_sub(1)
                .ok_or(PathFailure::BudgetExhausted)?;
            path.push(issuer.clone());
            let found = self.extend(path)?;
            path.pop();
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn complete(&mut self, path: &[Certificate]) -> Option<CertPath> {
        match check_path(path, self.at) {
            Ok(()) => Some(CertPath {
                certificates: path.to_vec(),
            }),
            Err(f) => {
                self.first_failure.get_or_insert(f);
                None
            }
        }
    }
}

/// Extensions whose criticality we honour by processing them.
const UNDERSTOOD: [der::asn1::ObjectIdentifier; 7] = [
    oid::KEY_USAGE,
    oid::BASIC_CONSTRAINTS,
    oid::EXT_KEY_USAGE,
    oid::SUBJECT_KEY_IDENTIFIER,
    oid::AUTHORITY_KEY_IDENTIFIER,
    oid::SUBJECT_ALT_NAME,
    oid::CERTIFICATE_POLICIES,
];

/// Validates a complete path, leaf first, anchor last.
fn check_path(path: &[Certificate], at: UnixTime) -> Result<(), PathFailure> {
    for (i, cert) in path.iter().enumerate() {
        let subject = cert.subject();
        for crit in cert.critical_extensions() {
            if !UNDERSTOOD.iter().any(|o| o.to_string() == *crit) {
                return Err(PathFailure::UnsupportedCriticalExtension {
                    subject,
                    oid: crit.clone(),
                });
            }
        }
        if at < cert.not_before() {
            return Err(PathFailure::NotYetValid {
                subject,
                not_before: cert.not_before(),
            });
        }
        if at > cert.not_after() {
            return Err(PathFailure::Expired {
                subject,
                not_after: cert.not_after(),
            });
        }
        let Some(issuer) = path.get(i + 1) else {
            // The anchor is trusted as configured; its self-signature proves nothing.
            break;
        };
        check_issuer(issuer, i + 1 == path.len() - 1)?;
        cert.verify_issued_by(issuer).map_err(|e| match e {
            crate::crypto::CryptoError::BadSignature => PathFailure::BadSignature {
                subject: subject.clone(),
            },
            other => PathFailure::UnacceptableAlgorithm {
                subject: subject.clone(),
                reason: other.to_string(),
            },
        })?;
        // pathLenConstraint counts the non-self-issued intermediates below this issuer.
        if let Some((_, Some(max))) = issuer.basic_constraints() {
            let below = path[1..=i].iter().filter(|c| !c.is_self_issued()).count();
            if below > usize::from(max) {
                return Err(PathFailure::PathLength);
            }
        }
    }
    Ok(())
}

fn check_issuer(issuer: &Certificate, is_anchor: bool) -> Result<(), PathFailure> {
    let not_ca = || PathFailure::NotCa {
        subject: issuer.subject(),
    };
    match issuer.basic_constraints() {
        Some((true, _)) => {}
        // Old v1 roots carry no extensions; an anchor is trusted by configuration.
        None if is_anchor => {}
        _ => return Err(not_ca()),
    }
    if issuer.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
        return Err(not_ca());
    }
    Ok(())
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
mod tests;
