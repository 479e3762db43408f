//! Replays the committed fuzz corpora on the stable toolchain, plus deterministic truncations
//! and bit flips of each seed: bad input must give errors, never panics.

use std::path::{Path, PathBuf};

use cloudsign_core::x509::TrustStore;
use cloudsign_core::{PdfSigner, Validator};

use crate::common::{corpus, pki};

pub(crate) fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fuzz_dir().join(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// The seed itself, some prefixes, and copies with single bits flipped at spread positions.
fn variants(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec()];
    let n = seed.len();
    for cut in [n / 3, n / 2, n.saturating_sub(1), n.saturating_sub(30)] {
        out.push(seed[..cut].to_vec());
    }
    let step = (n / 24).max(1);
    for (k, at) in (0..n).step_by(step).enumerate() {
        let mut v = seed.to_vec();
        v[at] ^= 1 << (k % 8);
        out.push(v);
    }
    out
}

#[test]
fn pdf_document_corpus_replays_without_panics() {
    let seeds = seeds("pdf_document");
    assert!(seeds.len() >= 8, "pdf_document corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::pdf::fuzzing::fuzz_document(&v);
        }
    }
}

#[test]
fn cms_signed_data_corpus_replays_without_panics() {
    let seeds = seeds("cms_signed_data");
    assert!(seeds.len() >= 2, "cms_signed_data corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::cms::fuzzing::fuzz_signed_data(&v);
        }
    }
}

#[test]
fn validate_pdf_corpus_replays_without_panics() {
    let seeds = seeds("validate_pdf");
    assert!(seeds.len() >= 8, "validate_pdf corpus too small");
    let validator = Validator::new(TrustStore::new());
    for seed in &seeds {
        for v in variants(seed) {
            let _ = validator.validate_pdf(&v);
        }
    }
}

/// Regenerates the seeds from the corpus (run with `--ignored`, then commit the files).
#[test]
#[ignore = "writes fuzz seeds into the source tree"]
fn write_fuzz_seeds() {
    let pdf_dir = fuzz_dir().join("pdf_document");
    let cms_dir = fuzz_dir().join("cms_signed_data");
    let validate_dir = fuzz_dir().join("validate_pdf");
    let signer = pki().pki.signer_ec.signer().unwrap();
    let rsa = pki().pki.signer_rsa.signer().unwrap();
    for input in corpus() {
        let name = input.file_stem().unwrap().to_string_lossy().into_owned();
        let original = std::fs::read(&input).unwrap();
        std::fs::write(pdf_dir.join(format!("{name}.pdf")), &original).unwrap();
        let signed = PdfSigner::new(&signer).sign(&original).unwrap();
        std::fs::write(pdf_dir.join(format!("{name}-signed.pdf")), &signed).unwrap();
        std::fs::write(validate_dir.join(format!("{name}-signed.pdf")), &signed).unwrap();
        let report = pki().validate(&signed);
        let [_, b, c, _] = report.signatures[0].byte_range.unwrap();
        let hex = &signed[usize::try_from(b).unwrap() + 1..usize::try_from(c).unwrap() - 1];
        std::fs::write(
            cms_dir.join(format!("{name}-ecdsa.der")),
            hex::decode(hex).unwrap(),
        )
        .unwrap();
        if name.contains("classic") {
            let signed = PdfSigner::new(&rsa).sign(&original).unwrap();
            let report = pki().validate(&signed);
            let [_, b, c, _] = report.signatures[0].byte_range.unwrap();
            let hex = &signed[usize::try_from(b).unwrap() + 1..usize::try_from(c).unwrap() - 1];
            std::fs::write(cms_dir.join("classic-rsa.der"), hex::decode(hex).unwrap()).unwrap();
        }
    }
}

#[test]
fn timestamp_response_corpus_replays_without_panics() {
    let seeds = seeds("timestamp_response");
    assert!(seeds.len() >= 2, "timestamp_response corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::tsp::fuzzing::fuzz_timestamp_response(&v);
        }
    }
}

/// Regenerates the timestamp response seeds from the test authority (run with `--ignored`,
/// then commit the files).
#[test]
#[ignore = "writes fuzz seeds into the source tree"]
fn write_timestamp_response_seeds() {
    use cloudsign_core::crypto::DigestAlgorithm;
    use cloudsign_core::tsp::TimestampRequest;
    let dir = fuzz_dir().join("timestamp_response");
    std::fs::create_dir_all(&dir).unwrap();
    let tsa = pki()
        .pki
        .authority()
        .unwrap()
        .with_accuracy_seconds(1)
        .with_tsa_name(true);
    for alg in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ] {
        let req = TimestampRequest::new(alg, alg.digest(b"seed"));
        let name = alg.name().replace('-', "").to_lowercase();
        std::fs::write(
            dir.join(format!("granted-{name}.der")),
            tsa.respond(&req.to_der().unwrap()),
        )
        .unwrap();
    }
    let other = TimestampRequest::new(DigestAlgorithm::Sha256, vec![0x5a; 32])
        .with_policy("1.3.6.1.4.1.99999.1.9")
        .unwrap();
    std::fs::write(
        dir.join("rejected-policy.der"),
        tsa.respond(&other.to_der().unwrap()),
    )
    .unwrap();
    std::fs::write(dir.join("rejected-format.der"), tsa.respond(b"\x30\x00")).unwrap();
}

#[test]
fn blob_reader_corpus_replays_without_panics() {
    let seeds = seeds("blob_reader");
    assert!(seeds.len() >= 5, "blob_reader corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::store::fuzzing::fuzz_blob_reader(&v);
        }
    }
}

/// Regenerates the blob seeds under the fuzz key (run with `--ignored`, then commit the files).
#[test]
#[ignore = "writes fuzz seeds into the source tree"]
fn write_blob_reader_seeds() {
    let dir = fuzz_dir().join("blob_reader");
    std::fs::create_dir_all(&dir).unwrap();
    for len in [0usize, 1, 15, 16, 17, 100] {
        let plaintext: Vec<u8> = (0..len)
            .map(|i| u8::try_from(i * 37 % 256).unwrap())
            .collect();
        let seed = cloudsign_core::store::fuzzing::blob_reader_seed(&plaintext);
        assert!(seed.len() > 16);
        std::fs::write(dir.join(format!("len-{len:03}.bin")), seed).unwrap();
    }
}

#[test]
fn ocsp_response_corpus_replays_without_panics() {
    let seeds = seeds("ocsp_response");
    assert!(seeds.len() >= 4, "ocsp_response corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::revocation::fuzzing::fuzz_ocsp_response(&v);
        }
    }
}

#[test]
fn crl_corpus_replays_without_panics() {
    let seeds = seeds("crl");
    assert!(seeds.len() >= 3, "crl corpus too small");
    for seed in &seeds {
        for v in variants(seed) {
            cloudsign_core::revocation::fuzzing::fuzz_crl(&v);
        }
    }
}
