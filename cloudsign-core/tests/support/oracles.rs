//! External validators ("oracles") for integration tests.
//!
//! Our own verifier agreeing with our own signer proves little; these helpers run independent
//! tools (pyHanko, poppler's `pdfsig`, `qpdf`, the `openssl` CLI) on a PDF and report whether
//! they accept it. Include from an integration test with
//! `#[path = "support/oracles.rs"] mod oracles;`.
//!
//! Every oracle returns an [`OracleOutcome`]; guard each use with [`require_tool`] so that a
//! developer machine without the tool skips loudly, while CI (env `CI=true`) fails.
//! `.ci/install-tools.sh` installs all of them.

// Each test crate uses a different subset of these helpers, and `pub` items in a test-local
// module are necessarily unreachable from outside.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// What an external validator said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleOutcome {
    /// True when the tool accepted the file by the oracle's documented criterion.
    pub ok: bool,
    /// The command run and everything it printed (stdout then stderr), for assertion messages.
    pub output: String,
}

impl OracleOutcome {
    fn fail(output: impl Into<String>) -> Self {
        Self {
            ok: false,
            output: output.into(),
        }
    }
}

/// The repository's `testdata/` directory (corpus, pyHanko fixtures, test PKI).
pub fn testdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
}

/// True when an executable called `name` is found on `PATH`.
pub fn tool_available(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Returns true if `name` is installed. Otherwise: when env `CI` is `true`, panics (a missing
/// validator is a CI failure, not a skip); elsewhere prints a loud `SKIPPED:` line to stderr
/// and returns false so the caller can `return` early.
#[allow(clippy::panic)] // failing loudly in CI is the point
pub fn require_tool(name: &str) -> bool {
    if tool_available(name) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("validator `{name}` is not installed but CI=true; run .ci/install-tools.sh");
    }
    eprintln!(
        "SKIPPED: {name} not installed; this oracle check did NOT run (install with .ci/install-tools.sh)"
    );
    false
}

/// A uniquely named directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> std::io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "cloudsign-oracle-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command, returning its output and a transcript ("$ cmd args" plus stdout/stderr).
fn run(cmd: &mut Command) -> (Option<Output>, String) {
    let mut transcript = format!("$ {cmd:?}\n");
    match cmd.output() {
        Ok(out) => {
            transcript.push_str(&String::from_utf8_lossy(&out.stdout));
            transcript.push_str(&String::from_utf8_lossy(&out.stderr));
            let _ = writeln!(transcript, "[{}]", out.status);
            (Some(out), transcript)
        }
        Err(e) => {
            let _ = writeln!(transcript, "failed to start: {e}");
            (None, transcript)
        }
    }
}

/// pyHanko (`pyhanko sign validate`): ok when the file has at least one signature and every
/// signature is judged VALID, i.e. intact, cryptographically valid, trusted and its later
/// modifications allowed. Trust comes only from `trust_root_pem` (`--trust-replace`, so the
/// OS store is not used) and no revocation information is fetched (`--no-revocation-check`;
/// baseline B signatures carry none). Criterion: exit status 0 and every line of
/// `--executive-summary` (`<field>:<cert sha256>:VALID`) ends in `:VALID`. pyHanko's strict
/// syntax mode stays on, so hybrid-reference files are refused.
pub fn pyhanko_validate(pdf: &Path, trust_root_pem: &Path) -> OracleOutcome {
    pyhanko_validate_with(pdf, trust_root_pem, &[])
}

/// pyHanko's detailed (`--pretty-print`) validation with several trust roots (e.g. the signer's
/// and the timestamp authority's): ok when every signature's bottom line is valid and, for
/// each signature that carries a timestamp, pyHanko judged that timestamp valid too.
pub fn pyhanko_validate_detailed(pdf: &Path, trust_roots: &[&Path]) -> OracleOutcome {
    let mut cmd = Command::new("pyhanko");
    cmd.args([
        "sign",
        "validate",
        "--pretty-print",
        "--no-revocation-check",
    ]);
    for root in trust_roots {
        cmd.arg("--trust").arg(root);
    }
    let (out, transcript) = run(cmd.arg("--trust-replace").arg(pdf));
    let Some(out) = out else {
        return OracleOutcome::fail(transcript);
    };
    let stdout = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let judged = stdout.matches("the signature is judged valid").count();
    let bad = stdout.contains("judged invalid")
        || stdout.contains("not valid")
        || stdout.contains("invalid");
    OracleOutcome {
        ok: out.status.success() && judged > 0 && !bad,
        output: transcript,
    }
}

/// pyHanko's AdES validation with long-term validation (`pyhanko sign adesverify`: EN 319 102-1
/// past-signature validation over the document's DSS and document timestamps, revocation
/// information required), trusting only `trust_root_pem`. Ok when every signature's summary
/// line ends in a passed judgement and the exit status is 0.
pub fn pyhanko_ltv_validate(pdf: &Path, trust_root_pem: &Path) -> OracleOutcome {
    let mut cmd = Command::new("pyhanko");
    cmd.args(["sign", "adesverify", "--executive-summary", "--trust"])
        .arg(trust_root_pem)
        .arg("--trust-replace")
        .arg(pdf);
    let (out, transcript) = run(&mut cmd);
    let Some(out) = out else {
        return OracleOutcome::fail(transcript);
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    OracleOutcome {
        ok: out.status.success()
            && !lines.is_empty()
            && lines
                .iter()
                .all(|l| l.trim_end().ends_with(":PASSED") || l.trim_end().ends_with(":VALID")),
        output: transcript,
    }
}

/// `openssl ocsp -respin`: the DER OCSP response `der` verifies (its signature, and the
/// responder's certificate through `issuer_pem` to `root_pem`). Ok when OpenSSL prints
/// "Response verify OK".
pub fn openssl_ocsp_verify(der: &[u8], issuer_pem: &Path, root_pem: &Path) -> OracleOutcome {
    let Ok(dir) = TempDir::new("ocsp") else {
        return OracleOutcome::fail("cannot create a temp dir");
    };
    let path = dir.path().join("response.der");
    if std::fs::write(&path, der).is_err() {
        return OracleOutcome::fail("cannot write the response");
    }
    let (out, transcript) = run(Command::new("openssl")
        .args(["ocsp", "-respin"])
        .arg(&path)
        .arg("-CAfile")
        .arg(root_pem)
        .arg("-verify_other")
        .arg(issuer_pem)
        .arg("-resp_text"));
    OracleOutcome {
        ok: out.is_some_and(|o| o.status.success()) && transcript.contains("Response verify OK"),
        output: transcript,
    }
}

/// [`pyhanko_validate`] with pyHanko's lenient syntax mode, which hybrid-reference files need:
/// pyHanko's strict reader refuses every hybrid file, signed or not.
pub fn pyhanko_validate_lenient(pdf: &Path, trust_root_pem: &Path) -> OracleOutcome {
    pyhanko_validate_with(pdf, trust_root_pem, &["--no-strict-syntax"])
}

fn pyhanko_validate_with(pdf: &Path, trust_root_pem: &Path, extra: &[&str]) -> OracleOutcome {
    let (out, transcript) = run(Command::new("pyhanko")
        .args([
            "sign",
            "validate",
            "--executive-summary",
            "--no-revocation-check",
        ])
        .args(extra)
        .arg("--trust")
        .arg(trust_root_pem)
        .arg("--trust-replace")
        .arg(pdf));
    let Some(out) = out else {
        return OracleOutcome::fail(transcript);
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let ok =
        out.status.success() && !lines.is_empty() && lines.iter().all(|l| l.ends_with(":VALID"));
    OracleOutcome {
        ok,
        output: transcript,
    }
}

/// Number of signatures pyHanko finds in the file (`PdfFileReader.embedded_signatures`,
/// lenient syntax), or `None` if python3/pyHanko failed to read it.
pub fn pyhanko_signature_count(pdf: &Path) -> Option<usize> {
    const SCRIPT: &str = "import sys\n\
from pyhanko.pdf_utils.reader import PdfFileReader\n\
with open(sys.argv[1], 'rb') as f:\n    print(len(PdfFileReader(f, strict=False).embedded_signatures))\n";
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(pdf)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// poppler's `pdfsig`: ok when there is at least one signature and every one reports
/// "Signature is Valid." and "Certificate is Trusted.".
///
/// Trust: a fresh NSS database in a temp dir (`certutil -N --empty-password`) holding only
/// `trust_root_pem` with trust `CT,C,C` (the middle `C` — trusted CA for S/MIME — is what
/// counts: pdfsig verifies with NSS usage "email signer"). `-no-ocsp` is deliberately NOT
/// passed: poppler 22.12 then reports "Unknown issue with Certificate or corrupted data" even
/// for a trusted chain (it reads a stale NSS error code). Without it, pdfsig would only go
/// online for certificates carrying an OCSP URL (AIA); test certificates carry none.
pub fn pdfsig_validate(pdf: &Path, trust_root_pem: &Path) -> OracleOutcome {
    let tmp = match TempDir::new("nss") {
        Ok(t) => t,
        Err(e) => return OracleOutcome::fail(format!("temp dir: {e}")),
    };
    let db = format!("sql:{}", tmp.path().display());
    let (out, mut transcript) =
        run(Command::new("certutil").args(["-N", "--empty-password", "-d", &db]));
    if !out.is_some_and(|o| o.status.success()) {
        return OracleOutcome::fail(format!("could not create NSS database\n{transcript}"));
    }
    let (out, t) = run(Command::new("certutil")
        .args([
            "-A",
            "-d",
            &db,
            "-n",
            "cloudsign-test-root",
            "-t",
            "CT,C,C",
            "-i",
        ])
        .arg(trust_root_pem));
    transcript.push_str(&t);
    if !out.is_some_and(|o| o.status.success()) {
        return OracleOutcome::fail(format!(
            "could not add trust root to NSS database\n{transcript}"
        ));
    }
    let (out, t) = run(Command::new("pdfsig").args(["-nssdir", &db]).arg(pdf));
    transcript.push_str(&t);
    let Some(out) = out else {
        return OracleOutcome::fail(transcript);
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let count = |needle: &str| stdout.lines().filter(|l| l.contains(needle)).count();
    // pdfsig lists empty signature fields too; they carry no signature to judge.
    let sigs = stdout
        .lines()
        .filter(|l| l.starts_with("Signature #"))
        .count()
        - count("The signature form field is not signed.");
    let ok = out.status.success()
        && sigs > 0
        && count("Signature Validation: Signature is Valid.") == sigs
        && count("Certificate Validation: Certificate is Trusted.") == sigs;
    OracleOutcome {
        ok,
        output: transcript,
    }
}

/// `qpdf --check`: ok only on exit status 0, i.e. no errors AND no warnings. qpdf reports
/// recoverable damage (wrong xref offsets, "file is damaged", missing `endobj`) as warnings
/// with exit status 3; those are exactly the writer bugs we test for, so warnings fail too.
/// The warnings are in `output`.
pub fn qpdf_check(pdf: &Path) -> OracleOutcome {
    let (out, transcript) = run(Command::new("qpdf").arg("--check").arg(pdf));
    OracleOutcome {
        ok: out.is_some_and(|o| o.status.success()),
        output: transcript,
    }
}

/// One signature's `/ByteRange [a b c d]` found by a raw byte scan.
fn byte_ranges(pdf: &[u8]) -> Vec<[usize; 4]> {
    const KEY: &[u8] = b"/ByteRange";
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(rel) = pdf[pos..].windows(KEY.len()).position(|w| w == KEY) {
        let start = pos + rel + KEY.len();
        pos = start;
        let Some(open) = pdf[start..].iter().position(|&b| !b.is_ascii_whitespace()) else {
            break;
        };
        if pdf[start + open] != b'[' {
            continue;
        }
        let body_start = start + open + 1;
        let Some(close) = pdf[body_start..].iter().position(|&b| b == b']') else {
            break;
        };
        let body = String::from_utf8_lossy(&pdf[body_start..body_start + close]);
        let nums: Vec<usize> = body
            .split_ascii_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        if let [a, b, c, d] = nums[..] {
            found.push([a, b, c, d]);
        }
    }
    found
}

fn hex_decode(hex: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        })
        .collect::<Option<_>>()?;
    // PDF: an odd final digit is followed by an implicit 0.
    Some(
        digits
            .chunks(2)
            .map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0))
            .collect(),
    )
}

/// `openssl cms -verify` on the `signature_index`-th signature (0-based, in file order of
/// `/ByteRange` arrays): the bytes covered by its `/ByteRange` are the detached content,
/// the hole between the two ranges must be the dictionary's `/Contents <hex>` string, whose
/// decoded bytes (trailing zero padding kept: OpenSSL 3 reads one DER object and ignores
/// what follows) are the CMS. Trusts only `trust_root_pem`; `-purpose any`, so key usage
/// and EKU are not judged here. Ok on exit status 0.
pub fn openssl_cms_verify(
    pdf: &Path,
    trust_root_pem: &Path,
    signature_index: usize,
) -> OracleOutcome {
    let bytes = match std::fs::read(pdf) {
        Ok(b) => b,
        Err(e) => return OracleOutcome::fail(format!("read {}: {e}", pdf.display())),
    };
    let ranges = byte_ranges(&bytes);
    let Some(&[a, b, c, d]) = ranges.get(signature_index) else {
        return OracleOutcome::fail(format!(
            "signature index {signature_index} not found: {} /ByteRange arrays in file",
            ranges.len()
        ));
    };
    let (Some(end1), Some(end2)) = (a.checked_add(b), c.checked_add(d)) else {
        return OracleOutcome::fail("ByteRange overflows");
    };
    if a != 0 || end1 >= c || end2 > bytes.len() || bytes[end1] != b'<' || bytes[c - 1] != b'>' {
        return OracleOutcome::fail(format!(
            "ByteRange [{a} {b} {c} {d}] does not frame a <hex> string in a {}-byte file",
            bytes.len()
        ));
    }
    let before = bytes[..end1].trim_ascii_end();
    if !before.ends_with(b"/Contents") {
        return OracleOutcome::fail("the ByteRange hole is not the value of /Contents");
    }
    let Some(der) = hex_decode(&bytes[end1 + 1..c - 1]) else {
        return OracleOutcome::fail("/Contents is not a hex string");
    };
    let tmp = match TempDir::new("cms") {
        Ok(t) => t,
        Err(e) => return OracleOutcome::fail(format!("temp dir: {e}")),
    };
    let (sig, data, out_file) = (
        tmp.path().join("sig.der"),
        tmp.path().join("data.bin"),
        tmp.path().join("out.bin"),
    );
    let signed = [&bytes[..end1], &bytes[c..end2]].concat();
    if let Err(e) = std::fs::write(&sig, der).and_then(|()| std::fs::write(&data, signed)) {
        return OracleOutcome::fail(format!("write temp files: {e}"));
    }
    let (out, transcript) = run(Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(trust_root_pem)
        .arg("-out")
        .arg(&out_file));
    OracleOutcome {
        ok: out.is_some_and(|o| o.status.success()),
        output: transcript,
    }
}
