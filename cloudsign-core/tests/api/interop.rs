//! Our signatures judged by validators nobody here wrote: pyHanko, poppler's pdfsig,
//! qpdf and OpenSSL, over the structurally varied corpus and a large generated file.

use std::path::Path;

use cloudsign_core::PdfSigner;
use cloudsign_core::testkit::samples;

use crate::common::{assert_all_passed, corpus, pki, temp_file};
use crate::oracles;

/// Runs every external validator on `pdf`; returns one row of the interop matrix.
fn judge(pdf: &Path, signatures: usize) -> Vec<(&'static str, bool, String)> {
    let root = pki().root_pem();
    let mut row = Vec::new();
    if oracles::require_tool("pyhanko") {
        let hybrid = pdf.to_string_lossy().contains("hybrid");
        let o = if hybrid {
            oracles::pyhanko_validate_lenient(pdf, &root)
        } else {
            oracles::pyhanko_validate(pdf, &root)
        };
        row.push(("pyhanko", o.ok, o.output));
    }
    if oracles::require_tool("pdfsig") {
        let o = oracles::pdfsig_validate(pdf, &root);
        row.push(("pdfsig", o.ok, o.output));
    }
    if oracles::require_tool("qpdf") {
        let o = oracles::qpdf_check(pdf);
        row.push(("qpdf", o.ok, o.output));
    }
    if oracles::require_tool("openssl") {
        for i in 0..signatures {
            let o = oracles::openssl_cms_verify(pdf, &root, i);
            row.push(("openssl-cms", o.ok, o.output));
        }
    }
    row
}

#[track_caller]
fn assert_row(name: &str, row: &[(&'static str, bool, String)]) {
    let failed: Vec<String> = row
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(tool, _, out)| format!("--- {tool} on {name}:\n{out}"))
        .collect();
    let summary: Vec<String> = row
        .iter()
        .map(|(tool, ok, _)| format!("{tool}={}", if *ok { "ok" } else { "FAIL" }))
        .collect();
    eprintln!("interop {name}: {}", summary.join(" "));
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn corpus_signed_with_rsa_and_ecdsa_passes_every_validator() {
    let pki = pki();
    for (alg, identity) in [("rsa", &pki.pki.signer_rsa), ("ecdsa", &pki.pki.signer_ec)] {
        let signer = identity.signer().unwrap();
        for input in corpus() {
            let name = format!("{}+{alg}", input.file_name().unwrap().to_string_lossy());
            let original = std::fs::read(&input).unwrap();
            let signed = PdfSigner::new(&signer)
                .sign(&original)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                &signed[..original.len()],
                &original[..],
                "{name}: original bytes changed"
            );
            assert_all_passed(&pki.validate(&signed), &name);
            let (_dir, path) = temp_file(&format!("{name}.pdf"), &signed);
            assert_row(&name, &judge(&path, 1));
        }
    }
}

#[test]
fn second_signature_keeps_the_first_valid_everywhere() {
    let pki = pki();
    for input in corpus() {
        let name = format!("{} twice", input.file_name().unwrap().to_string_lossy());
        let original = std::fs::read(&input).unwrap();
        let once = PdfSigner::new(&pki.pki.signer_rsa.signer().unwrap())
            .sign(&original)
            .unwrap();
        let twice = PdfSigner::new(&pki.pki.signer_ec.signer().unwrap())
            .sign(&once)
            .unwrap();
        let report = pki.validate(&twice);
        assert_eq!(report.signatures.len(), 2, "{name}");
        assert_all_passed(&report, &name);
        let (_dir, path) = temp_file(&format!("{name}.pdf").replace(' ', "-"), &twice);
        assert_row(&name, &judge(&path, 2));
    }
}

#[test]
fn large_generated_file_signed_by_path_passes_every_validator() {
    let pki = pki();
    let big = samples::large_pdf(20 * 1024 * 1024);
    assert!(big.len() >= 20 * 1024 * 1024);
    let (dir, input) = temp_file("large.pdf", &big);
    drop(big);
    let output = dir.path().join("large-signed.pdf");
    PdfSigner::new(&pki.pki.signer_rsa.signer().unwrap())
        .sign_file(&input, &output)
        .unwrap();
    let report = cloudsign_core::Validator::new(pki.trust())
        .validate_file(&output)
        .unwrap();
    assert_all_passed(&report, "large.pdf");
    assert_row("large.pdf", &judge(&output, 1));
}

#[test]
fn every_signature_algorithm_passes_every_validator() {
    use cloudsign_core::crypto::DigestAlgorithm;
    use cloudsign_core::signer::LocalSigner;
    use cloudsign_core::testkit::{CertSpec, KeyType};

    let pki = pki();
    let rsa = || pki.pki.signer_rsa.signer().unwrap();
    let rsa4096 = pki
        .pki
        .issue(&CertSpec::new("Signer RSA-4096").key_type(KeyType::Rsa(4096)))
        .unwrap();
    let p384 = pki
        .pki
        .issue(&CertSpec::new("Signer P-384").key_type(KeyType::P384))
        .unwrap();
    let signers: Vec<(&str, LocalSigner)> = vec![
        ("rsa-pss-sha256", rsa().with_pss().unwrap()),
        (
            "rsa-pkcs1-sha384",
            rsa().with_digest(DigestAlgorithm::Sha384).unwrap(),
        ),
        (
            "rsa-pss-sha512",
            rsa()
                .with_digest(DigestAlgorithm::Sha512)
                .unwrap()
                .with_pss()
                .unwrap(),
        ),
        ("rsa4096-sha256", rsa4096.signer().unwrap()),
        ("ecdsa-p384-sha384", p384.signer().unwrap()),
        (
            "ecdsa-p256-sha512",
            pki.pki
                .signer_ec
                .signer()
                .unwrap()
                .with_digest(DigestAlgorithm::Sha512)
                .unwrap(),
        ),
    ];
    let contract = samples::contract_pdf();
    for (name, signer) in &signers {
        let signed = PdfSigner::new(signer)
            .sign(&contract)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = pki.validate(&signed);
        assert_all_passed(&report, name);
        let (_dir, path) = temp_file(&format!("{name}.pdf"), &signed);
        assert_row(name, &judge(&path, 1));
    }
}

#[test]
fn certified_and_field_filled_documents_pass_every_validator() {
    use cloudsign_core::pades::{DocMdpPermissions, SignatureOptions};

    let pki = pki();
    let rsa = pki.pki.signer_rsa.signer().unwrap();
    let ec = pki.pki.signer_ec.signer().unwrap();
    let contract = samples::contract_pdf();
    for p in [
        DocMdpPermissions::NoChanges,
        DocMdpPermissions::FormFillingAndSigning,
    ] {
        let certified = PdfSigner::new(&rsa)
            .options(SignatureOptions::new().certify(p))
            .sign(&contract)
            .unwrap();
        let name = format!("certified-p{}", p.level());
        assert_all_passed(&pki.validate(&certified), &name);
        let (_dir, path) = temp_file(&format!("{name}.pdf"), &certified);
        assert_row(&name, &judge(&path, 1));
        if p == DocMdpPermissions::FormFillingAndSigning {
            let both = PdfSigner::new(&ec).sign(&certified).unwrap();
            let name = format!("{name}-then-approval");
            assert_all_passed(&pki.validate(&both), &name);
            let (_dir, path) = temp_file(&format!("{name}.pdf"), &both);
            assert_row(&name, &judge(&path, 2));
        }
    }
    let with_field =
        std::fs::read(crate::common::testdata().join("corpus/05-incremental-pyhanko.pdf")).unwrap();
    let filled = PdfSigner::new(&ec)
        .options(SignatureOptions::new().field_name("Approval"))
        .sign(&with_field)
        .unwrap();
    let (_dir, path) = temp_file("approval-filled.pdf", &filled);
    assert_row("approval-filled", &judge(&path, 1));
}
