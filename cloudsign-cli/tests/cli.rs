//! The `cloudsign` command as a user runs it: the forms and exit codes are a contract.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../cloudsign-core/tests/support/oracles.rs"]
mod oracles;
#[path = "support/run.rs"]
mod run;

use run::{cloudsign, s, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/corpus")
        .join(name)
}

/// A fresh test PKI written by `cloudsign testpki`.
fn test_pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = cloudsign(&["testpki", s(dir.path())]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

/// `cloudsign sign INPUT -o OUTPUT --p12 P12 --password PASSWORD EXTRA...`
fn sign_p12(input: &Path, output: &Path, p12: &Path, password: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "sign",
        s(input),
        "-o",
        s(output),
        "--p12",
        s(p12),
        "--password",
        password,
    ];
    args.extend_from_slice(extra);
    cloudsign(&args)
}

#[test]
fn testpki_sign_verify_round_trip() {
    let pki = test_pki();
    let d = pki.path();
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
    let p12_out = d.join("p12.pdf");
    let extra = [
        "--reason",
        "Agreed",
        "--location",
        "Lyon",
        "--field",
        "Seller",
    ];
    let out = sign_p12(
        &corpus_file("01-classic-reportlab.pdf"),
        &p12_out,
        &d.join("signer-ec.p12"),
        "test",
        &extra,
    );
    assert!(out.status.success(), "{}", text(&out));

    let pem_out = d.join("pem.pdf");
    let (key, cert, chain) = (
        d.join("signer-rsa-key.pem"),
        d.join("signer-rsa.pem"),
        d.join("intermediate.pem"),
    );
    let out = cloudsign(&[
        "sign",
        s(&p12_out),
        "-o",
        s(&pem_out),
        "--key",
        s(&key),
        "--cert",
        s(&cert),
        "--chain",
        s(&chain),
        "--level",
        "b-b",
        "--field",
        "Buyer",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let root = d.join("root.pem");
    let out = cloudsign(&["verify", s(&pem_out), "--trust", s(&root)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Seller") && text(&out).contains("Buyer"));

    let out = cloudsign(&["verify", s(&pem_out), "--trust", s(&root), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["signatures"].as_array().unwrap().len(), 2);
}

#[test]
fn verify_exit_codes() {
    let pki = test_pki();
    let d = pki.path();
    let root = d.join("root.pem");
    let signed = d.join("signed.pdf");
    let out = sign_p12(
        &corpus_file("01-classic-reportlab.pdf"),
        &signed,
        &d.join("signer-rsa.p12"),
        "test",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));

    // 1: a signature that does not pass (untrusted root).
    let other = test_pki();
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
    let out = cloudsign(&["verify", s(&tampered), "--trust", s(&root)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // 2: garbage, truncation, a missing file; a clear message and no panic.
    let garbage = d.join("garbage.pdf");
    std::fs::write(&garbage, b"hello, I am not a PDF").unwrap();
    let truncated = d.join("truncated.pdf");
    std::fs::write(&truncated, &std::fs::read(&signed).unwrap()[..4000]).unwrap();
    for bad in [&garbage, &truncated, &d.join("missing.pdf")] {
        let out = cloudsign(&["verify", s(bad), "--trust", s(&root)]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("cloudsign: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn sign_errors_are_clear_and_leave_no_output() {
    let pki = test_pki();
    let out_path = pki.path().join("never.pdf");
    let p12 = pki.path().join("signer-rsa.p12");
    let out = sign_p12(
        &corpus_file("01-classic-reportlab.pdf"),
        &out_path,
        &p12,
        "wrong",
        &[],
    );
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

/// A `cloudsign serve` child process, killed when dropped.
struct ServeProcess(std::process::Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (bounded) until something accepts connections on `listen`.
fn wait_until_listening(listen: &str, what: &str) {
    let up = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(listen).is_ok()
    });
    assert!(up, "{what} did not start");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serve_tsa_then_sign_b_t_timestamp_and_verify() {
    let pki = test_pki();
    let d = pki.path();
    assert!(d.join("tsa.pem").exists() && d.join("tsa-key.pem").exists());
    let listen = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_cloudsign"))
        .args([
            "serve",
            "tsa",
            "--key",
            s(&d.join("tsa-key.pem")),
            "--cert",
            s(&d.join("tsa.pem")),
        ])
        .args([
            "--chain",
            s(&d.join("intermediate.pem")),
            "--listen",
            &listen,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _tsa = ServeProcess(child);
    let url = format!("http://{listen}/");
    wait_until_listening(&listen, "the timestamp authority");

    let signed = d.join("bt.pdf");
    let p12 = d.join("signer-rsa.p12");
    let out = sign_p12(
        &corpus_file("04-linearized-qpdf.pdf"),
        &signed,
        &p12,
        "test",
        &["--level", "b-t", "--tsa", &url],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stamped = d.join("bt-ts.pdf");
    let out = cloudsign(&["timestamp", s(&signed), "-o", s(&stamped), "--tsa", &url]);
    assert!(out.status.success(), "{}", text(&out));

    let root = d.join("root.pem");
    let out = cloudsign(&["verify", s(&stamped), "--trust", s(&root), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["level"], "B-T");
    assert_eq!(json["signatures"][1]["kind"], "DOCUMENT_TIMESTAMP");

    // Trusting another root for timestamps makes the timestamps unverifiable: exit 1.
    let other = test_pki();
    let other_root = other.path().join("root.pem");
    let out = cloudsign(&[
        "verify",
        s(&stamped),
        "--trust",
        s(&root),
        "--tsa-trust",
        s(&other_root),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn b_t_without_a_reachable_authority_fails_cleanly() {
    let pki = test_pki();
    let input = corpus_file("01-classic-reportlab.pdf");
    let output = pki.path().join("never.pdf");
    let p12 = pki.path().join("signer-rsa.p12");
    let out = sign_p12(&input, &output, &p12, "test", &["--level", "b-t"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tsa"));

    let url = format!("http://127.0.0.1:{}/", free_port());
    let out = sign_p12(
        &input,
        &output,
        &p12,
        "test",
        &["--level", "b-t", "--tsa", &url],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unreachable"),
        "{}",
        text(&out)
    );
    assert!(!output.exists());
    let out = cloudsign(&["timestamp", s(&input), "-o", s(&output), "--tsa", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!output.exists());
}

/// `cloudsign serve ocsp` as a child process on `listen`, killed when dropped.
fn serve_ocsp(d: &Path, listen: &str, revoked: &str) -> ServeProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_cloudsign"))
        .args(["serve", "ocsp", "--ca", s(&d.join("intermediate.pem"))])
        .args(["--ca-key", s(&d.join("intermediate-key.pem"))])
        .args(["--responder", s(&d.join("ocsp.pem"))])
        .args(["--responder-key", s(&d.join("ocsp-key.pem"))])
        .args(["--listen", listen, "--revoked", revoked])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let process = ServeProcess(child);
    wait_until_listening(listen, "the OCSP responder");
    process
}

/// `cloudsign testpki` whose leaves name the OCSP responder `{base}ocsp` and the CRL
/// `{base}crl`.
fn testpki_with_urls(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = cloudsign(&[
        "testpki",
        s(dir.path()),
        "--ocsp-url",
        &format!("{base}ocsp"),
        "--crl-url",
        &format!("{base}crl"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

#[test]
fn testpki_with_urls_and_serve_ocsp_answer_real_clients() {
    use cloudsign_core::http::HttpRevocationSource;
    use cloudsign_core::revocation::{
        Crl, Evidence, RevocationSource, RevocationStatus, check_revocation, gather,
    };
    use cloudsign_core::time::UnixTime;
    use cloudsign_core::x509::Certificate;

    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}/");
    let dir = testpki_with_urls(&base);
    let d = dir.path();
    let cert = |name: &str| Certificate::from_pem(&std::fs::read(d.join(name)).unwrap()).unwrap();
    let (ca, good, bad) = (
        cert("intermediate.pem"),
        cert("signer-ec.pem"),
        cert("signer-rsa.pem"),
    );
    assert_eq!(good.ocsp_urls(), [format!("{base}ocsp")]);
    assert_eq!(good.crl_urls(), [format!("{base}crl")]);
    assert!(cert("ocsp.pem").ocsp_urls().is_empty());

    let revoked_at = UnixTime::from_civil(2026, 1, 2, 3, 4, 5).unwrap();
    let _server = serve_ocsp(
        d,
        &listen,
        &format!(
            "{}:2026-01-02T03:04:05Z:keyCompromise",
            bad.serial_hex().to_uppercase()
        ),
    );

    let source = HttpRevocationSource::new().nonce(true);
    let now = UnixTime::now();
    for (leaf, revoked) in [(&good, false), (&bad, true)] {
        let gathered = gather(&source, leaf, &ca).unwrap();
        assert_eq!(gathered.ocsp.len(), 1, "OCSP is preferred");
        let evidence = Evidence {
            ocsp: &gathered.ocsp,
            ..Evidence::default()
        };
        let status = check_revocation(leaf, &ca, &evidence, now);
        if revoked {
            assert!(
                matches!(
                    status,
                    RevocationStatus::Revoked { revoked_at: t, reason: Some(ref r), .. }
                        if t == revoked_at && r == "keyCompromise"
                ),
                "{status:?}"
            );
        } else {
            assert!(
                matches!(status, RevocationStatus::Good { .. }),
                "{status:?}"
            );
        }
        let crls = source.crls(leaf).unwrap();
        let crl = Crl::parse(&crls[0]).unwrap();
        crl.verify(&ca).unwrap();
        assert_eq!(crl.lookup(leaf).is_some(), revoked);
    }

    if oracles::require_tool("openssl") {
        let out = Command::new("openssl")
            .args(["ocsp", "-url", &format!("{base}ocsp")])
            .args(["-issuer", s(&d.join("intermediate.pem"))])
            .args(["-cert", s(&d.join("signer-rsa.pem"))])
            .args(["-CAfile", s(&d.join("root.pem"))])
            .args(["-verify_other", s(&d.join("intermediate.pem"))])
            .output()
            .unwrap();
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        assert!(said.contains("Response verify OK"), "{said}");
        assert!(said.contains("signer-rsa.pem: revoked"), "{said}");
        assert!(
            said.contains("Revocation Time: Jan  2 03:04:05 2026 GMT"),
            "{said}"
        );
        assert!(said.contains("Reason: keyCompromise"), "{said}");
    }
}

#[test]
fn serve_ocsp_refuses_bad_arguments() {
    let pki = test_pki();
    let d = pki.path();
    let (ca, ca_key) = (d.join("intermediate.pem"), d.join("intermediate-key.pem"));
    let base = ["serve", "ocsp", "--listen", "127.0.0.1:0"];
    for (extra, expected) in [
        (vec!["--revoked", "zz"], "serial number"),
        (vec!["--revoked", "0a:yesterday"], "bad time"),
        (
            vec!["--revoked", "0a:1700000000:forgotten"],
            "unknown revocation reason",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend(["--ca", s(&ca), "--ca-key", s(&ca_key)]);
        args.extend(extra);
        let out = cloudsign(&args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(expected), "{}", text(&out));
    }
    // A leaf cannot answer for the CA's certificates.
    let out = cloudsign(&[
        "serve",
        "ocsp",
        "--listen",
        "127.0.0.1:0",
        "--ca",
        s(&d.join("intermediate.pem")),
        "--ca-key",
        s(&d.join("intermediate-key.pem")),
        "--responder",
        s(&d.join("signer-ec.pem")),
        "--responder-key",
        s(&d.join("signer-ec-key.pem")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not authorised"), "{}", text(&out));
}

/// `cloudsign serve tsa` for the PKI in `d`, on `listen`.
fn serve_tsa(d: &Path, listen: &str) -> ServeProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_cloudsign"))
        .args(["serve", "tsa", "--key", s(&d.join("tsa-key.pem"))])
        .args(["--cert", s(&d.join("tsa.pem"))])
        .args([
            "--chain",
            s(&d.join("intermediate.pem")),
            "--listen",
            listen,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let process = ServeProcess(child);
    wait_until_listening(listen, "the timestamp authority");
    process
}

fn level_of(report: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(report).unwrap();
    json["signatures"][0]["level"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn sign_b_lta_verify_offline_and_extend_twice() {
    let ocsp_listen = format!("127.0.0.1:{}", free_port());
    let tsa_listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{ocsp_listen}/");
    let tsa = format!("http://{tsa_listen}/");
    let dir = testpki_with_urls(&base);
    let d = dir.path();
    let ocsp = serve_ocsp(d, &ocsp_listen, "01:2026-01-01T00:00:00Z");
    let _tsa = serve_tsa(d, &tsa_listen);
    let p12 = d.join("signer-ec.p12");
    let input = corpus_file("01-classic-reportlab.pdf");
    let (lta, bt) = (d.join("lta.pdf"), d.join("bt.pdf"));
    let out = sign_p12(
        &input,
        &lta,
        &p12,
        "test",
        &["--level", "b-lta", "--tsa", &tsa],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = sign_p12(
        &input,
        &bt,
        &p12,
        "test",
        &["--level", "b-t", "--tsa", &tsa],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (once, twice) = (d.join("once.pdf"), d.join("twice.pdf"));
    for (from, to) in [(&lta, &once), (&once, &twice)] {
        let out = cloudsign(&["ltv", "extend", s(from), "-o", s(to), "--tsa", &tsa]);
        assert!(out.status.success(), "{}", text(&out));
    }
    // `ltv add` turns the B-T file into B-LTA.
    let added = d.join("added.pdf");
    let out = cloudsign(&[
        "ltv",
        "add",
        s(&bt),
        "-o",
        s(&added),
        "--tsa",
        &tsa,
        "--vri",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // `ltv extend` needs a document timestamp to renew: a typed failure, no output.
    let none = d.join("none.pdf");
    let out = cloudsign(&["ltv", "extend", s(&bt), "-o", s(&none), "--tsa", &tsa]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!none.exists());
    drop(ocsp);

    let root = d.join("root.pem");
    let verify = |pdf: &Path, offline: bool| {
        let mut args = vec!["verify", s(pdf), "--trust", s(&root), "--json"];
        if offline {
            args.push("--offline");
        }
        cloudsign(&args)
    };
    for pdf in [&lta, &once, &twice, &added] {
        let out = verify(pdf, true);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(level_of(&out.stdout), "B-LTA");
    }
    // B-T holds no revocation data: offline, the signer's status cannot be shown.
    let out = verify(&bt, true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("TRY_LATER"), "{}", text(&out));
    let out = cloudsign(&["verify", s(&bt), "--trust", s(&root), "--offline"]);
    assert!(
        text(&out).contains("no usable revocation data"),
        "{}",
        text(&out)
    );
}

#[test]
fn sign_with_trust_gathers_the_top_intermediate_status_from_its_crl_url() {
    use cloudsign_core::x509::Certificate;

    let ocsp_listen = format!("127.0.0.1:{}", free_port());
    let root_listen = format!("127.0.0.1:{}", free_port());
    let tsa_listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{ocsp_listen}/");
    let root_crl = format!("http://{root_listen}/crl");
    let tsa = format!("http://{tsa_listen}/");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = cloudsign(&[
        "testpki",
        s(d),
        "--ocsp-url",
        &format!("{base}ocsp"),
        "--crl-url",
        &format!("{base}crl"),
        "--intermediate-crl-url",
        &root_crl,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let intermediate =
        Certificate::from_pem(&std::fs::read(d.join("intermediate.pem")).unwrap()).unwrap();
    assert_eq!(intermediate.crl_urls(), [root_crl]);
    let ocsp = serve_ocsp(d, &ocsp_listen, "01");
    // The root CA's CRL, served by a responder for the root.
    let root_ca = ServeProcess(
        Command::new(env!("CARGO_BIN_EXE_cloudsign"))
            .args(["serve", "ocsp", "--ca", s(&d.join("root.pem"))])
            .args(["--ca-key", s(&d.join("root-key.pem"))])
            .args(["--listen", &root_listen])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_until_listening(&root_listen, "the root's CRL");
    let _tsa = serve_tsa(d, &tsa_listen);
    let input = corpus_file("01-classic-reportlab.pdf");
    // The PKCS#12 file holds the signer and the intermediate CA, not the root.
    let p12 = d.join("signer-ec.p12");
    let root = d.join("root.pem");
    let (with, without) = (d.join("with-trust.pdf"), d.join("without-trust.pdf"));
    let lt = ["--level", "b-lt", "--tsa", &tsa];
    let out = sign_p12(
        &input,
        &with,
        &p12,
        "test",
        &[&lt[..], &["--trust", s(&root)]].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = sign_p12(&input, &without, &p12, "test", &lt);
    assert!(out.status.success(), "{}", text(&out));
    drop(ocsp);
    drop(root_ca);

    let verify =
        |pdf: &Path| cloudsign(&["verify", s(pdf), "--trust", s(&root), "--json", "--offline"]);
    let out = verify(&with);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(level_of(&out.stdout), "B-LT");
    let out = verify(&without);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("TRY_LATER") && said.contains(&intermediate.subject()),
        "{said}"
    );
}
