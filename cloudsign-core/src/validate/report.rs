//! The validation report: per signature, an ETSI EN 319 102-1 indication with the evidence
//! behind it. Serialises to JSON with a schema version.

use serde::Serialize;

use crate::revocation::RevocationStatus;
use crate::time::UnixTime;
use crate::x509::Certificate;

/// Version of the JSON report layout; raised on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Main status indication (ETSI EN 319 102-1 §5.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    /// Every check passed.
    Passed,
    /// The checks could not conclude (e.g. no path to a trust anchor).
    Indeterminate,
    /// A check failed: the signature is not valid.
    Failed,
}

/// Sub-indications (ETSI EN 319 102-1 §5.1.3, Table 6), plus one for PDF modification
/// analysis, which the standard leaves to the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signature is not well formed (ByteRange, CMS structure, attributes).
    FormatFailure,
    /// The signed data does not match the message digest.
    HashFailure,
    /// The signature value does not verify with the signer's public key.
    SigCryptoFailure,
    /// No certificate path from the signer to a trust anchor.
    NoCertificateChainFound,
    /// The signing certificate could not be identified (signing-certificate-v2 mismatch).
    NoSigningCertificateFound,
    /// A certificate in the path was expired at validation time and there is no proof of
    /// existence of the signature before that.
    OutOfBoundsNoPoe,
    /// A certificate in the path was not yet valid at validation time.
    NotYetValid,
    /// The path violates constraints (basicConstraints, keyUsage, a bad certificate signature).
    ChainConstraintsFailure,
    /// An algorithm is forbidden or unsupported (e.g. SHA-1).
    CryptoConstraintsFailure,
    /// Extension: a timestamp does not check out (not over this data, bad token, or no path
    /// from the authority to a trust anchor).
    TimestampFailure,
    /// A certificate in the path was revoked before the time the signature is proven to have
    /// existed.
    Revoked,
    /// Revocation status information is not available (none in the document, none fetched).
    TryLater,
    /// Extension: the document was modified after signing in a way the signature does not
    /// permit (content changed, or DocMDP permissions exceeded).
    DisallowedModification,
}

/// How much of the file a signature covers (after pyHanko's coverage levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Coverage {
    /// The whole file.
    EntireFile,
    /// A whole revision; later revisions follow.
    EntireRevision,
    /// Something else: the signature does not end at a revision boundary.
    Unclear,
}

/// What later revisions changed relative to the signed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModificationLevel {
    /// No later revisions.
    None,
    /// Later revisions only add signatures, their fields and form bookkeeping.
    SignaturesOnly,
    /// Later revisions change content or exceed the certification's permissions.
    Disallowed,
}

/// Changes made after a signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Modifications {
    /// Revisions after the signed one.
    pub later_revisions: usize,
    /// The classification.
    pub level: ModificationLevel,
    /// Human-readable description of each disallowed change.
    pub disallowed: Vec<String>,
}

/// A certificate as shown in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// SHA-256 fingerprint, hex.
    pub sha256: String,
}

impl From<&Certificate> for CertificateSummary {
    fn from(c: &Certificate) -> Self {
        Self {
            subject: c.subject(),
            issuer: c.issuer(),
            serial: c.serial_hex(),
            not_before: c.not_before().to_rfc3339(),
            not_after: c.not_after().to_rfc3339(),
            sha256: c.fingerprint_sha256(),
        }
    }
}

/// What a signature field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignatureKind {
    /// A signature (CAdES or PKCS#7 detached).
    Signature,
    /// A document timestamp (RFC 3161 token over the document).
    DocumentTimestamp,
}

/// One RFC 3161 timestamp and how it checked out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// The time the authority asserts (genTime), RFC 3339.
    pub time: Option<String>,
    /// The authority's signing certificate.
    pub tsa: Option<CertificateSummary>,
    /// The authority's policy OID.
    pub policy: Option<String>,
    /// The token's serial number, hex.
    pub serial: Option<String>,
    /// The token is over the data it claims to timestamp.
    pub imprint_ok: bool,
    /// The token's signature, ESS binding and the TSA certificate's purpose check out.
    pub signature_ok: bool,
    /// The authority's certification path, TSA first, trust anchor last.
    pub chain: Vec<CertificateSummary>,
    /// Passed when all of the above hold and the path reaches a trust anchor.
    pub indication: Indication,
    /// Revocation status of the authority's certificates that publish one.
    pub revocation: Vec<RevocationCheck>,
    /// What went wrong, if anything.
    pub findings: Vec<String>,
}

/// The revocation status of one certificate and the data it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevocationCheck {
    /// Subject of the certificate.
    pub certificate: String,
    /// Its serial number, hex.
    pub serial: String,
    /// The time the status was sought for, RFC 3339.
    pub time: String,
    /// Where the data came from: `DSS` (the document) or `fetched`.
    pub origin: String,
    /// The status, with the OCSP response or CRL it rests on.
    pub status: RevocationStatus,
}

/// The integrity checks of one signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Integrity {
    /// `/ByteRange` has the required shape: starts at 0, two ranges, the gap is exactly the
    /// `/Contents` string, and it ends at a revision's end.
    pub byte_range_ok: bool,
    /// The covered bytes hash to the CMS message-digest.
    pub digest_ok: bool,
    /// The CMS signature verifies over the signed attributes as found.
    pub signature_ok: bool,
    /// signing-certificate(-v2) names the signer's certificate (`None`: attribute absent).
    pub signing_certificate_ok: Option<bool>,
}

/// Everything known about one signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// Fully qualified field name.
    pub field: String,
    /// Signature or document timestamp.
    pub kind: SignatureKind,
    /// The verdict.
    pub indication: Indication,
    /// Why, when not passed.
    pub sub_indication: Option<SubIndication>,
    /// `/SubFilter`.
    pub sub_filter: Option<String>,
    /// Detected PAdES level (e.g. `B-B`), or `None` for a non-PAdES signature.
    pub level: Option<String>,
    /// `/ByteRange` values.
    pub byte_range: Option<[u64; 4]>,
    /// Which revision (0-based) the signature covers.
    pub revision: Option<usize>,
    /// How much of the file is covered.
    pub coverage: Coverage,
    /// Integrity checks.
    pub integrity: Integrity,
    /// Digest algorithm of the CMS.
    pub digest_algorithm: Option<String>,
    /// Signature algorithm of the CMS.
    pub signature_algorithm: Option<String>,
    /// The signer's certificate.
    pub signer: Option<CertificateSummary>,
    /// The certification path, signer first, trust anchor last (empty if none was found).
    pub chain: Vec<CertificateSummary>,
    /// The time the path was validated at.
    pub validation_time: String,
    /// Claimed signing time (`/M`); not proof of time.
    pub claimed_signing_time: Option<String>,
    /// The time the signature is proven to have existed at (a valid signature timestamp,
    /// or the document timestamp's own time).
    pub proven_time: Option<String>,
    /// Signature timestamps (for a signature) or the token itself (for a document
    /// timestamp).
    pub timestamps: Vec<TimestampReport>,
    /// DocMDP level, for a certification signature.
    pub certification: Option<i64>,
    /// Changes after this signature.
    pub modifications: Modifications,
    /// Revocation status of the signer's path (for a document timestamp: the authority's).
    pub revocation: Vec<RevocationCheck>,
    /// What each conclusion rests on: the proof of time, the validation data, the archive
    /// timestamps.
    pub evidence: Vec<String>,
    /// Everything worth telling, in plain words, most important first.
    pub findings: Vec<String>,
}

impl SignatureReport {
    /// Whether this signature passed.
    pub fn passed(&self) -> bool {
        self.indication == Indication::Passed
    }

    /// Every revocation check: of the signer's path and of its timestamps' authorities.
    pub fn revocation_checks(&self) -> impl Iterator<Item = &RevocationCheck> {
        self.revocation
            .iter()
            .chain(self.timestamps.iter().flat_map(|t| t.revocation.iter()))
    }
}

/// The result of validating one PDF.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Number of revisions.
    pub revisions: usize,
    /// One entry per signature, in field order.
    pub signatures: Vec<SignatureReport>,
    /// Findings about the document as a whole.
    pub findings: Vec<String>,
    /// Things that do not change the verdict but that a reader should know (for example
    /// validation data added after a certification that permits no changes).
    pub warnings: Vec<String>,
}

impl ValidationReport {
    /// True when the document has at least one signature and every signature passed.
    pub fn passed(&self) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(SignatureReport::passed)
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// When a report says "now".
pub(crate) fn time_text(t: UnixTime) -> String {
    t.to_rfc3339()
}
