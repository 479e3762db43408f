//! The `Signer` seam: local keys and external signers (HSM, KMS) share one interface.
//!
//! A [`Signer`] receives a [`ToBeSigned`] holding both the message (the DER signed attributes)
//! and its digest: an HSM or KMS needs only the digest, a signer that hashes itself uses the
//! message. [`LocalSigner`] holds a key in memory.
//!
//! RSA keys use `rsa` 0.9, which carries advisory RUSTSEC-2023-0071 (a timing side channel in
//! private-key operations). [`LocalSigner`] therefore always signs through the RNG-taking API,
//! which blinds the private-key operation.

pub(crate) mod key;

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto::{DigestAlgorithm, PublicKey, SignatureAlgorithm};
use crate::error::Result;
use crate::x509::Certificate;
use key::PrivateKey;

/// A key or key container that cannot be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is malformed.
    #[error("malformed key: {0}")]
    Malformed(String),
    /// The key is too weak to sign with (e.g. RSA below 2048 bits).
    #[error("weak key: {0}")]
    WeakKey(String),
    /// The key type, size or requested algorithm is not supported.
    #[error("unsupported key or algorithm: {0}")]
    Unsupported(String),
    /// The key does not belong to the first certificate of the chain.
    #[error("private key does not match the signer certificate")]
    CertificateMismatch,
    /// No certificate was given with the key.
    #[error("a signer needs at least its own certificate")]
    EmptyChain,
    /// The PKCS#12 password is wrong (or the file is corrupt).
    #[error("wrong password for PKCS#12 file")]
    WrongPassword,
    /// The key container holds no private key (with a certificate).
    #[error("no private key found: {0}")]
    NoKey(String),
    /// The digest handed to the signer has the wrong length for the algorithm.
    #[error("digest of {actual} bytes where {expected} were expected")]
    DigestLength {
        /// Length the algorithm needs.
        expected: usize,
        /// Length received.
        actual: usize,
    },
    /// The signing operation itself failed.
    #[error("signing failed: {0}")]
    SigningFailed(String),
}

/// What a [`Signer`] signs: the message and its digest under the signature algorithm.
///
/// ```
/// use cloudsign_core::crypto::{DigestAlgorithm, SignatureAlgorithm};
/// use cloudsign_core::signer::ToBeSigned;
/// let tbs = ToBeSigned::new(b"attrs".to_vec(), SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256));
/// assert_eq!(tbs.digest(), DigestAlgorithm::Sha256.digest(b"attrs").as_slice());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ToBeSigned {
    message: Vec<u8>,
    digest: Vec<u8>,
    algorithm: SignatureAlgorithm,
}

impl ToBeSigned {
    /// Wraps `message`, computing its digest with `algorithm`'s hash.
    pub fn new(message: Vec<u8>, algorithm: SignatureAlgorithm) -> Self {
        let digest = algorithm.digest().digest(&message);
        Self {
            message,
            digest,
            algorithm,
        }
    }

    /// The bytes to sign (for signers that hash themselves).
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The digest of [`message`](Self::message) (for HSMs and KMSs).
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The signature algorithm the result must use.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
}

/// Anything that can produce signatures for a certificate: a local key, an HSM, a KMS, a
/// remote signing service.
pub trait Signer: Send + Sync {
    /// The signer's certificate first, then its issuers (the trust anchor may be omitted).
    fn certificate_chain(&self) -> &[Certificate];
    /// The signature algorithm this signer produces.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// An upper bound on the signature's length in bytes (used to size PDF placeholders).
    fn max_signature_len(&self) -> usize;
    /// Signs; ECDSA signatures are DER `Ecdsa-Sig-Value`s, RSA signatures are as long as the
    /// modulus.
    fn sign(&self, tbs: &ToBeSigned) -> Result<Vec<u8>>;
}

/// A signer holding its private key in memory: RSA 2048–4096 bits (PKCS#1 v1.5 or PSS),
/// ECDSA P-256 or P-384.
///
/// The key is zeroized when the signer is dropped; `Debug` never prints it. RSA signing is
/// always blinded (see the [module documentation](self) on RUSTSEC-2023-0071).
pub struct LocalSigner {
    key: PrivateKey,
    chain: Vec<Certificate>,
    algorithm: SignatureAlgorithm,
}

impl fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("key", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .field(
                "subject",
                &self
                    .chain
                    .first()
                    .map(Certificate::subject)
                    .unwrap_or_default(),
            )
            .finish()
    }
}

impl LocalSigner {
    fn new(key: PrivateKey, chain: Vec<Certificate>) -> Result<Self> {
        let leaf = chain.first().ok_or(KeyError::EmptyChain)?;
        let cert_key = PublicKey::from_spki_der(&leaf.spki_der())
            .map_err(|_| KeyError::CertificateMismatch)?;
        if cert_key != key.public_key() {
            return Err(KeyError::CertificateMismatch.into());
        }
        let algorithm = key.default_algorithm();
        Ok(Self {
            key,
            chain,
            algorithm,
        })
    }

    /// A signer from a PKCS#8 `PrivateKeyInfo` (unencrypted DER) and the certificate chain,
    /// signer's certificate first.
    pub fn from_pkcs8_der(der: &[u8], chain: Vec<Certificate>) -> Result<Self> {
        Self::new(PrivateKey::from_pkcs8_der(der)?, chain)
    }

    /// A signer from PEM: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or
    /// `EC PRIVATE KEY` (SEC1).
    pub fn from_pkcs8_pem(pem: &[u8], chain: Vec<Certificate>) -> Result<Self> {
        type Loader = fn(&[u8]) -> std::result::Result<PrivateKey, KeyError>;
        let loaders: [(&str, Loader); 3] = [
            ("PRIVATE KEY", PrivateKey::from_pkcs8_der),
            ("RSA PRIVATE KEY", PrivateKey::from_pkcs1_der),
            ("EC PRIVATE KEY", PrivateKey::from_sec1_der),
        ];
        for (label, load) in loaders {
            if let Some(block) = crate::x509::pem_blocks(pem, label).next() {
                let der = Zeroizing::new(block.map_err(|e| KeyError::Malformed(e.to_string()))?);
                return Self::new(load(&der)?, chain);
            }
        }
        if crate::x509::pem_blocks(pem, "ENCRYPTED PRIVATE KEY")
            .next()
            .is_some()
        {
            return Err(KeyError::Unsupported(
                "encrypted PEM keys; use PKCS#12 or decrypt first".into(),
            )
            .into());
        }
        Err(KeyError::Malformed("no private key PEM block".into()).into())
    }

    /// A signer from a PKCS#12 (`.p12`/`.pfx`) file: its first private key and the
    /// certificates chained to it, ordered leaf first by issuance.
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> Result<Self> {
        use p12_keystore::error::Error as P12Error;
        let store = p12_keystore::KeyStore::from_pkcs12(bytes, password).map_err(|e| match e {
            P12Error::MacError(_) | P12Error::UnpadError => KeyError::WrongPassword,
            other => KeyError::Malformed(format!("PKCS#12: {other}")),
        })?;
        let (_, entry) = store.private_key_chain().ok_or_else(|| {
            KeyError::NoKey("PKCS#12 holds no private key with a certificate".into())
        })?;
        let key = PrivateKey::from_pkcs8_der(entry.key())?;
        let certs = entry
            .chain()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>>>()?;
        let public = key.public_key();
        let leaf_pos = certs
            .iter()
            .position(|c| PublicKey::from_spki_der(&c.spki_der()).is_ok_and(|k| k == public))
            .ok_or(KeyError::CertificateMismatch)?;
        Self::new(key, order_by_issuance(certs, leaf_pos))
    }

    /// Uses `digest` instead of the default hash. RSA accepts any; P-256 any; P-384 needs
    /// SHA-384 or SHA-512.
    pub fn with_digest(mut self, digest: DigestAlgorithm) -> Result<Self> {
        let alg = match self.algorithm {
            SignatureAlgorithm::RsaPkcs1v15(_) => SignatureAlgorithm::RsaPkcs1v15(digest),
            SignatureAlgorithm::RsaPss(_) => SignatureAlgorithm::RsaPss(digest),
            SignatureAlgorithm::Ecdsa(_) => SignatureAlgorithm::Ecdsa(digest),
        };
        if !self.key.supports(alg) {
            return Err(KeyError::Unsupported(format!("{} with this key", alg.name())).into());
        }
        self.algorithm = alg;
        Ok(self)
    }

    /// Switches an RSA signer to RSASSA-PSS (same hash; MGF1 with it; salt = hash length).
    pub fn with_pss(mut self) -> Result<Self> {
        match self.algorithm {
            SignatureAlgorithm::RsaPkcs1v15(d) | SignatureAlgorithm::RsaPss(d) => {
                self.algorithm = SignatureAlgorithm::RsaPss(d);
                Ok(self)
            }
            SignatureAlgorithm::Ecdsa(_) => {
                Err(KeyError::Unsupported("PSS needs an RSA key".into()).into())
            }
        }
    }

    /// The signer's own certificate.
    pub fn certificate(&self) -> &Certificate {
        // `new` refuses an empty chain, so the first element always exists.
        &self.chain[0]
    }
}

/// `certs[leaf]` first, then each issuer in turn; certificates that chain to nothing follow
/// in their original order.
fn order_by_issuance(mut certs: Vec<Certificate>, leaf: usize) -> Vec<Certificate> {
    let mut ordered = vec![certs.remove(leaf)];
    while let Some(pos) = ordered.last().and_then(|last| {
        if last.is_self_issued() {
            return None;
        }
        certs.iter().position(|c| last.could_be_issued_by(c))
    }) {
        ordered.push(certs.remove(pos));
    }
    ordered.extend(certs);
    ordered
}

impl Signer for LocalSigner {
    fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn max_signature_len(&self) -> usize {
        self.key.max_signature_len()
    }

    fn sign(&self, tbs: &ToBeSigned) -> Result<Vec<u8>> {
        if tbs.algorithm() != self.algorithm {
            return Err(KeyError::Unsupported(format!(
                "asked for {}, signer uses {}",
                tbs.algorithm().name(),
                self.algorithm.name()
            ))
            .into());
        }
        Ok(self.key.sign_digest(self.algorithm, tbs.digest())?)
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
mod tests;
