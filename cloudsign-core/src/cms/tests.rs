use super::*;
use crate::signer::{LocalSigner, Signer, ToBeSigned};
use crate::testkit::shared;

fn sign(signer: &LocalSigner, content: &[u8], unsigned: &[(String, Vec<u8>)]) -> Vec<u8> {
    let alg = signer.algorithm();
    let attrs = build_signed_attributes(
        &alg.digest().digest(content),
        alg.digest(),
        signer.certificate(),
    )
    .unwrap();
    let sig = signer.sign(&ToBeSigned::new(attrs.clone(), alg)).unwrap();
    assemble_signed_data(&attrs, &sig, alg, signer.certificate_chain(), unsigned).unwrap()
}

fn check(signer: &LocalSigner, content: &[u8]) -> Vec<u8> {
    let unsigned = vec![("1.2.840.113549.1.9.16.2.14".to_string(), vec![0x05, 0x00])];
    let der = sign(signer, content, &unsigned);
    let view = parse_signed_data(&der).unwrap();
    let cert = view.signer_certificate().unwrap();
    assert_eq!(cert, signer.certificate());
    view.verify_signature(cert).unwrap();
    assert_eq!(view.digest_algorithm(), Ok(signer.algorithm().digest()));
    assert_eq!(
        view.message_digest().unwrap(),
        signer.algorithm().digest().digest(content).as_slice()
    );
    assert!(view.content_type_is_data());
    assert!(view.signed_attributes_canonical());
    assert!(!view.has_signing_time());
    assert_eq!(view.ess_signing_certificate_matches(cert), Some(true));
    let other = &shared().root.certificate;
    assert_eq!(view.ess_signing_certificate_matches(other), Some(false));
    assert_eq!(view.unsigned_attributes(), unsigned);
    assert_eq!(view.certificates().len(), 2);
    assert!(view.verify_signature(other).is_err());
    der
}

fn openssl_verify(der: &[u8], content: &[u8]) {
    if !std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED: openssl not on PATH; CMS interop not checked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sig.der"), der).unwrap();
    std::fs::write(dir.path().join("data.bin"), content).unwrap();
    std::fs::write(
        dir.path().join("root.pem"),
        shared().root.certificate.to_pem(),
    )
    .unwrap();
    let out = std::process::Command::new("openssl")
        .current_dir(dir.path())
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "sig.der",
            "-content",
            "data.bin",
            "-CAfile",
            "root.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn roundtrip_and_openssl_all_algorithms() {
    let content = b"%PDF-1.7 byte ranges";
    let rsa = shared().signer_rsa.signer().unwrap();
    for s in [
        rsa,
        shared().signer_rsa.signer().unwrap().with_pss().unwrap(),
        shared()
            .signer_rsa
            .signer()
            .unwrap()
            .with_digest(DigestAlgorithm::Sha512)
            .unwrap(),
        shared().signer_ec.signer().unwrap(),
    ] {
        let der = check(&s, content);
        openssl_verify(&der, content);
    }
}

#[test]
fn estimate_is_an_upper_bound() {
    for key in [
        crate::testkit::KeyType::Rsa(4096),
        crate::testkit::KeyType::P384,
    ] {
        let id = shared()
            .issue(&crate::testkit::CertSpec::new("estimate").key_type(key))
            .unwrap();
        let s = id.signer().unwrap();
        let unsigned = vec![("1.2.840.113549.1.9.16.2.14".to_string(), vec![0x04, 0x00])];
        let der = sign(&s, b"x", &[]);
        let est = estimate_signed_data_len(
            s.certificate_chain(),
            s.algorithm(),
            s.max_signature_len(),
            0,
        );
        assert!(est >= der.len(), "{est} < {}", der.len());
        let der = sign(&s, b"x", &unsigned);
        let est = estimate_signed_data_len(
            s.certificate_chain(),
            s.algorithm(),
            s.max_signature_len(),
            2,
        );
        assert!(est >= der.len());
    }
}

#[test]
fn raw_non_canonical_signed_attributes_are_preserved() {
    let s = shared().signer_ec.signer().unwrap();
    let alg = s.algorithm();
    let attrs =
        build_signed_attributes(&alg.digest().digest(b"c"), alg.digest(), s.certificate()).unwrap();
    // Reverse the attribute order: same length, same content, not DER-sorted.
    let (set, _) = tlv::read(&attrs).unwrap();
    let mut elems = Vec::new();
    let mut rest = set.content;
    while !rest.is_empty() {
        let (t, r) = tlv::read(rest).unwrap();
        elems.push(t.raw.to_vec());
        rest = r;
    }
    let header = attrs.len() - set.content.len();
    let mut reordered = attrs[..header].to_vec();
    for e in elems.iter().rev() {
        reordered.extend_from_slice(e);
    }
    assert_ne!(reordered, attrs);
    assert!(matches!(
        assemble_signed_data(&reordered, b"sig", alg, s.certificate_chain(), &[]),
        Err(crate::Error::Cms(CmsError::NonCanonicalSignedAttributes))
    ));
    let sig = s.sign(&ToBeSigned::new(reordered.clone(), alg)).unwrap();
    let der = assemble_signed_data(&attrs, &sig, alg, s.certificate_chain(), &[]).unwrap();
    let mut find = attrs.clone();
    find[0] = 0xa0;
    let pos = der.windows(find.len()).position(|w| w == find).unwrap();
    let mut spliced = der.clone();
    spliced[pos + 1..pos + find.len()].copy_from_slice(&reordered[1..]);
    let view = parse_signed_data(&spliced).unwrap();
    assert!(!view.signed_attributes_canonical());
    assert_eq!(view.signed_attributes_for_verification(), reordered);
    view.verify_signature(s.certificate()).unwrap();
    // The untouched original does not verify: the signature covers the reordered bytes.
    assert!(
        parse_signed_data(&der)
            .unwrap()
            .verify_signature(s.certificate())
            .is_err()
    );
}

#[test]
fn padding_truncation_and_garbage() {
    let s = shared().signer_ec.signer().unwrap();
    let der = sign(&s, b"c", &[]);
    let mut padded = der.clone();
    padded.extend_from_slice(&[0; 100]);
    parse_signed_data(&padded).unwrap();
    padded.push(1);
    assert_eq!(
        parse_signed_data(&padded).unwrap_err(),
        CmsError::TrailingData
    );
    for len in 0..der.len() {
        assert!(parse_signed_data(&der[..len]).is_err());
        fuzzing::fuzz_signed_data(&der[..len]);
    }
    for i in (0..der.len()).step_by(7) {
        let mut m = der.clone();
        m[i] ^= 0x5a;
        fuzzing::fuzz_signed_data(&m);
    }
    assert!(parse_signed_data(b"garbage").is_err());
    assert!(parse_signed_data(&[]).is_err());
    assert!(matches!(
        parse_signed_data(&[0x30, 0x80, 0, 0]),
        Err(CmsError::Malformed(_))
    ));
}
