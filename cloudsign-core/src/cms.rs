//! CMS SignedData for PAdES (CAdES detached signatures).
//!
//! Building follows RFC 5652 §5 with the CAdES baseline attributes of ETSI EN 319 122-1:
//! content-type, message-digest and signing-certificate-v2, and no signing-time (PAdES puts
//! the claimed time in the signature dictionary's `/M`).
//!
//! ```text
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,
//!   digestAlgorithms DigestAlgorithmIdentifiers,
//!   encapContentInfo EncapsulatedContentInfo,
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SignerInfos }
//!
//! SignerInfo ::= SEQUENCE {
//!   version CMSVersion,
//!   sid SignerIdentifier,
//!   digestAlgorithm DigestAlgorithmIdentifier,
//!   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
//!   signatureAlgorithm SignatureAlgorithmIdentifier,
//!   signature SignatureValue,
//!   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
//! ```
//!
//! Parsing keeps the signed attributes exactly as they appear in the input: the `der` crate
//! re-sorts a decoded `SET OF`, so verifying over a re-encoding could check bytes the signer
//! never signed (RFC 5652 §5.4: the DER encoding of the SET OF, with the `[0]` tag replaced by
//! the SET tag, is what was signed).

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tagged};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

use crate::crypto::{CryptoError, DigestAlgorithm, SignatureAlgorithm, oid};
use crate::error::Result;
use crate::x509::Certificate;

/// A CMS structure that cannot be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    /// Not well-formed DER, or not the expected structure.
    #[error("malformed CMS: {0}")]
    Malformed(String),
    /// The input ends before the structure does.
    #[error("CMS truncated")]
    Truncated,
    /// Non-zero bytes follow the DER (zero padding is allowed).
    #[error("non-zero data after the CMS structure")]
    TrailingData,
    /// The ContentInfo is not SignedData.
    #[error("ContentInfo is not SignedData")]
    NotSignedData,
    /// PAdES needs exactly one SignerInfo.
    #[error("expected exactly one SignerInfo, found {0}")]
    SignerCount(usize),
    /// The SignedData encapsulates its content; PAdES signatures are detached.
    #[error("SignedData is not detached (eContent present)")]
    NotDetached,
    /// The SignedData carries no eContent where encapsulated content was expected (RFC 3161
    /// timestamp tokens encapsulate their TSTInfo).
    #[error("SignedData has no encapsulated content")]
    NotEncapsulated,
    /// The SignerInfo has no signed attributes (PAdES requires them).
    #[error("SignerInfo without signed attributes")]
    MissingSignedAttributes,
    /// Signed attributes handed to the builder are not in DER (sorted) order.
    #[error("signed attributes are not DER-canonical")]
    NonCanonicalSignedAttributes,
    /// Building needs at least the signer's certificate.
    #[error("empty certificate chain")]
    EmptyChain,
}

fn malformed(e: impl std::fmt::Display) -> CmsError {
    CmsError::Malformed(e.to_string())
}

/// `IssuerSerial` (RFC 5035 §4).
///
/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer                   GeneralNames,
///     serialNumber             CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, der::Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// `ESSCertIDv2` (RFC 5035 §4).
///
/// ```text
/// ESSCertIDv2 ::=  SEQUENCE {
///     hashAlgorithm           AlgorithmIdentifier
///                             DEFAULT {algorithm id-sha256},
///     certHash                 Hash,
///     issuerSerial             IssuerSerial OPTIONAL }
/// ```
#[derive(Clone, Debug, der::Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificateV2` (RFC 5035 §3).
///
/// ```text
/// SigningCertificateV2 ::=  SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
#[derive(Clone, Debug, der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// `ESSCertID` (RFC 2634 §5.4.1), read only: its hash is SHA-1.
///
/// ```text
/// ESSCertID ::=  SEQUENCE {
///     certHash                 Hash,   -- SHA-1
///     issuerSerial             IssuerSerial OPTIONAL }
/// ```
#[derive(Clone, Debug, der::Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificate` (RFC 2634 §5.4).
#[derive(Clone, Debug, der::Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

fn attribute(id: ObjectIdentifier, value: &impl Encode) -> Result<Attribute, CmsError> {
    let any = Any::from_der(&value.to_der().map_err(malformed)?).map_err(malformed)?;
    Ok(Attribute {
        oid: id,
        values: SetOfVec::try_from(vec![any]).map_err(malformed)?,
    })
}

/// The DER `SignedAttributes` (a `SET OF Attribute`, tag 0x31, DER-sorted) for a PAdES
/// signature: content-type id-data, message-digest, signing-certificate-v2. These bytes are
/// exactly what the signer signs.
///
/// ```text
/// SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
/// ```
///
/// The ESSCertIDv2 uses SHA-256, so its hashAlgorithm is omitted (DER leaves out DEFAULT
/// values), and carries issuerSerial.
pub fn build_signed_attributes(
    content_digest: &[u8],
    digest: DigestAlgorithm,
    signer_cert: &Certificate,
) -> Result<Vec<u8>> {
    build_signed_attributes_for(oid::ID_DATA, content_digest, digest, signer_cert)
}

/// [`build_signed_attributes`] with a caller-chosen content-type attribute, for SignedData that
/// encapsulates something other than id-data (a timestamp authority's id-ct-TSTInfo).
pub(crate) fn build_signed_attributes_for(
    content_type: ObjectIdentifier,
    content_digest: &[u8],
    digest: DigestAlgorithm,
    signer_cert: &Certificate,
) -> Result<Vec<u8>> {
    if content_digest.len() != digest.output_len() {
        return Err(CmsError::Malformed(format!(
            "content digest of {} bytes for {}",
            content_digest.len(),
            digest.name()
        ))
        .into());
    }
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(DigestAlgorithm::Sha256.digest(signer_cert.der()))
                .map_err(malformed)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    signer_cert.issuer_name().clone(),
                )],
                serial_number: signer_cert.serial().clone(),
            }),
        }],
        policies: None,
    };
    let attrs = vec![
        attribute(oid::CONTENT_TYPE, &content_type)?,
        attribute(
            oid::MESSAGE_DIGEST,
            &OctetString::new(content_digest).map_err(malformed)?,
        )?,
        attribute(oid::SIGNING_CERTIFICATE_V2, &ess)?,
    ];
    let set = SetOfVec::try_from(attrs).map_err(malformed)?;
    Ok(set.to_der().map_err(malformed)?)
}

/// Assembles `ContentInfo { id-signedData, SignedData }`, detached, with one SignerInfo whose
/// signedAttrs are exactly `signed_attributes` (as returned by [`build_signed_attributes`]).
///
/// `chain[0]` is the signer's certificate (named by issuerAndSerialNumber); all of `chain` goes
/// into `certificates`. `unsigned_attributes` are `(dotted OID, DER of one AttributeValue)`,
/// e.g. a signature-time-stamp-token.
pub fn assemble_signed_data(
    signed_attributes: &[u8],
    signature: &[u8],
    algorithm: SignatureAlgorithm,
    chain: &[Certificate],
    unsigned_attributes: &[(String, Vec<u8>)],
) -> Result<Vec<u8>> {
    assemble(
        signed_attributes,
        signature,
        algorithm,
        chain,
        unsigned_attributes,
        &Encapsulated::Detached,
    )
}

/// What the SignedData's encapContentInfo holds.
pub(crate) enum Encapsulated<'a> {
    /// eContentType id-data, no eContent (PAdES).
    Detached,
    /// `content` encapsulated under `content_type`; the certificates are included only when
    /// `include_certificates` (an RFC 3161 request may ask for none).
    Content {
        content_type: ObjectIdentifier,
        content: &'a [u8],
        include_certificates: bool,
    },
}

/// Assembles `ContentInfo { id-signedData, SignedData }` with encapsulated content: the
/// authority side of a timestamp token. `signed_attributes` must name `content_type` and the
/// digest of `content` (see [`build_signed_attributes_for`]).
pub(crate) fn assemble_signed_data_encapsulated(
    signed_attributes: &[u8],
    signature: &[u8],
    algorithm: SignatureAlgorithm,
    chain: &[Certificate],
    content: &Encapsulated<'_>,
) -> Result<Vec<u8>> {
    assemble(signed_attributes, signature, algorithm, chain, &[], content)
}

fn assemble(
    signed_attributes: &[u8],
    signature: &[u8],
    algorithm: SignatureAlgorithm,
    chain: &[Certificate],
    unsigned_attributes: &[(String, Vec<u8>)],
    content: &Encapsulated<'_>,
) -> Result<Vec<u8>> {
    let signer = chain.first().ok_or(CmsError::EmptyChain)?;
    let signed_attrs = cms::signed_data::SignedAttributes::from_der(signed_attributes)
        .map_err(|e| CmsError::Malformed(format!("signed attributes: {e}")))?;
    // Decoding sorts the SET; if that changed anything, the bytes we would emit are not the
    // bytes that were signed.
    if signed_attrs.to_der().map_err(malformed)? != signed_attributes {
        return Err(CmsError::NonCanonicalSignedAttributes.into());
    }
    let unsigned_attrs = if unsigned_attributes.is_empty() {
        None
    } else {
        let mut attrs = Vec::with_capacity(unsigned_attributes.len());
        for (id, value) in unsigned_attributes {
            let id = ObjectIdentifier::new(id).map_err(malformed)?;
            let value = Any::from_der(value).map_err(malformed)?;
            attrs.push(Attribute {
                oid: id,
                values: SetOfVec::try_from(vec![value]).map_err(malformed)?,
            });
        }
        Some(SetOfVec::try_from(attrs).map_err(malformed)?)
    };
    let digest = algorithm.digest();
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(signer.issuer_and_serial()),
        digest_alg: digest.algorithm_identifier(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: algorithm.algorithm_identifier(),
        signature: OctetString::new(signature).map_err(malformed)?,
        unsigned_attrs,
    };
    let certs = chain
        .iter()
        .map(|c| CertificateChoices::Certificate(c.inner().clone()))
        .collect::<Vec<_>>();
    let (version, encap_content_info, include_certificates) = match content {
        Encapsulated::Detached => (
            CmsVersion::V1,
            EncapsulatedContentInfo {
                econtent_type: oid::ID_DATA,
                econtent: None,
            },
            true,
        ),
        Encapsulated::Content {
            content_type,
            content,
            include_certificates,
        } => (
            // RFC 5652 §5.1: version 3 when eContentType is not id-data.
            if *content_type == oid::ID_DATA {
                CmsVersion::V1
            } else {
                CmsVersion::V3
            },
            EncapsulatedContentInfo {
                econtent_type: *content_type,
                econtent: Some(
                    Any::encode_from(&OctetString::new(*content).map_err(malformed)?)
                        .map_err(malformed)?,
                ),
            },
            *include_certificates,
        ),
    };
    let signed_data = SignedData {
        version,
        digest_algorithms: SetOfVec::try_from(vec![digest.algorithm_identifier()])
            .map_err(malformed)?,
        encap_content_info,
        certificates: if include_certificates {
            Some(CertificateSet(
                SetOfVec::try_from(certs).map_err(malformed)?,
            ))
        } else {
            None
        },
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(malformed)?),
    };
    let ci = ContentInfo {
        content_type: oid::ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(malformed)?,
    };
    Ok(ci.to_der().map_err(malformed)?)
}

/// An upper bound on the length of [`assemble_signed_data`]'s output, for sizing the PDF
/// `/Contents` placeholder before signing.
///
/// `unsigned_attributes_len` is the total length of the unsigned attribute values' DER (e.g.
/// the expected timestamp token size).
pub fn estimate_signed_data_len(
    signer_cert_and_chain: &[Certificate],
    algorithm: SignatureAlgorithm,
    max_signature_len: usize,
    unsigned_attributes_len: usize,
) -> usize {
    let certs: usize = signer_cert_and_chain.iter().map(|c| c.der().len()).sum();
    let issuer = signer_cert_and_chain
        .first()
        .map_or(0, |c| c.issuer_name().to_der().map_or(1024, |d| d.len()));
    let sig_alg = algorithm
        .algorithm_identifier()
        .to_der()
        .map_or(128, |d| d.len());
    // Fixed parts: OIDs, versions, attribute wrappers, digests (at most 64 bytes twice) and up
    // to 4 length octets for every constructed level; 1024 bytes covers them with a margin.
    // The issuer name and serial appear twice (sid and ESSCertIDv2 issuerSerial).
    1024 + certs
        + 2 * (issuer + 24)
        + sig_alg
        + max_signature_len
        + unsigned_attributes_len
        + 32 * usize::from(unsigned_attributes_len > 0)
}

/// A minimal DER TLV reader, so that raw spans (signed attributes, certificates) can be
/// located in the input instead of recovered from a re-encoding.
pub(crate) mod tlv {
    use super::CmsError;

    /// One element: its tag byte, the whole encoding, and the content octets.
    pub(crate) struct Tlv<'a> {
        pub(crate) tag: u8,
        pub(crate) raw: &'a [u8],
        pub(crate) content: &'a [u8],
    }

    /// Reads one element from the front of `input`, returning it and the rest.
    pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), CmsError> {
        let (&tag, rest) = input.split_first().ok_or(CmsError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(CmsError::Malformed("multi-byte tag".into()));
        }
        let (&first, rest) = rest.split_first().ok_or(CmsError::Truncated)?;
        let (len, rest) = match first {
            0x00..=0x7f => (usize::from(first), rest),
            0x80 => return Err(CmsError::Malformed("indefinite length (BER)".into())),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                if rest.len() < n {
                    return Err(CmsError::Truncated);
                }
                let (bytes, rest) = rest.split_at(n);
                let len = bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
                (len, rest)
            }
            _ => return Err(CmsError::Malformed("length too large".into())),
        };
        if rest.len() < len {
            return Err(CmsError::Truncated);
        }
        let header = input.len() - rest.len();
        let (content, rest) = rest.split_at(len);
        Ok((
            Tlv {
                tag,
                raw: &input[..header + len],
                content,
            },
            rest,
        ))
    }

    /// Reads an element that must carry `tag`.
    pub(crate) fn expect(input: &[u8], tag: u8) -> Result<(Tlv<'_>, &[u8]), CmsError> {
        let (t, rest) = read(input)?;
        if t.tag != tag {
            return Err(CmsError::Malformed(format!(
                "expected tag {tag:#04x}, found {:#04x}",
                t.tag
            )));
        }
        Ok((t, rest))
    }
}

/// Raw spans found by walking the DER: signedAttrs (tag already set to SET) and certificates.
type RawSpans = (Option<Vec<u8>>, Vec<Vec<u8>>);

fn raw_spans(ci: &[u8]) -> Result<RawSpans, CmsError> {
    let (ci, _) = tlv::expect(ci, 0x30)?;
    let (_, rest) = tlv::expect(ci.content, 0x06)?;
    let (explicit, _) = tlv::expect(rest, 0xa0)?;
    let (sd, _) = tlv::expect(explicit.content, 0x30)?;
    let (_, rest) = tlv::expect(sd.content, 0x02)?;
    let (_, rest) = tlv::expect(rest, 0x31)?;
    let (_, mut rest) = tlv::expect(rest, 0x30)?;
    let mut certs = Vec::new();
    loop {
        let (t, after) = tlv::read(rest)?;
        match t.tag {
            0xa0 => {
                let mut inner = t.content;
                while !inner.is_empty() {
                    let (c, more) = tlv::read(inner)?;
                    if c.tag == 0x30 {
                        certs.push(c.raw.to_vec());
                    }
                    inner = more;
                }
            }
            0xa1 => {}
            0x31 => {
                let (si, _) = tlv::expect(t.content, 0x30)?;
                let (_, r) = tlv::expect(si.content, 0x02)?;
                let (_, r) = tlv::read(r)?; // sid: SEQUENCE or [0]
                let (_, r) = tlv::expect(r, 0x30)?; // digestAlgorithm
                let signed = match tlv::read(r) {
                    Ok((a, _)) if a.tag == 0xa0 => {
                        // RFC 5652 §5.4: the signature covers the SET OF, not the [0] form.
                        let mut raw = vec![0x31];
                        raw.extend_from_slice(&a.raw[1..]);
                        Some(raw)
                    }
                    _ => None,
                };
                return Ok((signed, certs));
            }
            other => {
                return Err(CmsError::Malformed(format!(
                    "unexpected tag {other:#04x} in SignedData"
                )));
            }
        }
        rest = after;
    }
}

/// A parsed PAdES CMS signature, keeping the raw bytes needed for verification.
#[derive(Clone, Debug)]
pub struct SignedDataView {
    signed_attrs_raw: Vec<u8>,
    signed_attrs: Vec<Attribute>,
    signer_info: SignerInfo,
    econtent_type: ObjectIdentifier,
    econtent: Option<Vec<u8>>,
    certificates: Vec<Certificate>,
}

/// Parses a DER `ContentInfo` holding a detached SignedData with exactly one SignerInfo.
///
/// Zero bytes after the DER (the padding of a PDF `/Contents` string) are accepted; any other
/// trailing byte is [`CmsError::TrailingData`].
///
/// ```
/// use cloudsign_core::cms::{parse_signed_data, CmsError};
/// assert_eq!(parse_signed_data(b"\x30\x05").unwrap_err(), CmsError::Truncated);
/// ```
pub fn parse_signed_data(der: &[u8]) -> Result<SignedDataView, CmsError> {
    parse(der, false)
}

/// Parses a DER `ContentInfo` holding a SignedData that encapsulates its content (eContent
/// present), with exactly one SignerInfo: the shape of an RFC 3161 timestamp token. The
/// eContent octets are kept as found ([`SignedDataView::encapsulated_content`]).
///
/// Zero padding after the DER is accepted as for [`parse_signed_data`].
///
/// ```
/// use cloudsign_core::cms::{parse_signed_data_encapsulated, CmsError};
/// assert_eq!(parse_signed_data_encapsulated(b"\x30\x05").unwrap_err(), CmsError::Truncated);
/// ```
pub fn parse_signed_data_encapsulated(der: &[u8]) -> Result<SignedDataView, CmsError> {
    parse(der, true)
}

fn parse(der: &[u8], encapsulated: bool) -> Result<SignedDataView, CmsError> {
    let (outer, rest) = tlv::expect(der, 0x30)?;
    if rest.iter().any(|b| *b != 0) {
        return Err(CmsError::TrailingData);
    }
    let ci = ContentInfo::from_der(outer.raw).map_err(malformed)?;
    if ci.content_type != oid::ID_SIGNED_DATA {
        return Err(CmsError::NotSignedData);
    }
    let sd: SignedData = ci.content.decode_as().map_err(malformed)?;
    let count = sd.signer_infos.0.len();
    let Some(signer_info) = sd
        .signer_infos
        .0
        .into_vec()
        .into_iter()
        .next()
        .filter(|_| count == 1)
    else {
        return Err(CmsError::SignerCount(count));
    };
    // The eContent is an OCTET STRING; `Any` keeps its content octets as they were in the
    // input (DER allows a primitive OCTET STRING only), so digests cover the bytes found.
    let econtent = match (&sd.encap_content_info.econtent, encapsulated) {
        (Some(_), false) => return Err(CmsError::NotDetached),
        (None, true) => return Err(CmsError::NotEncapsulated),
        (None, false) => None,
        (Some(any), true) => {
            if any.tag() != der::Tag::OctetString {
                return Err(CmsError::Malformed(
                    "eContent is not an OCTET STRING".into(),
                ));
            }
            Some(any.value().to_vec())
        }
    };
    let (raw_attrs, raw_certs) = raw_spans(outer.raw)?;
    let signed_attrs_raw = raw_attrs.ok_or(CmsError::MissingSignedAttributes)?;
    let signed_attrs = signer_info
        .signed_attrs
        .clone()
        .ok_or(CmsError::MissingSignedAttributes)?
        .into_vec();
    let certificates = raw_certs
        .iter()
        .map(|c| Certificate::from_der(c).map_err(|e| CmsError::Malformed(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SignedDataView {
        signed_attrs_raw,
        signed_attrs,
        signer_info,
        econtent_type: sd.encap_content_info.econtent_type,
        econtent,
        certificates,
    })
}

impl SignedDataView {
    /// The signed attributes exactly as found in the input, with the `[0] IMPLICIT` tag
    /// replaced by SET (0x31): the bytes the signature covers (RFC 5652 §5.4).
    pub fn signed_attributes_for_verification(&self) -> Vec<u8> {
        self.signed_attrs_raw.clone()
    }

    /// Whether the raw signed attributes are in DER order (a non-canonical encoding is worth a
    /// warning; it is still verified as found).
    pub fn signed_attributes_canonical(&self) -> bool {
        SetOfVec::try_from(self.signed_attrs.clone())
            .ok()
            .and_then(|s| s.to_der().ok())
            .is_some_and(|d| d == self.signed_attrs_raw)
    }

    fn attr_values(&self, id: ObjectIdentifier) -> Option<&[Any]> {
        self.signed_attrs
            .iter()
            .find(|a| a.oid == id)
            .map(|a| a.values.as_slice())
    }

    /// The message-digest attribute, when present with exactly one OCTET STRING value.
    pub fn message_digest(&self) -> Option<&[u8]> {
        match self.attr_values(oid::MESSAGE_DIGEST)? {
            [v] if v.tag() == der::Tag::OctetString => Some(v.value()),
            _ => None,
        }
    }

    /// Whether both eContentType and the content-type attribute are id-data.
    pub fn content_type_is_data(&self) -> bool {
        self.content_type_is(oid::ID_DATA)
    }

    /// Whether both eContentType and the content-type attribute (exactly one value) are
    /// `content_type` (RFC 5652 §11.1 requires them to agree).
    pub(crate) fn content_type_is(&self, content_type: ObjectIdentifier) -> bool {
        let attr_ok = matches!(
            self.attr_values(oid::CONTENT_TYPE),
            Some([v]) if v.decode_as::<ObjectIdentifier>().is_ok_and(|o| o == content_type)
        );
        attr_ok && self.econtent_type == content_type
    }

    /// The eContentType as a dotted OID.
    pub fn econtent_type(&self) -> String {
        self.econtent_type.to_string()
    }

    /// The eContent octets exactly as found, when the content is encapsulated.
    pub fn encapsulated_content(&self) -> Option<&[u8]> {
        self.econtent.as_deref()
    }

    /// The SignerInfo's digestAlgorithm.
    pub fn digest_algorithm(&self) -> Result<DigestAlgorithm, CryptoError> {
        DigestAlgorithm::from_oid(&self.signer_info.digest_alg.oid)
    }

    /// The signature value.
    pub fn signature(&self) -> &[u8] {
        self.signer_info.signature.as_bytes()
    }

    /// The certificates carried in the SignedData, in input order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate named by the SignerInfo's sid (issuerAndSerialNumber or
    /// subjectKeyIdentifier), if carried.
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.certificates
            .iter()
            .find(|c| match &self.signer_info.sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    c.matches_issuer_serial(&ias.issuer, &ias.serial_number)
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => {
                    c.subject_key_identifier() == Some(ski.0.as_bytes())
                }
            })
    }

    /// Whether the signing-certificate-v2 (or, failing that, signing-certificate) attribute
    /// names `cert`; `None` when neither attribute is present. A malformed attribute or a
    /// forbidden hash counts as no match.
    pub fn ess_signing_certificate_matches(&self, cert: &Certificate) -> Option<bool> {
        if let Some(values) = self.attr_values(oid::SIGNING_CERTIFICATE_V2) {
            let Some(id) = values
                .first()
                .and_then(|v| v.decode_as::<SigningCertificateV2>().ok())
                .and_then(|s| s.certs.into_iter().next())
            else {
                return Some(false);
            };
            let hash = id
                .hash_algorithm
                .as_ref()
                .map_or(Ok(DigestAlgorithm::Sha256), |a| {
                    DigestAlgorithm::from_oid(&a.oid)
                });
            let Ok(hash) = hash else {
                return Some(false);
            };
            return Some(
                hash.digest(cert.der()) == id.cert_hash.as_bytes()
                    && issuer_serial_matches(id.issuer_serial.as_ref(), cert),
            );
        }
        let values = self.attr_values(oid::SIGNING_CERTIFICATE)?;
        let Some(id) = values
            .first()
            .and_then(|v| v.decode_as::<SigningCertificate>().ok())
            .and_then(|s| s.certs.into_iter().next())
        else {
            return Some(false);
        };
        // ESSCertID is defined over SHA-1; used only to identify a certificate, not to sign.
        use sha1::Digest;
        let sha1 = sha1::Sha1::digest(cert.der());
        Some(
            sha1.as_slice() == id.cert_hash.as_bytes()
                && issuer_serial_matches(id.issuer_serial.as_ref(), cert),
        )
    }

    /// Whether a signing-time attribute is present (PAdES baseline forbids it).
    pub fn has_signing_time(&self) -> bool {
        self.attr_values(oid::SIGNING_TIME).is_some()
    }

    /// Unsigned attributes as `(dotted OID, DER of one value)`, one entry per value.
    pub fn unsigned_attributes(&self) -> Vec<(String, Vec<u8>)> {
        let Some(attrs) = &self.signer_info.unsigned_attrs else {
            return Vec::new();
        };
        attrs
            .iter()
            .flat_map(|a| {
                a.values
                    .iter()
                    .filter_map(|v| v.to_der().ok())
                    .map(move |v| (a.oid.to_string(), v))
            })
            .collect()
    }

    /// Verifies the signature over the raw signed attributes with `cert`'s public key.
    pub fn verify_signature(&self, cert: &Certificate) -> Result<(), CryptoError> {
        crate::crypto::verify_signature(
            &cert.spki_der(),
            &self.signer_info.signature_algorithm,
            self.digest_algorithm().ok(),
            &self.signed_attrs_raw,
            self.signature(),
        )
    }

    /// A readable name of the signatureAlgorithm, e.g. `"sha256WithRSAEncryption"`, or its
    /// dotted OID when unknown.
    pub fn signature_algorithm_name(&self) -> String {
        let id = self.signer_info.signature_algorithm.oid;
        let name = match id {
            oid::RSA_ENCRYPTION => "rsaEncryption",
            oid::SHA256_WITH_RSA => "sha256WithRSAEncryption",
            oid::SHA384_WITH_RSA => "sha384WithRSAEncryption",
            oid::SHA512_WITH_RSA => "sha512WithRSAEncryption",
            oid::SHA1_WITH_RSA => "sha1WithRSAEncryption",
            oid::RSASSA_PSS => "RSASSA-PSS",
            oid::EC_PUBLIC_KEY => "ecPublicKey",
            oid::ECDSA_WITH_SHA256 => "ecdsa-with-SHA256",
            oid::ECDSA_WITH_SHA384 => "ecdsa-with-SHA384",
            oid::ECDSA_WITH_SHA512 => "ecdsa-with-SHA512",
            oid::ECDSA_WITH_SHA1 => "ecdsa-with-SHA1",
            other => return other.to_string(),
        };
        name.to_owned()
    }
}

fn issuer_serial_matches(is: Option<&IssuerSerial>, cert: &Certificate) -> bool {
    is.is_none_or(|is| {
        &is.serial_number == cert.serial()
            && is
                .issuer
                .iter()
                .any(|g| matches!(g, GeneralName::DirectoryName(n) if n == cert.issuer_name()))
    })
}

/// Entry points for fuzzers; not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    /// Parses `data` and exercises every accessor, ignoring errors.
    pub fn fuzz_signed_data(data: &[u8]) {
        let Ok(view) = super::parse_signed_data(data) else {
            return;
        };
        let _ = view.signed_attributes_for_verification();
        let _ = view.signed_attributes_canonical();
        let _ = view.message_digest();
        let _ = view.content_type_is_data();
        let _ = view.digest_algorithm();
        let _ = view.signature();
        let _ = view.signature_algorithm_name();
        let _ = view.has_signing_time();
        let _ = view.unsigned_attributes();
        let signer = view.signer_certificate().cloned();
        for cert in view.certificates() {
            let _ = view.ess_signing_certificate_matches(cert);
            let _ = view.verify_signature(cert);
        }
        drop(signer);
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
mod tests;
