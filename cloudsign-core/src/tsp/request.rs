//! `TimeStampReq`: building one (requester) and parsing one strictly (authority).

use der::asn1::{Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Tagged};

use super::TspError;
use super::asn1::{MessageImprint, TimeStampReq};
use crate::crypto::{CryptoError, DigestAlgorithm};

/// An RFC 3161 timestamp request for one message imprint.
///
/// [`new`](Self::new) draws a fresh 64-bit nonce from the operating system's RNG and asks for
/// the TSA's certificate (certReq TRUE), so that the token can be checked on its own.
///
/// ```
/// use cloudsign_core::crypto::DigestAlgorithm;
/// use cloudsign_core::tsp::{parse_request, TimestampRequest};
/// let digest = DigestAlgorithm::Sha256.digest(b"contract");
/// let req = TimestampRequest::new(DigestAlgorithm::Sha256, digest.clone())
///     .with_policy("1.3.6.1.4.1.99999.1.1")?;
/// let der = req.to_der()?;
/// let back = parse_request(&der)?;
/// assert_eq!(back.imprint(), digest.as_slice());
/// assert_eq!(back.nonce(), req.nonce());
/// assert_eq!(back.policy(), Some("1.3.6.1.4.1.99999.1.1"));
/// # Ok::<(), cloudsign_core::tsp::TspError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    digest: DigestAlgorithm,
    imprint: Vec<u8>,
    policy: Option<ObjectIdentifier>,
    /// The dotted form of `policy`, so that [`TimestampRequest::policy`] can lend a `&str`.
    policy_text: Option<String>,
    nonce: Option<Int>,
    cert_req: bool,
    has_extensions: bool,
}

fn malformed(e: impl std::fmt::Display) -> TspError {
    TspError::Malformed(e.to_string())
}

impl TimestampRequest {
    /// A request for `imprint`, the `digest` hash of the data to timestamp, with a random
    /// positive 64-bit nonce and certReq TRUE.
    ///
    /// The imprint's length is checked by [`to_der`](Self::to_der).
    pub fn new(digest: DigestAlgorithm, imprint: Vec<u8>) -> Self {
        let mut bytes = [0u8; 8];
        crate::crypto::random_bytes(&mut bytes);
        // Zero would be a legal nonce, but a zero from the RNG more likely means a broken RNG
        // than luck; any fixed non-zero value keeps the request well-formed.
        let value = u64::from_be_bytes(bytes).max(1);
        Self {
            digest,
            imprint,
            policy: None,
            policy_text: None,
            nonce: nonce_from_u64(value),
            cert_req: true,
            has_extensions: false,
        }
    }

    /// Asks the authority for the policy `oid` (dotted form); the response must then carry it.
    ///
    /// # Errors
    /// [`TspError::Malformed`] when `oid` is not a dotted object identifier.
    pub fn with_policy(mut self, oid: &str) -> Result<Self, TspError> {
        let parsed = ObjectIdentifier::new(oid).map_err(malformed)?;
        self.policy_text = Some(parsed.to_string());
        self.policy = Some(parsed);
        Ok(self)
    }

    /// The DER `TimeStampReq`.
    ///
    /// # Errors
    /// [`TspError::Malformed`] when the imprint's length does not suit its hash algorithm.
    pub fn to_der(&self) -> Result<Vec<u8>, TspError> {
        if self.imprint.len() != self.digest.output_len() {
            return Err(TspError::Malformed(format!(
                "{}-byte imprint for {}",
                self.imprint.len(),
                self.digest.name()
            )));
        }
        let req = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: self.digest.algorithm_identifier(),
                hashed_message: OctetString::new(self.imprint.clone()).map_err(malformed)?,
            },
            req_policy: self.policy,
            nonce: self.nonce.clone(),
            cert_req: self.cert_req,
            extensions: None,
        };
        req.to_der().map_err(malformed)
    }

    /// The nonce as the content octets of its DER INTEGER (big-endian two's complement, so a
    /// value with the top bit set starts with a zero octet); `None` when the request has none.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_ref().map(Int::as_bytes)
    }

    /// The hash of the data to timestamp.
    pub fn imprint(&self) -> &[u8] {
        &self.imprint
    }

    /// The hash algorithm of the imprint.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    /// The requested policy (dotted OID), if any.
    pub fn policy(&self) -> Option<&str> {
        self.policy_text.as_deref()
    }

    /// Whether the requester asked for the TSA's certificate in the token.
    pub fn cert_req(&self) -> bool {
        self.cert_req
    }

    pub(crate) fn policy_oid(&self) -> Option<ObjectIdentifier> {
        self.policy
    }

    pub(crate) fn nonce_int(&self) -> Option<&Int> {
        self.nonce.as_ref()
    }

    pub(crate) fn has_extensions(&self) -> bool {
        self.has_extensions
    }
}

/// A DER INTEGER for a non-negative `value` (a leading zero octet when the top bit is set).
pub(crate) fn nonce_from_u64(value: u64) -> Option<Int> {
    value.to_der().ok().and_then(|der| Int::from_der(&der).ok())
}

/// Parses a DER `TimeStampReq` as an authority must: version 1, a known hash algorithm (SHA-256,
/// SHA-384 or SHA-512) and an imprint of exactly that hash's length. Extensions are recorded so
/// that the authority can refuse them; trailing bytes are an error.
///
/// # Errors
/// [`TspError::UnsupportedAlgorithm`] for any other hash (including SHA-1);
/// [`TspError::Malformed`] for everything else that is wrong.
pub fn parse_request(der: &[u8]) -> Result<TimestampRequest, TspError> {
    let req = TimeStampReq::from_der(der).map_err(malformed)?;
    if req.version != 1 {
        return Err(TspError::Malformed(format!(
            "TimeStampReq version {}",
            req.version
        )));
    }
    let imprint = req.message_imprint;
    let digest = DigestAlgorithm::from_oid(&imprint.hash_algorithm.oid).map_err(|e| match e {
        CryptoError::Forbidden(name) => TspError::UnsupportedAlgorithm(name.to_owned()),
        other => TspError::UnsupportedAlgorithm(other.to_string()),
    })?;
    // RFC 5754 §2: parameters absent, though NULL is common and harmless.
    if imprint
        .hash_algorithm
        .parameters
        .as_ref()
        .is_some_and(|p| p.tag() != der::Tag::Null || !p.value().is_empty())
    {
        return Err(TspError::Malformed("hash algorithm parameters".into()));
    }
    let hashed = imprint.hashed_message.as_bytes();
    if hashed.len() != digest.output_len() {
        return Err(TspError::Malformed(format!(
            "{}-byte imprint for {}",
            hashed.len(),
            digest.name()
        )));
    }
    Ok(TimestampRequest {
        digest,
        imprint: hashed.to_vec(),
        policy: req.req_policy,
        policy_text: req.req_policy.map(|p| p.to_string()),
        nonce: req.nonce,
        cert_req: req.cert_req,
        has_extensions: req.extensions.is_some(),
    })
}
