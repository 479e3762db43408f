//! `TimeStampToken`: a CMS SignedData encapsulating a TSTInfo (RFC 3161 §2.4.2).

use der::Decode;
use der::asn1::Int;
use x509_cert::ext::pkix::name::GeneralName;

use super::TspError;
use super::asn1::TstInfo;
use crate::cms::{SignedDataView, parse_signed_data_encapsulated, tlv};
use crate::crypto::{CryptoError, DigestAlgorithm, oid};
use crate::time::UnixTime;
use crate::x509::Certificate;

/// A timestamp token: the DER `ContentInfo` as found, its SignedData and its TSTInfo.
///
/// ```text
/// TimeStampToken ::= ContentInfo
///      -- contentType is id-signedData ([CMS])
///      -- content is SignedData ([CMS])
///
/// id-ct-TSTInfo  OBJECT IDENTIFIER ::= { iso(1) member-body(2)
///      us(840) rsadsi(113549) pkcs(1) pkcs-9(9) smime(16) ct(1) 4}
/// ```
///
/// Parsing checks structure only; [`verify`](Self::verify) checks the signature, the signed
/// attributes and the TSA certificate's key purpose. Neither builds a certification path: do
/// that with [`validate_path`](crate::x509::validate_path) at [`gen_time`](Self::gen_time).
#[derive(Clone, Debug)]
pub struct TimestampToken {
    der: Vec<u8>,
    view: SignedDataView,
    econtent: Vec<u8>,
    tst: TstInfo,
}

fn malformed(e: impl std::fmt::Display) -> TspError {
    TspError::Malformed(e.to_string())
}

impl TimestampToken {
    /// Parses a DER `ContentInfo` holding a SignedData with one SignerInfo and an
    /// encapsulated id-ct-TSTInfo. Zero padding after the DER (as in a PDF `/Contents`
    /// string) is accepted and not kept.
    ///
    /// # Errors
    /// [`TspError::Malformed`] when any of that structure is missing or not DER.
    ///
    /// ```
    /// use cloudsign_core::tsp::{TimestampToken, TspError};
    /// assert!(matches!(TimestampToken::from_der(b"\x30\x00"), Err(TspError::Malformed(_))));
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self, TspError> {
        let view = parse_signed_data_encapsulated(der).map_err(malformed)?;
        if view.econtent_type() != oid::ID_CT_TST_INFO.to_string() {
            return Err(TspError::Malformed(format!(
                "eContentType {} is not id-ct-TSTInfo",
                view.econtent_type()
            )));
        }
        let econtent = view
            .encapsulated_content()
            .ok_or_else(|| TspError::Malformed("no TSTInfo".into()))?
            .to_vec();
        let tst = TstInfo::from_der(&econtent).map_err(|e| malformed(format!("TSTInfo: {e}")))?;
        if tst.version != 1 {
            return Err(TspError::Malformed(format!(
                "TSTInfo version {}",
                tst.version
            )));
        }
        // Keep the ContentInfo element itself, without any padding that followed it.
        let (outer, _) = tlv::read(der).map_err(malformed)?;
        Ok(Self {
            der: outer.raw.to_vec(),
            view,
            econtent,
            tst,
        })
    }

    /// The DER `ContentInfo` exactly as found (padding excluded).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The TSTInfo DER exactly as found in the eContent.
    pub fn tst_info_der(&self) -> &[u8] {
        &self.econtent
    }

    /// genTime, in whole seconds (a fraction, if the TSA sent one, is dropped).
    pub fn gen_time(&self) -> UnixTime {
        self.tst.gen_time.time()
    }

    /// The TSA policy under which the token was issued (dotted OID).
    pub fn policy(&self) -> String {
        self.tst.policy.to_string()
    }

    /// serialNumber as lowercase hex of its DER content octets.
    pub fn serial_hex(&self) -> String {
        hex::encode(self.tst.serial_number.as_bytes())
    }

    /// The imprint's hash algorithm.
    ///
    /// # Errors
    /// [`CryptoError`] when it is not SHA-256, SHA-384 or SHA-512 (SHA-1 is `Forbidden`).
    pub fn imprint_algorithm(&self) -> Result<DigestAlgorithm, CryptoError> {
        DigestAlgorithm::from_oid(&self.tst.message_imprint.hash_algorithm.oid)
    }

    /// The hashed message the token vouches for.
    pub fn imprint(&self) -> &[u8] {
        self.tst.message_imprint.hashed_message.as_bytes()
    }

    /// The nonce as DER INTEGER content octets (as [`TimestampRequest::nonce`]), if present.
    ///
    /// [`TimestampRequest::nonce`]: super::TimestampRequest::nonce
    pub fn nonce(&self) -> Option<&[u8]> {
        self.tst.nonce.as_ref().map(Int::as_bytes)
    }

    /// The certificates carried in the SignedData, in input order.
    pub fn certificates(&self) -> &[Certificate] {
        self.view.certificates()
    }

    /// The certificate named by the SignerInfo, if carried.
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.view.signer_certificate()
    }

    /// The tsa field: a directory name in RFC 4514 form, or `DNS:`, `email:`, `URI:`
    /// prefixed text; other name forms as `other`.
    pub fn tsa_name(&self) -> Option<String> {
        Some(match self.tst.tsa.as_ref()? {
            GeneralName::DirectoryName(n) => n.to_string(),
            GeneralName::DnsName(n) => format!("DNS:{}", n.as_str()),
            GeneralName::Rfc822Name(n) => format!("email:{}", n.as_str()),
            GeneralName::UniformResourceIdentifier(n) => format!("URI:{}", n.as_str()),
            _ => "other".to_owned(),
        })
    }

    /// accuracy as `(seconds, millis, micros)`, absent fields zero.
    pub fn accuracy(&self) -> Option<(u64, u16, u16)> {
        self.tst.accuracy.as_ref().map(|a| {
            (
                a.seconds.unwrap_or(0),
                a.millis.unwrap_or(0),
                a.micros.unwrap_or(0),
            )
        })
    }

    /// Whether the token vouches for `digest` under `algorithm`.
    pub fn matches_imprint(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> bool {
        self.imprint_algorithm() == Ok(algorithm) && self.imprint() == digest
    }

    pub(crate) fn nonce_int(&self) -> Option<&Int> {
        self.tst.nonce.as_ref()
    }

    pub(crate) fn policy_oid(&self) -> der::asn1::ObjectIdentifier {
        self.tst.policy
    }

    pub(crate) fn imprint_oid(&self) -> der::asn1::ObjectIdentifier {
        self.tst.message_imprint.hash_algorithm.oid
    }

    /// Checks the token on its own and returns the TSA certificate:
    ///
    /// 1. the signer's certificate is carried in the token;
    /// 2. the content-type attribute and eContentType are id-ct-TSTInfo;
    /// 3. the message-digest attribute equals the digest of the eContent as found;
    /// 4. the signature verifies over the signed attributes as found (never a re-encoding);
    /// 5. signing-certificate-v2 (RFC 5816) or signing-certificate (RFC 2634; its SHA-1 hash
    ///    only identifies the certificate) names that certificate;
    /// 6. its extendedKeyUsage is critical and exactly id-kp-timeStamping (RFC 3161 §2.3).
    ///
    /// # Errors
    /// [`TspError::BadToken`] for 1–5, [`TspError::NotTimestampingCertificate`] for 6.
    pub fn verify(&self) -> Result<&Certificate, TspError> {
        let cert = self
            .signer_certificate()
            .ok_or_else(|| TspError::BadToken("the TSA certificate is not in the token".into()))?;
        if !self.view.content_type_is(oid::ID_CT_TST_INFO) {
            return Err(TspError::BadToken(
                "content-type attribute is not id-ct-TSTInfo".into(),
            ));
        }
        let digest = self
            .view
            .digest_algorithm()
            .map_err(|e| TspError::BadToken(format!("digest algorithm: {e}")))?;
        if self.view.message_digest() != Some(digest.digest(&self.econtent).as_slice()) {
            return Err(TspError::BadToken(
                "message-digest attribute does not match the TSTInfo".into(),
            ));
        }
        self.view
            .verify_signature(cert)
            .map_err(|e| TspError::BadToken(format!("signature: {e}")))?;
        match self.view.ess_signing_certificate_matches(cert) {
            Some(true) => {}
            Some(false) => {
                return Err(TspError::BadToken(
                    "the ESS signing-certificate attribute names another certificate".into(),
                ));
            }
            None => {
                return Err(TspError::BadToken(
                    "no ESS signing-certificate attribute (RFC 3161 §2.4.2 requires one)".into(),
                ));
            }
        }
        check_timestamping_certificate(cert)?;
        Ok(cert)
    }
}

/// RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the
/// extended key usage field extension ... with KeyPurposeID having value id-kp-timeStamping.
/// This extension MUST be critical."
///
/// ```text
/// id-kp-timeStamping OBJECT IDENTIFIER ::= {iso(1)
///                 identified-organization(3) dod(6)
///                 internet(1) security(5) mechanisms(5) pkix(7)
///                 kp (3) timestamping (8)}
/// ```
///
/// (Duplicate extensions are already refused when the certificate is parsed.)
///
/// # Errors
/// [`TspError::NotTimestampingCertificate`] saying which part of the rule fails.
pub fn check_timestamping_certificate(cert: &Certificate) -> Result<(), TspError> {
    let purposes = cert.extended_key_usage();
    let expected = oid::ID_KP_TIME_STAMPING.to_string();
    if purposes.is_empty() {
        return Err(TspError::NotTimestampingCertificate(format!(
            "{} has no extendedKeyUsage",
            cert.subject()
        )));
    }
    if purposes != [expected] {
        return Err(TspError::NotTimestampingCertificate(format!(
            "extendedKeyUsage of {} is {} rather than only id-kp-timeStamping",
            cert.subject(),
            purposes.join(", ")
        )));
    }
    if !cert.extended_key_usage_critical() {
        return Err(TspError::NotTimestampingCertificate(format!(
            "extendedKeyUsage of {} is not critical",
            cert.subject()
        )));
    }
    Ok(())
}
