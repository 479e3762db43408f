//! Certificates, trust stores and certification path validation.
//!
//! A [`Certificate`] keeps the DER exactly as received next to the parsed view, so that
//! fingerprints, CMS embedding and signature checks always use the original bytes.

mod path;

pub use path::{CertPath, PathFailure, validate_path};

use std::fmt;

use der::{Decode, Encode};

use crate::crypto::oid;
use crate::error::Result;
use crate::time::UnixTime;

/// A certificate that cannot be parsed or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a DER or PEM X.509 certificate.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// The PEM input holds no CERTIFICATE block.
    #[error("no CERTIFICATE block in PEM input")]
    NoPemCertificate,
    /// An extension appears twice (RFC 5280 §4.2 forbids it).
    #[error("duplicate extension {0}")]
    DuplicateExtension(String),
}

/// The keyUsage extension (RFC 5280 §4.2.1.3) as plain flags.
///
/// ```text
/// KeyUsage ::= BIT STRING {
///      digitalSignature        (0),
///      nonRepudiation          (1), -- recent editions of X.509 have
///                                   -- renamed this bit to contentCommitment
///      keyEncipherment         (2),
///      dataEncipherment        (3),
///      keyAgreement            (4),
///      keyCertSign             (5),
///      cRLSign                 (6),
///      encipherOnly            (7),
///      decipherOnly            (8) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[allow(clippy::struct_excessive_bools)]
pub struct KeyUsage {
    /// digitalSignature (0).
    pub digital_signature: bool,
    /// nonRepudiation / contentCommitment (1).
    pub non_repudiation: bool,
    /// keyEncipherment (2).
    pub key_encipherment: bool,
    /// dataEncipherment (3).
    pub data_encipherment: bool,
    /// keyAgreement (4).
    pub key_agreement: bool,
    /// keyCertSign (5).
    pub key_cert_sign: bool,
    /// cRLSign (6).
    pub crl_sign: bool,
    /// encipherOnly (7).
    pub encipher_only: bool,
    /// decipherOnly (8).
    pub decipher_only: bool,
}

impl KeyUsage {
    fn from_ext(ku: &x509_cert::ext::pkix::KeyUsage) -> Self {
        Self {
            digital_signature: ku.digital_signature(),
            non_repudiation: ku.non_repudiation(),
            key_encipherment: ku.key_encipherment(),
            data_encipherment: ku.data_encipherment(),
            key_agreement: ku.key_agreement(),
            key_cert_sign: ku.key_cert_sign(),
            crl_sign: ku.crl_sign(),
            encipher_only: ku.encipher_only(),
            decipher_only: ku.decipher_only(),
        }
    }
}

/// Extensions decoded once at parse time, so that accessors cannot fail later.
#[derive(Clone, Debug, Default)]
struct Extensions {
    key_usage: Option<KeyUsage>,
    basic_constraints: Option<(bool, Option<u8>)>,
    extended_key_usage: Option<(bool, Vec<String>)>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    ocsp_urls: Vec<String>,
    ca_issuers_urls: Vec<String>,
    crl_urls: Vec<String>,
    critical: Vec<String>,
}

/// An X.509 certificate: the DER as received plus the parsed view.
///
/// ```
/// use cloudsign_core::x509::Certificate;
/// assert!(Certificate::from_der(b"\x30\x00").is_err());
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    inner: x509_cert::Certificate,
    ext: Extensions,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("serial", &self.serial_hex())
            .finish_non_exhaustive()
    }
}

fn malformed(e: impl fmt::Display) -> CertificateError {
    CertificateError::Malformed(e.to_string())
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let inner = x509_cert::Certificate::from_der(der).map_err(malformed)?;
        let ext = parse_extensions(&inner)?;
        Ok(Self {
            der: der.to_vec(),
            inner,
            ext,
        })
    }

    /// Parses the first `CERTIFICATE` block of PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let der = pem_blocks(pem, "CERTIFICATE")
            .next()
            .ok_or(CertificateError::NoPemCertificate)??;
        Self::from_der(&der)
    }

    /// The DER encoding exactly as parsed.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text with a `CERTIFICATE` label and LF line endings.
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }

    /// The subject name, RFC 4514 style (most specific RDN first), e.g. `CN=Alice,O=Example`.
    pub fn subject(&self) -> String {
        self.inner.tbs_certificate.subject.to_string()
    }

    /// The issuer name, RFC 4514 style.
    pub fn issuer(&self) -> String {
        self.inner.tbs_certificate.issuer.to_string()
    }

    /// The serial number as lowercase hex of its DER content octets.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.inner.tbs_certificate.serial_number.as_bytes())
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> UnixTime {
        UnixTime::from_secs(
            self.inner
                .tbs_certificate
                .validity
                .not_before
                .to_unix_duration()
                .as_secs(),
        )
    }

    /// End of the validity period (inclusive).
    pub fn not_after(&self) -> UnixTime {
        UnixTime::from_secs(
            self.inner
                .tbs_certificate
                .validity
                .not_after
                .to_unix_duration()
                .as_secs(),
        )
    }

    /// Whether `at` lies within the validity period.
    pub fn is_valid_at(&self, at: UnixTime) -> bool {
        self.not_before() <= at && at <= self.not_after()
    }

    /// SHA-256 of the DER, lowercase hex.
    pub fn fingerprint_sha256(&self) -> String {
        hex::encode(crate::crypto::DigestAlgorithm::Sha256.digest(&self.der))
    }

    /// Whether issuer and subject names are equal (a self-signed root, or a key rollover
    /// certificate).
    pub fn is_self_issued(&self) -> bool {
        self.inner.tbs_certificate.issuer == self.inner.tbs_certificate.subject
    }

    /// The keyUsage extension, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.ext.key_usage
    }

    /// basicConstraints as `(cA, pathLenConstraint)`, if present.
    pub fn basic_constraints(&self) -> Option<(bool, Option<u8>)> {
        self.ext.basic_constraints
    }

    /// The extendedKeyUsage purposes as dotted OIDs (empty when the extension is absent).
    pub fn extended_key_usage(&self) -> Vec<String> {
        self.ext
            .extended_key_usage
            .as_ref()
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether the extendedKeyUsage extension is present and marked critical.
    pub fn extended_key_usage_critical(&self) -> bool {
        self.ext
            .extended_key_usage
            .as_ref()
            .is_some_and(|(c, _)| *c)
    }

    /// The subjectKeyIdentifier, if present.
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        self.ext.subject_key_id.as_deref()
    }

    /// The keyIdentifier of the authorityKeyIdentifier extension, if present.
    pub fn authority_key_identifier(&self) -> Option<&[u8]> {
        self.ext.authority_key_id.as_deref()
    }

    /// OCSP responder URLs from authorityInfoAccess (id-ad-ocsp), in order.
    pub fn ocsp_urls(&self) -> &[String] {
        &self.ext.ocsp_urls
    }

    /// Issuer certificate URLs from authorityInfoAccess (id-ad-caIssuers), in order.
    pub fn ca_issuers_urls(&self) -> &[String] {
        &self.ext.ca_issuers_urls
    }

    /// CRL URLs from the full names of cRLDistributionPoints, in order.
    pub fn crl_urls(&self) -> &[String] {
        &self.ext.crl_urls
    }

    /// Dotted OIDs of all extensions marked critical.
    pub fn critical_extensions(&self) -> &[String] {
        &self.ext.critical
    }

    /// A short description of the public key: `"RSA-2048"`, `"EC P-256"`, or the algorithm
    /// OID when the key type is not one we can use.
    pub fn public_key_description(&self) -> String {
        let spki = &self.inner.tbs_certificate.subject_public_key_info;
        match crate::crypto::PublicKey::from_spki_der(&self.spki_der()) {
            Ok(k) => k.description(),
            Err(_) if spki.algorithm.oid == oid::ED25519 => "Ed25519".into(),
            Err(_) => format!("unsupported key {}", spki.algorithm.oid),
        }
    }

    /// DER of the SubjectPublicKeyInfo.
    pub(crate) fn spki_der(&self) -> Vec<u8> {
        // Re-encoding a decoded SPKI is lossless: it holds an algorithm identifier and a
        // BIT STRING, both with a single DER form.
        self.inner
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap_or_default()
    }

    /// The subjectPublicKey BIT STRING's bytes (what OCSP CertIDs and key identifiers hash).
    pub(crate) fn public_key_bits(&self) -> &[u8] {
        self.inner
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
    }

    /// The parsed certificate.
    pub(crate) fn inner(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// `IssuerAndSerialNumber` naming this certificate in CMS (RFC 5652 §10.2.4).
    pub(crate) fn issuer_and_serial(&self) -> cms::cert::IssuerAndSerialNumber {
        cms::cert::IssuerAndSerialNumber {
            issuer: self.inner.tbs_certificate.issuer.clone(),
            serial_number: self.inner.tbs_certificate.serial_number.clone(),
        }
    }

    /// Whether `issuer` and `serial` name this certificate.
    pub(crate) fn matches_issuer_serial(
        &self,
        issuer: &x509_cert::name::Name,
        serial: &x509_cert::serial_number::SerialNumber,
    ) -> bool {
        &self.inner.tbs_certificate.issuer == issuer
            && &self.inner.tbs_certificate.serial_number == serial
    }

    /// DER of the issuer Name (for ESS IssuerSerial and name matching).
    pub(crate) fn issuer_name(&self) -> &x509_cert::name::Name {
        &self.inner.tbs_certificate.issuer
    }

    /// DER of the subject Name.
    pub(crate) fn subject_name(&self) -> &x509_cert::name::Name {
        &self.inner.tbs_certificate.subject
    }

    /// The serial number.
    pub(crate) fn serial(&self) -> &x509_cert::serial_number::SerialNumber {
        &self.inner.tbs_certificate.serial_number
    }

    /// Whether `issuer` could have issued `self`: names chain and, when both key identifiers
    /// are present, they agree. The signature is not checked here.
    pub(crate) fn could_be_issued_by(&self, issuer: &Self) -> bool {
        if self.issuer_name() != issuer.subject_name() {
            return false;
        }
        match (
            self.authority_key_identifier(),
            issuer.subject_key_identifier(),
        ) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// Verifies this certificate's signature with `issuer`'s public key.
    pub(crate) fn verify_issued_by(
        &self,
        issuer: &Self,
    ) -> std::result::Result<(), crate::crypto::CryptoError> {
        let tbs = self
            .inner
            .tbs_certificate
            .to_der()
            .map_err(|e| crate::crypto::CryptoError::Malformed(e.to_string()))?;
        // The outer and inner algorithm identifiers must agree (RFC 5280 §4.1.1.2); otherwise
        // an attacker could pick the algorithm the verifier uses.
        if self.inner.signature_algorithm != self.inner.tbs_certificate.signature {
            return Err(crate::crypto::CryptoError::Malformed(
                "signatureAlgorithm differs from tbsCertificate.signature".into(),
            ));
        }
        let sig =
            self.inner.signature.as_bytes().ok_or_else(|| {
                crate::crypto::CryptoError::Malformed("signature bit string".into())
            })?;
        crate::crypto::verify_signature(
            &issuer.spki_der(),
            &self.inner.signature_algorithm,
            None,
            &tbs,
            sig,
        )
    }
}

fn parse_extensions(cert: &x509_cert::Certificate) -> Result<Extensions, CertificateError> {
    use x509_cert::ext::pkix;
    let mut out = Extensions::default();
    let Some(exts) = cert.tbs_certificate.extensions.as_ref() else {
        return Ok(out);
    };
    let mut seen = Vec::with_capacity(exts.len());
    for e in exts {
        if seen.contains(&e.extn_id) {
            return Err(CertificateError::DuplicateExtension(e.extn_id.to_string()));
        }
        seen.push(e.extn_id);
        if e.critical {
            out.critical.push(e.extn_id.to_string());
        }
        let value = e.extn_value.as_bytes();
        let bad = |what: &str, err: der::Error| {
            CertificateError::Malformed(format!("{what} extension: {err}"))
        };
        match e.extn_id {
            oid::KEY_USAGE => {
                let ku = pkix::KeyUsage::from_der(value).map_err(|x| bad("keyUsage", x))?;
                out.key_usage = Some(KeyUsage::from_ext(&ku));
            }
            oid::BASIC_CONSTRAINTS => {
                let bc = pkix::BasicConstraints::from_der(value)
                    .map_err(|x| bad("basicConstraints", x))?;
                out.basic_constraints = Some((bc.ca, bc.path_len_constraint));
            }
            oid::EXT_KEY_USAGE => {
                let eku = pkix::ExtendedKeyUsage::from_der(value)
                    .map_err(|x| bad("extendedKeyUsage", x))?;
                out.extended_key_usage =
                    Some((e.critical, eku.0.iter().map(ToString::to_string).collect()));
            }
            oid::SUBJECT_KEY_IDENTIFIER => {
                let ski = pkix::SubjectKeyIdentifier::from_der(value)
                    .map_err(|x| bad("subjectKeyIdentifier", x))?;
                out.subject_key_id = Some(ski.0.as_bytes().to_vec());
            }
            oid::AUTHORITY_KEY_IDENTIFIER => {
                let aki = pkix::AuthorityKeyIdentifier::from_der(value)
                    .map_err(|x| bad("authorityKeyIdentifier", x))?;
                out.authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
            }
            oid::AUTHORITY_INFO_ACCESS => {
                let aia = pkix::AuthorityInfoAccessSyntax::from_der(value)
                    .map_err(|x| bad("authorityInfoAccess", x))?;
                for access in aia.0 {
                    let Some(url) = uri_of(&access.access_location) else {
                        continue;
                    };
                    match access.access_method {
                        oid::AD_OCSP => out.ocsp_urls.push(url),
                        oid::AD_CA_ISSUERS => out.ca_issuers_urls.push(url),
                        _ => {}
                    }
                }
            }
            oid::CRL_DISTRIBUTION_POINTS => {
                let points = pkix::CrlDistributionPoints::from_der(value)
                    .map_err(|x| bad("cRLDistributionPoints", x))?;
                for point in points.0 {
                    if let Some(pkix::name::DistributionPointName::FullName(names)) =
                        point.distribution_point
                    {
                        out.crl_urls.extend(names.iter().filter_map(uri_of));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A certificate or CRL time (RFC 5280 §4.1.2.5, §5.1.2.4): UTCTime through 2049,
/// GeneralizedTime from 2050.
pub(crate) fn x509_time(t: UnixTime) -> std::result::Result<x509_cert::time::Time, der::Error> {
    use x509_cert::time::Time;
    const Y2050: u64 = 2_524_608_000;
    let d = std::time::Duration::from_secs(t.as_secs());
    Ok(if t.as_secs() < Y2050 {
        Time::UtcTime(der::asn1::UtcTime::from_unix_duration(d)?)
    } else {
        Time::GeneralTime(der::asn1::GeneralizedTime::from_unix_duration(d)?)
    })
}

/// The text of a uniformResourceIdentifier name; other name forms are not locations we fetch.
fn uri_of(name: &x509_cert::ext::pkix::name::GeneralName) -> Option<String> {
    match name {
        x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(uri) => {
            Some(uri.as_str().to_owned())
        }
        _ => None,
    }
}

/// Every PEM block with `label`, decoded, in order of appearance.
pub(crate) fn pem_blocks<'a>(
    pem: &'a [u8],
    label: &'a str,
) -> impl Iterator<Item = std::result::Result<Vec<u8>, CertificateError>> + 'a {
    let text = String::from_utf8_lossy(pem).into_owned();
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start..];
        let Some(stop) = after.find(&end) else {
            blocks.push(Err(CertificateError::Malformed(
                "PEM block without END line".into(),
            )));
            break;
        };
        let block = &after[..stop + end.len()];
        blocks.push(
            der::pem::decode_vec(block.as_bytes())
                .map(|(_, der)| der)
                .map_err(malformed),
        );
        rest = &after[stop + end.len()..];
    }
    blocks.into_iter()
}

/// PEM with 64-column base64 and LF line endings.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    // Encoding bytes into base64 cannot fail; an empty result would be caught by any reader.
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default()
}

/// Every `CERTIFICATE` block of PEM text, in order.
///
/// ```
/// assert!(cloudsign_core::x509::parse_pem_chain(b"no pem here").unwrap().is_empty());
/// ```
pub fn parse_pem_chain(pem: &[u8]) -> Result<Vec<Certificate>> {
    pem_blocks(pem, "CERTIFICATE")
        .map(|der| Certificate::from_der(&der?))
        .collect()
}

/// The certificates a relying party trusts as path anchors.
///
/// ```
/// let store = cloudsign_core::x509::TrustStore::new();
/// assert!(store.anchors().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an anchor (duplicates are ignored).
    pub fn add(&mut self, certificate: Certificate) {
        if !self.anchors.contains(&certificate) {
            self.anchors.push(certificate);
        }
    }

    /// A store holding every certificate of PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let mut store = Self::new();
        for c in parse_pem_chain(pem)? {
            store.add(c);
        }
        Ok(store)
    }

    /// The anchors, in insertion order.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// Whether `cert` is itself an anchor.
    pub fn contains(&self, cert: &Certificate) -> bool {
        self.anchors.contains(cert)
    }
}

/// Checks that `cert` may make signatures over documents: keyUsage, when present, must
/// include digitalSignature or nonRepudiation (ETSI EN 319 412-2 §4.3.2).
///
/// Returns a human-readable reason on failure.
pub fn check_signing_key_usage(cert: &Certificate) -> std::result::Result<(), String> {
    match cert.key_usage() {
        Some(ku) if !ku.digital_signature && !ku.non_repudiation => Err(format!(
            "keyUsage of {} allows neither digitalSignature nor nonRepudiation",
            cert.subject()
        )),
        _ => Ok(()),
    }
}
