//! A sans-I/O timestamp authority: request DER in, response DER out.
//!
//! It serves tests, the `cloudsign serve` command and private deployments. Transport (HTTP,
//! queues) wraps [`TimestampAuthority::respond`]; it never needs to parse anything itself.

use std::sync::atomic::{AtomicU64, Ordering};

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;

use super::asn1::{Accuracy, GenTime, MessageImprint, PkiStatusInfo, TimeStampResp, TstInfo};
use super::request::{nonce_from_u64, parse_request};
use super::response::{FailureInfo, GRANTED, REJECTION};
use super::token::check_timestamping_certificate;
use super::{TimeStamper, TransportError, TspError};
use crate::cms::{self, Encapsulated};
use crate::crypto::oid;
use crate::error::Result;
use crate::signer::{LocalSigner, Signer, ToBeSigned};
use crate::time::{SystemClock, TimeProvider, UnixTime};

/// `TimeStampResp { status { rejection, failInfo systemFailure } }`, for the one case where even
/// a rejection could not be encoded: the answer is still a well-formed response.
pub(crate) const SYSTEM_FAILURE: [u8; 14] = [
    0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
];

/// An RFC 3161 timestamp authority holding its signing key in memory.
///
/// Every granted token carries TSTInfo version 1, the authority's policy, the request's
/// message imprint and nonce, a serial number unique to this authority, genTime from its
/// clock (never earlier than a genTime it already issued), and optionally accuracy and the
/// TSA name. The SignedData encapsulates the TSTInfo and has the signed attributes
/// content-type (id-ct-TSTInfo), message-digest and signing-certificate-v2; the
/// certificates are included when the request sets certReq.
///
/// ```no_run
/// # fn main() -> cloudsign_core::error::Result<()> {
/// use cloudsign_core::crypto::DigestAlgorithm;
/// use cloudsign_core::testkit::TestPki;
/// use cloudsign_core::tsp::{check_response, TimestampRequest};
/// let authority = TestPki::generate()?.authority()?;
/// let request = TimestampRequest::new(DigestAlgorithm::Sha256, DigestAlgorithm::Sha256.digest(b"x"));
/// let token = check_response(&request, &authority.respond(&request.to_der()?))?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TimestampAuthority {
    signer: LocalSigner,
    policy: ObjectIdentifier,
    clock: Box<dyn TimeProvider>,
    accuracy_seconds: Option<u32>,
    include_tsa_name: bool,
    next_serial: AtomicU64,
    last_gen_time: AtomicU64,
}

impl TimestampAuthority {
    /// An authority signing with `signer` under `policy` (dotted OID).
    ///
    /// # Errors
    /// [`TspError::NotTimestampingCertificate`] when the signer's certificate does not have a
    /// critical extendedKeyUsage of exactly id-kp-timeStamping (RFC 3161 §2.3);
    /// [`TspError::Malformed`] when `policy` is not an OID.
    pub fn new(signer: LocalSigner, policy: &str) -> Result<Self> {
        check_timestamping_certificate(signer.certificate())?;
        Self::new_unchecked(signer, policy)
    }

    /// Without the key-purpose check: only for tests that need a misbehaving authority.
    pub(crate) fn new_unchecked(signer: LocalSigner, policy: &str) -> Result<Self> {
        let policy = ObjectIdentifier::new(policy)
            .map_err(|e| TspError::Malformed(format!("policy {policy:?}: {e}")))?;
        // Serial numbers start at the current time in microseconds and count up, so that an
        // authority restarted with the same key does not repeat serials it issued before.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2));
        Ok(Self {
            signer,
            policy,
            clock: Box::new(SystemClock),
            accuracy_seconds: None,
            include_tsa_name: false,
            next_serial: AtomicU64::new(start),
            last_gen_time: AtomicU64::new(0),
        })
    }

    /// Takes genTime from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Box<dyn TimeProvider>) -> Self {
        self.clock = clock;
        self
    }

    /// Declares the clock's accuracy in every token (`Accuracy.seconds`).
    pub fn with_accuracy_seconds(mut self, seconds: u32) -> Self {
        self.accuracy_seconds = Some(seconds);
        self
    }

    /// Puts the signer certificate's subject in TSTInfo's tsa field.
    pub fn with_tsa_name(mut self, include: bool) -> Self {
        self.include_tsa_name = include;
        self
    }

    /// The policy this authority issues tokens under (dotted OID).
    pub fn policy(&self) -> String {
        self.policy.to_string()
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`, granted or rejected; it never
    /// fails. Rejections: badDataFormat for a malformed request, badAlg for a hash other than
    /// SHA-256/384/512, unacceptedPolicy for a policy other than ours, unacceptedExtension for
    /// any request extension, systemFailure when signing fails.
    pub fn respond(&self, request_der: &[u8]) -> Vec<u8> {
        let request = match parse_request(request_der) {
            Ok(r) => r,
            Err(TspError::UnsupportedAlgorithm(alg)) => {
                return rejection(FailureInfo::BadAlg, &format!("unsupported hash {alg}"));
            }
            Err(e) => return rejection(FailureInfo::BadDataFormat, &e.to_string()),
        };
        if request.policy_oid().is_some_and(|p| p != self.policy) {
            return rejection(
                FailureInfo::UnacceptedPolicy,
                &format!("this authority issues tokens under {} only", self.policy),
            );
        }
        if request.has_extensions() {
            return rejection(
                FailureInfo::UnacceptedExtension,
                "no request extensions are supported",
            );
        }
        match self.grant(&request) {
            Ok(der) => der,
            Err(e) => rejection(FailureInfo::SystemFailure, &e.to_string()),
        }
    }

    fn gen_time(&self) -> UnixTime {
        // Never go back in time: if the clock steps backwards, keep the last genTime issued.
        let now = self.clock.now().as_secs();
        let previous = self.last_gen_time.fetch_max(now, Ordering::SeqCst);
        UnixTime::from_secs(now.max(previous))
    }

    fn grant(&self, request: &super::TimestampRequest) -> Result<Vec<u8>> {
        let cert = self.signer.certificate();
        let serial = self.next_serial.fetch_add(1, Ordering::SeqCst);
        let bad = |what: &str| TspError::Malformed(format!("encoding {what}"));
        let tst = TstInfo {
            version: 1,
            policy: self.policy,
            message_imprint: MessageImprint {
                hash_algorithm: request.digest_algorithm().algorithm_identifier(),
                hashed_message: OctetString::new(request.imprint()).map_err(|_| bad("imprint"))?,
            },
            serial_number: nonce_from_u64(serial).ok_or_else(|| bad("serial"))?,
            gen_time: GenTime::from_time(self.gen_time()),
            accuracy: self.accuracy_seconds.map(|s| Accuracy {
                seconds: Some(u64::from(s)),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: request.nonce_int().cloned(),
            tsa: self
                .include_tsa_name
                .then(|| GeneralName::DirectoryName(cert.subject_name().clone())),
            extensions: None,
        };
        let content = tst.to_der().map_err(|_| bad("TSTInfo"))?;
        let algorithm = self.signer.algorithm();
        let digest = algorithm.digest();
        let attrs = cms::build_signed_attributes_for(
            oid::ID_CT_TST_INFO,
            &digest.digest(&content),
            digest,
            cert,
        )?;
        let signature = self
            .signer
            .sign(&ToBeSigned::new(attrs.clone(), algorithm))?;
        let token = cms::assemble_signed_data_encapsulated(
            &attrs,
            &signature,
            algorithm,
            self.signer.certificate_chain(),
            &Encapsulated::Content {
                content_type: oid::ID_CT_TST_INFO,
                content: &content,
                include_certificates: request.cert_req(),
            },
        )?;
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: GRANTED,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(der::Any::from_der(&token).map_err(|_| bad("token"))?),
        };
        Ok(resp.to_der().map_err(|_| bad("TimeStampResp"))?)
    }
}

/// A rejection response with one failure bit and a status text.
pub(crate) fn rejection(fail: FailureInfo, text: &str) -> Vec<u8> {
    let resp = TimeStampResp {
        status: PkiStatusInfo {
            status: REJECTION,
            status_string: Some(vec![text.to_owned()]),
            fail_info: fail.to_bit_string(),
        },
        time_stamp_token: None,
    };
    resp.to_der().unwrap_or_else(|_| SYSTEM_FAILURE.to_vec())
}

impl TimeStamper for TimestampAuthority {
    fn exchange(&self, request: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        Ok(self.respond(request))
    }
}
