//! Signers: a key from PKCS#12 or PEM, or a C callback (an HSM, a KMS, a remote service).

use std::ffi::{c_char, c_void};

use cloudsign_core::crypto::{DigestAlgorithm, SignatureAlgorithm};
use cloudsign_core::signer::{KeyError, LocalSigner, Signer, ToBeSigned};
use cloudsign_core::x509::{self, Certificate};

use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi::{self, CallbackError, SignCallback};

/// RSA PKCS#1 v1.5 with SHA-256.
pub const CS_ALG_RSA_PKCS1V15_SHA256: u32 = 1;
/// RSA PKCS#1 v1.5 with SHA-384.
pub const CS_ALG_RSA_PKCS1V15_SHA384: u32 = 2;
/// RSA PKCS#1 v1.5 with SHA-512.
pub const CS_ALG_RSA_PKCS1V15_SHA512: u32 = 3;
/// RSASSA-PSS with SHA-256 (MGF1 with SHA-256, salt of 32 bytes).
pub const CS_ALG_RSA_PSS_SHA256: u32 = 4;
/// RSASSA-PSS with SHA-384.
pub const CS_ALG_RSA_PSS_SHA384: u32 = 5;
/// RSASSA-PSS with SHA-512.
pub const CS_ALG_RSA_PSS_SHA512: u32 = 6;
/// ECDSA with SHA-256; the signature is a DER `Ecdsa-Sig-Value`.
pub const CS_ALG_ECDSA_SHA256: u32 = 7;
/// ECDSA with SHA-384.
pub const CS_ALG_ECDSA_SHA384: u32 = 8;
/// ECDSA with SHA-512.
pub const CS_ALG_ECDSA_SHA512: u32 = 9;

/// A signer: its certificate chain and a way to sign. Made by `cs_signer_new_pkcs12`,
/// `cs_signer_new_pem` or `cs_signer_new_callback`; freed by `cs_signer_free`.
pub struct cs_signer {
    pub(crate) inner: Box<dyn Signer>,
}

impl std::fmt::Debug for cs_signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("cs_signer")
            .field("algorithm", &self.inner.algorithm())
            .finish_non_exhaustive()
    }
}

/// Produces a signature for the signing callback signer.
///
/// Called with the caller's `userdata`, the `CS_ALG_*` algorithm, the message (the DER signed
/// attributes, for signers that hash themselves) and its digest under that algorithm (for HSMs
/// that sign digests). Writes at most `signature_capacity` bytes to `signature`, stores their
/// number in `*signature_len` and returns 0; any other return value refuses to sign.
pub type cs_sign_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        algorithm: u32,
        message: *const u8,
        message_len: usize,
        digest: *const u8,
        digest_len: usize,
        signature: *mut u8,
        signature_capacity: usize,
        signature_len: *mut usize,
    ) -> i32,
>;

/// A signer from a PKCS#12 (`.p12`/`.pfx`) file's bytes and its password. A wrong password is
/// `CS_ERR_KEY`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signer_new_pkcs12(
    p12: *const u8,
    p12_len: usize,
    password: *const c_char,
    out: *mut *mut cs_signer,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let p12 = ffi::bytes(p12, p12_len, "p12")?;
        let password = ffi::text(password, "password")?;
        let signer = LocalSigner::from_pkcs12(p12, password)?;
        out.set(cs_signer {
            inner: Box::new(signer),
        });
        Ok(())
    })
}

/// A signer from a PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`) and
/// a PEM certificate chain, the signer's certificate first.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signer_new_pem(
    key_pem: *const u8,
    key_pem_len: usize,
    chain_pem: *const u8,
    chain_pem_len: usize,
    out: *mut *mut cs_signer,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let key = ffi::bytes(key_pem, key_pem_len, "key_pem")?;
        let chain = x509::parse_pem_chain(ffi::bytes(chain_pem, chain_pem_len, "chain_pem")?)?;
        let signer = LocalSigner::from_pkcs8_pem(key, chain)?;
        out.set(cs_signer {
            inner: Box::new(signer),
        });
        Ok(())
    })
}

/// A signer whose signatures come from `callback` (for an HSM or remote key).
///
/// `chain_pem` holds the signer's certificate first, then its issuers. `algorithm` is one of
/// `CS_ALG_*` and must match the certificate's key; `max_signature_len` bounds the signature
/// (256 for RSA-2048, 512 for RSA-4096, 72 for P-256, 104 for P-384) and is the capacity the
/// callback gets. The callback is called synchronously during signing calls, on the calling
/// thread; `userdata` must stay valid until the signer is freed.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signer_new_callback(
    callback: cs_sign_callback,
    userdata: *mut c_void,
    chain_pem: *const u8,
    chain_pem_len: usize,
    algorithm: u32,
    max_signature_len: usize,
    out: *mut *mut cs_signer,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        if callback.is_none() {
            return Err(Failure::null("callback"));
        }
        let chain = x509::parse_pem_chain(ffi::bytes(chain_pem, chain_pem_len, "chain_pem")?)?;
        if chain.is_empty() {
            return Err(cloudsign_core::Error::from(KeyError::EmptyChain).into());
        }
        let algorithm_value = algorithm;
        let algorithm = algorithm_from_code(algorithm)?;
        if max_signature_len == 0 || max_signature_len > 1024 {
            return Err(Failure::invalid(
                "max_signature_len must be between 1 and 1024",
            ));
        }
        out.set(cs_signer {
            inner: Box::new(CallbackSigner {
                callback: SignCallback::new(callback, userdata),
                chain,
                algorithm,
                algorithm_code: algorithm_value,
                max_signature_len,
            }),
        });
        Ok(())
    })
}

/// Frees a signer; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signer_free(signer: *mut cs_signer) {
    guard((), || ffi::free_handle(signer));
}

/// The algorithm a `CS_ALG_*` code names.
pub(crate) fn algorithm_from_code(code: u32) -> Result<SignatureAlgorithm, Failure> {
    use DigestAlgorithm::{Sha256, Sha384, Sha512};
    Ok(match code {
        CS_ALG_RSA_PKCS1V15_SHA256 => SignatureAlgorithm::RsaPkcs1v15(Sha256),
        CS_ALG_RSA_PKCS1V15_SHA384 => SignatureAlgorithm::RsaPkcs1v15(Sha384),
        CS_ALG_RSA_PKCS1V15_SHA512 => SignatureAlgorithm::RsaPkcs1v15(Sha512),
        CS_ALG_RSA_PSS_SHA256 => SignatureAlgorithm::RsaPss(Sha256),
        CS_ALG_RSA_PSS_SHA384 => SignatureAlgorithm::RsaPss(Sha384),
        CS_ALG_RSA_PSS_SHA512 => SignatureAlgorithm::RsaPss(Sha512),
        CS_ALG_ECDSA_SHA256 => SignatureAlgorithm::Ecdsa(Sha256),
        CS_ALG_ECDSA_SHA384 => SignatureAlgorithm::Ecdsa(Sha384),
        CS_ALG_ECDSA_SHA512 => SignatureAlgorithm::Ecdsa(Sha512),
        other => return Err(Failure::invalid(format!("unknown algorithm {other}"))),
    })
}

/// The `CS_ALG_*` code of an algorithm.
pub(crate) fn algorithm_code(algorithm: SignatureAlgorithm) -> u32 {
    use DigestAlgorithm::{Sha256, Sha384, Sha512};
    match algorithm {
        SignatureAlgorithm::RsaPkcs1v15(Sha256) => CS_ALG_RSA_PKCS1V15_SHA256,
        SignatureAlgorithm::RsaPkcs1v15(Sha384) => CS_ALG_RSA_PKCS1V15_SHA384,
        SignatureAlgorithm::RsaPkcs1v15(Sha512) => CS_ALG_RSA_PKCS1V15_SHA512,
        SignatureAlgorithm::RsaPss(Sha256) => CS_ALG_RSA_PSS_SHA256,
        SignatureAlgorithm::RsaPss(Sha384) => CS_ALG_RSA_PSS_SHA384,
        SignatureAlgorithm::RsaPss(Sha512) => CS_ALG_RSA_PSS_SHA512,
        SignatureAlgorithm::Ecdsa(Sha256) => CS_ALG_ECDSA_SHA256,
        SignatureAlgorithm::Ecdsa(Sha384) => CS_ALG_ECDSA_SHA384,
        SignatureAlgorithm::Ecdsa(Sha512) => CS_ALG_ECDSA_SHA512,
    }
}

/// A [`Signer`] that asks a C callback for each signature.
#[derive(Debug)]
struct CallbackSigner {
    callback: SignCallback,
    chain: Vec<Certificate>,
    algorithm: SignatureAlgorithm,
    algorithm_code: u32,
    max_signature_len: usize,
}

impl Signer for CallbackSigner {
    fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn max_signature_len(&self) -> usize {
        self.max_signature_len
    }

    fn sign(&self, tbs: &ToBeSigned) -> cloudsign_core::error::Result<Vec<u8>> {
        self.callback
            .call(
                self.algorithm_code,
                tbs.message(),
                tbs.digest(),
                self.max_signature_len,
            )
            .map_err(|e| {
                let why = match e {
                    CallbackError::Refused(rc) => format!("signing callback returned {rc}"),
                    CallbackError::Overflow(len) => format!(
                        "signing callback reported {len} bytes, more than the {} it was given",
                        self.max_signature_len
                    ),
                };
                KeyError::SigningFailed(why).into()
            })
    }
}
