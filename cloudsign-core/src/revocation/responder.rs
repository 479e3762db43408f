//! A sans-I/O OCSP responder: request DER in, response DER out.

use der::asn1::OctetString;
use der::{Decode, Encode};
use x509_cert::serial_number::SerialNumber;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponseStatus, ResponderId,
    ResponseData, RevokedInfo, SingleResponse,
};

use super::ocsp::{cert_id_names_issuer, find_nonce, nonce_extension};
use super::{RevocationError, RevocationReason, encoding};
use crate::crypto::oid;
use crate::error::Result;
use crate::signer::{LocalSigner, Signer, ToBeSigned};
use crate::time::{SystemClock, TimeProvider, UnixTime};
use crate::x509::Certificate;

/// The serial's content octets without leading zero octets, so that `00ab` and `ab` agree.
pub(crate) fn normalized_serial(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// One revoked certificate known to an issuer.
#[derive(Clone, Debug)]
pub(crate) struct Revoked {
    pub(crate) serial: SerialNumber,
    pub(crate) revoked_at: UnixTime,
    pub(crate) reason: Option<RevocationReason>,
}

/// The revoked certificates of one CA, by serial number.
#[derive(Clone, Debug, Default)]
pub(crate) struct RevokedSerials(Vec<Revoked>);

impl RevokedSerials {
    pub(crate) fn add(
        &mut self,
        serial_hex: &str,
        at: UnixTime,
        reason: Option<RevocationReason>,
    ) -> Result<(), RevocationError> {
        let bytes = hex::decode(serial_hex.trim()).map_err(|e| {
            RevocationError::Malformed(format!("serial number {serial_hex:?}: {e}"))
        })?;
        let trimmed = normalized_serial(&bytes);
        // A positive INTEGER whose first octet has the high bit set needs a leading zero.
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(trimmed);
        let serial = SerialNumber::new(&content)
            .map_err(|e| RevocationError::Malformed(format!("serial number: {e}")))?;
        self.0.retain(|r| r.serial != serial);
        self.0.push(Revoked {
            serial,
            revoked_at: at,
            reason,
        });
        Ok(())
    }

    pub(crate) fn find(&self, serial: &SerialNumber) -> Option<&Revoked> {
        let wanted = normalized_serial(serial.as_bytes());
        self.0
            .iter()
            .find(|r| normalized_serial(r.serial.as_bytes()) == wanted)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Revoked> {
        self.0.iter()
    }
}

/// An OCSP responder for the certificates of one CA (RFC 6960).
///
/// It signs either with the CA's own key or as a delegated responder whose certificate the CA
/// issued with the id-kp-OCSPSigning key purpose (RFC 6960 §4.2.2.2). Every certificate of
/// the CA is `good` unless [`revoke`](Self::revoke)d; a CertID naming another issuer gets
/// `unknown`. Responses carry producedAt and thisUpdate from the responder's clock, a
/// nextUpdate [`validity_secs`](Self::validity_secs) later (an hour by default), the request's
/// nonce when it sent one, the responderID by name, and a delegated responder's certificate.
///
/// ```
/// # fn main() -> cloudsign_core::error::Result<()> {
/// use cloudsign_core::revocation::{OcspCertStatus, OcspCheck, OcspRequest, OcspResponder, OcspResponse};
/// use cloudsign_core::time::UnixTime;
/// let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let (cert, ca) = (&pki.signer_rsa.certificate, &pki.intermediate.certificate);
/// let responder = OcspResponder::new(ca.clone(), pki.ocsp.signer()?)?
///     .revoke(&cert.serial_hex(), UnixTime::from_secs(1_700_000_000), None)?;
/// let request = OcspRequest::new(cert, ca).random_nonce();
/// let response = OcspResponse::parse(&responder.respond(&request.to_der()?))?;
/// let nonce = request.nonce_value().unwrap_or_default();
/// let single = response.verify(cert, ca, &OcspCheck::new(UnixTime::now()).nonce(nonce))?;
/// assert!(matches!(single.status, OcspCertStatus::Revoked { .. }));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OcspResponder {
    ca: Certificate,
    signer: LocalSigner,
    revoked: RevokedSerials,
    clock: Box<dyn TimeProvider>,
    validity_secs: u64,
}

impl OcspResponder {
    /// A responder answering for `ca`'s certificates and signing with `signer`: the CA's own
    /// key, or a delegated responder's.
    ///
    /// # Errors
    /// [`RevocationError::UnauthorizedResponder`] when the signer is neither `ca` nor a
    /// responder `ca` issued with id-kp-OCSPSigning.
    pub fn new(ca: Certificate, signer: LocalSigner) -> Result<Self> {
        let cert = signer.certificate();
        let same = cert.subject_name() == ca.subject_name()
            && cert.public_key_bits() == ca.public_key_bits();
        if !same {
            let delegated = cert.could_be_issued_by(&ca)
                && cert.verify_issued_by(&ca).is_ok()
                && cert
                    .extended_key_usage()
                    .contains(&oid::ID_KP_OCSP_SIGNING.to_string());
            if !delegated {
                return Err(RevocationError::UnauthorizedResponder(format!(
                    "{} is neither {} nor an OCSP responder it certified",
                    cert.subject(),
                    ca.subject()
                ))
                .into());
            }
        }
        Ok(Self {
            ca,
            signer,
            revoked: RevokedSerials::default(),
            clock: Box::new(SystemClock),
            validity_secs: 3600,
        })
    }

    /// Answers `revoked` for the certificate with serial number `serial_hex`, revoked at `at`.
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

    /// Takes producedAt and thisUpdate from `clock` instead of the system clock.
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

    /// Answers a DER `OCSPRequest` with a DER `OCSPResponse`; it never fails: a request that
    /// does not parse gets `malformedRequest`, a failure to sign `internalError`.
    pub fn respond(&self, request_der: &[u8]) -> Vec<u8> {
        let Ok(request) = x509_ocsp::OcspRequest::from_der(request_der) else {
            return status_only(OcspResponseStatus::MalformedRequest);
        };
        if request.tbs_request.request_list.is_empty() {
            return status_only(OcspResponseStatus::MalformedRequest);
        }
        self.answer(&request)
            .unwrap_or_else(|_| status_only(OcspResponseStatus::InternalError))
    }

    fn answer(&self, request: &x509_ocsp::OcspRequest) -> Result<Vec<u8>> {
        let clock_now = self.clock.now();
        let now = ocsp_time(clock_now)?;
        let next = ocsp_time(clock_now.plus_secs(self.validity_secs))?;
        let mut responses = Vec::new();
        for single in &request.tbs_request.request_list {
            let id = &single.req_cert;
            let cert_status = if !cert_id_names_issuer(id, &self.ca) {
                CertStatus::unknown()
            } else if let Some(r) = self.revoked.find(&id.serial_number) {
                CertStatus::Revoked(RevokedInfo {
                    revocation_time: ocsp_time(r.revoked_at)?,
                    revocation_reason: r.reason.map(RevocationReason::to_asn1),
                })
            } else {
                CertStatus::good()
            };
            responses.push(SingleResponse {
                cert_id: id.clone(),
                cert_status,
                this_update: now,
                next_update: Some(next),
                single_extensions: None,
            });
        }
        let response_extensions = match find_nonce(request.tbs_request.request_extensions.as_ref())
        {
            Some(nonce) => Some(vec![nonce_extension(&nonce)?]),
            None => None,
        };
        let signer_cert = self.signer.certificate();
        let tbs = ResponseData {
            version: x509_ocsp::Version::V1,
            responder_id: ResponderId::ByName(signer_cert.subject_name().clone()),
            produced_at: now,
            responses,
            response_extensions,
        };
        let tbs_der = tbs.to_der().map_err(encoding)?;
        let algorithm = self.signer.algorithm();
        let signature = self.signer.sign(&ToBeSigned::new(tbs_der, algorithm))?;
        let delegated = signer_cert != &self.ca;
        let certs = if delegated {
            Some(vec![
                x509_cert::Certificate::from_der(signer_cert.der()).map_err(encoding)?,
            ])
        } else {
            None
        };
        let basic = BasicOcspResponse {
            tbs_response_data: tbs,
            signature_algorithm: algorithm.algorithm_identifier(),
            signature: der::asn1::BitString::from_bytes(&signature).map_err(encoding)?,
            certs,
        };
        let response = x509_ocsp::OcspResponse {
            response_status: OcspResponseStatus::Successful,
            response_bytes: Some(x509_ocsp::ResponseBytes {
                response_type: oid::OCSP_BASIC,
                response: OctetString::new(basic.to_der().map_err(encoding)?).map_err(encoding)?,
            }),
        };
        Ok(response.to_der().map_err(encoding)?)
    }
}

fn ocsp_time(t: UnixTime) -> Result<OcspGeneralizedTime, RevocationError> {
    der::DateTime::from_unix_duration(std::time::Duration::from_secs(t.as_secs()))
        .map(OcspGeneralizedTime::from)
        .map_err(encoding)
}

/// An OCSPResponse with only a responseStatus (no responseBytes).
fn status_only(status: OcspResponseStatus) -> Vec<u8> {
    x509_ocsp::OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    // SEQUENCE { ENUMERATED internalError }: what to say when even that cannot be encoded.
    .unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, 0x02])
}
