//! Verification: other people's signatures, tampering, trust, bad input.

use cloudsign_core::PdfSigner;
use cloudsign_core::Validator;
use cloudsign_core::testkit::samples;
use cloudsign_core::validate::{Coverage, Indication, ModificationLevel, SubIndication};
use cloudsign_core::x509::{Certificate, TrustStore};

use crate::common::{assert_all_passed, pki, testdata};

fn pyhanko_trust() -> TrustStore {
    let root = std::fs::read(testdata().join("pyhanko/root.pem")).unwrap();
    TrustStore::from_pem(&root).unwrap()
}

#[test]
fn passes_signatures_made_by_pyhanko() {
    let mut seen = 0;
    for entry in std::fs::read_dir(testdata().join("pyhanko")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let pdf = std::fs::read(&path).unwrap();
        let report = Validator::new(pyhanko_trust()).validate_pdf(&pdf).unwrap();
        assert_all_passed(&report, &path.display().to_string());
        seen += 1;
    }
    assert!(seen >= 3, "expected pyHanko fixtures, found {seen}");
}

fn signed_contract() -> Vec<u8> {
    PdfSigner::new(&pki().pki.signer_rsa.signer().unwrap())
        .sign(&samples::contract_pdf())
        .unwrap()
}

#[test]
fn one_flipped_byte_in_the_signed_range_fails() {
    let signed = signed_contract();
    let report = pki().validate(&signed);
    let [_, gap_start, _, _] = report.signatures[0].byte_range.unwrap();
    // Flip a byte of the page content (inside the first range, away from the structure).
    let text = String::from_utf8_lossy(&signed);
    let at = text.find("Tj").unwrap();
    assert!((at as u64) < gap_start);
    let mut tampered = signed.clone();
    tampered[at - 3] ^= 0x01;
    let report = pki().validate(&tampered);
    assert_eq!(report.signatures[0].indication, Indication::Failed);
    assert_eq!(
        report.signatures[0].sub_indication,
        Some(SubIndication::HashFailure)
    );
    assert!(!report.signatures[0].integrity.digest_ok);
}

/// Appends an incremental update that redefines object `num` with `body`.
fn append_update(pdf: &[u8], num: u32, body: &str) -> Vec<u8> {
    let doc = cloudsign_core::pdf::Document::open(pdf, &cloudsign_core::Limits::default()).unwrap();
    let last = doc.revisions().last().unwrap();
    let mut trailer = cloudsign_core::pdf::Dict::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Some(v) = doc.trailer().get(key) {
            trailer.set(key.to_vec(), v.clone());
        }
    }
    let style = match last.xref_kind {
        cloudsign_core::pdf::XrefKind::Stream => cloudsign_core::pdf::XrefStyle::Stream,
        _ => cloudsign_core::pdf::XrefStyle::Table,
    };
    let mut writer = cloudsign_core::pdf::IncrementalWriter::new(
        pdf.len() as u64,
        pdf.ends_with(b"\n"),
        last.xref_offset,
        style,
        doc.max_object_number() + 1,
        trailer,
    );
    writer.add_raw(
        cloudsign_core::pdf::ObjRef::new(num, 0),
        body.as_bytes().to_vec(),
    );
    let mut out = pdf.to_vec();
    out.extend_from_slice(&writer.finish().bytes);
    out
}

#[test]
fn an_appended_update_that_changes_page_content_fails() {
    let signed = signed_contract();
    let doc =
        cloudsign_core::pdf::Document::open(signed.as_slice(), &cloudsign_core::Limits::default())
            .unwrap();
    let page = doc.pages().unwrap()[0];
    let page_dict = doc.get(page).unwrap().unwrap();
    let contents = page_dict
        .as_dict()
        .unwrap()
        .reference(b"Contents")
        .expect("contents reference");
    let content = "BT /F1 24 Tf 72 700 Td (Pay 1000000) Tj ET";
    let evil = format!(
        "<</Length {}>>\nstream\n{content}\nendstream",
        content.len()
    );
    let tampered = append_update(&signed, contents.num, &evil);
    let report = pki().validate(&tampered);
    let sig = &report.signatures[0];
    assert_eq!(sig.coverage, Coverage::EntireRevision);
    assert_eq!(sig.modifications.level, ModificationLevel::Disallowed);
    assert_eq!(sig.indication, Indication::Failed);
    assert_eq!(
        sig.sub_indication,
        Some(SubIndication::DisallowedModification)
    );
    // The untouched original still verifies.
    assert_all_passed(&pki().validate(&signed), "original");
}

#[test]
fn a_signature_not_chaining_to_the_trust_store_is_indeterminate() {
    let signed = signed_contract();
    let report = Validator::new(pyhanko_trust())
        .validate_pdf(&signed)
        .unwrap();
    let sig = &report.signatures[0];
    assert_eq!(sig.indication, Indication::Indeterminate);
    assert_eq!(
        sig.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );
    assert!(sig.integrity.digest_ok && sig.integrity.signature_ok);
}

#[test]
fn expired_and_unfit_signers_are_indeterminate() {
    let pki = pki();
    for (identity, expected) in [
        (&pki.pki.expired_signer, SubIndication::OutOfBoundsNoPoe),
        (
            &pki.pki.signer_without_signing_usage,
            SubIndication::ChainConstraintsFailure,
        ),
    ] {
        let signed = PdfSigner::new(&identity.signer().unwrap())
            .sign(&samples::contract_pdf())
            .unwrap();
        let sig = &pki.validate(&signed).signatures[0];
        assert_eq!(
            sig.indication,
            Indication::Indeterminate,
            "{}",
            sig.findings.join("; ")
        );
        assert_eq!(sig.sub_indication, Some(expected));
    }
}

#[test]
fn report_json_has_a_schema_version_and_the_verdict() {
    let report = pki().validate(&signed_contract());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["signatures"][0]["indication"], "PASSED");
    assert_eq!(json["signatures"][0]["level"], "B-B");
    assert_eq!(json["signatures"][0]["coverage"], "ENTIRE_FILE");
}

#[test]
fn truncated_and_garbage_inputs_are_errors_not_panics() {
    let signed = signed_contract();
    let validator = Validator::new(pki().trust());
    for cut in [0, 1, 8, 100, signed.len() / 2, signed.len() - 7] {
        assert!(
            validator.validate_pdf(&signed[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    assert!(validator.validate_pdf(b"GIF89a not a pdf").is_err());
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    assert!(validator.validate_pdf(&noise).is_err());
}

#[test]
fn an_unsigned_document_does_not_pass() {
    let report = pki().validate(&samples::contract_pdf());
    assert!(report.signatures.is_empty());
    assert!(!report.passed());
    let _ = Certificate::from_pem(b"not a cert").unwrap_err();
}

/// A large document (8 MiB or more) is hashed from its first byte while it is being read,
/// with SHA-256; a signature with another digest, and an older signature whose range ends
/// earlier, must still be judged on exactly their own bytes.
#[test]
fn large_documents_with_several_signatures_and_digests() {
    let pki = pki();
    let sha256 = pki.pki.signer_rsa.signer().unwrap();
    let sha512 = pki
        .pki
        .signer_rsa
        .signer()
        .unwrap()
        .with_digest(cloudsign_core::crypto::DigestAlgorithm::Sha512)
        .unwrap();
    let first = PdfSigner::new(&sha256)
        .sign(&samples::large_pdf(9 << 20))
        .unwrap();
    let both = PdfSigner::new(&sha512).sign(&first).unwrap();
    let report = pki.validate(&both);
    assert_all_passed(&report, "SHA-256 then SHA-512 on 9 MB");
    let digests: Vec<_> = report
        .signatures
        .iter()
        .map(|s| s.digest_algorithm.clone().unwrap())
        .collect();
    assert_eq!(digests.len(), 2);
    assert_ne!(digests[0], digests[1], "{digests:?}");

    // A byte inside both ranges, then one only the newer signature covers (a digit of its
    // signing time).
    let newer_date = first.len()
        + both[first.len()..]
            .windows(3)
            .position(|w| w == b"(D:")
            .unwrap()
        + 3;
    for (at, failing) in [(1 << 20, 2), (newer_date, 1)] {
        let mut altered = both.clone();
        altered[at] ^= 1;
        let report = pki.validate(&altered);
        let failed = report
            .signatures
            .iter()
            .filter(|s| s.sub_indication == Some(SubIndication::HashFailure))
            .count();
        assert_eq!(failed, failing, "byte {at}: {:#?}", report.signatures);
    }
}
