//! Signing behaviour: options, fields, certification, two-phase, failure paths.

use cloudsign_core::Error;
use cloudsign_core::ErrorKind;
use cloudsign_core::pades::{
    DocMdpPermissions, PdfSigner, PreparedSignature, SignatureOptions, SignatureProfile,
    SigningError,
};
use cloudsign_core::pdf::{PdfErrorKind, form};
use cloudsign_core::signer::Signer;
use cloudsign_core::testkit::samples;

use crate::common::{assert_all_passed, pki, temp_file, testdata};

#[test]
fn sign_in_memory_by_path_and_in_place_give_valid_files() {
    let pki = pki();
    let signer = pki.pki.signer_ec.signer().unwrap();
    let pdf = samples::contract_pdf();
    let in_memory = PdfSigner::new(&signer).sign(&pdf).unwrap();
    assert_all_passed(&pki.validate(&in_memory), "in memory");

    let (dir, input) = temp_file("in.pdf", &pdf);
    let output = dir.path().join("out.pdf");
    PdfSigner::new(&signer).sign_file(&input, &output).unwrap();
    assert_all_passed(&pki.validate(&std::fs::read(&output).unwrap()), "by path");

    PdfSigner::new(&signer).sign_in_place(&input).unwrap();
    let appended = std::fs::read(&input).unwrap();
    assert!(appended.starts_with(&pdf));
    assert_all_passed(&pki.validate(&appended), "in place");
    // Only the two files we asked for: no temporary left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn options_are_written_and_reported() {
    let pki = pki();
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let options = SignatureOptions::new()
        .field_name("Buyer")
        .reason("Einverstanden, Zürich")
        .location("Zürich");
    let signed = PdfSigner::new(&signer)
        .options(options)
        .sign(&samples::contract_pdf())
        .unwrap();
    let report = pki.validate(&signed);
    assert_all_passed(&report, "options");
    assert_eq!(report.signatures[0].field, "Buyer");
    assert!(
        report.signatures[0]
            .claimed_signing_time
            .as_deref()
            .is_some_and(|t| t.starts_with("D:20"))
    );
    let doc =
        cloudsign_core::pdf::Document::open(signed.as_slice(), &cloudsign_core::Limits::default())
            .unwrap();
    let fields = form::fields(&doc).unwrap();
    assert!(fields.iter().any(|f| f.name == "Buyer" && f.is_signature()));
}

#[test]
fn fills_an_existing_empty_signature_field_and_refuses_a_signed_one() {
    let pki = pki();
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let path = testdata().join("corpus/05-incremental-pyhanko.pdf");
    let pdf = std::fs::read(&path).unwrap();
    let signed = PdfSigner::new(&signer)
        .options(SignatureOptions::new().field_name("Approval"))
        .sign(&pdf)
        .unwrap();
    let report = pki.validate(&signed);
    assert_all_passed(&report, "filled Approval");
    assert_eq!(report.signatures.len(), 1);
    assert_eq!(report.signatures[0].field, "Approval");

    let again = PdfSigner::new(&signer)
        .options(SignatureOptions::new().field_name("Approval"))
        .sign(&signed);
    assert!(
        matches!(again, Err(Error::Pdf(e)) if matches!(e.kind, PdfErrorKind::FieldAlreadySigned(_)))
    );
}

#[test]
fn refuses_a_text_field_and_bad_names() {
    let pki = pki();
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let pdf = std::fs::read(testdata().join("corpus/06-acroform-reportlab.pdf")).unwrap();
    let doc =
        cloudsign_core::pdf::Document::open(pdf.as_slice(), &cloudsign_core::Limits::default())
            .unwrap();
    let text_field = form::fields(&doc)
        .unwrap()
        .into_iter()
        .find(|f| !f.is_signature())
        .expect("a text field");
    let err = PdfSigner::new(&signer)
        .options(SignatureOptions::new().field_name(&text_field.name))
        .sign(&pdf)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Pdf(e) if matches!(e.kind, PdfErrorKind::FieldNotSignature(_))),
        "{err}"
    );
    let err = PdfSigner::new(&signer)
        .options(SignatureOptions::new().field_name("a.b"))
        .sign(&pdf)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Pdf);
}

#[test]
fn certification_levels() {
    let pki = pki();
    let rsa = pki.pki.signer_rsa.signer().unwrap();
    let ec = pki.pki.signer_ec.signer().unwrap();
    let pdf = samples::contract_pdf();
    for p in [
        DocMdpPermissions::NoChanges,
        DocMdpPermissions::FormFillingAndSigning,
        DocMdpPermissions::Annotations,
    ] {
        let certified = PdfSigner::new(&rsa)
            .options(SignatureOptions::new().certify(p))
            .sign(&pdf)
            .unwrap();
        let report = pki.validate(&certified);
        assert_all_passed(&report, "certified");
        assert_eq!(report.signatures[0].certification, Some(p.level()));
        let second = PdfSigner::new(&ec).sign(&certified);
        match p {
            DocMdpPermissions::NoChanges => {
                assert!(matches!(
                    second,
                    Err(Error::Signing(SigningError::CertifiedNoChanges))
                ));
            }
            _ => assert_all_passed(
                &pki.validate(&second.unwrap()),
                "signed after certification",
            ),
        }
        // Certification must come first.
        let signed = PdfSigner::new(&ec).sign(&pdf).unwrap();
        let late = PdfSigner::new(&rsa)
            .options(SignatureOptions::new().certify(p))
            .sign(&signed);
        assert!(matches!(
            late,
            Err(Error::Signing(SigningError::CertificationNotFirst))
        ));
    }
}

#[test]
fn two_phase_signing_survives_serialisation_and_checks_the_document() {
    let pki = pki();
    let hsm = pki.pki.signer_rsa.signer().unwrap();
    let pdf = samples::contract_pdf();
    let prepared = PdfSigner::new(&hsm).prepare(&pdf).unwrap();
    let tbs = prepared.to_be_signed().clone();
    assert_eq!(
        tbs.digest(),
        cloudsign_core::crypto::DigestAlgorithm::Sha256
            .digest(tbs.message())
            .as_slice()
    );
    let json = prepared.to_json();

    let signature = hsm.sign(&tbs).unwrap();
    let resumed = PreparedSignature::from_json(&json).unwrap();
    let mut other = pdf.clone();
    other[20] ^= 1;
    assert!(matches!(
        resumed.clone().finish_pdf(&other, &signature),
        Err(Error::Signing(SigningError::DocumentMismatch))
    ));
    let signed = resumed.finish_pdf(&pdf, &signature).unwrap();
    assert_all_passed(&pki.validate(&signed), "two-phase");

    assert!(PreparedSignature::from_json("{}").is_err());
    assert!(PreparedSignature::from_json(&json.replace("\"format\":1", "\"format\":9")).is_err());
}

#[test]
fn two_phase_b_t_finishes_the_whole_document_with_a_timestamp() {
    let pki = pki();
    let hsm = pki.pki.signer_ec.signer().unwrap();
    let tsa = pki.pki.authority().unwrap();
    let pdf = samples::contract_pdf();
    let prepared = PdfSigner::new(&hsm)
        .profile(SignatureProfile::BaselineT { timestamper: &tsa })
        .prepare(&pdf)
        .unwrap();
    let signature = hsm.sign(prepared.to_be_signed()).unwrap();
    assert!(matches!(
        prepared.clone().finish_pdf(&pdf, &signature),
        Err(Error::Signing(SigningError::TimestampRequired))
    ));
    let mut other = pdf.clone();
    other[20] ^= 1;
    assert!(matches!(
        prepared
            .clone()
            .finish_pdf_timestamped(&other, &signature, &tsa),
        Err(Error::Signing(SigningError::DocumentMismatch))
    ));
    let signed = prepared
        .finish_pdf_timestamped(&pdf, &signature, &tsa)
        .unwrap();
    let report = pki.validate(&signed);
    assert_all_passed(&report, "two-phase B-T");
    assert_eq!(report.signatures[0].level.as_deref(), Some("B-T"));
}

#[test]
fn a_wrong_signature_value_gives_a_failed_report_not_an_error() {
    let pki = pki();
    let hsm = pki.pki.signer_rsa.signer().unwrap();
    let pdf = samples::contract_pdf();
    let prepared = PdfSigner::new(&hsm).prepare(&pdf).unwrap();
    let mut signature = hsm.sign(prepared.to_be_signed()).unwrap();
    signature[10] ^= 0x40;
    let signed = prepared.finish_pdf(&pdf, &signature).unwrap();
    let report = pki.validate(&signed);
    assert_eq!(
        report.signatures[0].indication,
        cloudsign_core::validate::Indication::Failed
    );
    assert_eq!(
        report.signatures[0].sub_indication,
        Some(cloudsign_core::validate::SubIndication::SigCryptoFailure)
    );

    // Checked beside the signer's path, the signature value is still the first finding and
    // the decisive one when the path fails too (a trust store without this root).
    let other_root = std::fs::read(testdata().join("pyhanko/root.pem")).unwrap();
    let report = cloudsign_core::Validator::new(
        cloudsign_core::x509::TrustStore::from_pem(&other_root).unwrap(),
    )
    .validate_pdf(&signed)
    .unwrap();
    let signature = &report.signatures[0];
    assert_eq!(
        signature.sub_indication,
        Some(cloudsign_core::validate::SubIndication::SigCryptoFailure)
    );
    assert!(
        signature.findings[0].contains("signature value does not verify"),
        "{:?}",
        signature.findings
    );
    assert!(
        signature
            .findings
            .iter()
            .any(|f| f.contains("certificate path")),
        "{:?}",
        signature.findings
    );
}

#[test]
fn nothing_is_written_when_signing_fails() {
    let pki = pki();
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let (dir, input) = temp_file("garbage.pdf", b"%PDF-1.7\nthis is not a pdf at all\n");
    let output = dir.path().join("out.pdf");
    let err = PdfSigner::new(&signer)
        .sign_file(&input, &output)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Pdf);
    assert!(!output.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let before = std::fs::read(&input).unwrap();
    assert!(PdfSigner::new(&signer).sign_in_place(&input).is_err());
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn encrypted_documents_are_refused() {
    let pki = pki();
    let signer = pki.pki.signer_rsa.signer().unwrap();
    let pdf = samples::contract_pdf();
    // Re-point the trailer at a (dummy) encryption dictionary through an incremental update.
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let startxref = text.rfind("startxref").unwrap();
    let prev: u64 = text[startxref + 9..]
        .trim()
        .trim_end_matches("%%EOF")
        .trim()
        .parse()
        .unwrap();
    let size = text[text.rfind("/Size").unwrap() + 5..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .to_owned();
    let mut update = format!(
        "xref\n0 0\ntrailer\n<</Size {size}/Root 1 0 R/Prev {prev}/Encrypt <</Filter /Standard/V 2/R 3/O <00>/U <00>/P -4>>>>\n"
    );
    update = format!("{update}startxref\n{}\n%%EOF\n", pdf.len());
    let mut encrypted = pdf;
    encrypted.extend_from_slice(update.as_bytes());
    let err = PdfSigner::new(&signer).sign(&encrypted).unwrap_err();
    assert!(
        matches!(&err, Error::Pdf(e) if e.kind == PdfErrorKind::Encrypted),
        "{err}"
    );
}

#[test]
fn nth_page_agrees_with_the_full_page_walk() {
    let mut documents: Vec<Vec<u8>> = crate::common::corpus()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    documents.push(samples::text_pdf(40));
    for pdf in &documents {
        let doc =
            cloudsign_core::pdf::Document::open(pdf.as_slice(), &cloudsign_core::Limits::default())
                .unwrap();
        let pages = doc.pages().unwrap();
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(form::nth_page(&doc, i).unwrap(), Some(*page));
        }
        assert_eq!(form::nth_page(&doc, pages.len()).unwrap(), None);
    }
}

/// A signer that appends to a file while it signs, as another process writing to the input
/// during a long HSM call would.
#[derive(Debug)]
struct TamperingSigner<'a> {
    inner: &'a cloudsign_core::signer::LocalSigner,
    victim: std::path::PathBuf,
}

impl Signer for TamperingSigner<'_> {
    fn certificate_chain(&self) -> &[cloudsign_core::x509::Certificate] {
        self.inner.certificate_chain()
    }
    fn algorithm(&self) -> cloudsign_core::crypto::SignatureAlgorithm {
        self.inner.algorithm()
    }
    fn max_signature_len(&self) -> usize {
        self.inner.max_signature_len()
    }
    fn sign(
        &self,
        tbs: &cloudsign_core::signer::ToBeSigned,
    ) -> cloudsign_core::error::Result<Vec<u8>> {
        use std::io::Write as _;
        let mut file = std::fs::File::options().append(true).open(&self.victim)?;
        file.write_all(b"\n% appended while signing\n")?;
        self.inner.sign(tbs)
    }
}

#[test]
fn an_input_that_changes_while_it_is_signed_by_path_gives_no_output() {
    let pki = pki();
    let inner = pki.pki.signer_rsa.signer().unwrap();
    let pdf = samples::large_pdf(6 << 20);
    let (dir, input) = temp_file("in.pdf", &pdf);
    let output = dir.path().join("out.pdf");
    let signer = TamperingSigner {
        inner: &inner,
        victim: input.clone(),
    };
    let err = PdfSigner::new(&signer)
        .sign_file(&input, &output)
        .unwrap_err();
    assert!(
        matches!(err, Error::Signing(SigningError::DocumentMismatch)),
        "{err:?}"
    );
    assert!(!output.exists());
    // Only the input: no temporary left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // Unchanged, the same large input signs by path into a file that validates.
    std::fs::write(&input, &pdf).unwrap();
    PdfSigner::new(&inner).sign_file(&input, &output).unwrap();
    let signed = std::fs::read(&output).unwrap();
    assert!(signed.starts_with(&pdf));
    assert_all_passed(&pki.validate(&signed), "large file by path");

    // The covered bytes of a large file are hashed beside the other checks; an altered byte
    // is still the first and decisive finding.
    let mut altered = signed;
    altered[3 << 20] ^= 1;
    let report = pki.validate(&altered);
    let signature = &report.signatures[0];
    assert_eq!(
        signature.indication,
        cloudsign_core::validate::Indication::Failed
    );
    assert_eq!(
        signature.sub_indication,
        Some(cloudsign_core::validate::SubIndication::HashFailure)
    );
    assert!(!signature.integrity.digest_ok);
    assert!(signature.integrity.signature_ok);
    assert!(
        signature.findings[0].contains("the document was altered"),
        "{:?}",
        signature.findings
    );
}
