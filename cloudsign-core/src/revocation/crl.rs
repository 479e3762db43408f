//! Certificate revocation lists (RFC 5280 §5): parse and verify one, and issue them.

use std::sync::atomic::{AtomicU64, Ordering};

use der::asn1::OctetString;
use der::{Decode, Encode};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};
use x509_cert::time::Time;

use super::responder::{RevokedSerials, normalized_serial};
use super::{RevocationError, RevocationReason, encoding, malformed, unix_time};
use crate::cms::tlv;
use crate::crypto::oid;
use crate::error::Result;
use crate::signer::{LocalSigner, Signer, ToBeSigned};
use crate::time::{SystemClock, TimeProvider, UnixTime};
use crate::x509::Certificate;

/// id-ce-issuingDistributionPoint (RFC 5280 §5.2.5).
const ISSUING_DISTRIBUTION_POINT: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("2.5.29.28");

/// One revoked certificate as a CRL lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial number, lowercase hex of its content octets.
    pub serial_hex: String,
    /// revocationDate.
    pub revoked_at: UnixTime,
    /// The reasonCode entry extension, if present.
    pub reason: Option<RevocationReason>,
}

/// A parsed CRL, keeping the DER and the `tbsCertList` bytes as received.
///
/// Delta CRLs (RFC 5280 §5.2.4), indirect CRLs and CRLs with an unknown critical extension are
/// refused as [`RevocationError::Unsupported`]: a complete CRL from the certificate's issuer is
/// what this library relies on.
///
/// ```text
/// CertificateList  ::=  SEQUENCE  {
///      tbsCertList          TBSCertList,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
///
/// TBSCertList  ::=  SEQUENCE  {
///      version                 Version OPTIONAL, -- if present, MUST be v2
///      signature               AlgorithmIdentifier,
///      issuer                  Name,
///      thisUpdate              Time,
///      nextUpdate              Time OPTIONAL,
///      revokedCertificates     SEQUENCE OF SEQUENCE  {
///           userCertificate         CertificateSerialNumber,
///           revocationDate          Time,
///           crlEntryExtensions      Extensions OPTIONAL } OPTIONAL,
///      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL }
/// ```
///
/// ```
/// use cloudsign_core::revocation::Crl;
/// assert!(Crl::parse(b"\x30\x00").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Crl {
    der: Vec<u8>,
    tbs_raw: Vec<u8>,
    inner: CertificateList,
}

impl Crl {
    /// Parses one DER CRL.
    ///
    /// # Errors
    /// [`RevocationError::Malformed`] or [`RevocationError::Unsupported`].
    pub fn parse(der: &[u8]) -> Result<Self> {
        let inner = CertificateList::from_der(der).map_err(malformed)?;
        let (outer, _) = tlv::expect(der, 0x30).map_err(malformed)?;
        let (tbs, _) = tlv::expect(outer.content, 0x30).map_err(malformed)?;
        check_extensions(&inner.tbs_cert_list)?;
        Ok(Self {
            der: der.to_vec(),
            tbs_raw: tbs.raw.to_vec(),
            inner,
        })
    }

    /// Parses the first `X509 CRL` block of PEM text.
    ///
    /// # Errors
    /// As [`parse`](Self::parse); [`RevocationError::Malformed`] without such a block.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let der = crate::x509::pem_blocks(pem, "X509 CRL")
            .next()
            .ok_or_else(|| malformed("no X509 CRL block in PEM input"))?
            .map_err(malformed)?;
        Self::parse(&der)
    }

    /// The DER exactly as parsed.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer name, RFC 4514 style.
    pub fn issuer(&self) -> String {
        self.inner.tbs_cert_list.issuer.to_string()
    }

    /// thisUpdate.
    pub fn this_update(&self) -> UnixTime {
        unix_time(self.inner.tbs_cert_list.this_update.to_date_time())
    }

    /// nextUpdate, if present.
    pub fn next_update(&self) -> Option<UnixTime> {
        self.inner
            .tbs_cert_list
            .next_update
            .map(|t| unix_time(t.to_date_time()))
    }

    /// The cRLNumber extension as lowercase hex, if present.
    pub fn number(&self) -> Option<String> {
        let ext = self
            .extensions()
            .iter()
            .find(|e| e.extn_id == oid::CRL_NUMBER)?;
        CrlNumber::from_der(ext.extn_value.as_bytes())
            .ok()
            .map(|n| hex::encode(n.0.as_bytes()))
    }

    /// Every revoked certificate listed, in order (entries with an unreadable reason have
    /// `reason: None`).
    pub fn entries(&self) -> Vec<RevokedEntry> {
        self.inner
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .map(entry)
            .collect()
    }

    /// The entry for `cert`, if this CRL lists its serial number. Whether the CRL is from
    /// `cert`'s issuer is for [`verify`](Self::verify) to say.
    pub fn lookup(&self, cert: &Certificate) -> Option<RevokedEntry> {
        self.lookup_serial(&cert.serial_hex())
    }

    /// The entry for a serial number given as hex (case and leading zero octets ignored).
    pub fn lookup_serial(&self, serial_hex: &str) -> Option<RevokedEntry> {
        let bytes = hex::decode(serial_hex).ok()?;
        let wanted = normalized_serial(&bytes);
        self.inner
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .find(|rc| normalized_serial(rc.serial_number.as_bytes()) == wanted)
            .map(entry)
    }

    /// Verifies that `issuer` issued this CRL: the names agree, `issuer`'s keyUsage (when
    /// present) allows cRLSign, and the signature verifies over `tbsCertList` as received.
    ///
    /// # Errors
    /// [`RevocationError::BadSignature`] naming what failed.
    pub fn verify(&self, issuer: &Certificate) -> Result<()> {
        let bad = |why: String| RevocationError::BadSignature(why);
        if &self.inner.tbs_cert_list.issuer != issuer.subject_name() {
            return Err(bad(format!(
                "CRL issuer {} is not {}",
                self.issuer(),
                issuer.subject()
            ))
            .into());
        }
        if issuer.key_usage().is_some_and(|ku| !ku.crl_sign) {
            return Err(bad(format!("keyUsage of {} lacks cRLSign", issuer.subject())).into());
        }
        // The outer and inner algorithm identifiers must agree (RFC 5280 §5.1.1.2).
        if self.inner.signature_algorithm != self.inner.tbs_cert_list.signature {
            return Err(bad("signatureAlgorithm differs from tbsCertList.signature".into()).into());
        }
        let signature = self
            .inner
            .signature
            .as_bytes()
            .ok_or_else(|| malformed("signature BIT STRING with unused bits"))?;
        crate::crypto::verify_signature(
            &issuer.spki_der(),
            &self.inner.signature_algorithm,
            None,
            &self.tbs_raw,
            signature,
        )
        .map_err(|e| bad(e.to_string()))?;
        Ok(())
    }

    /// Checks thisUpdate − skew ≤ `at` ≤ nextUpdate + skew.
    ///
    /// # Errors
    /// [`RevocationError::NotCurrent`] otherwise.
    pub fn check_current(&self, at: UnixTime, skew_secs: u64) -> Result<()> {
        super::ocsp::check_interval(self.this_update(), self.next_update(), at, skew_secs)
    }

    fn extensions(&self) -> &[Extension] {
        self.inner
            .tbs_cert_list
            .crl_extensions
            .as_deref()
            .unwrap_or_default()
    }
}

fn entry(rc: &RevokedCert) -> RevokedEntry {
    let reason = rc
        .crl_entry_extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oid::CRL_REASON)
        .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
        .map(RevocationReason::from_asn1);
    RevokedEntry {
        serial_hex: hex::encode(rc.serial_number.as_bytes()),
        revoked_at: unix_time(rc.revocation_date.to_date_time()),
        reason,
    }
}

fn check_extensions(tbs: &TbsCertList) -> Result<(), RevocationError> {
    for ext in tbs.crl_extensions.iter().flatten() {
        match ext.extn_id {
            oid::DELTA_CRL_INDICATOR => {
                return Err(RevocationError::Unsupported("delta CRL".into()));
            }
            ISSUING_DISTRIBUTION_POINT if ext.critical => {
                return Err(RevocationError::Unsupported(
                    "CRL with an issuingDistributionPoint (partitioned or indirect)".into(),
                ));
            }
            oid::AUTHORITY_KEY_IDENTIFIER | oid::CRL_NUMBER => {}
            other if ext.critical => {
                return Err(RevocationError::Unsupported(format!(
                    "critical CRL extension {other}"
                )));
            }
            _ => {}
        }
    }
    for rc in tbs.revoked_certificates.iter().flatten() {
        for ext in rc.crl_entry_extensions.iter().flatten() {
            if ext.critical {
                return Err(RevocationError::Unsupported(format!(
                    "critical CRL entry extension {}",
                    ext.extn_id
                )));
            }
        }
    }
    Ok(())
}

fn x509_time(t: UnixTime) -> Result<Time, RevocationError> {
    crate::x509::x509_time(t).map_err(encoding)
}

/// A sans-I/O CRL issuer: a CA's key and the list of certificates it has revoked.
///
/// Each [`issue`](Self::issue) makes a complete v2 CRL: thisUpdate from its clock, nextUpdate
/// [`validity_secs`](Self::validity_secs) later (a day by default), the authorityKeyIdentifier
/// and an increasing cRLNumber, and a reasonCode for entries that have one.
///
/// ```
/// # fn main() -> cloudsign_core::error::Result<()> {
/// use cloudsign_core::revocation::{Crl, CrlIssuer, RevocationReason};
/// use cloudsign_core::time::UnixTime;
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let revoked = &pki.expired_signer.certificate;
/// let issuer = CrlIssuer::new(pki.intermediate.signer()?)?
///     .revoke(&revoked.serial_hex(), UnixTime::now(), Some(RevocationReason::Superseded))?;
/// let crl = Crl::parse(&issuer.issue()?)?;
/// crl.verify(&pki.intermediate.certificate)?;
/// assert!(crl.lookup(revoked).is_some());
/// assert!(crl.lookup(&pki.signer_ec.certificate).is_none());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CrlIssuer {
    signer: LocalSigner,
    revoked: RevokedSerials,
    clock: Box<dyn TimeProvider>,
    validity_secs: u64,
    next_number: AtomicU64,
}

impl CrlIssuer {
    /// An issuer signing with the CA key of `signer`.
    ///
    /// # Errors
    /// [`RevocationError::Unsupported`] when the signer's certificate is not a CA certificate
    /// or its keyUsage lacks cRLSign.
    pub fn new(signer: LocalSigner) -> Result<Self> {
        let cert = signer.certificate();
        if !cert.basic_constraints().is_some_and(|(ca, _)| ca) {
            return Err(RevocationError::Unsupported(format!(
                "{} is not a CA certificate",
                cert.subject()
            ))
            .into());
        }
        if cert.key_usage().is_some_and(|ku| !ku.crl_sign) {
            return Err(RevocationError::Unsupported(format!(
                "keyUsage of {} lacks cRLSign",
                cert.subject()
            ))
            .into());
        }
        // CRL numbers start at the current time in microseconds, so that an issuer restarted
        // with the same key keeps counting up.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2));
        Ok(Self {
            signer,
            revoked: RevokedSerials::default(),
            clock: Box::new(SystemClock),
            validity_secs: 86_400,
            next_number: AtomicU64::new(start),
        })
    }

    /// Lists the certificate with serial number `serial_hex` as revoked at `at`.
    ///
    /// # Errors
    /// [`RevocationError::Malformed`] when `serial_hex` is not hex.
    pub fn revoke(
        mut self,
        serial_hex: &str,
        at: UnixTime,
        reason: Option<RevocationReason>,
    ) -> Result<Self> {
        self.revoked.add(serial_hex, at, reason)?;
        Ok(self)
    }

    /// Takes thisUpdate from `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Box<dyn TimeProvider>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets nextUpdate to `secs` after thisUpdate.
    #[must_use]
    pub fn validity_secs(mut self, secs: u64) -> Self {
        self.validity_secs = secs;
        self
    }

    /// The issuing CA's certificate.
    pub fn certificate(&self) -> &Certificate {
        self.signer.certificate()
    }

    /// A freshly signed DER CRL.
    ///
    /// # Errors
    /// [`RevocationError::Encoding`] or a signing error.
    pub fn issue(&self) -> Result<Vec<u8>> {
        let now = self.clock.now();
        let cert = self.signer.certificate();
        let algorithm = self.signer.algorithm();
        let number = self.next_number.fetch_add(1, Ordering::SeqCst);
        let mut extensions = vec![ext_of(
            oid::CRL_NUMBER,
            &CrlNumber(der::asn1::Uint::new(&number.to_be_bytes()).map_err(encoding)?),
        )?];
        if let Some(ski) = cert.subject_key_identifier() {
            extensions.push(ext_of(
                oid::AUTHORITY_KEY_IDENTIFIER,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(ski).map_err(encoding)?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?);
        }
        let mut revoked = Vec::new();
        for r in self.revoked.iter() {
            let crl_entry_extensions = match r.reason {
                Some(reason) => Some(vec![ext_of(oid::CRL_REASON, &reason.to_asn1())?]),
                None => None,
            };
            revoked.push(RevokedCert {
                serial_number: r.serial.clone(),
                revocation_date: x509_time(r.revoked_at)?,
                crl_entry_extensions,
            });
        }
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: algorithm.algorithm_identifier(),
            issuer: cert.subject_name().clone(),
            this_update: x509_time(now)?,
            next_update: Some(x509_time(now.plus_secs(self.validity_secs))?),
            // RFC 5280 §5.1.2.6: absent, not empty, when nothing is revoked.
            revoked_certificates: (!revoked.is_empty()).then_some(revoked),
            crl_extensions: Some(extensions),
        };
        let tbs_der = tbs.to_der().map_err(encoding)?;
        let signature = self.signer.sign(&ToBeSigned::new(tbs_der, algorithm))?;
        let crl = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: algorithm.algorithm_identifier(),
            signature: der::asn1::BitString::from_bytes(&signature).map_err(encoding)?,
        };
        Ok(crl.to_der().map_err(encoding)?)
    }
}

/// A non-critical extension holding `value`.
pub(crate) fn ext_of(
    id: der::asn1::ObjectIdentifier,
    value: &impl Encode,
) -> Result<Extension, RevocationError> {
    Ok(Extension {
        extn_id: id,
        critical: false,
        extn_value: OctetString::new(value.to_der().map_err(encoding)?).map_err(encoding)?,
    })
}
