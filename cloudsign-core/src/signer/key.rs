//! Private keys held in memory: loading, signing, and (for the test kit) generation.
//!
//! The RustCrypto key types zeroize their secret material on drop (`RsaPrivateKey` and
//! `ecdsa::SigningKey` both implement `ZeroizeOnDrop`), so no copy of a secret outlives this
//! enum except the caller's own input buffers.

use der::Decode;
use pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
#[cfg(feature = "testkit")]
use zeroize::Zeroizing;

use super::KeyError;
use crate::crypto::{DigestAlgorithm, PublicKey, SignatureAlgorithm, oid};

/// Smallest and largest RSA modulus we sign with.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// A private key of a supported type.
pub(crate) enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl PrivateKey {
    /// Parses PKCS#8 `PrivateKeyInfo` DER.
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| KeyError::Malformed(format!("PKCS#8: {e}")))?;
        let bad = |e: pkcs8::Error| KeyError::Malformed(format!("PKCS#8: {e}"));
        match info.algorithm.oid {
            oid::RSA_ENCRYPTION => {
                let key = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(bad)?;
                Self::rsa(key)
            }
            oid::EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters
                    .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
                match curve {
                    Some(oid::SECP256R1) => p256::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map(Self::P256)
                        .map_err(bad),
                    Some(oid::SECP384R1) => p384::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map(Self::P384)
                        .map_err(bad),
                    Some(c) => Err(KeyError::Unsupported(format!("elliptic curve {c}"))),
                    None => Err(KeyError::Malformed("EC key without named curve".into())),
                }
            }
            other => Err(KeyError::Unsupported(format!("key algorithm {other}"))),
        }
    }

    /// Parses PKCS#1 `RSAPrivateKey` DER ("RSA PRIVATE KEY" PEM).
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        use pkcs1::DecodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map_err(|e| KeyError::Malformed(format!("PKCS#1: {e}")))?;
        Self::rsa(key)
    }

    /// Parses SEC1 `ECPrivateKey` DER ("EC PRIVATE KEY" PEM), P-256 or P-384.
    pub(crate) fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
            return Ok(Self::P256(k.into()));
        }
        p384::SecretKey::from_sec1_der(der)
            .map(|k| Self::P384(k.into()))
            .map_err(|_| KeyError::Malformed("SEC1 key is neither P-256 nor P-384".into()))
    }

    fn rsa(key: rsa::RsaPrivateKey) -> Result<Self, KeyError> {
        let bits = key.n().bits();
        if bits < RSA_MIN_BITS {
            return Err(KeyError::WeakKey(format!(
                "RSA-{bits} is below the {RSA_MIN_BITS}-bit minimum"
            )));
        }
        if bits > RSA_MAX_BITS {
            return Err(KeyError::Unsupported(format!(
                "RSA-{bits} is above the {RSA_MAX_BITS}-bit maximum"
            )));
        }
        Ok(Self::Rsa(Box::new(key)))
    }

    /// Generates a fresh key from the OS CSPRNG.
    #[cfg(feature = "testkit")]
    pub(crate) fn generate_rsa(bits: usize) -> Result<Self, KeyError> {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
            .map_err(|e| KeyError::Unsupported(format!("RSA key generation: {e}")))?;
        Self::rsa(key)
    }

    /// Generates a fresh P-256 key.
    #[cfg(feature = "testkit")]
    pub(crate) fn generate_p256() -> Self {
        Self::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// Generates a fresh P-384 key.
    #[cfg(feature = "testkit")]
    pub(crate) fn generate_p384() -> Self {
        Self::P384(p384::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// PKCS#8 `PrivateKeyInfo` DER.
    #[cfg(feature = "testkit")]
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        use pkcs8::EncodePrivateKey;
        let doc = match self {
            Self::Rsa(k) => k.to_pkcs8_der(),
            Self::P256(k) => k.to_pkcs8_der(),
            Self::P384(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| KeyError::Malformed(format!("PKCS#8 encoding: {e}")))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The public half.
    pub(crate) fn public_key(&self) -> PublicKey {
        match self {
            Self::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            Self::P256(k) => PublicKey::P256(*k.verifying_key()),
            Self::P384(k) => PublicKey::P384(*k.verifying_key()),
        }
    }

    /// DER `SubjectPublicKeyInfo` of the public half.
    #[cfg(feature = "testkit")]
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, KeyError> {
        use spki::EncodePublicKey;
        let doc = match self {
            Self::Rsa(k) => k.to_public_key().to_public_key_der(),
            Self::P256(k) => k.verifying_key().to_public_key_der(),
            Self::P384(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(|e| KeyError::Malformed(format!("public key encoding: {e}")))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// The algorithm used when the caller expresses no preference.
    pub(crate) fn default_algorithm(&self) -> SignatureAlgorithm {
        match self {
            Self::Rsa(_) => SignatureAlgorithm::RsaPkcs1v15(DigestAlgorithm::Sha256),
            Self::P256(_) => SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256),
            Self::P384(_) => SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha384),
        }
    }

    /// Whether `alg` can be used with this key (and is strong enough for it).
    pub(crate) fn supports(&self, alg: SignatureAlgorithm) -> bool {
        match (self, alg) {
            (Self::Rsa(_), SignatureAlgorithm::RsaPkcs1v15(_) | SignatureAlgorithm::RsaPss(_)) => {
                true
            }
            (Self::P256(_), SignatureAlgorithm::Ecdsa(_)) => true,
            // A 256-bit hash would cap P-384 at 128-bit security.
            (Self::P384(_), SignatureAlgorithm::Ecdsa(d)) => d != DigestAlgorithm::Sha256,
            _ => false,
        }
    }

    /// Upper bound of a signature's length in bytes.
    pub(crate) fn max_signature_len(&self) -> usize {
        match self {
            Self::Rsa(k) => k.size(),
            // SEQUENCE { INTEGER r, INTEGER s }, each up to field size + 1 sign byte.
            Self::P256(_) => 2 + 2 * (2 + 33),
            Self::P384(_) => 2 + 2 * (2 + 49),
        }
    }

    /// Signs a precomputed digest.
    ///
    /// RSA signatures always go through the RNG-taking API so that the private-key operation
    /// is blinded (mitigating the RUSTSEC-2023-0071 timing side channel of `rsa` 0.9).
    /// ECDSA signatures are deterministic (RFC 6979) and DER-encoded.
    pub(crate) fn sign_digest(
        &self,
        alg: SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        if !self.supports(alg) {
            return Err(KeyError::Unsupported(format!(
                "{} with this key",
                alg.name()
            )));
        }
        if digest.len() != alg.digest().output_len() {
            return Err(KeyError::DigestLength {
                expected: alg.digest().output_len(),
                actual: digest.len(),
            });
        }
        let failed = |e: &dyn std::fmt::Display| KeyError::SigningFailed(e.to_string());
        let mut rng = rand_core::OsRng;
        match (self, alg) {
            (Self::Rsa(k), SignatureAlgorithm::RsaPkcs1v15(d)) => {
                let padding = match d {
                    DigestAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    DigestAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    DigestAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                k.sign_with_rng(&mut rng, padding, digest)
                    .map_err(|e| failed(&e))
            }
            (Self::Rsa(k), SignatureAlgorithm::RsaPss(d)) => {
                let padding = match d {
                    DigestAlgorithm::Sha256 => rsa::Pss::new::<sha2::Sha256>(),
                    DigestAlgorithm::Sha384 => rsa::Pss::new::<sha2::Sha384>(),
                    DigestAlgorithm::Sha512 => rsa::Pss::new::<sha2::Sha512>(),
                };
                k.sign_with_rng(&mut rng, padding, digest)
                    .map_err(|e| failed(&e))
            }
            (Self::P256(k), SignatureAlgorithm::Ecdsa(_)) => {
                use signature::hazmat::PrehashSigner;
                let sig: p256::ecdsa::Signature = k.sign_prehash(digest).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            (Self::P384(k), SignatureAlgorithm::Ecdsa(_)) => {
                use signature::hazmat::PrehashSigner;
                let sig: p384::ecdsa::Signature = k.sign_prehash(digest).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            _ => Err(KeyError::Unsupported(alg.name())),
        }
    }
}
