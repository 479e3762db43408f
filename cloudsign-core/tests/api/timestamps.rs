//! RFC 3161 in PDFs: PAdES B-T signatures and document timestamps, over HTTP on loopback, from
//! our embedded authority and from one nobody here wrote (`openssl ts -reply`); judged by our
//! validator, pyHanko, pdfsig, qpdf and OpenSSL; and every way a timestamp can fail.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::pades::{DocumentTimestamper, PdfSigner, SignatureProfile};
use cloudsign_core::serve::{BackgroundServer, HttpServer, Request, Response, timestamp_handler};
use cloudsign_core::testkit::samples;
use cloudsign_core::tsp::{TransportError, TspError};
use cloudsign_core::validate::{Indication, SignatureKind};
use cloudsign_core::{Error, Validator};

use crate::common::{assert_all_passed, pki, temp_file};
use crate::oracles;

/// Our embedded authority served on 127.0.0.1.
fn embedded_tsa() -> BackgroundServer {
    let authority = pki().pki.authority().unwrap();
    serve(timestamp_handler(move |req| authority.respond(req)))
}

fn serve(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> BackgroundServer {
    HttpServer::bind("127.0.0.1:0", handler)
        .unwrap()
        .spawn()
        .unwrap()
}

fn sign_bt(pdf: &[u8], url: &str) -> Vec<u8> {
    let stamper = HttpTimeStamper::new(url).unwrap();
    let signer = pki().pki.signer_rsa.signer().unwrap();
    PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT {
            timestamper: &stamper,
        })
        .sign(pdf)
        .unwrap()
}

#[test]
fn b_t_with_the_embedded_authority_passes_every_validator() {
    let server = embedded_tsa();
    let signed = sign_bt(&samples::contract_pdf(), &server.url());
    let report = pki().validate(&signed);
    assert_all_passed(&report, "B-T");
    let sig = &report.signatures[0];
    assert_eq!(sig.level.as_deref(), Some("B-T"));
    assert_eq!(sig.timestamps.len(), 1);
    assert_eq!(sig.timestamps[0].indication, Indication::Passed);
    assert!(sig.proven_time.is_some());

    let (_dir, path) = temp_file("b-t.pdf", &signed);
    let root = pki().root_pem();
    if oracles::require_tool("pyhanko") {
        let o = oracles::pyhanko_validate_detailed(&path, &[&root]);
        assert!(o.ok, "{}", o.output);
        for line in [
            "The timestamp token is cryptographically sound.",
            "The TSA certificate is trusted.",
        ] {
            assert!(
                o.output.contains(line),
                "pyHanko did not say {line:?}:\n{}",
                o.output
            );
        }
    }
    if oracles::require_tool("pdfsig") {
        let o = oracles::pdfsig_validate(&path, &root);
        assert!(o.ok, "{}", o.output);
    }
    if oracles::require_tool("qpdf") {
        let o = oracles::qpdf_check(&path);
        assert!(o.ok, "{}", o.output);
    }
    if oracles::require_tool("openssl") {
        let o = oracles::openssl_cms_verify(&path, &root, 0);
        assert!(o.ok, "{}", o.output);
    }
}

#[test]
fn document_timestamps_pass_our_validator_and_pyhanko() {
    let server = embedded_tsa();
    let stamper = HttpTimeStamper::new(&server.url()).unwrap();
    let signed = sign_bt(&samples::contract_pdf(), &server.url());
    let stamped = DocumentTimestamper::new(&stamper)
        .timestamp(&signed)
        .unwrap();
    let report = pki().validate(&stamped);
    assert_all_passed(&report, "signature + document timestamp");
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(report.signatures[1].kind, SignatureKind::DocumentTimestamp);
    assert!(report.signatures[1].proven_time.is_some());

    let (_dir, path) = temp_file("doc-ts.pdf", &stamped);
    if oracles::require_tool("pyhanko") {
        let o = oracles::pyhanko_validate_detailed(&path, &[&pki().root_pem()]);
        assert!(o.ok, "{}", o.output);
    }
    if oracles::require_tool("qpdf") {
        assert!(oracles::qpdf_check(&path).ok);
    }
}

#[test]
fn a_tampered_document_timestamp_fails() {
    let authority = pki().pki.authority().unwrap();
    let stamped = DocumentTimestamper::new(&authority)
        .timestamp(&samples::contract_pdf())
        .unwrap();
    let mut tampered = stamped.clone();
    let at = String::from_utf8_lossy(&stamped)
        .find("Service Agreement")
        .unwrap();
    tampered[at] ^= 0x20;
    let report = pki().validate(&tampered);
    assert_eq!(report.signatures[0].indication, Indication::Failed);
    assert!(!report.signatures[0].integrity.digest_ok);
}

/// The signature timestamp tokens inside `pdf`'s first signature, with the signature value they
/// cover: read through pyHanko-independent means (our own parser).
fn token_and_signature_value(pdf: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let report = pki().validate(pdf);
    let [_, b, c, _] = report.signatures[0].byte_range.unwrap();
    let hex = &pdf[usize::try_from(b).unwrap() + 1..usize::try_from(c).unwrap() - 1];
    let der = hex::decode(hex).unwrap();
    let cms = cloudsign_core::cms::parse_signed_data(&der).unwrap();
    let (_, token) = cms
        .unsigned_attributes()
        .into_iter()
        .find(|(oid, _)| oid == "1.2.840.113549.1.9.16.2.14")
        .unwrap();
    (token, cms.signature().to_vec())
}

#[test]
fn embedded_authority_tokens_pass_openssl_ts_verify() {
    if !oracles::require_tool("openssl") {
        return;
    }
    let server = embedded_tsa();
    let signed = sign_bt(&samples::contract_pdf(), &server.url());
    let (token, signature_value) = token_and_signature_value(&signed);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("token.der"), &token).unwrap();
    std::fs::write(d.join("data.bin"), &signature_value).unwrap();
    let chain: String = [&pki().pki.intermediate.certificate]
        .iter()
        .map(|c| c.to_pem())
        .collect();
    std::fs::write(d.join("untrusted.pem"), chain).unwrap();
    let out = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(d.join("token.der"))
        .arg("-data")
        .arg(d.join("data.bin"))
        .arg("-CAfile")
        .arg(pki().root_pem())
        .arg("-untrusted")
        .arg(d.join("untrusted.pem"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("Verification: OK"),
        "{text}"
    );
}

/// A timestamp authority nobody here wrote: `openssl ts -reply` with an OpenSSL-made PKI,
/// behind our loopback HTTP server.
struct OpensslTsa {
    dir: tempfile::TempDir,
}

impl OpensslTsa {
    fn create() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=OpenSSL Test TSA Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=OpenSSL Test TSA",
        ]);
        std::fs::write(d.join("tsa.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n").unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3650",
            "-extfile",
            "tsa.ext",
            "-out",
            "tsa.pem",
        ]);
        std::fs::write(d.join("serial"), "01\n").unwrap();
        std::fs::write(
            d.join("ts.cnf"),
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = .\nserial = $dir/serial\ncrypto_device = builtin\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\ntsa_name = yes\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
        )
        .unwrap();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn serve(&self) -> BackgroundServer {
        let d = self.dir.path().to_path_buf();
        let lock = Mutex::new(());
        serve(timestamp_handler(move |request| {
            let _guard = lock.lock().unwrap();
            std::fs::write(d.join("req.tsq"), request).unwrap();
            let out = Command::new("openssl")
                .args([
                    "ts",
                    "-reply",
                    "-config",
                    "ts.cnf",
                    "-queryfile",
                    "req.tsq",
                    "-signer",
                    "tsa.pem",
                    "-inkey",
                    "tsa.key",
                    "-out",
                    "resp.tsr",
                ])
                .current_dir(&d)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::read(d.join("resp.tsr")).unwrap()
        }))
    }
}

#[test]
fn b_t_with_an_openssl_authority_passes_ours_and_pyhanko() {
    if !oracles::require_tool("openssl") {
        return;
    }
    let tsa = OpensslTsa::create();
    let server = tsa.serve();
    let signed = sign_bt(&samples::contract_pdf(), &server.url());
    let tsa_trust =
        cloudsign_core::x509::TrustStore::from_pem(&std::fs::read(tsa.root()).unwrap()).unwrap();
    let report = Validator::new(pki().trust())
        .tsa_trust(tsa_trust)
        .validate_pdf(&signed)
        .unwrap();
    assert_all_passed(&report, "B-T via openssl ts");
    assert_eq!(report.signatures[0].level.as_deref(), Some("B-T"));
    // Without the OpenSSL root the timestamp cannot be trusted: not Passed.
    let untrusted = pki().validate(&signed);
    assert_ne!(untrusted.signatures[0].indication, Indication::Passed);

    let (_dir, path) = temp_file("b-t-openssl.pdf", &signed);
    if oracles::require_tool("pyhanko") {
        let root = pki().root_pem();
        let tsa_root = tsa.root();
        let o = oracles::pyhanko_validate_detailed(&path, &[&root, &tsa_root]);
        assert!(o.ok, "{}", o.output);
    }
}

#[test]
fn pyhanko_b_t_signatures_and_document_timestamps_pass_our_validator() {
    if !oracles::require_tool("pyhanko") {
        return;
    }
    let server = embedded_tsa();
    let pki = pki();
    let d = pki.dir.path();
    let input = d.join("pyhanko-in.pdf");
    std::fs::write(&input, samples::contract_pdf()).unwrap();
    let signed = d.join("pyhanko-bt.pdf");
    let out = Command::new("pyhanko")
        .args([
            "sign",
            "addsig",
            "--use-pades",
            "--timestamp-url",
            &server.url(),
            "--field",
            "Sig1",
            "pemder",
            "--no-pass",
            "--key",
        ])
        .arg(d.join("signer-rsa-key.pem"))
        .arg("--cert")
        .arg(d.join("signer-rsa.pem"))
        .arg("--chain")
        .arg(d.join("intermediate.pem"))
        .arg(&input)
        .arg(&signed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyhanko addsig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stamped = d.join("pyhanko-bt-ts.pdf");
    let out = Command::new("pyhanko")
        .args([
            "sign",
            "timestamp",
            "--timestamp-url",
            &server.url(),
            "--trust-replace",
            "--trust",
        ])
        .arg(d.join("root.pem"))
        .arg(&signed)
        .arg(&stamped)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyhanko timestamp: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let report = pki.validate(&std::fs::read(&stamped).unwrap());
    assert_all_passed(&report, "pyHanko B-T + document timestamp");
    assert_eq!(report.signatures[0].level.as_deref(), Some("B-T"));
    assert_eq!(report.signatures[1].kind, SignatureKind::DocumentTimestamp);
}

/// A handler with a fault, and what the client must say about it.
fn assert_timestamp_error(
    handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    check: impl Fn(&Error) -> bool,
) {
    let server = serve(handler);
    let stamper = HttpTimeStamper::new(&server.url())
        .unwrap()
        .timeout(Duration::from_millis(500));
    let signer = pki().pki.signer_rsa.signer().unwrap();
    let (dir, input) = temp_file("in.pdf", &samples::contract_pdf());
    let output = dir.path().join("out.pdf");
    let err = PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT {
            timestamper: &stamper,
        })
        .sign_file(&input, &output)
        .unwrap_err();
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(!output.exists(), "an output file was written despite {err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary files left behind"
    );
}

fn reply(body: Vec<u8>) -> Response {
    Response::new(200, "application/timestamp-reply", body)
}

#[test]
fn timestamp_failures_are_typed_errors_and_leave_no_output() {
    use TspError as T;
    let transport = |e: &Error, want: fn(&TransportError) -> bool| matches!(e, Error::Timestamp(T::Transport(t)) if want(t));

    // Unreachable: a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stamper = HttpTimeStamper::new(&format!("http://127.0.0.1:{port}/")).unwrap();
    let signer = pki().pki.signer_rsa.signer().unwrap();
    let err = PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT {
            timestamper: &stamper,
        })
        .sign(&samples::contract_pdf())
        .unwrap_err();
    assert!(
        transport(&err, |t| matches!(t, TransportError::Unreachable(_))),
        "{err:?}"
    );

    assert_timestamp_error(
        |_| {
            std::thread::sleep(Duration::from_millis(1500));
            reply(Vec::new())
        },
        |e| transport(e, |t| matches!(t, TransportError::Timeout)),
    );
    assert_timestamp_error(
        |_| Response::new(500, "text/plain", b"boom".to_vec()),
        |e| transport(e, |t| matches!(t, TransportError::HttpStatus(500))),
    );
    assert_timestamp_error(
        |_| Response::new(200, "text/html", b"<html/>".to_vec()),
        |e| transport(e, |t| matches!(t, TransportError::WrongContentType(_))),
    );
    assert_timestamp_error(
        |_| reply(b"garbage bytes".to_vec()),
        |e| matches!(e, Error::Timestamp(T::Malformed(_))),
    );

    // Rejection: the authority refuses what it cannot read.
    let authority = pki().pki.authority().unwrap();
    assert_timestamp_error(
        move |_| reply(authority.respond(b"not a request")),
        |e| matches!(e, Error::Timestamp(T::Rejected { .. })),
    );

    // Nonce mismatch: the authority answers a request with another nonce (as a replayed
    // response would carry).
    let authority = pki().pki.authority().unwrap();
    assert_timestamp_error(
        move |req| {
            let mut other = req.body.clone();
            let at = nonce_last_byte(&other);
            other[at] ^= 0x01;
            reply(authority.respond(&other))
        },
        |e| matches!(e, Error::Timestamp(T::NonceMismatch)),
    );

    // Imprint mismatch: the authority is asked about different data with the same nonce.
    let authority = pki().pki.authority().unwrap();
    assert_timestamp_error(
        move |req| {
            let mut other = req.body.clone();
            let at = imprint_first_byte(&other);
            other[at] ^= 0x01;
            reply(authority.respond(&other))
        },
        |e| matches!(e, Error::Timestamp(T::ImprintMismatch)),
    );
}

/// Offset of the first byte of the message imprint's hash in a DER TimeStampReq.
fn imprint_first_byte(req: &[u8]) -> usize {
    // hashedMessage is the first OCTET STRING of a hash's length (32, 48 or 64 bytes).
    (0..req.len() - 1)
        .find(|&i| req[i] == 0x04 && matches!(req[i + 1], 32 | 48 | 64))
        .unwrap()
        + 2
}

/// Offset of the last byte of the nonce INTEGER in a DER TimeStampReq (the INTEGER after the
/// messageImprint SEQUENCE).
fn nonce_last_byte(req: &[u8]) -> usize {
    let imprint_end = imprint_first_byte(req) + usize::from(req[imprint_first_byte(req) - 1]);
    let int_at = (imprint_end..req.len()).find(|&i| req[i] == 0x02).unwrap();
    int_at + 1 + usize::from(req[int_at + 1])
}
