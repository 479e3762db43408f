//! The RFC 3161 ASN.1 structures, written with `der` derive.
//!
//! `x509-tsp` 0.1 resolves within our dependency generation, but its `TstInfo.genTime` is
//! `der`'s `GeneralizedTime`, which refuses fractional seconds (RFC 3161 §2.4.2 allows them and
//! TSAs send them), and its `TimeStampResp` uses `cmpv2`'s `PKIStatusInfo`, whose failure-info
//! flags give badTime the value of badRequest and whose status enum cannot decode statuses it
//! does not list. What remains would be two small structs, so we write them all here.

use der::asn1::{BitString, Int, ObjectIdentifier, OctetString};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;

use crate::time::UnixTime;

/// `MessageImprint` (RFC 3161 §2.4.1).
///
/// ```text
/// MessageImprint ::= SEQUENCE  {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct MessageImprint {
    pub(crate) hash_algorithm: AlgorithmIdentifierOwned,
    pub(crate) hashed_message: OctetString,
}

/// `TimeStampReq` (RFC 3161 §2.4.1).
///
/// ```text
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///      --a hash algorithm OID and the hash value of the data to be
///      --time-stamped
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
///
/// TSAPolicyId ::= OBJECT IDENTIFIER
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TimeStampReq {
    pub(crate) version: u8,
    pub(crate) message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    pub(crate) req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub(crate) nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    pub(crate) cert_req: bool,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) extensions: Option<Extensions>,
}

/// `PKIStatusInfo` (RFC 3161 §2.4.2, from RFC 4210 §5.2.3).
///
/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
///
/// PKIStatus ::= INTEGER {
///     granted                (0),
///     grantedWithMods        (1),
///     rejection              (2),
///     waiting                (3),
///     revocationWarning      (4),
///     revocationNotification (5) }
///
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct PkiStatusInfo {
    pub(crate) status: u8,
    #[asn1(optional = "true")]
    pub(crate) status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    pub(crate) fail_info: Option<BitString>,
}

/// `TimeStampResp` (RFC 3161 §2.4.2). The token is kept as an undecoded element: its exact
/// bytes are located separately so that nothing is verified over a re-encoding.
///
/// ```text
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
///
/// TimeStampToken ::= ContentInfo
///      -- contentType is id-signedData ([CMS])
///      -- content is SignedData ([CMS])
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TimeStampResp {
    pub(crate) status: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub(crate) time_stamp_token: Option<der::Any>,
}

/// `Accuracy` (RFC 3161 §2.4.2).
///
/// ```text
/// Accuracy ::= SEQUENCE {
///          seconds        INTEGER           OPTIONAL,
///          millis     [0] INTEGER  (1..999) OPTIONAL,
///          micros     [1] INTEGER  (1..999) OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Accuracy {
    #[asn1(optional = "true")]
    pub(crate) seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) micros: Option<u16>,
}

/// `TSTInfo` (RFC 3161 §2.4.2, as updated by RFC 5816).
///
/// ```text
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///      -- MUST have the same value as the similar field in
///      -- TimeStampReq
///    serialNumber                 INTEGER,
///     -- Time-Stamping users MUST be ready to accommodate integers
///     -- up to 160 bits.
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///      -- MUST be present if the similar field was present
///      -- in TimeStampReq.  In that case it MUST have the same value.
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TstInfo {
    pub(crate) version: u8,
    pub(crate) policy: ObjectIdentifier,
    pub(crate) message_imprint: MessageImprint,
    pub(crate) serial_number: Int,
    pub(crate) gen_time: GenTime,
    #[asn1(optional = "true")]
    pub(crate) accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub(crate) ordering: bool,
    #[asn1(optional = "true")]
    pub(crate) nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) extensions: Option<Extensions>,
}

/// A GeneralizedTime as RFC 3161 §2.4.2 allows it in genTime: `YYYYMMDDhhmmss[.s...]Z`.
///
/// ```text
/// The syntax is: YYYYMMDDhhmmss[.s...]Z
/// Example: 19990609001326.34352Z
/// ```
///
/// The fraction is kept in the bytes but dropped from [`GenTime::time`] (whole seconds).
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct GenTime {
    text: Vec<u8>,
    time: UnixTime,
}

impl GenTime {
    /// Whole seconds, without a fraction.
    pub(crate) fn from_time(time: UnixTime) -> Self {
        let (y, mo, d, h, mi, s) = time.to_civil();
        Self {
            text: format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z").into_bytes(),
            time,
        }
    }

    /// Parses the content octets.
    pub(crate) fn parse(text: &[u8]) -> Option<Self> {
        let (zone, body) = text.split_last()?;
        if *zone != b'Z' || body.len() < 14 {
            return None;
        }
        let (fixed, fraction) = body.split_at(14);
        if !fixed.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if let Some((dot, digits)) = fraction.split_first() {
            // X.690 §11.7: a fraction has a full stop and at least one digit.
            if *dot != b'.' || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
        }
        let num = |at: usize| (fixed[at] - b'0') * 10 + (fixed[at + 1] - b'0');
        let year = i64::from(num(0)) * 100 + i64::from(num(2));
        let time = UnixTime::from_civil(year, num(4), num(6), num(8), num(10), num(12))?;
        Some(Self {
            text: text.to_vec(),
            time,
        })
    }

    pub(crate) fn time(&self) -> UnixTime {
        self.time
    }
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for GenTime {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length)?;
        Self::parse(&bytes).ok_or_else(|| Tag::GeneralizedTime.value_error())
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.text.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.text)
    }
}
