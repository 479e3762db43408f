//! The `cloudsign` command as a user runs it: the forms and exit codes are a contract.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cloudsign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudsign"))
        .args(args)
        .output()
        .expect("run cloudsign")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn corpus_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/corpus")
        .join(name)
}

#[test]
fn testpki_sign_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = cloudsign(&["testpki", s(d)]);
    assert!(out.status.success(), "{}", text(&out));
    for f in [
        "root.pem",
        "intermediate.pem",
        "signer-rsa.p12",
        "signer-ec.p12",
        "signer-rsa-key.pem",
        "signer-rsa.pem",
    ] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    let input = corpus_file("01-classic-reportlab.pdf");
    let p12_out = d.join("p12.pdf");
    let out = cloudsign(&[
        "sign",
        s(&input),
        "-o",
        s(&p12_out),
        "--p12",
        s(&d.join("signer-ec.p12")),
        "--password",
        "test",
        "--reason",
        "Agreed",
        "--location",
        "Lyon",
        "--field",
        "Seller",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let pem_out = d.join("pem.pdf");
    let out = cloudsign(&[
        "sign",
        s(&p12_out),
        "-o",
        s(&pem_out),
        "--key",
        s(&d.join("signer-rsa-key.pem")),
        "--cert",
        s(&d.join("signer-rsa.pem")),
        "--chain",
        s(&d.join("intermediate.pem")),
        "--level",
        "b-b",
        "--field",
        "Buyer",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let out = cloudsign(&["verify", s(&pem_out), "--trust", s(&d.join("root.pem"))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Seller") && text(&out).contains("Buyer"));

    let out = cloudsign(&[
        "verify",
        s(&pem_out),
        "--trust",
        s(&d.join("root.pem")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["signatures"].as_array().unwrap().len(), 2);
}

#[test]
fn verify_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(cloudsign(&["testpki", s(d)]).status.success());
    let signed = d.join("signed.pdf");
    let out = cloudsign(&[
        "sign",
        s(&corpus_file("01-classic-reportlab.pdf")),
        "-o",
        s(&signed),
        "--p12",
        s(&d.join("signer-rsa.p12")),
        "--password",
        "test",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // 1: a signature that does not pass (untrusted root).
    let other = tempfile::tempdir().unwrap();
    assert!(cloudsign(&["testpki", s(other.path())]).status.success());
    let out = cloudsign(&[
        "verify",
        s(&signed),
        "--trust",
        s(&other.path().join("root.pem")),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // 1: a flipped byte.
    let mut bytes = std::fs::read(&signed).unwrap();
    bytes[30] ^= 1;
    let tampered = d.join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = cloudsign(&["verify", s(&tampered), "--trust", s(&d.join("root.pem"))]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // 2: garbage, truncation, a missing file; a clear message and no panic.
    let garbage = d.join("garbage.pdf");
    std::fs::write(&garbage, b"hello, I am not a PDF").unwrap();
    let truncated = d.join("truncated.pdf");
    std::fs::write(&truncated, &std::fs::read(&signed).unwrap()[..4000]).unwrap();
    for bad in [&garbage, &truncated, &d.join("missing.pdf")] {
        let out = cloudsign(&["verify", s(bad), "--trust", s(&d.join("root.pem"))]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("cloudsign: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn sign_errors_are_clear_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(cloudsign(&["testpki", s(d)]).status.success());
    let out_path = d.join("never.pdf");
    let out = cloudsign(&[
        "sign",
        s(&corpus_file("01-classic-reportlab.pdf")),
        "-o",
        s(&out_path),
        "--p12",
        s(&d.join("signer-rsa.p12")),
        "--password",
        "wrong",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("password"),
        "{}",
        text(&out)
    );
    assert!(!out_path.exists());
}

#[test]
fn demo_signs_and_verifies() {
    let out = cloudsign(&["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("PASSED"), "{}", text(&out));
}
