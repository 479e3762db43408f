//! Drives the Python side from `cargo test`: builds the wheel with maturin, installs it into a
//! fresh virtual environment, and runs the pytest suite (which also has pyHanko judge what
//! Python signed) and `mypy.stubtest` against the installed package.
//!
//! The wheel is built in the workspace's target directory (cargo releases its lock before it
//! runs tests), so that it reuses the dependencies the test run already compiled. The virtual
//! environment sees the system site-packages for pytest, mypy and
//! pyHanko (installed by `.ci/install-tools.sh`); the wheel itself goes in with `--no-index`.
//! Missing maturin or python3 skips loudly, and fails under `CI=true`.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../cloudsign-core/tests/support/oracles.rs"]
mod oracles;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use cloudsign_core::audit::{AuditLog, CheckpointPolicy, FsyncPolicy, JsonLinesFile};
use cloudsign_core::revocation::{CrlIssuer, OcspResponder};
use cloudsign_core::serve::{BackgroundServer, HttpServer, revocation_handler, timestamp_handler};
use cloudsign_core::testkit::{PkiUrls, TestPki, samples};
use cloudsign_core::time::SystemClock;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cmd`, failing the test with everything it printed if it does not succeed.
fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Shown with `cargo test -- --nocapture`: the pytest summary and stubtest's verdict.
    println!("{}", String::from_utf8_lossy(&out.stdout));
}

/// Builds the wheel (dev profile: what the tests need is behaviour, not speed) and returns
/// its path.
fn build_wheel(out_dir: &Path) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(
        Command::new("maturin")
            .args(["build", "--quiet", "--out"])
            .arg(out_dir)
            .current_dir(crate_dir),
        "maturin build",
    );
    let wheel = std::fs::read_dir(out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("maturin wrote no wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.contains("abi3"), "not an abi3 wheel: {name}");
    wheel
}

/// Whether python3 can import what the suite runs on (pytest, mypy's stubtest, pyHanko and
/// its `cryptography`); like [`oracles::require_tool`], a loud skip locally and a failure
/// under `CI=true`.
fn require_python_modules() -> bool {
    const MODULES: &str = "pytest, mypy.stubtest, pyhanko.sign, cryptography";
    let importable = Command::new("python3")
        .args(["-c", &format!("import {MODULES}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if importable {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 cannot import {MODULES} but CI=true; run .ci/install-tools.sh");
    }
    eprintln!(
        "SKIPPED: python3 cannot import {MODULES}; the Python binding's tests did NOT run (install with .ci/install-tools.sh)"
    );
    false
}

/// The PKI's timestamp authority, served on loopback.
fn serve_tsa(pki: &TestPki) -> BackgroundServer {
    let authority = pki.authority().unwrap();
    HttpServer::bind(
        "127.0.0.1:0",
        timestamp_handler(move |r| authority.respond(r)),
    )
    .unwrap()
    .spawn()
    .unwrap()
}

/// A test PKI whose certificates name an OCSP responder and a CRL distribution point on
/// loopback, written to `dir` with the root's CRL (`root.crl`, covering the intermediate CA,
/// which names no distribution point) and the intermediate's (`ca.crl`), with those responders and its timestamp authority
/// running (for B-LT and B-LTA).
fn revocation_pki(dir: &Path) -> (BackgroundServer, BackgroundServer) {
    // The addresses go into the certificates, so the server is bound before the PKI exists
    // and answers from the responders once they do.
    let responders: Arc<OnceLock<(OcspResponder, CrlIssuer)>> = Arc::default();
    let (ocsp, crl) = (Arc::clone(&responders), Arc::clone(&responders));
    let server = HttpServer::bind(
        "127.0.0.1:0",
        revocation_handler(
            move |request| {
                ocsp.get()
                    .map(|(o, _)| o.respond(request))
                    .unwrap_or_default()
            },
            move || crl.get().and_then(|(_, c)| c.issue().ok()),
        ),
    )
    .unwrap();
    let base = server.url();
    let pki = TestPki::generate_with(
        &PkiUrls::default()
            .ocsp(&format!("{base}ocsp"))
            .crl(&format!("{base}ca.crl")),
    )
    .unwrap();
    let responder = OcspResponder::new(
        pki.intermediate.certificate.clone(),
        pki.ocsp.signer().unwrap(),
    )
    .unwrap();
    let issuer = CrlIssuer::new(pki.intermediate.signer().unwrap()).unwrap();
    let ca_crl = issuer.issue().unwrap();
    if responders.set((responder, issuer)).is_err() {
        panic!("the responders are set once");
    }
    std::fs::create_dir(dir).unwrap();
    pki.write_to_dir(dir, "test").unwrap();
    let root_crl = CrlIssuer::new(pki.root.signer().unwrap())
        .unwrap()
        .issue()
        .unwrap();
    std::fs::write(dir.join("root.crl"), root_crl).unwrap();
    std::fs::write(dir.join("ca.crl"), ca_crl).unwrap();
    (server.spawn().unwrap(), serve_tsa(&pki))
}

/// An audit log of two entries and a checkpoint timestamped by the PKI's authority.
fn write_audit_log(pki: &TestPki, path: &Path) {
    let sink = JsonLinesFile::open(path, FsyncPolicy::default()).unwrap();
    let mut log = AuditLog::create(
        sink,
        Box::new(SystemClock),
        Box::new(pki.authority().unwrap()),
        CheckpointPolicy::default(),
    )
    .unwrap();
    log.append(
        "operator",
        "token.issue",
        "contract-1",
        serde_json::Value::Null,
    )
    .unwrap();
    log.checkpoint().unwrap();
    log.append(
        "operator",
        "token.revoke",
        "contract-1",
        serde_json::json!({"why": "test"}),
    )
    .unwrap();
}

#[test]
fn python_package_passes_pytest_and_stubtest() {
    if !(oracles::require_tool("maturin")
        && oracles::require_tool("python3")
        && require_python_modules())
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let wheel = build_wheel(&tmp.path().join("dist"));

    let venv = tmp.path().join("venv");
    run(
        Command::new("python3")
            .args(["-m", "venv", "--system-site-packages"])
            .arg(&venv),
        "python3 -m venv",
    );
    let python = venv.join("bin").join("python");
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--no-deps",
                "--disable-pip-version-check",
            ])
            .arg(&wheel),
        "pip install wheel",
    );

    // What the Python tests sign with: a fresh test PKI on disk, a sample contract, and the
    // PKI's timestamp authority served on loopback.
    let pki = TestPki::generate().unwrap();
    let pki_dir = tmp.path().join("pki");
    std::fs::create_dir(&pki_dir).unwrap();
    pki.write_to_dir(&pki_dir, "test").unwrap();
    std::fs::write(pki_dir.join("contract.pdf"), samples::contract_pdf()).unwrap();
    std::fs::write(pki_dir.join("large.pdf"), samples::large_pdf(4 << 20)).unwrap();
    write_audit_log(&pki, &pki_dir.join("audit.jsonl"));
    let tsa = serve_tsa(&pki);
    let ltv_dir = pki_dir.join("ltv");
    let (_revocation, ltv_tsa) = revocation_pki(&ltv_dir);

    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    run(
        Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(&tests)
            // Outside the source tree, so `import cloudsign` finds the installed wheel.
            .current_dir(tmp.path())
            .env("CLOUDSIGN_TEST_PKI", &pki_dir)
            .env("CLOUDSIGN_TEST_TSA_URL", tsa.url())
            .env("CLOUDSIGN_TEST_LTV_PKI", &ltv_dir)
            .env("CLOUDSIGN_TEST_LTV_TSA_URL", ltv_tsa.url())
            .env("CLOUDSIGN_README", workspace_root().join("README.md"))
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        "pytest",
    );
    run(
        Command::new(&python)
            .args(["-m", "mypy.stubtest", "cloudsign"])
            .current_dir(tmp.path())
            .env("MYPY_CACHE_DIR", tmp.path().join("mypy-cache")),
        "mypy.stubtest",
    );
}
