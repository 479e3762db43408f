//! A generated test PKI (feature `testkit`).
//!
//! Everything is made in pure Rust at run time: a root CA, an intermediate CA and leaves for
//! the usual signing cases. Certificates are assembled from `x509-cert` types directly (rather
//! than through its `Profile`-driven builder) so that every extension and its criticality is
//! exactly what the tests ask for. Never use these keys for anything but tests.
//!
//! ```no_run
//! # fn main() -> cloudsign_core::error::Result<()> {
//! use cloudsign_core::testkit::TestPki;
//! let pki = TestPki::generate()?;
//! let signer = pki.signer_ec.signer()?;
//! # Ok(()) }
//! ```

pub mod samples;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{self, KeyUsages};
use x509_cert::time::{Time, Validity};
use zeroize::Zeroizing;

use crate::crypto::{DigestAlgorithm, oid};
use crate::error::Result;
use crate::signer::key::PrivateKey;
use crate::signer::{KeyError, LocalSigner};
use crate::time::UnixTime;
use crate::x509::{Certificate, CertificateError, KeyUsage, pem_encode};

/// id-kp-timeStamping (RFC 3161 §2.3), for issuing TSA certificates.
pub const EKU_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
/// The TSA policy of [`TestPki::authority`]: an OID under the private-enterprise arc
/// 1.3.6.1.4.1.99999, used by this project for test fixtures only. (The `2.999` example arc
/// would be the natural choice, but `der` 0.7 cannot encode a second arc above 39.)
pub const TEST_TSA_POLICY: &str = "1.3.6.1.4.1.99999.1.1";
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2), for issuing OCSP responder certificates.
pub const EKU_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

const YEAR: u64 = 365 * 86_400;

/// The type of key to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA with the given modulus size in bits (2048–4096).
    Rsa(usize),
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
}

/// What to put in a certificate issued by [`TestPki::issue`].
///
/// ```
/// use cloudsign_core::testkit::{CertSpec, KeyType, EKU_TIME_STAMPING};
/// let tsa = CertSpec::new("cloudsign Test TSA")
///     .key_type(KeyType::P256)
///     .extended_key_usage(EKU_TIME_STAMPING, true);
/// assert_eq!(tsa.extended_key_usages.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct CertSpec {
    /// The subject's commonName; the subject is `CN=<this>,O=cloudsign test`.
    pub common_name: String,
    /// Key to generate.
    pub key_type: KeyType,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
    /// keyUsage bits (the extension is critical).
    pub key_usage: KeyUsage,
    /// extendedKeyUsage purposes as dotted OIDs (extension omitted when empty).
    pub extended_key_usages: Vec<String>,
    /// Whether the extendedKeyUsage extension is critical.
    pub extended_key_usage_critical: bool,
    /// OCSP responder URLs for authorityInfoAccess (id-ad-ocsp).
    pub ocsp_urls: Vec<String>,
    /// Issuer certificate URLs for authorityInfoAccess (id-ad-caIssuers).
    pub ca_issuers_urls: Vec<String>,
    /// CRL URLs for cRLDistributionPoints (one distribution point each).
    pub crl_urls: Vec<String>,
    /// Whether to add id-pkix-ocsp-nocheck (for OCSP responder certificates).
    pub ocsp_no_check: bool,
}

impl CertSpec {
    /// A P-256 signing certificate valid from an hour ago for two years, keyUsage
    /// digitalSignature + nonRepudiation.
    pub fn new(common_name: &str) -> Self {
        let now = UnixTime::now();
        Self {
            common_name: common_name.to_owned(),
            key_type: KeyType::P256,
            not_before: now.minus_secs(3600),
            not_after: now.plus_secs(2 * YEAR),
            key_usage: KeyUsage {
                digital_signature: true,
                non_repudiation: true,
                ..KeyUsage::default()
            },
            extended_key_usages: Vec::new(),
            extended_key_usage_critical: false,
            ocsp_urls: Vec::new(),
            ca_issuers_urls: Vec::new(),
            crl_urls: Vec::new(),
            ocsp_no_check: false,
        }
    }

    /// Sets the key type.
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = key_type;
        self
    }

    /// Sets the validity period.
    pub fn validity(mut self, not_before: UnixTime, not_after: UnixTime) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// Sets the keyUsage bits.
    pub fn key_usage(mut self, key_usage: KeyUsage) -> Self {
        self.key_usage = key_usage;
        self
    }

    /// Adds an extended key usage; `critical` applies to the whole extension.
    pub fn extended_key_usage(mut self, oid: &str, critical: bool) -> Self {
        self.extended_key_usages.push(oid.to_owned());
        self.extended_key_usage_critical = critical;
        self
    }

    /// Names an OCSP responder in authorityInfoAccess.
    pub fn ocsp_url(mut self, url: &str) -> Self {
        self.ocsp_urls.push(url.to_owned());
        self
    }

    /// Names a CRL distribution point.
    pub fn crl_url(mut self, url: &str) -> Self {
        self.crl_urls.push(url.to_owned());
        self
    }

    /// Names where the issuer's certificate is, in authorityInfoAccess (caIssuers).
    pub fn ca_issuers_url(mut self, url: &str) -> Self {
        self.ca_issuers_urls.push(url.to_owned());
        self
    }

    /// Marks the certificate id-pkix-ocsp-nocheck: relying parties need not check an OCSP
    /// responder certificate's own status (RFC 6960 §4.2.2.2.1).
    pub fn ocsp_no_check(mut self) -> Self {
        self.ocsp_no_check = true;
        self
    }

    /// Copies the revocation and issuer URLs of `urls` into this spec.
    fn with_urls(mut self, urls: &PkiUrls) -> Self {
        self.ocsp_urls.extend(urls.ocsp.iter().cloned());
        self.crl_urls.extend(urls.crl.iter().cloned());
        self.ca_issuers_urls.extend(urls.ca_issuers.iter().cloned());
        self
    }

    /// authorityInfoAccess, cRLDistributionPoints and ocsp-nocheck, as asked.
    fn url_extensions(&self) -> Result<Vec<Extension>, CertificateError> {
        use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
        let uri = |u: &String| {
            der::asn1::Ia5String::new(u)
                .map(GeneralName::UniformResourceIdentifier)
                .map_err(cert_err)
        };
        let mut out = Vec::new();
        let mut access = Vec::new();
        for (method, urls) in [
            (oid::AD_OCSP, &self.ocsp_urls),
            (oid::AD_CA_ISSUERS, &self.ca_issuers_urls),
        ] {
            for u in urls {
                access.push(pkix::AccessDescription {
                    access_method: method,
                    access_location: uri(u)?,
                });
            }
        }
        if !access.is_empty() {
            out.push(extension(
                oid::AUTHORITY_INFO_ACCESS,
                false,
                &pkix::AuthorityInfoAccessSyntax(access),
            )?);
        }
        if !self.crl_urls.is_empty() {
            let points = self
                .crl_urls
                .iter()
                .map(|u| {
                    Ok(pkix::crl::dp::DistributionPoint {
                        distribution_point: Some(DistributionPointName::FullName(vec![uri(u)?])),
                        reasons: None,
                        crl_issuer: None,
                    })
                })
                .collect::<Result<Vec<_>, CertificateError>>()?;
            out.push(extension(
                oid::CRL_DISTRIBUTION_POINTS,
                false,
                &pkix::CrlDistributionPoints(points),
            )?);
        }
        if self.ocsp_no_check {
            // id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
            let nocheck = der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
            out.push(extension(nocheck, false, &der::asn1::Null)?);
        }
        Ok(out)
    }
}

/// URLs a [`TestPki`] puts into its leaf certificates, so that revocation data and issuers
/// can be fetched from servers on 127.0.0.1.
///
/// ```
/// use cloudsign_core::testkit::PkiUrls;
/// let urls = PkiUrls::default().ocsp("http://127.0.0.1:8080/ocsp").crl("http://127.0.0.1:8080/crl");
/// assert_eq!(urls.crl.as_deref(), Some("http://127.0.0.1:8080/crl"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkiUrls {
    /// OCSP responder URL (authorityInfoAccess id-ad-ocsp).
    pub ocsp: Option<String>,
    /// CRL URL (cRLDistributionPoints).
    pub crl: Option<String>,
    /// Issuer certificate URL (authorityInfoAccess id-ad-caIssuers).
    pub ca_issuers: Option<String>,
    /// CRL URL of the intermediate CA itself, where the root's CRL is published. Without
    /// it the intermediate names no revocation source, and validators that want status for
    /// every certificate below the anchor (pyHanko's AdES validation) find none.
    pub intermediate_crl: Option<String>,
}

impl PkiUrls {
    /// Sets the OCSP responder URL.
    pub fn ocsp(mut self, url: &str) -> Self {
        self.ocsp = Some(url.to_owned());
        self
    }

    /// Sets the CRL URL.
    pub fn crl(mut self, url: &str) -> Self {
        self.crl = Some(url.to_owned());
        self
    }

    /// Sets the issuer certificate URL.
    pub fn ca_issuers(mut self, url: &str) -> Self {
        self.ca_issuers = Some(url.to_owned());
        self
    }

    /// Sets the intermediate CA's CRL URL (for the root's CRL).
    pub fn intermediate_crl(mut self, url: &str) -> Self {
        self.intermediate_crl = Some(url.to_owned());
        self
    }
}

/// A certificate with its private key and issuing chain.
pub struct TestIdentity {
    /// The certificate.
    pub certificate: Certificate,
    /// Its private key, PKCS#8 DER.
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
    /// Issuers between this certificate and the root: leaf and root excluded.
    pub chain: Vec<Certificate>,
}

impl std::fmt::Debug for TestIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIdentity")
            .field("certificate", &self.certificate)
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl TestIdentity {
    /// A [`LocalSigner`] for this identity, chain = certificate then issuers.
    pub fn signer(&self) -> Result<LocalSigner> {
        LocalSigner::from_pkcs8_der(&self.key_pkcs8_der, self.full_chain())
    }

    /// The private key as PKCS#8 PEM (`PRIVATE KEY`).
    pub fn key_pem(&self) -> String {
        pem_encode("PRIVATE KEY", &self.key_pkcs8_der)
    }

    /// A PKCS#12 file with key, certificate and chain: PBES2 with AES-256-CBC and
    /// PBKDF2-HMAC-SHA-256 for the bags, HMAC-SHA-256 MAC.
    pub fn to_pkcs12(&self, password: &str) -> Result<Vec<u8>> {
        let certs = self
            .full_chain()
            .iter()
            .map(|c| p12_keystore::Certificate::from_der(c.der()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| KeyError::Malformed(format!("PKCS#12 certificate: {e}")))?;
        let local_key_id = &DigestAlgorithm::Sha256.digest(self.certificate.der())[..20];
        let entry =
            p12_keystore::PrivateKeyChain::new(self.key_pkcs8_der.as_slice(), local_key_id, certs);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "cloudsign test key",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(entry),
        );
        Ok(store
            .writer(password)
            .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
            .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha256)
            .write()
            .map_err(|e| KeyError::Malformed(format!("PKCS#12 encoding: {e}")))?)
    }

    fn full_chain(&self) -> Vec<Certificate> {
        let mut chain = vec![self.certificate.clone()];
        chain.extend(self.chain.iter().cloned());
        chain
    }

    pub(crate) fn private_key(&self) -> Result<PrivateKey> {
        Ok(PrivateKey::from_pkcs8_der(&self.key_pkcs8_der)?)
    }
}

/// A complete test PKI: root → intermediate → leaves.
#[derive(Debug)]
pub struct TestPki {
    /// Self-signed RSA-2048 root CA (`CN=cloudsign Test Root CA,O=cloudsign test`).
    pub root: TestIdentity,
    /// RSA-2048 intermediate CA, pathLenConstraint 0.
    pub intermediate: TestIdentity,
    /// RSA-2048 signing leaf.
    pub signer_rsa: TestIdentity,
    /// P-256 signing leaf.
    pub signer_ec: TestIdentity,
    /// A leaf whose validity lies entirely in the past.
    pub expired_signer: TestIdentity,
    /// A leaf whose keyUsage is keyEncipherment only.
    pub signer_without_signing_usage: TestIdentity,
    /// RSA-2048 timestamp authority: extendedKeyUsage id-kp-timeStamping (critical), keyUsage
    /// digitalSignature + nonRepudiation.
    pub tsa: TestIdentity,
    /// P-256 OCSP responder delegated by the intermediate CA: extendedKeyUsage
    /// id-kp-OCSPSigning, keyUsage digitalSignature, id-pkix-ocsp-nocheck.
    pub ocsp: TestIdentity,
}

impl TestPki {
    /// Generates fresh keys and certificates (RSA key generation takes a moment).
    pub fn generate() -> Result<Self> {
        Self::generate_with(&PkiUrls::default())
    }

    /// Like [`generate`](Self::generate), with `urls` in every leaf but the OCSP responder
    /// (AIA and CRL distribution points), and `urls.intermediate_crl` as the intermediate
    /// CA's CRL distribution point.
    pub fn generate_with(urls: &PkiUrls) -> Result<Self> {
        let now = UnixTime::now();
        let root_key = PrivateKey::generate_rsa(2048)?;
        let ca_usage = KeyUsage {
            key_cert_sign: true,
            crl_sign: true,
            ..KeyUsage::default()
        };
        let root_cert = make_certificate(&Params {
            subject: "cloudsign Test Root CA",
            key: &root_key,
            issuer: None,
            not_before: now.minus_secs(YEAR),
            not_after: now.plus_secs(10 * YEAR),
            ca: Some(None),
            key_usage: ca_usage,
            eku: &[],
            eku_critical: false,
            extra: &[],
        })?;
        let root = identity(root_cert, &root_key, Vec::new())?;
        let int_key = PrivateKey::generate_rsa(2048)?;
        let int_spec = urls
            .intermediate_crl
            .iter()
            .fold(CertSpec::new("intermediate"), |spec, url| spec.crl_url(url));
        let int_cert = make_certificate(&Params {
            subject: "cloudsign Test Intermediate CA",
            key: &int_key,
            issuer: Some((&root.certificate, &root_key)),
            not_before: now.minus_secs(YEAR),
            not_after: now.plus_secs(5 * YEAR),
            ca: Some(Some(0)),
            key_usage: ca_usage,
            eku: &[],
            eku_critical: false,
            extra: &int_spec.url_extensions()?,
        })?;
        let intermediate = identity(int_cert, &int_key, Vec::new())?;
        let leaf = |spec: CertSpec| issue_from(&intermediate, &spec.with_urls(urls));
        let signer_rsa =
            leaf(CertSpec::new("cloudsign Test Signer RSA").key_type(KeyType::Rsa(2048)))?;
        let signer_ec = leaf(CertSpec::new("cloudsign Test Signer EC"))?;
        let expired_signer = leaf(
            CertSpec::new("cloudsign Test Signer Expired")
                .validity(now.minus_secs(2 * YEAR), now.minus_secs(YEAR)),
        )?;
        let signer_without_signing_usage = leaf(
            CertSpec::new("cloudsign Test Signer No Usage").key_usage(KeyUsage {
                key_encipherment: true,
                ..KeyUsage::default()
            }),
        )?;
        let tsa = leaf(
            CertSpec::new("cloudsign Test TSA")
                .key_type(KeyType::Rsa(2048))
                .extended_key_usage(EKU_TIME_STAMPING, true),
        )?;
        let ocsp = issue_from(
            &intermediate,
            &CertSpec::new("cloudsign Test OCSP Responder")
                .key_usage(KeyUsage {
                    digital_signature: true,
                    ..KeyUsage::default()
                })
                .extended_key_usage(EKU_OCSP_SIGNING, false)
                .ocsp_no_check(),
        )?;
        Ok(Self {
            root,
            intermediate,
            signer_rsa,
            signer_ec,
            expired_signer,
            signer_without_signing_usage,
            tsa,
            ocsp,
        })
    }

    /// A [`TimestampAuthority`](crate::tsp::TimestampAuthority) signing with [`tsa`](Self::tsa)
    /// under [`TEST_TSA_POLICY`], on the system clock.
    pub fn authority(&self) -> Result<crate::tsp::TimestampAuthority> {
        crate::tsp::TimestampAuthority::new(self.tsa.signer()?, TEST_TSA_POLICY)
    }

    /// Issues a leaf certificate from the intermediate CA.
    pub fn issue(&self, spec: &CertSpec) -> Result<TestIdentity> {
        issue_from(&self.intermediate, spec)
    }

    /// Writes the PKI as PEM and PKCS#12 files into `dir` and returns the paths written.
    ///
    /// Files: `root.pem`, `intermediate.pem`, `chain.pem` (the intermediate),
    /// `root-key.pem`, `intermediate-key.pem`, and for each of `signer-rsa`, `signer-ec`,
    /// `signer-expired`, `signer-no-usage`: `NAME.pem`, `NAME-key.pem`, `NAME.p12`; and the
    /// timestamp authority as `tsa.pem` and `tsa-key.pem`; the OCSP responder as `ocsp.pem`
    /// and `ocsp-key.pem`.
    /// Key and PKCS#12 files get mode 0600 on Unix.
    pub fn write_to_dir(&self, dir: &Path, p12_password: &str) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        let mut put = |name: &str, data: &[u8], secret: bool| -> std::io::Result<()> {
            let path = dir.join(name);
            write_file(&path, data, secret)?;
            written.push(path);
            Ok(())
        };
        put("root.pem", self.root.certificate.to_pem().as_bytes(), false)?;
        put(
            "intermediate.pem",
            self.intermediate.certificate.to_pem().as_bytes(),
            false,
        )?;
        put(
            "chain.pem",
            self.intermediate.certificate.to_pem().as_bytes(),
            false,
        )?;
        put("root-key.pem", self.root.key_pem().as_bytes(), true)?;
        put(
            "intermediate-key.pem",
            self.intermediate.key_pem().as_bytes(),
            true,
        )?;
        for (name, id) in [
            ("signer-rsa", &self.signer_rsa),
            ("signer-ec", &self.signer_ec),
            ("signer-expired", &self.expired_signer),
            ("signer-no-usage", &self.signer_without_signing_usage),
        ] {
            put(
                &format!("{name}.pem"),
                id.certificate.to_pem().as_bytes(),
                false,
            )?;
            put(&format!("{name}-key.pem"), id.key_pem().as_bytes(), true)?;
            let p12 = id.to_pkcs12(p12_password).map_err(std::io::Error::other)?;
            put(&format!("{name}.p12"), &p12, true)?;
        }
        put("tsa.pem", self.tsa.certificate.to_pem().as_bytes(), false)?;
        put("tsa-key.pem", self.tsa.key_pem().as_bytes(), true)?;
        put("ocsp.pem", self.ocsp.certificate.to_pem().as_bytes(), false)?;
        put("ocsp-key.pem", self.ocsp.key_pem().as_bytes(), true)?;
        Ok(written)
    }
}

fn write_file(path: &Path, data: &[u8], secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = options.open(path)?;
    // `mode` applies only when creating; an existing file keeps its permissions otherwise.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(data)
}

fn issue_from(ca: &TestIdentity, spec: &CertSpec) -> Result<TestIdentity> {
    let key = match spec.key_type {
        KeyType::Rsa(bits) => PrivateKey::generate_rsa(bits)?,
        KeyType::P256 => PrivateKey::generate_p256(),
        KeyType::P384 => PrivateKey::generate_p384(),
    };
    let issuer_key = ca.private_key()?;
    let cert = make_certificate(&Params {
        subject: &spec.common_name,
        key: &key,
        issuer: Some((&ca.certificate, &issuer_key)),
        not_before: spec.not_before,
        not_after: spec.not_after,
        ca: None,
        key_usage: spec.key_usage,
        eku: &spec.extended_key_usages,
        eku_critical: spec.extended_key_usage_critical,
        extra: &spec.url_extensions()?,
    })?;
    identity(cert, &key, vec![ca.certificate.clone()])
}

fn identity(cert: Certificate, key: &PrivateKey, chain: Vec<Certificate>) -> Result<TestIdentity> {
    Ok(TestIdentity {
        certificate: cert,
        key_pkcs8_der: key.to_pkcs8_der()?,
        chain,
    })
}

pub(crate) struct Params<'a> {
    pub(crate) subject: &'a str,
    pub(crate) key: &'a PrivateKey,
    pub(crate) issuer: Option<(&'a Certificate, &'a PrivateKey)>,
    pub(crate) not_before: UnixTime,
    pub(crate) not_after: UnixTime,
    /// `Some(pathLen)` for a CA.
    pub(crate) ca: Option<Option<u8>>,
    pub(crate) key_usage: KeyUsage,
    pub(crate) eku: &'a [String],
    pub(crate) eku_critical: bool,
    /// Further extensions, appended as given.
    pub(crate) extra: &'a [Extension],
}

fn cert_err(e: impl std::fmt::Display) -> CertificateError {
    CertificateError::Malformed(format!("building test certificate: {e}"))
}

fn x509_time(t: UnixTime) -> Result<Time, CertificateError> {
    crate::x509::x509_time(t).map_err(cert_err)
}

fn extension(
    id: der::asn1::ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, CertificateError> {
    Ok(Extension {
        extn_id: id,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(cert_err)?).map_err(cert_err)?,
    })
}

/// Key identifier per RFC 7093 §2 method 1: leftmost 160 bits of SHA-256 of the key bits.
fn key_identifier(spki: &spki::SubjectPublicKeyInfoOwned) -> Vec<u8> {
    let mut id = DigestAlgorithm::Sha256.digest(spki.subject_public_key.raw_bytes());
    id.truncate(20);
    id
}

pub(crate) fn make_certificate(p: &Params<'_>) -> Result<Certificate> {
    let spki = spki::SubjectPublicKeyInfoOwned::from_der(&p.key.spki_der()?).map_err(cert_err)?;
    let subject = x509_cert::name::Name::from_str(&format!("CN={},O=cloudsign test", p.subject))
        .map_err(cert_err)?;
    let ski = key_identifier(&spki);
    let (issuer_name, issuer_key, aki) = match p.issuer {
        Some((cert, key)) => (
            cert.subject_name().clone(),
            key,
            cert.subject_key_identifier().map(<[u8]>::to_vec),
        ),
        None => (subject.clone(), p.key, Some(ski.clone())),
    };
    let algorithm = issuer_key.default_algorithm();

    let mut serial = [0u8; 20];
    crate::crypto::random_bytes(&mut serial);
    // Positive and exactly 20 octets: clear the sign bit, keep the first octet non-zero.
    serial[0] = (serial[0] & 0x7f) | 0x01;

    let ku = &p.key_usage;
    let mut usage = pkix::KeyUsage(Default::default());
    for (on, flag) in [
        (ku.digital_signature, KeyUsages::DigitalSignature),
        (ku.non_repudiation, KeyUsages::NonRepudiation),
        (ku.key_encipherment, KeyUsages::KeyEncipherment),
        (ku.data_encipherment, KeyUsages::DataEncipherment),
        (ku.key_agreement, KeyUsages::KeyAgreement),
        (ku.key_cert_sign, KeyUsages::KeyCertSign),
        (ku.crl_sign, KeyUsages::CRLSign),
        (ku.encipher_only, KeyUsages::EncipherOnly),
        (ku.decipher_only, KeyUsages::DecipherOnly),
    ] {
        if on {
            usage.0 |= flag;
        }
    }
    let mut extensions = vec![
        extension(
            oid::BASIC_CONSTRAINTS,
            true,
            &pkix::BasicConstraints {
                ca: p.ca.is_some(),
                path_len_constraint: p.ca.flatten(),
            },
        )?,
        extension(oid::KEY_USAGE, true, &usage)?,
        extension(
            oid::SUBJECT_KEY_IDENTIFIER,
            false,
            &pkix::SubjectKeyIdentifier(OctetString::new(ski).map_err(cert_err)?),
        )?,
    ];
    if let Some(aki) = aki {
        extensions.push(extension(
            oid::AUTHORITY_KEY_IDENTIFIER,
            false,
            &pkix::AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(aki).map_err(cert_err)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?);
    }
    if !p.eku.is_empty() {
        let oids = p
            .eku
            .iter()
            .map(|s| der::asn1::ObjectIdentifier::new(s).map_err(cert_err))
            .collect::<Result<Vec<_>, _>>()?;
        extensions.push(extension(
            oid::EXT_KEY_USAGE,
            p.eku_critical,
            &pkix::ExtendedKeyUsage(oids),
        )?);
    }

    extensions.extend(p.extra.iter().cloned());
    let tbs = x509_cert::TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: x509_cert::serial_number::SerialNumber::new(&serial).map_err(cert_err)?,
        signature: algorithm.algorithm_identifier(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(p.not_before)?,
            not_after: x509_time(p.not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(cert_err)?;
    let signature = issuer_key.sign_digest(algorithm, &algorithm.digest().digest(&tbs_der))?;
    let cert = x509_cert::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm.algorithm_identifier(),
        signature: BitString::from_bytes(&signature).map_err(cert_err)?,
    };
    Certificate::from_der(&cert.to_der().map_err(cert_err)?)
}

/// One PKI per test binary: RSA key generation is too slow to repeat in every test.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn shared() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::generate().unwrap())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_have_expected_shape() {
        let pki = shared();
        let root = &pki.root.certificate;
        assert_eq!(root.subject(), "CN=cloudsign Test Root CA,O=cloudsign test");
        assert!(root.is_self_issued());
        assert_eq!(root.basic_constraints(), Some((true, None)));
        assert_eq!(root.public_key_description(), "RSA-2048");
        assert_eq!(
            pki.intermediate.certificate.basic_constraints(),
            Some((true, Some(0)))
        );
        let leaf = &pki.signer_ec.certificate;
        assert_eq!(leaf.public_key_description(), "EC P-256");
        assert_eq!(leaf.basic_constraints(), Some((false, None)));
        let ku = leaf.key_usage().unwrap();
        assert!(ku.digital_signature && ku.non_repudiation && !ku.key_cert_sign);
        assert!(
            leaf.critical_extensions()
                .contains(&"2.5.29.15".to_string())
        );
        assert_eq!(leaf.serial_hex().len(), 40);
        assert_eq!(
            leaf.authority_key_identifier(),
            pki.intermediate.certificate.subject_key_identifier()
        );
        assert!(crate::x509::check_signing_key_usage(leaf).is_ok());
        assert!(
            crate::x509::check_signing_key_usage(&pki.signer_without_signing_usage.certificate)
                .is_err()
        );
        assert!(pki.expired_signer.certificate.not_after() < UnixTime::now());
        let pem = leaf.to_pem();
        assert_eq!(&Certificate::from_pem(pem.as_bytes()).unwrap(), leaf);
        let both = format!("{}{}", root.to_pem(), pem);
        assert_eq!(
            crate::x509::parse_pem_chain(both.as_bytes()).unwrap().len(),
            2
        );
        assert_eq!(leaf.fingerprint_sha256().len(), 64);
    }

    #[test]
    fn issue_with_critical_eku() {
        let tsa = shared()
            .issue(
                &CertSpec::new("cloudsign Test TSA")
                    .key_type(KeyType::P384)
                    .extended_key_usage(EKU_TIME_STAMPING, true),
            )
            .unwrap();
        assert_eq!(
            tsa.certificate.extended_key_usage(),
            vec![EKU_TIME_STAMPING]
        );
        assert!(tsa.certificate.extended_key_usage_critical());
        assert_eq!(tsa.certificate.public_key_description(), "EC P-384");
    }

    #[test]
    fn write_to_dir_writes_everything() {
        let dir = tempfile::tempdir().unwrap();
        let files = shared().write_to_dir(dir.path(), "test").unwrap();
        assert_eq!(files.len(), 21);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("signer-ec-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let pem = std::fs::read(dir.path().join("signer-rsa-key.pem")).unwrap();
        let cert =
            Certificate::from_pem(&std::fs::read(dir.path().join("signer-rsa.pem")).unwrap())
                .unwrap();
        LocalSigner::from_pkcs8_pem(&pem, vec![cert]).unwrap();
    }

    fn have(tool: &str, arg: &str) -> bool {
        let ok = std::process::Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIPPED: {tool} not available");
        }
        ok
    }

    #[test]
    fn pkcs12_loads_in_openssl_and_python() {
        let dir = tempfile::tempdir().unwrap();
        let p12 = dir.path().join("id.p12");
        std::fs::write(&p12, shared().signer_ec.to_pkcs12("test").unwrap()).unwrap();
        if have("openssl", "version") {
            let out = std::process::Command::new("openssl")
                .args(["pkcs12", "-info", "-nokeys", "-passin", "pass:test", "-in"])
                .arg(&p12)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let probe = std::process::Command::new("python3")
            .args(["-c", "import cryptography"])
            .output();
        if probe.is_ok_and(|o| o.status.success()) {
            let script = "import sys\nfrom cryptography.hazmat.primitives.serialization import pkcs12\n\
                k, c, extra = pkcs12.load_key_and_certificates(open(sys.argv[1],'rb').read(), b'test')\n\
                assert k is not None and c is not None and len(extra) == 1\n";
            let out = std::process::Command::new("python3")
                .args(["-c", script])
                .arg(&p12)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            eprintln!("SKIPPED: python3 with cryptography not available");
        }
    }
}
