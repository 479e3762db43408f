//! Signers: keys loaded into `cloudsign.Signer`, and any Python object with a `sign` method
//! (an HSM, a KMS, a remote service) seen by the core as one more [`CoreSigner`].

use std::sync::Arc;

use cloudsign_core::crypto::{DigestAlgorithm, SignatureAlgorithm};
use cloudsign_core::signer::{KeyError, LocalSigner, Signer as CoreSigner, ToBeSigned as CoreTbs};
use cloudsign_core::x509::{Certificate, parse_pem_chain};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::buffer::Bytes;
use crate::errors::{CallbackError, IntoPyResult};

/// Upper bounds of signature lengths when an external signer does not announce its own: RSA up
/// to 4096 bits, and a DER ECDSA signature on the largest curve (P-521).
const RSA_MAX_SIGNATURE_LEN: usize = 512;
const ECDSA_MAX_SIGNATURE_LEN: usize = 139;

/// The binding's spelling of a signature algorithm, e.g. `"rsa-pss-sha384"`.
pub(crate) fn algorithm_name(alg: SignatureAlgorithm) -> String {
    let (scheme, digest) = match alg {
        SignatureAlgorithm::RsaPkcs1v15(d) => ("rsa-pkcs1", d),
        SignatureAlgorithm::RsaPss(d) => ("rsa-pss", d),
        SignatureAlgorithm::Ecdsa(d) => ("ecdsa", d),
    };
    format!("{scheme}-{}", digest_name(digest))
}

pub(crate) const fn digest_name(d: DigestAlgorithm) -> &'static str {
    match d {
        DigestAlgorithm::Sha256 => "sha256",
        DigestAlgorithm::Sha384 => "sha384",
        DigestAlgorithm::Sha512 => "sha512",
    }
}

pub(crate) fn parse_digest(name: &str) -> PyResult<DigestAlgorithm> {
    match name.to_ascii_lowercase().replace('-', "").as_str() {
        "sha256" => Ok(DigestAlgorithm::Sha256),
        "sha384" => Ok(DigestAlgorithm::Sha384),
        "sha512" => Ok(DigestAlgorithm::Sha512),
        _ => Err(PyValueError::new_err(format!(
            "unknown digest {name:?}: use sha256, sha384 or sha512"
        ))),
    }
}

fn parse_algorithm(name: &str) -> PyResult<SignatureAlgorithm> {
    let lower = name.to_ascii_lowercase();
    let scheme_and_digest = lower.rsplit_once('-');
    let alg = scheme_and_digest.and_then(|(scheme, digest)| {
        let d = parse_digest(digest).ok()?;
        match scheme {
            "rsa-pkcs1" => Some(SignatureAlgorithm::RsaPkcs1v15(d)),
            "rsa-pss" => Some(SignatureAlgorithm::RsaPss(d)),
            "ecdsa" => Some(SignatureAlgorithm::Ecdsa(d)),
            _ => None,
        }
    });
    alg.ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown signature algorithm {name:?}: use rsa-pkcs1-, rsa-pss- or ecdsa- followed by sha256, sha384 or sha512"
        ))
    })
}

/// Certificates from PEM (one or more blocks) or a single DER certificate.
pub(crate) fn parse_certificates(data: &[u8]) -> PyResult<Vec<Certificate>> {
    let is_pem = data.trim_ascii_start().starts_with(b"-----BEGIN");
    if is_pem {
        parse_pem_chain(data).py()
    } else {
        Certificate::from_der(data).map(|c| vec![c]).py()
    }
}

/// A private key and its certificate chain, held in Rust memory (zeroized when dropped).
///
/// Load with `Signer.from_pkcs12` or `Signer.from_pem`. A `Signer` also has the `sign` method
/// of the external-signer protocol, so it can stand in for an HSM in two-phase signing.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct Signer {
    pub(crate) inner: Arc<LocalSigner>,
}

#[pymethods]
impl Signer {
    /// A signer from a PKCS#12 (`.p12`/`.pfx`) file's bytes. `digest` replaces the key's
    /// default hash; `pss` switches an RSA key to RSASSA-PSS.
    #[staticmethod]
    #[pyo3(signature = (data, password, *, digest=None, pss=false))]
    fn from_pkcs12(
        py: Python<'_>,
        data: Bytes<'_>,
        password: &str,
        digest: Option<&str>,
        pss: bool,
    ) -> PyResult<Self> {
        let digest = digest.map(parse_digest).transpose()?;
        py.detach(|| configure(LocalSigner::from_pkcs12(&data, password), digest, pss))
            .py()
            .map(Self::new)
    }

    /// A signer from a PEM private key (PKCS#8, PKCS#1 or SEC1) and PEM or DER certificates,
    /// the signer's own certificate first. `digest` and `pss` as for `from_pkcs12`.
    #[staticmethod]
    #[pyo3(signature = (key_pem, certificates, *, digest=None, pss=false))]
    fn from_pem(
        py: Python<'_>,
        key_pem: Bytes<'_>,
        certificates: Bytes<'_>,
        digest: Option<&str>,
        pss: bool,
    ) -> PyResult<Self> {
        let chain = parse_certificates(&certificates)?;
        let digest = digest.map(parse_digest).transpose()?;
        py.detach(|| configure(LocalSigner::from_pkcs8_pem(&key_pem, chain), digest, pss))
            .py()
            .map(Self::new)
    }

    /// The signature algorithm, e.g. `"rsa-pkcs1-sha256"`.
    #[getter]
    fn algorithm(&self) -> String {
        algorithm_name(self.inner.algorithm())
    }

    /// The certificate chain as DER, the signer's certificate first.
    #[getter]
    fn certificate_chain<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.inner
            .certificate_chain()
            .iter()
            .map(|c| PyBytes::new(py, c.der()))
            .collect()
    }

    /// The signer certificate's subject.
    #[getter]
    fn subject(&self) -> String {
        self.inner.certificate().subject()
    }

    /// Signs what a prepared signature asks for (see `PreparedSignature.to_be_signed`).
    fn sign<'py>(&self, py: Python<'py>, tbs: &ToBeSigned) -> PyResult<Bound<'py, PyBytes>> {
        let signature = py.detach(|| self.inner.sign(&tbs.inner)).py()?;
        Ok(PyBytes::new(py, &signature))
    }

    fn __repr__(&self) -> String {
        format!(
            "Signer(subject={:?}, algorithm={:?})",
            self.subject(),
            self.algorithm()
        )
    }
}

impl Signer {
    fn new(signer: LocalSigner) -> Self {
        Self {
            inner: Arc::new(signer),
        }
    }
}

fn configure(
    loaded: cloudsign_core::error::Result<LocalSigner>,
    digest: Option<DigestAlgorithm>,
    pss: bool,
) -> cloudsign_core::error::Result<LocalSigner> {
    let mut signer = loaded?;
    if let Some(d) = digest {
        signer = signer.with_digest(d)?;
    }
    if pss {
        signer = signer.with_pss()?;
    }
    Ok(signer)
}

/// What a signer must sign: the DER signed attributes (`message`) and their `digest` under the
/// hash of `algorithm`. An HSM signs the digest; a signer that hashes itself signs the message.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct ToBeSigned {
    pub(crate) inner: CoreTbs,
}

#[pymethods]
impl ToBeSigned {
    /// The bytes to sign (for signers that hash themselves).
    #[getter]
    fn message<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.message())
    }

    /// The digest of `message` (for HSMs and KMSs).
    #[getter]
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.digest())
    }

    /// The signature algorithm the result must use, e.g. `"ecdsa-sha256"`.
    #[getter]
    fn algorithm(&self) -> String {
        algorithm_name(self.inner.algorithm())
    }

    /// The digest algorithm alone, e.g. `"sha256"`.
    #[getter]
    fn digest_algorithm(&self) -> &'static str {
        digest_name(self.inner.algorithm().digest())
    }

    fn __repr__(&self) -> String {
        format!("ToBeSigned(algorithm={:?})", self.algorithm())
    }
}

/// A Python object acting as a signer: `certificate_chain` (PEM or DER certificates, signer
/// first), `algorithm` (e.g. `"ecdsa-sha256"`), optionally `max_signature_len`, and
/// `sign(tbs: ToBeSigned) -> bytes`.
#[derive(Debug)]
pub(crate) struct PythonSigner {
    object: Py<PyAny>,
    chain: Vec<Certificate>,
    algorithm: SignatureAlgorithm,
    max_signature_len: usize,
    pub(crate) raised: CallbackError,
}

impl PythonSigner {
    fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        let missing = |what: &str| {
            PyTypeError::new_err(format!(
                "a signer must be cloudsign.Signer or have {what} (see cloudsign.ExternalSigner)"
            ))
        };
        if !object.hasattr("sign")? {
            return Err(missing("a sign(tbs) method"));
        }
        let certs = object
            .getattr("certificate_chain")
            .map_err(|_| missing("certificate_chain"))?;
        let mut chain = Vec::new();
        for cert in certs.try_iter()? {
            chain.extend(parse_certificates(&cert?.extract::<Vec<u8>>()?)?);
        }
        let algorithm = parse_algorithm(
            &object
                .getattr("algorithm")
                .map_err(|_| missing("algorithm"))?
                .extract::<String>()?,
        )?;
        let max_signature_len = match object.getattr("max_signature_len") {
            Ok(v) if !v.is_none() => v.extract()?,
            _ => match algorithm {
                SignatureAlgorithm::RsaPkcs1v15(_) | SignatureAlgorithm::RsaPss(_) => {
                    RSA_MAX_SIGNATURE_LEN
                }
                SignatureAlgorithm::Ecdsa(_) => ECDSA_MAX_SIGNATURE_LEN,
            },
        };
        Ok(Self {
            object: object.clone().unbind(),
            chain,
            algorithm,
            max_signature_len,
            raised: CallbackError::default(),
        })
    }
}

impl CoreSigner for PythonSigner {
    fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn max_signature_len(&self) -> usize {
        self.max_signature_len
    }

    fn sign(&self, tbs: &CoreTbs) -> cloudsign_core::error::Result<Vec<u8>> {
        Python::attach(|py| {
            let arg = ToBeSigned { inner: tbs.clone() };
            self.object
                .call_method1(py, "sign", (arg,))
                .and_then(|sig| sig.extract::<Vec<u8>>(py))
        })
        .map_err(|e| {
            let message = format!("the Python signer raised {e}");
            self.raised.set(e);
            KeyError::SigningFailed(message).into()
        })
    }
}

/// Either kind of signer, as the core sees it.
#[derive(Debug)]
pub(crate) enum AnySigner {
    Local(Arc<LocalSigner>),
    Python(PythonSigner),
}

impl AnySigner {
    pub(crate) fn extract(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        match object.cast::<Signer>() {
            Ok(signer) => Ok(Self::Local(Arc::clone(&signer.get().inner))),
            Err(_) => PythonSigner::from_object(object).map(Self::Python),
        }
    }

    pub(crate) fn as_core(&self) -> &dyn CoreSigner {
        match self {
            Self::Local(s) => s.as_ref(),
            Self::Python(s) => s,
        }
    }

    /// The slot of a Python signer's exception, if this is one.
    pub(crate) fn raised(&self) -> Option<&CallbackError> {
        match self {
            Self::Local(_) => None,
            Self::Python(s) => Some(&s.raised),
        }
    }
}
