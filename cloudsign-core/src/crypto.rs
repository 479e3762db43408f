//! The one seam to the cryptographic crates: digests, signature algorithms, verification.
//!
//! Everything above this module speaks in [`DigestAlgorithm`] and [`SignatureAlgorithm`];
//! only this module (and the key handling in [`signer`](crate::signer)) touches the RustCrypto
//! primitive crates. SHA-1 and MD5 are refused everywhere with [`CryptoError::Forbidden`].
//!
//! ```
//! use cloudsign_core::crypto::{DigestAlgorithm, Hasher};
//! let mut h = Hasher::new(DigestAlgorithm::Sha256);
//! h.update(b"ab");
//! h.update(b"c");
//! assert_eq!(h.finalize(), DigestAlgorithm::Sha256.digest(b"abc"));
//! ```

pub mod aead;
pub(crate) mod oid;

use der::asn1::ObjectIdentifier;
use der::{Any, Decode};
use rand_core::RngCore;
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;

/// A cryptographic primitive refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The algorithm is not supported.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The algorithm is known but refused as too weak (SHA-1, MD5).
    #[error("forbidden algorithm: {0}")]
    Forbidden(&'static str),
    /// The signature does not verify under the given key.
    #[error("signature does not verify")]
    BadSignature,
    /// The public key cannot be parsed or does not suit the algorithm.
    #[error("invalid public key: {0}")]
    InvalidKey(String),
    /// Algorithm parameters or a signature encoding are malformed.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// Authenticated decryption failed: wrong key, nonce or associated data, or altered bytes.
    #[error("authenticated decryption failed")]
    Decryption,
}

/// A hash function allowed for signatures.
///
/// ```
/// use cloudsign_core::crypto::DigestAlgorithm;
/// assert_eq!(DigestAlgorithm::Sha384.output_len(), 48);
/// assert_eq!(DigestAlgorithm::Sha512.name(), "SHA-512");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DigestAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-384 (FIPS 180-4).
    Sha384,
    /// SHA-512 (FIPS 180-4).
    Sha512,
}

impl DigestAlgorithm {
    /// The digest of `data`.
    pub fn digest(&self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// Length of the digest in bytes.
    pub const fn output_len(&self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The conventional name, e.g. `"SHA-256"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// The hash algorithm's object identifier.
    pub(crate) const fn oid(&self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    /// The hash algorithm for an object identifier; SHA-1 and MD5 are forbidden.
    pub(crate) fn from_oid(id: &ObjectIdentifier) -> Result<Self, CryptoError> {
        match *id {
            oid::SHA256 => Ok(Self::Sha256),
            oid::SHA384 => Ok(Self::Sha384),
            oid::SHA512 => Ok(Self::Sha512),
            oid::SHA1 => Err(CryptoError::Forbidden("SHA-1")),
            oid::MD5 => Err(CryptoError::Forbidden("MD5")),
            other => Err(CryptoError::UnsupportedAlgorithm(format!(
                "digest algorithm {other}"
            ))),
        }
    }

    /// `AlgorithmIdentifier` with absent parameters, as RFC 5754 §2 asks producers to write.
    pub(crate) fn algorithm_identifier(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// `AlgorithmIdentifier` with NULL parameters (inside RSASSA-PSS-params, as OpenSSL
    /// writes them).
    fn algorithm_identifier_null(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(Any::null()),
        }
    }
}

/// An incremental hash, for inputs that arrive in pieces (PDF byte ranges).
#[derive(Clone, Debug)]
pub struct Hasher(HasherInner);

#[derive(Clone, Debug)]
enum HasherInner {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        Self(match algorithm {
            DigestAlgorithm::Sha256 => HasherInner::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Sha384 => HasherInner::Sha384(sha2::Sha384::new()),
            DigestAlgorithm::Sha512 => HasherInner::Sha512(sha2::Sha512::new()),
        })
    }

    /// Feeds more data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherInner::Sha256(h) => h.update(data),
            HasherInner::Sha384(h) => h.update(data),
            HasherInner::Sha512(h) => h.update(data),
        }
    }

    /// The digest of everything fed so far.
    pub fn finalize(self) -> Vec<u8> {
        match self.0 {
            HasherInner::Sha256(h) => h.finalize().to_vec(),
            HasherInner::Sha384(h) => h.finalize().to_vec(),
            HasherInner::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// A signature scheme together with its hash function.
///
/// ```
/// use cloudsign_core::crypto::{DigestAlgorithm, SignatureAlgorithm};
/// let alg = SignatureAlgorithm::RsaPss(DigestAlgorithm::Sha384);
/// assert_eq!(alg.digest(), DigestAlgorithm::Sha384);
/// assert_eq!(alg.name(), "RSASSA-PSS with SHA-384");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1v15(DigestAlgorithm),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and salt length = hash length.
    RsaPss(DigestAlgorithm),
    /// ECDSA (FIPS 186-5) with DER-encoded `Ecdsa-Sig-Value`.
    Ecdsa(DigestAlgorithm),
}

impl SignatureAlgorithm {
    /// The hash function of the scheme.
    pub const fn digest(&self) -> DigestAlgorithm {
        match self {
            Self::RsaPkcs1v15(d) | Self::RsaPss(d) | Self::Ecdsa(d) => *d,
        }
    }

    /// A human-readable name, e.g. `"RSA PKCS#1 v1.5 with SHA-256"`.
    pub fn name(&self) -> String {
        match self {
            Self::RsaPkcs1v15(d) => format!("RSA PKCS#1 v1.5 with {}", d.name()),
            Self::RsaPss(d) => format!("RSASSA-PSS with {}", d.name()),
            Self::Ecdsa(d) => format!("ECDSA with {}", d.name()),
        }
    }

    /// The `AlgorithmIdentifier` naming this scheme in certificates and `SignerInfo`.
    ///
    /// For PSS the parameters are spelled out in full (RFC 4055 §3.1):
    ///
    /// ```text
    /// RSASSA-PSS-params  ::=  SEQUENCE  {
    ///     hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
    ///     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
    ///     saltLength         [2] INTEGER DEFAULT 20,
    ///     trailerField       [3] INTEGER DEFAULT 1  }
    /// ```
    pub(crate) fn algorithm_identifier(&self) -> AlgorithmIdentifierOwned {
        let (id, null) = match self {
            Self::RsaPkcs1v15(DigestAlgorithm::Sha256) => (oid::SHA256_WITH_RSA, true),
            Self::RsaPkcs1v15(DigestAlgorithm::Sha384) => (oid::SHA384_WITH_RSA, true),
            Self::RsaPkcs1v15(DigestAlgorithm::Sha512) => (oid::SHA512_WITH_RSA, true),
            Self::Ecdsa(DigestAlgorithm::Sha256) => (oid::ECDSA_WITH_SHA256, false),
            Self::Ecdsa(DigestAlgorithm::Sha384) => (oid::ECDSA_WITH_SHA384, false),
            Self::Ecdsa(DigestAlgorithm::Sha512) => (oid::ECDSA_WITH_SHA512, false),
            Self::RsaPss(d) => {
                return AlgorithmIdentifierOwned {
                    oid: oid::RSASSA_PSS,
                    parameters: Some(pss_params(*d)),
                };
            }
        };
        AlgorithmIdentifierOwned {
            oid: id,
            // RFC 4055 §5: the PKCS#1 v1.5 identifiers carry NULL; RFC 5758 §3.2: ECDSA absent.
            parameters: null.then(Any::null),
        }
    }
}

/// DER of RSASSA-PSS-params for `digest`, written by hand because every field is fixed and
/// the encoding is small: hash and MGF1 hash with NULL parameters, salt = hash length.
fn pss_params(digest: DigestAlgorithm) -> Any {
    let hash = digest.algorithm_identifier_null();
    let mgf = MaskGen {
        oid: oid::MGF1,
        parameters: hash.clone(),
    };
    let params = PssParams {
        hash_algorithm: Some(hash),
        mask_gen_algorithm: Some(mgf),
        // Output lengths are 32, 48 and 64, all well inside u8.
        salt_length: Some(u8::try_from(digest.output_len()).unwrap_or(u8::MAX)),
        trailer_field: None,
    };
    // Encoding valid OIDs and small integers cannot fail; should it ever, NULL parameters make
    // every verifier reject the signature (fail closed) instead of us panicking.
    Any::encode_from(&params).unwrap_or_else(|_| Any::null())
}

/// `MaskGenAlgorithm` with MGF1 parameters.
#[derive(Clone, Debug, der::Sequence)]
struct MaskGen {
    oid: ObjectIdentifier,
    parameters: AlgorithmIdentifierOwned,
}

/// RSASSA-PSS-params (RFC 4055 §3.1), see [`SignatureAlgorithm::algorithm_identifier`].
#[derive(Clone, Debug, der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen_algorithm: Option<MaskGen>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u8>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u8>,
}

/// How to check a signature once the algorithm identifier has been understood.
enum Scheme {
    Pkcs1v15(DigestAlgorithm),
    Pss(DigestAlgorithm, usize),
    Ecdsa(DigestAlgorithm),
}

fn parse_pss_params(params: Option<&Any>) -> Result<(DigestAlgorithm, usize), CryptoError> {
    let params =
        params.ok_or_else(|| CryptoError::Malformed("RSASSA-PSS without parameters".into()))?;
    let p: PssParams = params
        .decode_as()
        .map_err(|e| CryptoError::Malformed(format!("RSASSA-PSS parameters: {e}")))?;
    // Absent hashAlgorithm means the SHA-1 default.
    let hash = p.hash_algorithm.ok_or(CryptoError::Forbidden("SHA-1"))?;
    let digest = DigestAlgorithm::from_oid(&hash.oid)?;
    let mgf = p
        .mask_gen_algorithm
        .ok_or(CryptoError::Forbidden("SHA-1"))?;
    if mgf.oid != oid::MGF1 {
        return Err(CryptoError::UnsupportedAlgorithm(format!(
            "mask generation function {}",
            mgf.oid
        )));
    }
    if DigestAlgorithm::from_oid(&mgf.parameters.oid)? != digest {
        return Err(CryptoError::UnsupportedAlgorithm(
            "RSASSA-PSS with MGF1 hash different from message hash".into(),
        ));
    }
    if p.trailer_field.is_some_and(|t| t != 1) {
        return Err(CryptoError::Malformed("RSASSA-PSS trailerField".into()));
    }
    Ok((digest, usize::from(p.salt_length.unwrap_or(20))))
}

fn scheme_for(
    alg: &AlgorithmIdentifierOwned,
    digest_algorithm: Option<DigestAlgorithm>,
) -> Result<Scheme, CryptoError> {
    let need_digest = || {
        digest_algorithm.ok_or_else(|| {
            CryptoError::UnsupportedAlgorithm(format!("{} without a digest algorithm", alg.oid))
        })
    };
    Ok(match alg.oid {
        oid::RSA_ENCRYPTION => Scheme::Pkcs1v15(need_digest()?),
        oid::SHA256_WITH_RSA => Scheme::Pkcs1v15(DigestAlgorithm::Sha256),
        oid::SHA384_WITH_RSA => Scheme::Pkcs1v15(DigestAlgorithm::Sha384),
        oid::SHA512_WITH_RSA => Scheme::Pkcs1v15(DigestAlgorithm::Sha512),
        oid::RSASSA_PSS => {
            let (d, salt) = parse_pss_params(alg.parameters.as_ref())?;
            Scheme::Pss(d, salt)
        }
        // Some CMS producers name the key type instead of the signature algorithm.
        oid::EC_PUBLIC_KEY => Scheme::Ecdsa(need_digest()?),
        oid::ECDSA_WITH_SHA256 => Scheme::Ecdsa(DigestAlgorithm::Sha256),
        oid::ECDSA_WITH_SHA384 => Scheme::Ecdsa(DigestAlgorithm::Sha384),
        oid::ECDSA_WITH_SHA512 => Scheme::Ecdsa(DigestAlgorithm::Sha512),
        oid::SHA1_WITH_RSA | oid::ECDSA_WITH_SHA1 => return Err(CryptoError::Forbidden("SHA-1")),
        oid::MD5_WITH_RSA => return Err(CryptoError::Forbidden("MD5")),
        other => {
            return Err(CryptoError::UnsupportedAlgorithm(format!(
                "signature algorithm {other}"
            )));
        }
    })
}

/// Verifies `signature` over `message` with the public key in `spki_der`
/// (a DER `SubjectPublicKeyInfo`).
///
/// `digest_algorithm` is consulted only when `signature_algorithm` does not name a hash itself
/// (`rsaEncryption`, `id-ecPublicKey`, as CMS `SignerInfo` sometimes has). ECDSA signatures are
/// DER `Ecdsa-Sig-Value`s.
pub(crate) fn verify_signature(
    spki_der: &[u8],
    signature_algorithm: &AlgorithmIdentifierOwned,
    digest_algorithm: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let scheme = scheme_for(signature_algorithm, digest_algorithm)?;
    let key = PublicKey::from_spki_der(spki_der)?;
    match (scheme, key) {
        (Scheme::Pkcs1v15(d), PublicKey::Rsa(k)) => {
            let hashed = d.digest(message);
            let padding = match d {
                DigestAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                DigestAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                DigestAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            k.verify(padding, &hashed, signature)
                .map_err(|_| CryptoError::BadSignature)
        }
        (Scheme::Pss(d, salt), PublicKey::Rsa(k)) => {
            let hashed = d.digest(message);
            let padding = match d {
                DigestAlgorithm::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
                DigestAlgorithm::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt),
                DigestAlgorithm::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt),
            };
            k.verify(padding, &hashed, signature)
                .map_err(|_| CryptoError::BadSignature)
        }
        (Scheme::Ecdsa(d), PublicKey::P256(k)) => {
            use signature::hazmat::PrehashVerifier;
            let sig = p256::ecdsa::DerSignature::from_bytes(signature)
                .map_err(|_| CryptoError::BadSignature)?;
            k.verify_prehash(&d.digest(message), &sig)
                .map_err(|_| CryptoError::BadSignature)
        }
        (Scheme::Ecdsa(d), PublicKey::P384(k)) => {
            use signature::hazmat::PrehashVerifier;
            let sig = p384::ecdsa::DerSignature::from_bytes(signature)
                .map_err(|_| CryptoError::BadSignature)?;
            k.verify_prehash(&d.digest(message), &sig)
                .map_err(|_| CryptoError::BadSignature)
        }
        _ => Err(CryptoError::InvalidKey(format!(
            "public key type does not match signature algorithm {}",
            signature_algorithm.oid
        ))),
    }
}

/// A parsed public key of a supported type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo`.
    pub(crate) fn from_spki_der(spki_der: &[u8]) -> Result<Self, CryptoError> {
        use spki::DecodePublicKey;
        let info = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
            .map_err(|e| CryptoError::InvalidKey(format!("SubjectPublicKeyInfo: {e}")))?;
        let bad = |e: spki::Error| CryptoError::InvalidKey(e.to_string());
        match info.algorithm.oid {
            // A PSS-restricted key (RFC 4055 §1.2) holds the same RSAPublicKey.
            oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
                use pkcs1::DecodeRsaPublicKey;
                rsa::RsaPublicKey::from_pkcs1_der(info.subject_public_key.raw_bytes())
                    .map(Self::Rsa)
                    .map_err(|e| CryptoError::InvalidKey(e.to_string()))
            }
            oid::EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
                match curve {
                    Some(oid::SECP256R1) => {
                        p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                            .map(Self::P256)
                            .map_err(bad)
                    }
                    Some(oid::SECP384R1) => {
                        p384::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                            .map(Self::P384)
                            .map_err(bad)
                    }
                    Some(c) => Err(CryptoError::UnsupportedAlgorithm(format!("curve {c}"))),
                    None => Err(CryptoError::InvalidKey("EC key without named curve".into())),
                }
            }
            other => Err(CryptoError::UnsupportedAlgorithm(format!(
                "public key algorithm {other}"
            ))),
        }
    }

    /// "RSA-2048", "EC P-256", ...
    pub(crate) fn description(&self) -> String {
        match self {
            Self::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                format!("RSA-{}", k.n().bits())
            }
            Self::P256(_) => "EC P-256".into(),
            Self::P384(_) => "EC P-384".into(),
        }
    }
}

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Panics
///
/// If the operating system cannot provide randomness, which leaves no safe way to continue.
///
/// ```
/// let mut nonce = [0u8; 16];
/// cloudsign_core::crypto::random_bytes(&mut nonce);
/// ```
pub fn random_bytes(buf: &mut [u8]) {
    rand_core::OsRng.fill_bytes(buf);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digests_have_declared_lengths() {
        for d in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            assert_eq!(d.digest(b"x").len(), d.output_len());
            assert_eq!(DigestAlgorithm::from_oid(&d.oid()), Ok(d));
            let mut h = Hasher::new(d);
            h.update(b"x");
            assert_eq!(h.finalize(), d.digest(b"x"));
        }
        assert_eq!(
            DigestAlgorithm::from_oid(&oid::SHA1),
            Err(CryptoError::Forbidden("SHA-1"))
        );
    }

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            hex::encode(DigestAlgorithm::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pss_identifier_round_trips() {
        for d in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let id = SignatureAlgorithm::RsaPss(d).algorithm_identifier();
            let (parsed, salt) = parse_pss_params(id.parameters.as_ref()).unwrap();
            assert_eq!(parsed, d);
            assert_eq!(salt, d.output_len());
        }
    }

    #[test]
    fn sha1_signature_algorithms_are_forbidden() {
        let alg = AlgorithmIdentifierOwned {
            oid: oid::SHA1_WITH_RSA,
            parameters: None,
        };
        assert_eq!(
            verify_signature(b"", &alg, None, b"", b"").unwrap_err(),
            CryptoError::Forbidden("SHA-1")
        );
    }

    #[test]
    fn garbage_key_is_typed_error() {
        let alg = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256).algorithm_identifier();
        assert!(matches!(
            verify_signature(b"\x30\x03\x02\x01", &alg, None, b"m", b"s"),
            Err(CryptoError::InvalidKey(_))
        ));
    }
}
