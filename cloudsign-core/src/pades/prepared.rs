//! Two-phase signing: the prepared state between "what must be signed" and "here is the
//! signature", serialisable so that another process (or another day) can finish it.

use super::update::{Draft, fill_contents};
use super::{SigningError, hash_update_parts};
use crate::cms;
use crate::crypto::Hasher;
use crate::error::Result;
use crate::pdf::Placeholder;
use crate::signer::ToBeSigned;
use crate::tsp::{self, TimeStamper, TimestampRequest};
use crate::x509::Certificate;

/// OID of the CAdES signature-time-stamp unsigned attribute (id-aa-signatureTimeStampToken,
/// RFC 3161 Appendix A).
const SIGNATURE_TIME_STAMP: &str = "1.2.840.113549.1.9.16.2.14";

/// A signature whose update is written and hashed, waiting for its signature value.
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use cloudsign_core::pades::{PdfSigner, PreparedSignature};
/// use cloudsign_core::signer::Signer;
/// use cloudsign_core::testkit::{TestPki, samples};
/// let pki = TestPki::generate()?;
/// let hsm = pki.signer_rsa.signer()?; // stands in for a remote key
/// let pdf = samples::contract_pdf();
///
/// let prepared = PdfSigner::new(&hsm).prepare(&pdf)?;
/// let state = prepared.to_json(); // store it, send the digest to the HSM
/// let digest = prepared.to_be_signed().digest().to_vec();
/// assert_eq!(digest.len(), 32);
///
/// let signature = hsm.sign(prepared.to_be_signed())?;
/// let resumed = PreparedSignature::from_json(&state)?;
/// let signed = resumed.finish_pdf(&pdf, &signature)?;
/// assert!(signed.len() > pdf.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PreparedSignature {
    format: u32,
    #[serde(with = "hex_bytes")]
    update: Vec<u8>,
    base_len: u64,
    contents: Placeholder,
    byte_range: [u64; 4],
    #[serde(with = "hex_bytes")]
    document_digest: Vec<u8>,
    tbs: ToBeSigned,
    #[serde(with = "hex_list")]
    chain: Vec<Vec<u8>>,
    max_signature_len: usize,
    timestamp_required: bool,
}

/// The finished incremental update: append it to the document it was prepared on.
#[derive(Debug, Clone)]
pub struct SignedUpdate {
    base_len: u64,
    bytes: Vec<u8>,
}

impl SignedUpdate {
    /// The bytes to append.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes to append, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Length of the document this update extends.
    pub fn base_len(&self) -> u64 {
        self.base_len
    }
}

const FORMAT: u32 = 1;

impl PreparedSignature {
    pub(crate) fn new(
        draft: Draft,
        document_digest: Vec<u8>,
        tbs: ToBeSigned,
        chain: Vec<Vec<u8>>,
        max_signature_len: usize,
        timestamp_required: bool,
    ) -> Self {
        Self {
            format: FORMAT,
            update: draft.update,
            base_len: draft.base_len,
            contents: draft.contents,
            byte_range: draft.byte_range,
            document_digest,
            tbs,
            chain,
            max_signature_len,
            timestamp_required,
        }
    }

    /// What the signer must sign: the DER signed attributes and their digest.
    pub fn to_be_signed(&self) -> &ToBeSigned {
        &self.tbs
    }

    /// The `/ByteRange` of the signature being prepared.
    pub fn byte_range(&self) -> [u64; 4] {
        self.byte_range
    }

    /// Digest of the covered bytes of the signed document (the CMS message-digest).
    pub fn document_digest(&self) -> &[u8] {
        &self.document_digest
    }

    /// Serialises the state (JSON, versioned).
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads back a state written by [`PreparedSignature::to_json`].
    ///
    /// # Errors
    /// [`SigningError::InvalidPreparedState`] for anything that is not such a state.
    pub fn from_json(json: &str) -> Result<Self> {
        let state: Self = serde_json::from_str(json)
            .map_err(|e| SigningError::InvalidPreparedState(e.to_string()))?;
        if state.format != FORMAT {
            return Err(
                SigningError::InvalidPreparedState(format!("format {}", state.format)).into(),
            );
        }
        let covered = state
            .contents
            .offset
            .checked_sub(1)
            .and_then(|s| s.checked_sub(state.base_len));
        if covered.is_none_or(|rel| rel >= state.update.len() as u64) {
            return Err(SigningError::InvalidPreparedState(
                "placeholder outside the update".into(),
            )
            .into());
        }
        Ok(state)
    }

    /// Completes a B-B update with `signature` (the signer's output over
    /// [`to_be_signed`](Self::to_be_signed)).
    ///
    /// # Errors
    /// [`SigningError::TimestampRequired`] for a B-T preparation,
    /// [`SigningError::SignatureTooLong`], [`SigningError::PlaceholderTooSmall`], or a CMS or
    /// certificate error.
    pub fn finish(self, signature: &[u8]) -> Result<SignedUpdate> {
        if self.timestamp_required {
            return Err(SigningError::TimestampRequired.into());
        }
        self.finish_with(signature, &[])
    }

    /// Completes the update with `signature` and a signature timestamp from `stamper` over it
    /// (PAdES B-T).
    ///
    /// # Errors
    /// As [`PreparedSignature::finish`], plus any timestamp failure.
    pub fn finish_timestamped(
        self,
        signature: &[u8],
        stamper: &dyn TimeStamper,
    ) -> Result<SignedUpdate> {
        let digest = self.tbs.algorithm().digest();
        let request = TimestampRequest::new(digest, digest.digest(signature));
        let token = tsp::timestamp(stamper, &request)?;
        self.finish_with(
            signature,
            &[(SIGNATURE_TIME_STAMP.to_owned(), token.der().to_vec())],
        )
    }

    fn finish_with(self, signature: &[u8], unsigned: &[(String, Vec<u8>)]) -> Result<SignedUpdate> {
        if signature.len() > self.max_signature_len {
            return Err(SigningError::SignatureTooLong {
                len: signature.len(),
                max: self.max_signature_len,
            }
            .into());
        }
        let chain = self
            .chain
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        let cms = cms::assemble_signed_data(
            self.tbs.message(),
            signature,
            self.tbs.algorithm(),
            &chain,
            unsigned,
        )?;
        let mut bytes = self.update;
        fill_contents(&mut bytes, self.base_len, self.contents, &cms)?;
        Ok(SignedUpdate {
            base_len: self.base_len,
            bytes,
        })
    }

    /// Completes the signature and returns the whole signed document, after checking that
    /// `original` is the document the signature was prepared on.
    ///
    /// # Errors
    /// [`SigningError::DocumentMismatch`], or as [`PreparedSignature::finish`].
    pub fn finish_pdf(self, original: &[u8], signature: &[u8]) -> Result<Vec<u8>> {
        self.check_original(original)?;
        Ok(append(original, self.finish(signature)?))
    }

    /// As [`finish_pdf`](Self::finish_pdf), with a signature timestamp from `stamper`
    /// (PAdES B-T).
    ///
    /// # Errors
    /// [`SigningError::DocumentMismatch`], or as [`PreparedSignature::finish_timestamped`].
    pub fn finish_pdf_timestamped(
        self,
        original: &[u8],
        signature: &[u8],
        stamper: &dyn TimeStamper,
    ) -> Result<Vec<u8>> {
        self.check_original(original)?;
        Ok(append(
            original,
            self.finish_timestamped(signature, stamper)?,
        ))
    }

    fn check_original(&self, original: &[u8]) -> Result<()> {
        if original.len() as u64 != self.base_len {
            return Err(SigningError::DocumentMismatch.into());
        }
        let mut hasher = Hasher::new(self.tbs.algorithm().digest());
        hasher.update(original);
        if !hash_update_parts(&self.update, self.base_len, self.byte_range, &mut hasher) {
            return Err(
                SigningError::InvalidPreparedState("byte range outside the update".into()).into(),
            );
        }
        if hasher.finalize() != self.document_digest {
            return Err(SigningError::DocumentMismatch.into());
        }
        Ok(())
    }
}

mod hex_bytes {
    pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

mod hex_list {
    pub(super) fn serialize<S: serde::Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts: Vec<String> = serde::Deserialize::deserialize(d)?;
        texts
            .iter()
            .map(|t| hex::decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

fn append(original: &[u8], update: SignedUpdate) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + update.bytes.len());
    out.extend_from_slice(original);
    out.extend_from_slice(&update.bytes);
    out
}
