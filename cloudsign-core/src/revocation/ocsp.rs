//! OCSP requests and responses (RFC 6960): encode a request, parse and verify a response.
//!
//! The ASN.1 types come from the `x509-ocsp` crate; the checks are ours. The response
//! signature is verified over the `tbsResponseData` bytes exactly as received.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_ocsp::{BasicOcspResponse, CertId, OcspResponseStatus, ResponderId};

use super::{RevocationError, RevocationReason, encoding, malformed, unix_time};
use crate::cms::tlv;
use crate::crypto::{DigestAlgorithm, oid};
use crate::error::Result;
use crate::time::UnixTime;
use crate::x509::Certificate;

/// The hash an [`OcspRequest`] uses for the issuer name and key in its CertID.
///
/// Hashing names and keys here identifies a certificate; it is not a signature, so SHA-1 is
/// acceptable and is what most responders expect (RFC 5019 §2.1.1 requires them to accept
/// it). SHA-256 is offered for responders that take it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertIdHash {
    /// SHA-1: what every responder understands.
    #[default]
    Sha1,
    /// SHA-256.
    Sha256,
}

impl CertIdHash {
    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha256 => oid::SHA256,
        }
    }
}

/// The digest of `data` under a CertID hash algorithm; `None` for an algorithm we do not know.
pub(crate) fn cert_id_hash(algorithm: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    if *algorithm == oid::SHA1 {
        use sha1::Digest;
        return Some(sha1::Sha1::digest(data).to_vec());
    }
    DigestAlgorithm::from_oid(algorithm)
        .ok()
        .map(|d| d.digest(data))
}

/// Whether `id` names a certificate with `serial` issued by `issuer`.
pub(crate) fn cert_id_names(id: &CertId, issuer: &Certificate, serial: &SerialNumber) -> bool {
    if &id.serial_number != serial {
        return false;
    }
    cert_id_names_issuer(id, issuer)
}

/// Whether `id`'s issuer name and key hashes are those of `issuer`.
pub(crate) fn cert_id_names_issuer(id: &CertId, issuer: &Certificate) -> bool {
    let algorithm = &id.hash_algorithm.oid;
    // The name is hashed as DER; decoding and re-encoding a Name gives the canonical DER
    // form, which is what responders hash too.
    let Ok(name) = issuer.subject_name().to_der() else {
        return false;
    };
    let (Some(name_hash), Some(key_hash)) = (
        cert_id_hash(algorithm, &name),
        cert_id_hash(algorithm, issuer.public_key_bits()),
    ) else {
        return false;
    };
    id.issuer_name_hash.as_bytes() == name_hash.as_slice()
        && id.issuer_key_hash.as_bytes() == key_hash.as_slice()
}

/// An OCSP request for one certificate, with an optional nonce (RFC 6960 §4.1, RFC 8954).
///
/// ```text
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest              TBSRequest,
///     optionalSignature   [0] EXPLICIT Signature OPTIONAL }
///
/// TBSRequest ::= SEQUENCE {
///     version             [0] EXPLICIT Version DEFAULT v1,
///     requestorName       [1] EXPLICIT GeneralName OPTIONAL,
///     requestList             SEQUENCE OF Request,
///     requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
///
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
///
/// ```
/// # fn main() -> cloudsign_core::error::Result<()> {
/// use cloudsign_core::revocation::{CertIdHash, OcspRequest};
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let request = OcspRequest::new(&pki.signer_ec.certificate, &pki.intermediate.certificate)
///     .hash(CertIdHash::Sha256)
///     .random_nonce();
/// assert_eq!(request.nonce_value().map(<[u8]>::len), Some(32));
/// assert!(request.to_der()?.len() > 80);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OcspRequest {
    issuer_name_der: Vec<u8>,
    issuer_key_bits: Vec<u8>,
    serial: SerialNumber,
    hash: CertIdHash,
    nonce: Option<Vec<u8>>,
}

impl OcspRequest {
    /// A request for `cert`'s status from `issuer`'s responder: SHA-1 CertID, no nonce.
    pub fn new(cert: &Certificate, issuer: &Certificate) -> Self {
        Self {
            issuer_name_der: issuer.subject_name().to_der().unwrap_or_default(),
            issuer_key_bits: issuer.public_key_bits().to_vec(),
            serial: cert.serial().clone(),
            hash: CertIdHash::default(),
            nonce: None,
        }
    }

    /// Uses `hash` for the CertID.
    #[must_use]
    pub fn hash(mut self, hash: CertIdHash) -> Self {
        self.hash = hash;
        self
    }

    /// Sends `nonce` (1 to 32 bytes, RFC 8954 §2.1); the response must echo it.
    #[must_use]
    pub fn nonce(mut self, nonce: Vec<u8>) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Sends a fresh random 32-byte nonce.
    #[must_use]
    pub fn random_nonce(self) -> Self {
        let mut nonce = vec![0; 32];
        crate::crypto::random_bytes(&mut nonce);
        self.nonce(nonce)
    }

    /// The nonce sent, if any.
    pub fn nonce_value(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    pub(crate) fn cert_id(&self) -> Result<CertId, RevocationError> {
        let algorithm = self.hash.oid();
        let hash = |data: &[u8]| {
            cert_id_hash(&algorithm, data)
                .ok_or_else(|| RevocationError::Unsupported(format!("CertID hash {algorithm}")))
        };
        Ok(CertId {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: algorithm,
                // RFC 6960 examples and OpenSSL write NULL parameters for SHA-1/SHA-256.
                parameters: Some(der::Any::null()),
            },
            issuer_name_hash: OctetString::new(hash(&self.issuer_name_der)?).map_err(encoding)?,
            issuer_key_hash: OctetString::new(hash(&self.issuer_key_bits)?).map_err(encoding)?,
            serial_number: self.serial.clone(),
        })
    }

    /// The DER `OCSPRequest`.
    ///
    /// # Errors
    /// [`RevocationError::Encoding`] when the nonce is empty or longer than 32 bytes.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        let request_extensions = match &self.nonce {
            None => None,
            Some(n) if n.is_empty() || n.len() > 32 => {
                return Err(RevocationError::Encoding(format!(
                    "an OCSP nonce has 1 to 32 bytes, not {}",
                    n.len()
                ))
                .into());
            }
            Some(n) => Some(vec![nonce_extension(n)?]),
        };
        let request = x509_ocsp::OcspRequest {
            tbs_request: x509_ocsp::TbsRequest {
                version: x509_ocsp::Version::V1,
                requestor_name: None,
                request_list: vec![x509_ocsp::Request {
                    req_cert: self.cert_id()?,
                    single_request_extensions: None,
                }],
                request_extensions,
            },
            optional_signature: None,
        };
        Ok(request.to_der().map_err(encoding)?)
    }
}

/// The id-pkix-ocsp-nonce extension: the value is an OCTET STRING holding the nonce.
pub(crate) fn nonce_extension(nonce: &[u8]) -> Result<Extension, RevocationError> {
    let inner = OctetString::new(nonce).map_err(encoding)?;
    Ok(Extension {
        extn_id: oid::OCSP_NONCE,
        critical: false,
        extn_value: OctetString::new(inner.to_der().map_err(encoding)?).map_err(encoding)?,
    })
}

/// The nonce inside a list of extensions, if one is there.
pub(crate) fn find_nonce(extensions: Option<&Vec<Extension>>) -> Option<Vec<u8>> {
    let ext = extensions?.iter().find(|e| e.extn_id == oid::OCSP_NONCE)?;
    // RFC 8954 wraps the nonce in an OCTET STRING; some old responders put it bare.
    Some(
        OctetString::from_der(ext.extn_value.as_bytes()).map_or_else(
            |_| ext.extn_value.as_bytes().to_vec(),
            OctetString::into_bytes,
        ),
    )
}

/// A certificate's status as one OCSP SingleResponse states it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspCertStatus {
    /// good: not revoked (RFC 6960 §2.2).
    Good,
    /// revoked, with the time and, if given, the reason.
    Revoked {
        /// revocationTime.
        revoked_at: UnixTime,
        /// revocationReason, if given.
        reason: Option<RevocationReason>,
    },
    /// unknown: the responder knows nothing of the certificate.
    Unknown,
}

/// One SingleResponse: the status and the interval it is current for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleStatus {
    /// The certificate's status.
    pub status: OcspCertStatus,
    /// thisUpdate: when the status was known to be correct.
    pub this_update: UnixTime,
    /// nextUpdate: when newer information will be available, if stated.
    pub next_update: Option<UnixTime>,
}

impl SingleStatus {
    fn from_asn1(single: &x509_ocsp::SingleResponse) -> Self {
        let status = match &single.cert_status {
            x509_ocsp::CertStatus::Good(_) => OcspCertStatus::Good,
            x509_ocsp::CertStatus::Revoked(info) => OcspCertStatus::Revoked {
                revoked_at: unix_time(info.revocation_time.0.to_date_time()),
                reason: info.revocation_reason.map(RevocationReason::from_asn1),
            },
            x509_ocsp::CertStatus::Unknown(_) => OcspCertStatus::Unknown,
        };
        Self {
            status,
            this_update: unix_time(single.this_update.0.to_date_time()),
            next_update: single.next_update.map(|t| unix_time(t.0.to_date_time())),
        }
    }

    /// Checks thisUpdate − skew ≤ `at` ≤ nextUpdate + skew.
    ///
    /// # Errors
    /// [`RevocationError::NotCurrent`] otherwise.
    pub fn check_current(&self, at: UnixTime, skew_secs: u64) -> Result<()> {
        check_interval(self.this_update, self.next_update, at, skew_secs)
    }
}

/// thisUpdate − skew ≤ `at` ≤ nextUpdate + skew (no upper bound without nextUpdate).
pub(crate) fn check_interval(
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    at: UnixTime,
    skew_secs: u64,
) -> Result<()> {
    if at < this_update.minus_secs(skew_secs) {
        return Err(RevocationError::NotCurrent(format!(
            "thisUpdate {} is after {}",
            this_update.to_rfc3339(),
            at.to_rfc3339()
        ))
        .into());
    }
    if let Some(next) = next_update.filter(|next| at > next.plus_secs(skew_secs)) {
        return Err(RevocationError::NotCurrent(format!(
            "nextUpdate {} is before {}",
            next.to_rfc3339(),
            at.to_rfc3339()
        ))
        .into());
    }
    Ok(())
}

/// What [`OcspResponse::verify`] requires beyond the signature: the time of interest, the
/// tolerated clock skew, the nonce sent, and further certificates that may hold a delegated
/// responder's certificate.
///
/// ```
/// use cloudsign_core::revocation::OcspCheck;
/// use cloudsign_core::time::UnixTime;
/// let check = OcspCheck::new(UnixTime::now()).skew_secs(60).nonce(b"0123456789abcdef");
/// # let _ = check;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OcspCheck<'a> {
    at: UnixTime,
    skew_secs: u64,
    nonce: Option<&'a [u8]>,
    certificates: &'a [Certificate],
}

impl<'a> OcspCheck<'a> {
    /// Checks at `at` with [`DEFAULT_SKEW_SECS`](super::DEFAULT_SKEW_SECS), no nonce.
    pub fn new(at: UnixTime) -> Self {
        Self {
            at,
            skew_secs: super::DEFAULT_SKEW_SECS,
            nonce: None,
            certificates: &[],
        }
    }

    /// Tolerates `secs` of clock difference around thisUpdate and nextUpdate.
    #[must_use]
    pub fn skew_secs(mut self, secs: u64) -> Self {
        self.skew_secs = secs;
        self
    }

    /// Requires the response to echo `nonce` (the one the request sent).
    #[must_use]
    pub fn nonce(mut self, nonce: &'a [u8]) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Looks for a delegated responder's certificate in `certificates` too.
    #[must_use]
    pub fn certificates(mut self, certificates: &'a [Certificate]) -> Self {
        self.certificates = certificates;
        self
    }
}

/// A successful OCSP response with a BasicOCSPResponse (RFC 6960 §4.2.1), parsed.
///
/// ```text
/// OCSPResponse ::= SEQUENCE {
///    responseStatus         OCSPResponseStatus,
///    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
///
/// BasicOCSPResponse       ::= SEQUENCE {
///    tbsResponseData      ResponseData,
///    signatureAlgorithm   AlgorithmIdentifier,
///    signature            BIT STRING,
///    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
///
/// ResponseData ::= SEQUENCE {
///    version              [0] EXPLICIT Version DEFAULT v1,
///    responderID              ResponderID,
///    producedAt               GeneralizedTime,
///    responses                SEQUENCE OF SingleResponse,
///    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
///
/// ```
/// use cloudsign_core::revocation::OcspResponse;
/// // responseStatus tryLater (3): a valid answer that carries no status.
/// assert!(OcspResponse::parse(&[0x30, 0x03, 0x0a, 0x01, 0x03]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct OcspResponse {
    der: Vec<u8>,
    tbs_raw: Vec<u8>,
    basic: BasicOcspResponse,
    certificates: Vec<Certificate>,
}

impl OcspResponse {
    /// Parses a DER `OCSPResponse`.
    ///
    /// # Errors
    /// [`RevocationError::ResponderStatus`] when responseStatus is not successful,
    /// [`RevocationError::Unsupported`] for a response type other than id-pkix-ocsp-basic,
    /// [`RevocationError::Malformed`] for anything not well-formed.
    pub fn parse(der: &[u8]) -> Result<Self> {
        let outer = x509_ocsp::OcspResponse::from_der(der).map_err(malformed)?;
        if outer.response_status != OcspResponseStatus::Successful {
            return Err(RevocationError::ResponderStatus(
                status_name(outer.response_status).to_owned(),
            )
            .into());
        }
        let bytes = outer
            .response_bytes
            .ok_or_else(|| malformed("successful response without responseBytes"))?;
        if bytes.response_type != oid::OCSP_BASIC {
            return Err(RevocationError::Unsupported(format!(
                "OCSP response type {}",
                bytes.response_type
            ))
            .into());
        }
        let basic_der = bytes.response.as_bytes();
        let basic = BasicOcspResponse::from_der(basic_der).map_err(malformed)?;
        let (tbs_raw, certificates) = raw_parts(basic_der)?;
        Ok(Self {
            der: der.to_vec(),
            tbs_raw,
            basic,
            certificates,
        })
    }

    /// The DER exactly as parsed.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// producedAt: when the responder signed the response.
    pub fn produced_at(&self) -> UnixTime {
        unix_time(self.basic.tbs_response_data.produced_at.0.to_date_time())
    }

    /// The certificates the response carries (a delegated responder's, usually).
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The nonce the response carries, if any.
    pub fn nonce(&self) -> Option<Vec<u8>> {
        find_nonce(self.basic.tbs_response_data.response_extensions.as_ref())
    }

    /// The responderID: the name RFC 4514 style, or `keyHash:<hex>`.
    pub fn responder(&self) -> String {
        match &self.basic.tbs_response_data.responder_id {
            ResponderId::ByName(name) => name.to_string(),
            ResponderId::ByKey(hash) => format!("keyHash:{}", hex::encode(hash.as_bytes())),
        }
    }

    /// Every SingleResponse, in order.
    pub fn single_statuses(&self) -> Vec<SingleStatus> {
        self.basic
            .tbs_response_data
            .responses
            .iter()
            .map(SingleStatus::from_asn1)
            .collect()
    }

    /// The SingleResponse for `cert` issued by `issuer` (CertID hashed with SHA-1, SHA-256,
    /// SHA-384 or SHA-512). The signature is not checked here.
    ///
    /// # Errors
    /// [`RevocationError::NoMatchingResponse`] when no SingleResponse names the certificate.
    pub fn status_for(&self, cert: &Certificate, issuer: &Certificate) -> Result<SingleStatus> {
        self.basic
            .tbs_response_data
            .responses
            .iter()
            .find(|s| cert_id_names(&s.cert_id, issuer, cert.serial()))
            .map(SingleStatus::from_asn1)
            .ok_or_else(|| RevocationError::NoMatchingResponse.into())
    }

    /// Verifies the signature and that the signer may answer for `issuer`'s certificates:
    /// the issuer itself, or a delegated responder whose certificate `issuer` signed, with
    /// the id-kp-OCSPSigning key purpose, valid at producedAt (RFC 6960 §4.2.2.2). The
    /// delegated certificate is looked for in the response and in `certificates`. Returns
    /// the signer's certificate.
    ///
    /// The responder certificate's own revocation status is not checked (RFC 6960
    /// §4.2.2.2.1 leaves that to id-pkix-ocsp-nocheck or the relying party's policy).
    ///
    /// # Errors
    /// [`RevocationError::UnauthorizedResponder`] when no such signer is found,
    /// [`RevocationError::BadSignature`] when the signature does not verify.
    pub fn verify_signer(
        &self,
        issuer: &Certificate,
        certificates: &[Certificate],
    ) -> Result<Certificate> {
        let produced_at = self.produced_at();
        let mut reasons = Vec::new();
        let candidates = std::iter::once(issuer)
            .chain(&self.certificates)
            .chain(certificates);
        for candidate in candidates {
            if !self.responder_is(candidate) {
                continue;
            }
            if !is_same_entity(candidate, issuer) {
                if let Err(reason) = delegated_by(candidate, issuer, produced_at) {
                    reasons.push(reason);
                    continue;
                }
            }
            self.verify_signature_by(candidate)?;
            return Ok(candidate.clone());
        }
        if reasons.is_empty() {
            reasons.push(format!(
                "no certificate for responder {} issued by {}",
                self.responder(),
                issuer.subject()
            ));
        }
        Err(RevocationError::UnauthorizedResponder(reasons.join("; ")).into())
    }

    /// The full check for `cert` issued by `issuer`: [`verify_signer`](Self::verify_signer),
    /// the nonce when one was sent, a SingleResponse for the certificate, and — unless it
    /// says revoked — thisUpdate − skew ≤ `at` ≤ nextUpdate + skew. A revocation stays true
    /// after nextUpdate, so a revoked status is returned whatever `at` is; compare its
    /// time with yours.
    ///
    /// # Errors
    /// Those of [`verify_signer`](Self::verify_signer) and
    /// [`status_for`](Self::status_for), [`RevocationError::NonceMismatch`] and
    /// [`RevocationError::NotCurrent`].
    pub fn verify(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        check: &OcspCheck<'_>,
    ) -> Result<SingleStatus> {
        self.verify_with_signer(cert, issuer, check)
            .map(|(_, single)| single)
    }

    /// [`verify`](Self::verify), also returning the signer's certificate.
    pub(crate) fn verify_with_signer(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        check: &OcspCheck<'_>,
    ) -> Result<(Certificate, SingleStatus)> {
        let signer = self.verify_signer(issuer, check.certificates)?;
        if let Some(sent) = check.nonce {
            if self.nonce().as_deref() != Some(sent) {
                return Err(RevocationError::NonceMismatch.into());
            }
        }
        let single = self.status_for(cert, issuer)?;
        if !matches!(single.status, OcspCertStatus::Revoked { .. }) {
            single.check_current(check.at, check.skew_secs)?;
        }
        Ok((signer, single))
    }

    fn responder_is(&self, cert: &Certificate) -> bool {
        match &self.basic.tbs_response_data.responder_id {
            ResponderId::ByName(name) => name == cert.subject_name(),
            ResponderId::ByKey(hash) => {
                cert_id_hash(&oid::SHA1, cert.public_key_bits()).as_deref() == Some(hash.as_bytes())
            }
        }
    }

    fn verify_signature_by(&self, signer: &Certificate) -> Result<()> {
        let signature = self
            .basic
            .signature
            .as_bytes()
            .ok_or_else(|| malformed("signature BIT STRING with unused bits"))?;
        crate::crypto::verify_signature(
            &signer.spki_der(),
            &self.basic.signature_algorithm,
            None,
            &self.tbs_raw,
            signature,
        )
        .map_err(|e| RevocationError::BadSignature(e.to_string()))?;
        Ok(())
    }
}

/// Whether `a` and `b` are the same entity: same subject and same key (a re-issued CA
/// certificate still answers for its certificates).
fn is_same_entity(a: &Certificate, b: &Certificate) -> bool {
    a.subject_name() == b.subject_name() && a.public_key_bits() == b.public_key_bits()
}

/// Checks that `issuer` authorised `responder` to sign OCSP responses.
fn delegated_by(
    responder: &Certificate,
    issuer: &Certificate,
    at: UnixTime,
) -> std::result::Result<(), String> {
    let who = responder.subject();
    if !responder.could_be_issued_by(issuer) || responder.verify_issued_by(issuer).is_err() {
        return Err(format!("{who} was not issued by {}", issuer.subject()));
    }
    if !responder
        .extended_key_usage()
        .iter()
        .any(|p| p == &oid::ID_KP_OCSP_SIGNING.to_string())
    {
        return Err(format!("{who} lacks the id-kp-OCSPSigning key purpose"));
    }
    if !responder.is_valid_at(at) {
        return Err(format!(
            "{who} is not valid at producedAt {}",
            at.to_rfc3339()
        ));
    }
    Ok(())
}

/// tbsResponseData exactly as received, and the certificates as received.
fn raw_parts(basic_der: &[u8]) -> Result<(Vec<u8>, Vec<Certificate>), RevocationError> {
    let (seq, _) = tlv::expect(basic_der, 0x30).map_err(malformed)?;
    let (tbs, rest) = tlv::expect(seq.content, 0x30).map_err(malformed)?;
    let (_, rest) = tlv::expect(rest, 0x30).map_err(malformed)?;
    let (_, rest) = tlv::expect(rest, 0x03).map_err(malformed)?;
    let mut certificates = Vec::new();
    if !rest.is_empty() {
        let (explicit, _) = tlv::expect(rest, 0xa0).map_err(malformed)?;
        let (list, _) = tlv::expect(explicit.content, 0x30).map_err(malformed)?;
        let mut items = list.content;
        while !items.is_empty() {
            let (cert, more) = tlv::read(items).map_err(malformed)?;
            certificates.push(Certificate::from_der(cert.raw).map_err(malformed)?);
            items = more;
        }
    }
    Ok((tbs.raw.to_vec(), certificates))
}

pub(crate) fn status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}
