use der::{Decode, Encode};

use super::*;
use crate::Error;
use crate::testkit::{CertSpec, EKU_OCSP_SIGNING, EKU_TIME_STAMPING, PkiUrls, TestPki, shared};
use crate::time::{FixedClock, UnixTime};
use crate::x509::Certificate;

const HOUR: u64 = 3600;

fn ca() -> &'static Certificate {
    &shared().intermediate.certificate
}

fn leaf() -> &'static Certificate {
    &shared().signer_ec.certificate
}

fn delegated() -> OcspResponder {
    OcspResponder::new(ca().clone(), shared().ocsp.signer().unwrap()).unwrap()
}

fn ask(responder: &OcspResponder, request: &OcspRequest) -> OcspResponse {
    OcspResponse::parse(&responder.respond(&request.to_der().unwrap())).unwrap()
}

fn revocation_error(e: Error) -> RevocationError {
    match e {
        Error::Revocation(r) => r,
        other => panic!("not a revocation error: {other:?}"),
    }
}

#[test]
fn good_from_delegated_and_ca_signed_responders() {
    let now = UnixTime::now();
    let by_ca = OcspResponder::new(ca().clone(), shared().intermediate.signer().unwrap()).unwrap();
    for responder in [delegated(), by_ca] {
        for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
            let request = OcspRequest::new(leaf(), ca()).hash(hash).random_nonce();
            let response = ask(&responder, &request);
            let check = OcspCheck::new(now).nonce(request.nonce_value().unwrap());
            let single = response.verify(leaf(), ca(), &check).unwrap();
            assert_eq!(single.status, OcspCertStatus::Good);
            assert!(single.this_update <= now && single.next_update > Some(now));
            assert_eq!(response.nonce().as_deref(), request.nonce_value());
        }
    }
    let response = ask(&delegated(), &OcspRequest::new(leaf(), ca()));
    assert_eq!(
        response.verify_signer(ca(), &[]).unwrap(),
        shared().ocsp.certificate
    );
    assert_eq!(response.certificates(), [shared().ocsp.certificate.clone()]);
    assert!(response.responder().contains("OCSP Responder"));
    assert_eq!(response.nonce(), None);
}

#[test]
fn revoked_with_time_and_reason() {
    let at = UnixTime::from_secs(1_750_000_000);
    let responder = delegated()
        .revoke(
            &leaf().serial_hex().to_uppercase(),
            at,
            Some(RevocationReason::KeyCompromise),
        )
        .unwrap();
    let response = ask(&responder, &OcspRequest::new(leaf(), ca()));
    let single = response
        .verify(leaf(), ca(), &OcspCheck::new(UnixTime::now()))
        .unwrap();
    assert_eq!(
        single.status,
        OcspCertStatus::Revoked {
            revoked_at: at,
            reason: Some(RevocationReason::KeyCompromise)
        }
    );
    let other = &shared().signer_rsa.certificate;
    let response = ask(&responder, &OcspRequest::new(other, ca()));
    assert_eq!(
        response.status_for(other, ca()).unwrap().status,
        OcspCertStatus::Good
    );
}

#[test]
fn unknown_for_another_issuer() {
    // A request naming the root as issuer: the intermediate's responder does not know it.
    let root = &shared().root.certificate;
    let response = ask(&delegated(), &OcspRequest::new(ca(), root));
    assert_eq!(
        response.status_for(ca(), root).unwrap().status,
        OcspCertStatus::Unknown
    );
    // And the signer is not authorised for the root's certificates.
    assert!(matches!(
        revocation_error(response.verify_signer(root, &[]).unwrap_err()),
        RevocationError::UnauthorizedResponder(_)
    ));
}

#[test]
fn malformed_requests_get_a_status_only_answer() {
    for bad in [&b""[..], b"\x30\x00", b"\x30\x03\x30\x01\x00", b"garbage"] {
        let answer = delegated().respond(bad);
        let err = OcspResponse::parse(&answer).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Revocation);
        assert_eq!(err.kind().code(), 1400);
        assert!(matches!(
            revocation_error(OcspResponse::parse(&answer).unwrap_err()),
            RevocationError::ResponderStatus(s) if s == "malformedRequest"
        ));
    }
}

#[test]
fn nonce_mismatch_and_staleness_are_refused() {
    let request = OcspRequest::new(leaf(), ca()).nonce(vec![7; 16]);
    let response = ask(&delegated(), &request);
    let now = UnixTime::now();
    assert!(matches!(
        revocation_error(
            response
                .verify(leaf(), ca(), &OcspCheck::new(now).nonce(&[8; 16]))
                .unwrap_err()
        ),
        RevocationError::NonceMismatch
    ));
    // A response without a nonce when one was sent.
    let bare = ask(&delegated(), &OcspRequest::new(leaf(), ca()));
    assert!(
        bare.verify(leaf(), ca(), &OcspCheck::new(now).nonce(&[7; 16]))
            .is_err()
    );
    // Past nextUpdate (an hour by default) plus skew, and before thisUpdate minus skew.
    for at in [now.plus_secs(2 * HOUR), now.minus_secs(HOUR)] {
        assert!(matches!(
            revocation_error(
                response
                    .verify(leaf(), ca(), &OcspCheck::new(at))
                    .unwrap_err()
            ),
            RevocationError::NotCurrent(_)
        ));
    }
    // Within the skew.
    let late = now.plus_secs(HOUR + 60);
    response
        .verify(leaf(), ca(), &OcspCheck::new(late).skew_secs(120))
        .unwrap();
    assert!(
        response
            .verify(leaf(), ca(), &OcspCheck::new(late).skew_secs(0))
            .is_err()
    );
}

#[test]
fn responder_without_ocsp_signing_is_refused() {
    let pki = shared();
    let tsa = pki.tsa.signer().unwrap();
    assert!(OcspResponder::new(ca().clone(), tsa).is_err());
    // A responder from another CA (the root) cannot answer for the intermediate's leaves.
    let stranger = pki.issue(&CertSpec::new("stranger")).unwrap();
    assert!(OcspResponder::new(pki.root.certificate.clone(), stranger.signer().unwrap()).is_err());
}

#[test]
fn tampered_and_wrongly_signed_responses_fail() {
    let response = ask(&delegated(), &OcspRequest::new(leaf(), ca()));
    let der = response.der().to_vec();
    // Flip one byte of the serial number inside the tbsResponseData.
    let serial = leaf().serial_hex();
    let serial_bytes = hex::decode(&serial).unwrap();
    let pos = der
        .windows(serial_bytes.len())
        .position(|w| w == serial_bytes)
        .unwrap();
    let mut tampered = der;
    tampered[pos + 3] ^= 1;
    let parsed = OcspResponse::parse(&tampered).unwrap();
    assert!(matches!(
        revocation_error(parsed.verify_signer(ca(), &[]).unwrap_err()),
        RevocationError::BadSignature(_)
    ));
    // An OCSP-signing certificate from another CA, presented as extra certificate, does not
    // help: the responder's certificate must be issued by the CA asked about.
    let other = TestPki::generate().unwrap();
    assert!(
        response
            .verify_signer(&other.intermediate.certificate, &[])
            .is_err()
    );
}

#[test]
fn delegated_responder_must_have_the_key_purpose() {
    let pki = shared();
    // Issued by the CA, but for timestamping: not allowed to sign OCSP responses.
    let tsa_like = pki
        .issue(&CertSpec::new("not a responder").extended_key_usage(EKU_TIME_STAMPING, true))
        .unwrap();
    let responder = pki
        .issue(&CertSpec::new("responder").extended_key_usage(EKU_OCSP_SIGNING, false))
        .unwrap();
    let good = OcspResponder::new(ca().clone(), responder.signer().unwrap()).unwrap();
    let response = ask(&good, &OcspRequest::new(leaf(), ca()));
    response.verify_signer(ca(), &[]).unwrap();
    // Same response shape signed by the wrong certificate is refused at construction.
    assert!(OcspResponder::new(ca().clone(), tsa_like.signer().unwrap()).is_err());
}

#[test]
fn crl_issue_parse_verify_and_lookup() {
    let pki = shared();
    let revoked_at = UnixTime::from_secs(1_760_000_000);
    let clock = UnixTime::now();
    let issuer = CrlIssuer::new(pki.intermediate.signer().unwrap())
        .unwrap()
        .with_clock(Box::new(FixedClock(clock)))
        .validity_secs(2 * HOUR)
        .revoke(
            &leaf().serial_hex(),
            revoked_at,
            Some(RevocationReason::Superseded),
        )
        .unwrap()
        .revoke(
            &pki.expired_signer.certificate.serial_hex(),
            revoked_at,
            None,
        )
        .unwrap();
    let first = Crl::parse(&issuer.issue().unwrap()).unwrap();
    let second = Crl::parse(&issuer.issue().unwrap()).unwrap();
    assert!(second.number() > first.number(), "cRLNumber increases");
    first.verify(ca()).unwrap();
    assert_eq!(first.issuer(), ca().subject());
    assert_eq!(first.this_update(), clock);
    assert_eq!(first.next_update(), Some(clock.plus_secs(2 * HOUR)));
    assert_eq!(first.entries().len(), 2);
    let entry = first.lookup(leaf()).unwrap();
    assert_eq!(entry.revoked_at, revoked_at);
    assert_eq!(entry.reason, Some(RevocationReason::Superseded));
    assert_eq!(
        first
            .lookup(&pki.expired_signer.certificate)
            .unwrap()
            .reason,
        None
    );
    assert!(first.lookup(&pki.signer_rsa.certificate).is_none());
    first.check_current(clock.plus_secs(HOUR), 0).unwrap();
    assert!(first.check_current(clock.plus_secs(3 * HOUR), 0).is_err());
    // Another CA's key does not verify it; the root is not its issuer.
    assert!(first.verify(&pki.root.certificate).is_err());
    // PEM form.
    let pem = crate::x509::pem_encode("X509 CRL", first.der());
    assert_eq!(Crl::from_pem(pem.as_bytes()).unwrap().der(), first.der());
    // An empty CRL omits revokedCertificates.
    let empty = CrlIssuer::new(pki.intermediate.signer().unwrap()).unwrap();
    assert!(
        Crl::parse(&empty.issue().unwrap())
            .unwrap()
            .entries()
            .is_empty()
    );
    // Leaves cannot issue CRLs.
    assert!(CrlIssuer::new(pki.signer_ec.signer().unwrap()).is_err());
}

#[test]
fn crl_signature_over_received_bytes() {
    let issuer = CrlIssuer::new(shared().intermediate.signer().unwrap())
        .unwrap()
        .revoke(&leaf().serial_hex(), UnixTime::now(), None)
        .unwrap();
    let der = issuer.issue().unwrap();
    let serial = hex::decode(leaf().serial_hex()).unwrap();
    let pos = der.windows(serial.len()).position(|w| w == serial).unwrap();
    let mut tampered = der;
    tampered[pos + 5] ^= 0x40;
    let crl = Crl::parse(&tampered).unwrap();
    assert!(crl.lookup(leaf()).is_none());
    assert!(matches!(
        revocation_error(crl.verify(ca()).unwrap_err()),
        RevocationError::BadSignature(_)
    ));
}

#[test]
fn delta_crls_are_unsupported() {
    let der = CrlIssuer::new(shared().intermediate.signer().unwrap())
        .unwrap()
        .issue()
        .unwrap();
    let mut list = x509_cert::crl::CertificateList::from_der(&der).unwrap();
    let delta = crl::ext_of(
        crate::crypto::oid::DELTA_CRL_INDICATOR,
        &der::asn1::Uint::new(&[1]).unwrap(),
    )
    .unwrap();
    list.tbs_cert_list
        .crl_extensions
        .get_or_insert_with(Vec::new)
        .push(delta);
    assert!(matches!(
        revocation_error(Crl::parse(&list.to_der().unwrap()).unwrap_err()),
        RevocationError::Unsupported(_)
    ));
}

#[test]
fn check_revocation_weighs_the_evidence() {
    let pki = shared();
    let now = UnixTime::now();
    let good_ocsp = delegated().respond(&OcspRequest::new(leaf(), ca()).to_der().unwrap());
    let revoked_at = now.minus_secs(HOUR);
    let crl_issuer = CrlIssuer::new(pki.intermediate.signer().unwrap()).unwrap();
    let clean_crl = crl_issuer.issue().unwrap();
    let revoking_crl = crl_issuer
        .revoke(
            &leaf().serial_hex(),
            revoked_at,
            Some(RevocationReason::CaCompromise),
        )
        .unwrap()
        .issue()
        .unwrap();

    let status = check_revocation(
        leaf(),
        ca(),
        &Evidence {
            ocsp: std::slice::from_ref(&good_ocsp),
            ..Evidence::default()
        },
        now,
    );
    assert!(matches!(
        status,
        RevocationStatus::Good { source: EvidenceSource::Ocsp { ref responder, .. } }
            if responder == &pki.ocsp.certificate.subject()
    ));
    let status = check_revocation(
        leaf(),
        ca(),
        &Evidence {
            crls: std::slice::from_ref(&clean_crl),
            ..Evidence::default()
        },
        now,
    );
    assert!(matches!(
        status,
        RevocationStatus::Good {
            source: EvidenceSource::Crl { .. }
        }
    ));
    // A revocation wins over a good OCSP answer.
    let status = check_revocation(
        leaf(),
        ca(),
        &Evidence {
            ocsp: std::slice::from_ref(&good_ocsp),
            crls: std::slice::from_ref(&revoking_crl),
            certificates: &[],
        },
        now,
    );
    assert_eq!(
        status,
        RevocationStatus::Revoked {
            revoked_at,
            reason: Some("cACompromise".into()),
            source: EvidenceSource::Crl {
                this_update: Crl::parse(&revoking_crl).unwrap().this_update(),
                issuer: ca().subject(),
            },
        }
    );
    // Stale evidence, evidence for another issuer, and garbage: unknown, with reasons.
    let status = check_revocation(
        leaf(),
        ca(),
        &Evidence {
            ocsp: &[good_ocsp.clone(), b"junk".to_vec()],
            crls: std::slice::from_ref(&clean_crl),
            certificates: &[],
        },
        now.plus_secs(3 * 86_400),
    );
    let RevocationStatus::Unknown { reason } = status else {
        panic!("expected unknown, got {status:?}");
    };
    assert!(
        reason.contains("nextUpdate") && reason.contains("malformed"),
        "{reason}"
    );
    let status = check_revocation(
        leaf(),
        &pki.root.certificate,
        &Evidence {
            ocsp: std::slice::from_ref(&good_ocsp),
            crls: std::slice::from_ref(&clean_crl),
            certificates: &[],
        },
        now,
    );
    assert!(
        matches!(status, RevocationStatus::Unknown { .. }),
        "{status:?}"
    );
    // A clean CRL and a good answer from the intermediate say nothing about a certificate
    // the intermediate did not issue, even one with the same issuer name.
    let other = TestPki::generate().unwrap();
    let status = check_revocation(
        &other.signer_ec.certificate,
        ca(),
        &Evidence {
            ocsp: std::slice::from_ref(&good_ocsp),
            crls: std::slice::from_ref(&clean_crl),
            certificates: &[],
        },
        now,
    );
    assert!(
        matches!(status, RevocationStatus::Unknown { ref reason } if reason.contains("did not issue")),
        "{status:?}"
    );
    let json = serde_json::to_string(&check_revocation(
        leaf(),
        ca(),
        &Evidence {
            crls: std::slice::from_ref(&revoking_crl),
            ..Evidence::default()
        },
        now,
    ))
    .unwrap();
    assert!(json.contains(r#""status":"revoked""#) && json.contains(r#""kind":"crl""#));
}

/// A source that answers from an in-process responder and CRL issuer, as a server would.
#[derive(Debug)]
struct InProcess {
    responder: Option<OcspResponder>,
    crls: Vec<Vec<u8>>,
}

impl RevocationSource for InProcess {
    fn ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> crate::error::Result<Option<Vec<u8>>> {
        Ok(self
            .responder
            .as_ref()
            .map(|r| r.respond(&OcspRequest::new(cert, issuer).to_der().unwrap_or_default())))
    }

    fn crls(&self, _cert: &Certificate) -> crate::error::Result<Vec<Vec<u8>>> {
        Ok(self.crls.clone())
    }

    fn ca_issuers(&self, _cert: &Certificate) -> crate::error::Result<Vec<Vec<u8>>> {
        Ok(vec![ca().der().to_vec()])
    }
}

#[test]
fn gather_prefers_ocsp_then_falls_back_to_crls() {
    let crl = CrlIssuer::new(shared().intermediate.signer().unwrap())
        .unwrap()
        .issue()
        .unwrap();
    let both = InProcess {
        responder: Some(delegated()),
        crls: vec![crl.clone()],
    };
    let got = gather(&both, leaf(), ca()).unwrap();
    assert_eq!((got.ocsp.len(), got.crls.len()), (1, 0));
    // A responder that is not authorised: fall back to the CRL.
    let wrong = InProcess {
        responder: Some(
            OcspResponder::new(
                shared().root.certificate.clone(),
                shared().root.signer().unwrap(),
            )
            .unwrap(),
        ),
        crls: vec![crl],
    };
    let got = gather(&wrong, leaf(), ca()).unwrap();
    assert_eq!((got.ocsp.len(), got.crls.len()), (0, 1));
    let nothing = InProcess {
        responder: None,
        crls: Vec::new(),
    };
    let err = revocation_error(gather(&nothing, leaf(), ca()).unwrap_err());
    assert!(matches!(err, RevocationError::NoEvidence(ref s) if s.contains("no OCSP responder")));
}

#[test]
fn complete_chain_fetches_missing_issuers() {
    let chain = complete_chain(
        &InProcess {
            responder: None,
            crls: Vec::new(),
        },
        leaf(),
        &[shared().root.certificate.clone()],
        4,
    )
    .unwrap();
    assert_eq!(chain, [ca().clone(), shared().root.certificate.clone()]);
    // Offline and nothing known: the chain stays empty.
    assert!(complete_chain(&NoFetch, leaf(), &[], 4).unwrap().is_empty());
}

#[test]
fn urls_go_into_leaf_certificates() {
    let spec = CertSpec::new("with urls")
        .ocsp_url("http://127.0.0.1:1/ocsp")
        .crl_url("http://127.0.0.1:1/crl")
        .ca_issuers_url("http://127.0.0.1:1/ca.der");
    let id = shared().issue(&spec).unwrap();
    let cert = &id.certificate;
    assert_eq!(cert.ocsp_urls(), ["http://127.0.0.1:1/ocsp"]);
    assert_eq!(cert.crl_urls(), ["http://127.0.0.1:1/crl"]);
    assert_eq!(cert.ca_issuers_urls(), ["http://127.0.0.1:1/ca.der"]);
    assert!(leaf().ocsp_urls().is_empty() && leaf().crl_urls().is_empty());
    let _ = PkiUrls::default();
}

#[test]
fn reasons_round_trip() {
    for name in [
        "unspecified",
        "keyCompromise",
        "cACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "removeFromCRL",
        "privilegeWithdrawn",
        "aACompromise",
    ] {
        let r: RevocationReason = name.parse().unwrap();
        assert_eq!(r.to_string(), name);
        assert_eq!(RevocationReason::from_asn1(r.to_asn1()), r);
    }
    assert!("nope".parse::<RevocationReason>().is_err());
}

#[test]
fn nonce_length_is_bounded() {
    assert!(
        OcspRequest::new(leaf(), ca())
            .nonce(Vec::new())
            .to_der()
            .is_err()
    );
    assert!(
        OcspRequest::new(leaf(), ca())
            .nonce(vec![1; 33])
            .to_der()
            .is_err()
    );
    assert!(
        OcspRequest::new(leaf(), ca())
            .nonce(vec![1; 32])
            .to_der()
            .is_ok()
    );
}

#[test]
fn evidence_issued_later_speaks_for_an_earlier_time_only_when_asked_and_in_validity() {
    let pki = shared();
    let now = UnixTime::now();
    let signed_at = now.minus_secs(2 * 86_400);
    let later = |cert: &Certificate, at: UnixTime| {
        let responder = delegated().with_clock(Box::new(FixedClock(at)));
        responder.respond(&OcspRequest::new(cert, ca()).to_der().unwrap())
    };
    let judge = |cert: &Certificate, ocsp: &[Vec<u8>], crls: &[Vec<u8>], when| {
        let evidence = Evidence {
            ocsp,
            crls,
            certificates: &[],
        };
        check_revocation_with(cert, ca(), &evidence, signed_at, DEFAULT_SKEW_SECS, when)
    };
    // An OCSP "good" produced two days after the time of interest.
    let ocsp = [later(leaf(), now)];
    assert!(matches!(
        judge(leaf(), &ocsp, &[], EvidenceTime::Current),
        RevocationStatus::Unknown { .. }
    ));
    assert!(matches!(
        judge(leaf(), &ocsp, &[], EvidenceTime::IssuedLater),
        RevocationStatus::Good { .. }
    ));
    // Evidence from before the time of interest and stale by then says nothing either way.
    let stale = [later(leaf(), signed_at.minus_secs(86_400))];
    assert!(matches!(
        judge(leaf(), &stale, &[], EvidenceTime::IssuedLater),
        RevocationStatus::Unknown { .. }
    ));
    // A CRL issued after the certificate expired may have dropped it: not taken.
    let expired = &pki.expired_signer.certificate;
    let crl = [CrlIssuer::new(pki.intermediate.signer().unwrap())
        .unwrap()
        .issue()
        .unwrap()];
    let evidence = Evidence {
        crls: &crl,
        ..Evidence::default()
    };
    let in_validity = expired.not_after().minus_secs(86_400);
    let status = check_revocation_with(
        expired,
        ca(),
        &evidence,
        in_validity,
        DEFAULT_SKEW_SECS,
        EvidenceTime::IssuedLater,
    );
    assert!(
        matches!(status, RevocationStatus::Unknown { .. }),
        "{status:?}"
    );
    // The same CRL speaks for a certificate still valid when it was issued.
    assert!(matches!(
        judge(leaf(), &[], &crl, EvidenceTime::IssuedLater),
        RevocationStatus::Good { .. }
    ));
}
