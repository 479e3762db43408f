//! Self-test of the external-validator harness against pyHanko-signed fixtures: each oracle
//! must accept the good files and reject a copy with one flipped byte inside the signed range
//! (and, where trust is judged, reject the wrong trust root). An oracle that cannot fail is
//! worthless, so these tests prove that ours can.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The fixture helpers below run only inside tests; a missing fixture should abort loudly.

#[path = "support/oracles.rs"]
mod oracles;

use std::path::{Path, PathBuf};

use oracles::OracleOutcome;

/// (fixture, number of signatures)
const FIXTURES: [(&str, usize); 3] = [
    ("signed-rsa.pdf", 1),
    ("signed-ecdsa.pdf", 1),
    ("two-signatures.pdf", 2),
];

fn pyhanko_dir() -> PathBuf {
    oracles::testdata_dir().join("pyhanko")
}

fn root() -> PathBuf {
    pyhanko_dir().join("root.pem")
}

/// An unrelated root: trusting only it must fail validation.
fn wrong_root() -> PathBuf {
    pyhanko_dir().join("other-root.pem")
}

/// A temp copy of `src` with the byte at `offset(bytes)` XOR 1; deleted on drop.
struct Tampered(PathBuf);

impl Tampered {
    fn new(src: &Path, tag: &str, offset: impl Fn(&[u8]) -> usize) -> Self {
        let mut bytes = std::fs::read(src).expect("read fixture");
        let at = offset(&bytes);
        bytes[at] ^= 1;
        let name = format!(
            "cloudsign-tampered-{}-{tag}-{}",
            std::process::id(),
            src.file_name().expect("file name").to_string_lossy()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).expect("write tampered copy");
        Self(path)
    }
}

impl Drop for Tampered {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A byte of the binary comment on line 2 (`%PDF-1.x\n%....`): covered by every signature,
/// yet the file still parses, so only the digest check can notice.
fn comment_byte(bytes: &[u8]) -> usize {
    let at = bytes
        .windows(2)
        .position(|w| w == b"\n%")
        .expect("line-2 comment")
        + 2;
    assert!(!matches!(bytes[at], b'\r' | b'\n'), "comment byte expected");
    at
}

/// The `e` of the first `endobj`: structural damage qpdf reports.
fn endobj_byte(bytes: &[u8]) -> usize {
    bytes
        .windows(6)
        .position(|w| w == b"endobj")
        .expect("endobj")
        + 1
}

fn assert_ok(what: &str, o: &OracleOutcome) {
    assert!(o.ok, "{what}: expected ok, got:\n{}", o.output);
}

fn assert_not_ok(what: &str, o: &OracleOutcome) {
    assert!(!o.ok, "{what}: expected NOT ok, got:\n{}", o.output);
}

#[test]
fn pyhanko_accepts_good_rejects_tampered_and_untrusted() {
    if !oracles::require_tool("pyhanko") {
        return;
    }
    for (name, _) in FIXTURES {
        let pdf = pyhanko_dir().join(name);
        assert_ok(name, &oracles::pyhanko_validate(&pdf, &root()));
        let bad = Tampered::new(&pdf, "pyhanko", comment_byte);
        assert_not_ok(name, &oracles::pyhanko_validate(&bad.0, &root()));
        assert_not_ok(name, &oracles::pyhanko_validate(&pdf, &wrong_root()));
    }
    let unsigned = oracles::testdata_dir().join("corpus/01-classic-reportlab.pdf");
    assert_not_ok("unsigned", &oracles::pyhanko_validate(&unsigned, &root()));
}

#[test]
fn pyhanko_counts_signatures() {
    if !oracles::require_tool("python3") {
        return;
    }
    for (name, n) in FIXTURES {
        assert_eq!(
            oracles::pyhanko_signature_count(&pyhanko_dir().join(name)),
            Some(n),
            "{name}"
        );
    }
}

#[test]
fn pdfsig_accepts_good_rejects_tampered_and_untrusted() {
    if !oracles::require_tool("pdfsig") || !oracles::require_tool("certutil") {
        return;
    }
    for (name, _) in FIXTURES {
        let pdf = pyhanko_dir().join(name);
        assert_ok(name, &oracles::pdfsig_validate(&pdf, &root()));
        let bad = Tampered::new(&pdf, "pdfsig", comment_byte);
        assert_not_ok(name, &oracles::pdfsig_validate(&bad.0, &root()));
        assert_not_ok(name, &oracles::pdfsig_validate(&pdf, &wrong_root()));
    }
}

#[test]
fn qpdf_accepts_good_rejects_damaged() {
    if !oracles::require_tool("qpdf") {
        return;
    }
    for (name, _) in FIXTURES {
        let pdf = pyhanko_dir().join(name);
        assert_ok(name, &oracles::qpdf_check(&pdf));
        let bad = Tampered::new(&pdf, "qpdf", endobj_byte);
        assert_not_ok(name, &oracles::qpdf_check(&bad.0));
    }
    let corpus = oracles::testdata_dir().join("corpus");
    for entry in std::fs::read_dir(corpus).expect("corpus dir") {
        let path = entry.expect("entry").path();
        assert_ok(&path.display().to_string(), &oracles::qpdf_check(&path));
    }
}

#[test]
fn openssl_accepts_good_rejects_tampered_and_untrusted() {
    if !oracles::require_tool("openssl") {
        return;
    }
    for (name, n) in FIXTURES {
        let pdf = pyhanko_dir().join(name);
        let bad = Tampered::new(&pdf, "openssl", comment_byte);
        for i in 0..n {
            let what = format!("{name} #{i}");
            assert_ok(&what, &oracles::openssl_cms_verify(&pdf, &root(), i));
            assert_not_ok(&what, &oracles::openssl_cms_verify(&bad.0, &root(), i));
            assert_not_ok(&what, &oracles::openssl_cms_verify(&pdf, &wrong_root(), i));
        }
        assert_not_ok(name, &oracles::openssl_cms_verify(&pdf, &root(), n));
    }
}

#[test]
fn tool_detection() {
    assert!(oracles::tool_available("sh"));
    assert!(!oracles::tool_available("no-such-tool-cloudsign"));
}
