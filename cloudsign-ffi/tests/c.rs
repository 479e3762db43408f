//! The C side of the API: every `tests/c/*.c`, `tests/c/s3/blob_store_s3.c` and the example
//! `examples/c/sign_verify.c` are compiled with `gcc -Wall -Wextra -Werror` against the
//! committed header and the library cargo built for this test run, run under valgrind (no
//! leaks, no invalid accesses), and the files they sign are handed to pdfsig, pyHanko and qpdf.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../../cloudsign-core/tests/support/oracles.rs"]
mod oracles;
#[path = "../../cloudsign-core/tests/support/s3.rs"]
mod s3;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cloudsign_core::revocation::{CrlIssuer, OcspResponder};
use cloudsign_core::serve::{BackgroundServer, HttpServer, revocation_handler, timestamp_handler};
use cloudsign_core::testkit::{PkiUrls, TestPki, samples};

/// A test PKI written to a folder, a sample contract, and a timestamp authority on loopback;
/// in the subfolder `long-term`, a second PKI whose certificates name an OCSP responder and a CRL
/// on loopback, with those and its own timestamp authority running (URL in `long-term/tsa_url`).
struct Fixture {
    dir: tempfile::TempDir,
    tsa_url: String,
    _servers: Vec<BackgroundServer>,
}

/// A timestamp authority of `pki` on loopback.
fn tsa_server(pki: &TestPki) -> BackgroundServer {
    let authority = pki.authority().unwrap();
    HttpServer::bind(
        "127.0.0.1:0",
        timestamp_handler(move |req| authority.respond(req)),
    )
    .unwrap()
    .spawn()
    .unwrap()
}

/// Writes the long-term PKI to `dir` and starts its OCSP responder, CRL issuer and TSA.
fn ltv_pki(dir: &Path) -> [BackgroundServer; 2] {
    let slot: std::sync::Arc<OnceLock<(OcspResponder, CrlIssuer)>> = Default::default();
    let (ocsp_slot, crl_slot) = (slot.clone(), slot.clone());
    let server = HttpServer::bind(
        "127.0.0.1:0",
        revocation_handler(
            move |request| {
                ocsp_slot
                    .get()
                    .map(|(o, _)| o.respond(request))
                    .unwrap_or_default()
            },
            move || crl_slot.get().and_then(|(_, c)| c.issue().ok()),
        ),
    )
    .unwrap();
    let base = server.url();
    let urls = PkiUrls::default()
        .ocsp(&format!("{base}ocsp"))
        .crl(&format!("{base}ca.crl"));
    let pki = TestPki::generate_with(&urls).unwrap();
    let ocsp = OcspResponder::new(
        pki.intermediate.certificate.clone(),
        pki.ocsp.signer().unwrap(),
    )
    .unwrap();
    let crl = CrlIssuer::new(pki.intermediate.signer().unwrap()).unwrap();
    slot.set((ocsp, crl)).ok().unwrap();
    std::fs::create_dir(dir).unwrap();
    pki.write_to_dir(dir, "test").unwrap();
    let tsa = tsa_server(&pki);
    std::fs::write(dir.join("tsa_url"), tsa.url()).unwrap();
    [server.spawn().unwrap(), tsa]
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let pki = TestPki::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        pki.write_to_dir(dir.path(), "test").unwrap();
        std::fs::write(dir.path().join("contract.pdf"), samples::contract_pdf()).unwrap();
        let tsa = tsa_server(&pki);
        let mut servers = vec![tsa];
        servers.extend(ltv_pki(&dir.path().join("long-term")));
        Fixture {
            tsa_url: format!("http://{}/", servers[0].local_addr()),
            dir,
            _servers: servers,
        }
    })
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder holding the `libcloudsign_ffi.so` cargo built for this run: the test binary is
/// `target/<profile>/deps/c-HASH` and the library sits beside it (a test build does not copy
/// it up to `target/<profile>`, where an older `cargo build` may have left a stale one).
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    assert!(
        deps.join("libcloudsign_ffi.so").is_file(),
        "no libcloudsign_ffi.so beside {}",
        exe.display()
    );
    deps
}

/// Compiles `source` with the flags the README promises, into `out`.
fn compile(source: &Path, out: &Path) {
    let include = repo_root().join("cloudsign-ffi/include");
    let output = Command::new("gcc")
        .args(["-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&include)
        .arg("-I")
        .arg(source.parent().unwrap())
        .arg(source)
        .arg("-L")
        .arg(library_dir())
        .args(["-lcloudsign_ffi", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "gcc {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `program` with `args`, under valgrind when it is installed; returns its exit code and
/// its output.
fn run(program: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String) {
    let mut cmd = if oracles::require_tool("valgrind") {
        let mut c = Command::new("valgrind");
        c.args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(program);
        c
    } else {
        eprintln!(
            "SKIPPED: valgrind: {} runs without memory checks",
            program.display()
        );
        Command::new(program)
    };
    for arg in args {
        cmd.arg(arg);
    }
    let output = cmd.env("LD_LIBRARY_PATH", library_dir()).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn c_test_programs_pass_under_valgrind() {
    if !oracles::require_tool("gcc") {
        return;
    }
    let f = fixture();
    let dir = repo_root().join("cloudsign-ffi/tests/c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    assert!(sources.len() >= 4, "{sources:?}");
    for source in &sources {
        let binary = f.dir.path().join(source.file_stem().unwrap());
        compile(source, &binary);
        let (code, output) = run(&binary, &[&f.dir.path(), &f.tsa_url]);
        assert_eq!(code, 0, "{} failed:\n{output}", source.display());
        assert!(output.contains(": ok"), "{output}");
    }
}

/// Blobs in an S3 bucket and replicated stores, from C, against moto's S3 server on loopback
/// (the server the core's object-store tests use).
#[test]
fn c_blob_store_on_s3_passes_under_valgrind() {
    if !oracles::require_tool("gcc") {
        return;
    }
    let Some(server) = s3::S3Server::start() else {
        return;
    };
    let f = fixture();
    let source = repo_root().join("cloudsign-ffi/tests/c/s3/blob_store_s3.c");
    let binary = f.dir.path().join("blob_store_s3");
    compile(&source, &binary);
    let (code, output) = run(&binary, &[&f.dir.path(), &server.endpoint(), &s3::BUCKET]);
    assert_eq!(code, 0, "{} failed:\n{output}", source.display());
    assert!(output.contains("blob_store_s3: ok"), "{output}");
}

/// What the C programs signed must satisfy validators nobody here wrote.
#[test]
fn c_signed_files_pass_external_validators() {
    if !oracles::require_tool("gcc") {
        return;
    }
    let f = fixture();
    let source = repo_root().join("cloudsign-ffi/tests/c/sign_verify.c");
    let binary = f.dir.path().join("sign_verify_for_oracles");
    compile(&source, &binary);
    let (code, output) = run(&binary, &[&f.dir.path(), &f.tsa_url]);
    assert_eq!(code, 0, "{output}");
    let root = f.dir.path().join("root.pem");
    for name in [
        "c-b-b.pdf",
        "c-b-t.pdf",
        "c-callback.pdf",
        "c-two-phase.pdf",
        "c-two-phase-b-t.pdf",
        "c-certified.pdf",
    ] {
        let pdf = f.dir.path().join(name);
        if oracles::require_tool("pdfsig") {
            let o = oracles::pdfsig_validate(&pdf, &root);
            assert!(o.ok, "pdfsig on {name}:\n{}", o.output);
        }
        if oracles::require_tool("pyhanko") {
            let o = oracles::pyhanko_validate_detailed(&pdf, &[&root]);
            assert!(o.ok, "pyHanko on {name}:\n{}", o.output);
        }
        if oracles::require_tool("qpdf") {
            let o = oracles::qpdf_check(&pdf);
            assert!(o.ok, "qpdf on {name}:\n{}", o.output);
        }
    }
    if oracles::require_tool("qpdf") {
        let o = oracles::qpdf_check(&f.dir.path().join("c-doc-timestamp.pdf"));
        assert!(o.ok, "{}", o.output);
    }
}

/// The README's example, built with the README's flags: exit 0 and PASSED for a good trust
/// root, a non-zero exit for another root or a wrong password.
#[test]
fn readme_example_signs_and_verifies() {
    if !oracles::require_tool("gcc") {
        return;
    }
    let f = fixture();
    let d = f.dir.path();
    let binary = d.join("example_sign_verify");
    compile(&repo_root().join("examples/c/sign_verify.c"), &binary);
    let signed = d.join("example-signed.pdf");
    let (code, output) = run(
        &binary,
        &[
            &d.join("contract.pdf"),
            &signed,
            &d.join("signer-rsa.p12"),
            &"test",
            &d.join("root.pem"),
        ],
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("verdict: PASSED"), "{output}");
    if oracles::require_tool("pdfsig") {
        let o = oracles::pdfsig_validate(&signed, &d.join("root.pem"));
        assert!(o.ok, "{}", o.output);
    }

    // Trusting the timestamp authority's certificate instead of the root: not PASSED.
    let (code, output) = run(
        &binary,
        &[
            &d.join("contract.pdf"),
            &d.join("example-untrusted.pdf"),
            &d.join("signer-rsa.p12"),
            &"test",
            &d.join("tsa.pem"),
        ],
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("verdict: FAILED"), "{output}");

    let (code, output) = run(
        &binary,
        &[
            &d.join("contract.pdf"),
            &d.join("example-wrong-password.pdf"),
            &d.join("signer-rsa.p12"),
            &"wrong",
            &d.join("root.pem"),
        ],
    );
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("wrong password"), "{output}");
}
