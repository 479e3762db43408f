use super::*;
use crate::signer::key::PrivateKey;
use crate::testkit::{Params, make_certificate, shared};
use crate::x509::KeyUsage;

fn store() -> TrustStore {
    let mut s = TrustStore::new();
    s.add(shared().root.certificate.clone());
    s
}

fn run(leaf: &Certificate, cands: &[Certificate], at: UnixTime) -> Result<CertPath, PathFailure> {
    validate_path(leaf, cands, &store(), at, &Limits::default())
}

fn child(
    subject: &str,
    issuer: (&Certificate, &PrivateKey),
    ca: Option<Option<u8>>,
    extra: &[x509_cert::ext::Extension],
) -> (Certificate, PrivateKey) {
    let key = PrivateKey::generate_p256();
    let now = UnixTime::now();
    let usage = KeyUsage {
        digital_signature: true,
        key_cert_sign: ca.is_some(),
        ..KeyUsage::default()
    };
    let cert = make_certificate(&Params {
        subject,
        key: &key,
        issuer: Some(issuer),
        not_before: now.minus_secs(60),
        not_after: now.plus_secs(86_400),
        ca,
        key_usage: usage,
        eku: &[],
        eku_critical: false,
        extra,
    })
    .unwrap();
    (cert, key)
}

#[test]
fn valid_path_and_time_failures() {
    let pki = shared();
    let int = pki.intermediate.certificate.clone();
    let now = UnixTime::now();
    let path = run(&pki.signer_rsa.certificate, std::slice::from_ref(&int), now).unwrap();
    assert_eq!(path.certificates.len(), 3);
    assert_eq!(path.anchor(), Some(&pki.root.certificate));
    assert_eq!(
        run(&pki.signer_rsa.certificate, &[], now),
        Err(PathFailure::NoPathToTrustAnchor)
    );
    assert!(matches!(
        run(
            &pki.expired_signer.certificate,
            std::slice::from_ref(&int),
            now
        ),
        Err(PathFailure::Expired { .. })
    ));
    assert!(matches!(
        run(
            &pki.signer_ec.certificate,
            std::slice::from_ref(&int),
            UnixTime::from_secs(1_000_000)
        ),
        Err(PathFailure::NotYetValid { .. })
    ));
    let limits = Limits {
        max_path_candidates: 0,
        ..Limits::default()
    };
    assert_eq!(
        validate_path(&pki.signer_ec.certificate, &[int], &store(), now, &limits),
        Err(PathFailure::BudgetExhausted)
    );
}

#[test]
fn tampered_signature() {
    let pki = shared();
    let mut der = pki.signer_ec.certificate.der().to_vec();
    let last = der.len() - 3;
    der[last] ^= 1;
    let bad = Certificate::from_der(&der).unwrap();
    assert!(matches!(
        run(
            &bad,
            std::slice::from_ref(&pki.intermediate.certificate),
            UnixTime::now()
        ),
        Err(PathFailure::BadSignature { .. })
    ));
}

#[test]
fn ca_constraints_and_critical_extensions() {
    let pki = shared();
    let int = pki.intermediate.certificate.clone();
    let int_key = pki.intermediate.private_key().unwrap();
    let now = UnixTime::now();
    // A leaf (cA=false) issuing another certificate.
    let (leaf, leaf_key) = child("leaf", (&int, &int_key), None, &[]);
    let (grandchild, _) = child("grandchild", (&leaf, &leaf_key), None, &[]);
    assert!(matches!(
        run(&grandchild, &[int.clone(), leaf], now),
        Err(PathFailure::NotCa { .. })
    ));
    // The intermediate has pathLenConstraint 0: no further CA below it.
    let (sub, sub_key) = child("sub CA", (&int, &int_key), Some(None), &[]);
    let (under_sub, _) = child("under sub", (&sub, &sub_key), None, &[]);
    assert_eq!(
        run(&under_sub, &[int.clone(), sub], now),
        Err(PathFailure::PathLength)
    );
    let unknown = x509_cert::ext::Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
        critical: true,
        extn_value: der::asn1::OctetString::new(vec![0x05, 0x00]).unwrap(),
    };
    let (odd, _) = child("odd", (&int, &int_key), None, &[unknown]);
    assert!(matches!(
        run(&odd, &[int], now),
        Err(PathFailure::UnsupportedCriticalExtension { oid, .. }) if oid == "1.3.6.1.4.1.99999.1"
    ));
}
