use super::*;
use crate::crypto::verify_signature;
use crate::testkit::shared;

fn roundtrip(signer: &LocalSigner) {
    let tbs = ToBeSigned::new(b"signed attributes".to_vec(), signer.algorithm());
    let sig = signer.sign(&tbs).unwrap();
    assert!(sig.len() <= signer.max_signature_len());
    let spki = signer.certificate().spki_der();
    let alg = signer.algorithm().algorithm_identifier();
    verify_signature(&spki, &alg, None, tbs.message(), &sig).unwrap();
    assert_eq!(
        verify_signature(&spki, &alg, None, b"other message", &sig),
        Err(crate::crypto::CryptoError::BadSignature)
    );
}

#[test]
fn rsa_pkcs1_and_pss_all_digests() {
    for d in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ] {
        let s = shared()
            .signer_rsa
            .signer()
            .unwrap()
            .with_digest(d)
            .unwrap();
        assert_eq!(s.algorithm(), SignatureAlgorithm::RsaPkcs1v15(d));
        roundtrip(&s);
        let s = s.with_pss().unwrap();
        assert_eq!(s.algorithm(), SignatureAlgorithm::RsaPss(d));
        roundtrip(&s);
    }
}

#[test]
fn ecdsa_p256_and_p384() {
    let s = shared().signer_ec.signer().unwrap();
    assert_eq!(
        s.algorithm(),
        SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256)
    );
    roundtrip(&s);
    assert!(s.with_pss().is_err());
    let p384 = shared()
        .issue(&crate::testkit::CertSpec::new("p384").key_type(crate::testkit::KeyType::P384))
        .unwrap();
    let s = p384.signer().unwrap();
    assert_eq!(
        s.algorithm(),
        SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha384)
    );
    roundtrip(&s);
    let s = s.with_digest(DigestAlgorithm::Sha512).unwrap();
    roundtrip(&s);
    assert!(s.with_digest(DigestAlgorithm::Sha256).is_err());
}

#[test]
fn digest_length_is_checked() {
    let s = shared().signer_ec.signer().unwrap();
    let mut tbs = ToBeSigned::new(b"x".to_vec(), s.algorithm());
    tbs.digest.truncate(20);
    assert!(matches!(
        s.sign(&tbs),
        Err(crate::Error::Key(KeyError::DigestLength {
            expected: 32,
            actual: 20
        }))
    ));
}

#[test]
fn key_must_match_certificate() {
    let pki = shared();
    let err = LocalSigner::from_pkcs8_der(
        &pki.signer_rsa.key_pkcs8_der,
        vec![pki.signer_ec.certificate.clone()],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        crate::Error::Key(KeyError::CertificateMismatch)
    ));
    let err = LocalSigner::from_pkcs8_der(&pki.signer_rsa.key_pkcs8_der, vec![]).unwrap_err();
    assert!(matches!(err, crate::Error::Key(KeyError::EmptyChain)));
}

#[test]
fn weak_rsa_rejected() {
    use pkcs8::EncodePrivateKey;
    let k = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
    let der = k.to_pkcs8_der().unwrap();
    let err = LocalSigner::from_pkcs8_der(der.as_bytes(), vec![]).unwrap_err();
    assert!(matches!(err, crate::Error::Key(KeyError::WeakKey(_))));
}

#[test]
fn pkcs12_round_trip_and_wrong_password() {
    let id = &shared().signer_rsa;
    let p12 = id.to_pkcs12("correct horse").unwrap();
    let s = LocalSigner::from_pkcs12(&p12, "correct horse").unwrap();
    assert_eq!(s.certificate_chain().len(), 2);
    assert_eq!(s.certificate(), &id.certificate);
    assert_eq!(s.certificate_chain()[1], id.chain[0]);
    roundtrip(&s);
    let err = LocalSigner::from_pkcs12(&p12, "wrong").unwrap_err();
    assert!(
        matches!(err, crate::Error::Key(KeyError::WrongPassword)),
        "{err:?}"
    );
    assert!(LocalSigner::from_pkcs12(b"garbage", "x").is_err());
}

#[test]
fn debug_redacts_key() {
    let s = shared().signer_ec.signer().unwrap();
    let dbg = format!("{s:?}");
    assert!(dbg.contains("redacted") && dbg.contains("cloudsign Test Signer EC"));
}
