//! `TimeStampResp`: checking an authority's answer against the request that asked for it.

use der::Decode;
use der::asn1::BitString;

use super::asn1::TimeStampResp;
use super::{TimeStamper, TimestampRequest, TimestampToken, TspError};
use crate::cms::tlv;

/// PKIStatus granted (RFC 3161 §2.4.2).
pub(crate) const GRANTED: u8 = 0;
/// PKIStatus grantedWithMods.
pub(crate) const GRANTED_WITH_MODS: u8 = 1;
/// PKIStatus rejection.
pub(crate) const REJECTION: u8 = 2;

/// The PKIFailureInfo bits RFC 3161 §2.4.2 names for timestamping.
///
/// ```text
/// PKIFailureInfo ::= BIT STRING {
///     badAlg               (0),
///       -- unrecognized or unsupported Algorithm Identifier
///     badRequest           (2),
///       -- transaction not permitted or supported
///     badDataFormat        (5),
///       -- the data submitted has the wrong format
///     timeNotAvailable    (14),
///       -- the TSA's time source is not available
///     unacceptedPolicy    (15),
///       -- the requested TSA policy is not supported by the TSA.
///     unacceptedExtension (16),
///       -- the requested extension is not supported by the TSA.
///     addInfoNotAvailable (17)
///       -- the additional information requested could not be understood
///       -- or is not available
///     systemFailure       (25)
///       -- the request cannot be handled due to system failure  }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureInfo {
    /// badAlg (0).
    BadAlg,
    /// badRequest (2).
    BadRequest,
    /// badDataFormat (5).
    BadDataFormat,
    /// timeNotAvailable (14).
    TimeNotAvailable,
    /// unacceptedPolicy (15).
    UnacceptedPolicy,
    /// unacceptedExtension (16).
    UnacceptedExtension,
    /// addInfoNotAvailable (17).
    AddInfoNotAvailable,
    /// systemFailure (25).
    SystemFailure,
}

const NAMED: [(FailureInfo, usize, &str); 8] = [
    (FailureInfo::BadAlg, 0, "badAlg"),
    (FailureInfo::BadRequest, 2, "badRequest"),
    (FailureInfo::BadDataFormat, 5, "badDataFormat"),
    (FailureInfo::TimeNotAvailable, 14, "timeNotAvailable"),
    (FailureInfo::UnacceptedPolicy, 15, "unacceptedPolicy"),
    (FailureInfo::UnacceptedExtension, 16, "unacceptedExtension"),
    (FailureInfo::AddInfoNotAvailable, 17, "addInfoNotAvailable"),
    (FailureInfo::SystemFailure, 25, "systemFailure"),
];

impl FailureInfo {
    /// The bit number in PKIFailureInfo.
    pub fn bit(self) -> usize {
        NAMED
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or(25, |(_, bit, _)| *bit)
    }

    /// The ASN.1 name, e.g. `"badAlg"`.
    pub fn name(self) -> &'static str {
        NAMED
            .iter()
            .find(|(f, _, _)| *f == self)
            .map_or("systemFailure", |(_, _, name)| name)
    }

    /// The DER BIT STRING with only this bit set (trailing zero bits removed, X.690 §11.2.2).
    pub(crate) fn to_bit_string(self) -> Option<BitString> {
        let bit = self.bit();
        let mut bytes = vec![0u8; bit / 8 + 1];
        let shift = 7 - bit % 8;
        *bytes.last_mut()? = 1 << shift;
        BitString::new(u8::try_from(shift).ok()?, bytes).ok()
    }
}

/// Names of the set bits, comma-separated; unnamed bits as `bit N`.
fn name_bits(bits: &BitString) -> Option<String> {
    let names: Vec<String> = bits
        .bits()
        .enumerate()
        .filter(|(_, on)| *on)
        .map(|(i, _)| {
            NAMED
                .iter()
                .find(|(_, bit, _)| *bit == i)
                .map_or_else(|| format!("bit {i}"), |(_, _, name)| (*name).to_owned())
        })
        .collect();
    (!names.is_empty()).then(|| names.join(","))
}

/// Checks a DER `TimeStampResp` against `request` and returns its verified token.
///
/// In order: the status must be granted (0) or grantedWithMods (1), else
/// [`TspError::Rejected`] with the named failure bits and the status text; a token must be
/// present; its nonce must equal the request's ([`TspError::NonceMismatch`]); its imprint and
/// hash algorithm must equal the request's ([`TspError::ImprintMismatch`]); when the request
/// named a policy the token must carry it ([`TspError::PolicyMismatch`]); finally
/// [`TimestampToken::verify`]. Anything not well-formed is [`TspError::Malformed`].
///
/// # Errors
/// As above.
pub fn check_response(
    request: &TimestampRequest,
    response_der: &[u8],
) -> Result<TimestampToken, TspError> {
    let resp = TimeStampResp::from_der(response_der)
        .map_err(|e| TspError::Malformed(format!("TimeStampResp: {e}")))?;
    let status = resp.status.status;
    if status != GRANTED && status != GRANTED_WITH_MODS {
        return Err(TspError::Rejected {
            status,
            fail_info: resp.status.fail_info.as_ref().and_then(name_bits),
            text: resp.status.status_string.map(|s| s.join(" ")),
        });
    }
    if resp.time_stamp_token.is_none() {
        return Err(TspError::Malformed(
            "granted response without a token".into(),
        ));
    }
    let token = TimestampToken::from_der(token_span(response_der)?)?;

    if let Some(nonce) = request.nonce_int() {
        if token.nonce_int() != Some(nonce) {
            return Err(TspError::NonceMismatch);
        }
    }
    if token.imprint_oid() != request.digest_algorithm().algorithm_identifier().oid
        || token.imprint() != request.imprint()
    {
        return Err(TspError::ImprintMismatch);
    }
    if let Some(policy) = request.policy_oid() {
        if token.policy_oid() != policy {
            return Err(TspError::PolicyMismatch {
                required: policy.to_string(),
                found: token.policy(),
            });
        }
    }
    token.verify()?;
    Ok(token)
}

/// The bytes of the timeStampToken, the element after PKIStatusInfo, exactly as found.
pub(crate) fn token_span(response_der: &[u8]) -> Result<&[u8], TspError> {
    let bad = |e: crate::cms::CmsError| TspError::Malformed(e.to_string());
    let (outer, _) = tlv::read(response_der).map_err(bad)?;
    let (_, rest) = tlv::read(outer.content).map_err(bad)?;
    let (token, _) = tlv::read(rest).map_err(bad)?;
    Ok(token.raw)
}

/// Sends `request` through `stamper` and checks the answer with [`check_response`].
///
/// # Errors
/// [`Error::Timestamp`](crate::Error::Timestamp) wrapping the transport failure or the
/// failed check.
pub fn timestamp(
    stamper: &dyn TimeStamper,
    request: &TimestampRequest,
) -> crate::error::Result<TimestampToken> {
    let der = request.to_der()?;
    let response = stamper.exchange(&der).map_err(TspError::from)?;
    Ok(check_response(request, &response)?)
}
