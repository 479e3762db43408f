//! The CRLReason enumeration shared by CRL entries and OCSP revoked statuses.

use std::fmt;
use std::str::FromStr;

use x509_cert::ext::pkix::CrlReason;

use super::RevocationError;

/// Why a certificate was revoked (RFC 5280 §5.3.1).
///
/// ```text
/// CRLReason ::= ENUMERATED {
///      unspecified             (0),
///      keyCompromise           (1),
///      cACompromise            (2),
///      affiliationChanged      (3),
///      superseded              (4),
///      cessationOfOperation    (5),
///      certificateHold         (6),
///           -- value 7 is not used
///      removeFromCRL           (8),
///      privilegeWithdrawn      (9),
///      aACompromise           (10) }
/// ```
///
/// ```
/// use cloudsign_core::revocation::RevocationReason;
/// let reason: RevocationReason = "keyCompromise".parse().unwrap();
/// assert_eq!(reason, RevocationReason::KeyCompromise);
/// assert_eq!(reason.to_string(), "keyCompromise");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// aACompromise (10).
    AaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// cACompromise (2).
    CaCompromise,
    /// certificateHold (6).
    CertificateHold,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// keyCompromise (1).
    KeyCompromise,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// removeFromCRL (8).
    RemoveFromCrl,
    /// superseded (4).
    Superseded,
    /// unspecified (0).
    Unspecified,
}

const NAMES: [(RevocationReason, &str); 10] = [
    (RevocationReason::AaCompromise, "aACompromise"),
    (RevocationReason::AffiliationChanged, "affiliationChanged"),
    (RevocationReason::CaCompromise, "cACompromise"),
    (RevocationReason::CertificateHold, "certificateHold"),
    (
        RevocationReason::CessationOfOperation,
        "cessationOfOperation",
    ),
    (RevocationReason::KeyCompromise, "keyCompromise"),
    (RevocationReason::PrivilegeWithdrawn, "privilegeWithdrawn"),
    (RevocationReason::RemoveFromCrl, "removeFromCRL"),
    (RevocationReason::Superseded, "superseded"),
    (RevocationReason::Unspecified, "unspecified"),
];

impl RevocationReason {
    /// The ASN.1 name, e.g. `keyCompromise`.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("unspecified", |(_, n)| n)
    }

    pub(crate) fn from_asn1(reason: CrlReason) -> Self {
        match reason {
            CrlReason::Unspecified => Self::Unspecified,
            CrlReason::KeyCompromise => Self::KeyCompromise,
            CrlReason::CaCompromise => Self::CaCompromise,
            CrlReason::AffiliationChanged => Self::AffiliationChanged,
            CrlReason::Superseded => Self::Superseded,
            CrlReason::CessationOfOperation => Self::CessationOfOperation,
            CrlReason::CertificateHold => Self::CertificateHold,
            CrlReason::RemoveFromCRL => Self::RemoveFromCrl,
            CrlReason::PrivilegeWithdrawn => Self::PrivilegeWithdrawn,
            CrlReason::AaCompromise => Self::AaCompromise,
        }
    }

    pub(crate) fn to_asn1(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::CaCompromise => CrlReason::CaCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
            Self::CertificateHold => CrlReason::CertificateHold,
            Self::RemoveFromCrl => CrlReason::RemoveFromCRL,
            Self::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
            Self::AaCompromise => CrlReason::AaCompromise,
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RevocationReason {
    type Err = RevocationError;

    /// Parses the ASN.1 name, ignoring case (`keyCompromise`, `keycompromise`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(r, _)| *r)
            .ok_or_else(|| RevocationError::Malformed(format!("unknown revocation reason {s:?}")))
    }
}
