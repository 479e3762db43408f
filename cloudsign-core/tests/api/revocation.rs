//! OCSP and CRLs against the `openssl` CLI in both directions, and over HTTP on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use cloudsign_core::http::HttpRevocationSource;
use cloudsign_core::revocation::{
    Crl, CrlIssuer, Evidence, OcspCertStatus, OcspCheck, OcspRequest, OcspResponder, OcspResponse,
    RevocationReason, RevocationSource, RevocationStatus, check_revocation, complete_chain, gather,
};
use cloudsign_core::serve::{HttpServer, Response, revocation_handler};
use cloudsign_core::testkit::{PkiUrls, TestPki};
use cloudsign_core::time::UnixTime;
use cloudsign_core::x509::Certificate;

use crate::common::pki;
use crate::oracles::require_tool;

fn intermediate() -> &'static Certificate {
    &pki().pki.intermediate.certificate
}

fn file(name: &str) -> PathBuf {
    pki().dir.path().join(name)
}

/// root.pem and intermediate.pem in one file, for `-CAfile`.
fn ca_chain_file(dir: &Path) -> PathBuf {
    let path = dir.join("ca-chain.pem");
    let text = format!(
        "{}{}",
        pki().pki.root.certificate.to_pem(),
        intermediate().to_pem()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn openssl(args: &[&str], dir: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "$ openssl {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `openssl ocsp -respin` checks the signature, the responder's authorisation and the chain
/// to the root, and prints the status of `cert`.
fn openssl_check_response(response: &[u8], cert: &Path, dir: &Path) -> String {
    let resp = dir.join("resp.der");
    std::fs::write(&resp, response).unwrap();
    openssl(
        &[
            "ocsp",
            "-respin",
            path_str(&resp),
            "-issuer",
            path_str(&file("intermediate.pem")),
            "-cert",
            path_str(cert),
            "-CAfile",
            path_str(&file("root.pem")),
            "-verify_other",
            path_str(&file("intermediate.pem")),
            "-no_nonce",
        ],
        dir,
    )
}

#[test]
fn our_ocsp_responses_pass_openssl_verification() {
    if !require_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = &pki().pki;
    let revoked = &p.signer_rsa.certificate;
    let revoked_at = UnixTime::from_secs(1_760_000_000);
    let delegated = OcspResponder::new(intermediate().clone(), p.ocsp.signer().unwrap()).unwrap();
    let by_ca =
        OcspResponder::new(intermediate().clone(), p.intermediate.signer().unwrap()).unwrap();
    for responder in [delegated, by_ca] {
        let responder = responder
            .revoke(
                &revoked.serial_hex(),
                revoked_at,
                Some(RevocationReason::KeyCompromise),
            )
            .unwrap();
        let good = responder.respond(
            &OcspRequest::new(&p.signer_ec.certificate, intermediate())
                .to_der()
                .unwrap(),
        );
        let out = openssl_check_response(&good, &file("signer-ec.pem"), dir.path());
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains("signer-ec.pem: good"), "{out}");
        let bad = responder.respond(&OcspRequest::new(revoked, intermediate()).to_der().unwrap());
        let out = openssl_check_response(&bad, &file("signer-rsa.pem"), dir.path());
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains("signer-rsa.pem: revoked"), "{out}");
        assert!(out.contains("Reason: keyCompromise"), "{out}");
    }
}

#[test]
fn openssl_ocsp_client_accepts_our_server() {
    if !require_tool("openssl") {
        return;
    }
    let p = &pki().pki;
    let responder = OcspResponder::new(intermediate().clone(), p.ocsp.signer().unwrap())
        .unwrap()
        .revoke(
            &p.expired_signer.certificate.serial_hex(),
            UnixTime::now(),
            None,
        )
        .unwrap();
    let issuer = CrlIssuer::new(p.intermediate.signer().unwrap()).unwrap();
    let server = HttpServer::bind(
        "127.0.0.1:0",
        revocation_handler(move |r| responder.respond(r), move || issuer.issue().ok()),
    )
    .unwrap()
    .spawn()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}ocsp", server.url());
    // openssl sends a nonce by default and checks that it comes back.
    for (cert, expected) in [
        ("signer-ec.pem", "signer-ec.pem: good"),
        ("signer-expired.pem", "signer-expired.pem: revoked"),
    ] {
        let out = openssl(
            &[
                "ocsp",
                "-url",
                &url,
                "-issuer",
                path_str(&file("intermediate.pem")),
                "-cert",
                path_str(&file(cert)),
                "-CAfile",
                path_str(&file("root.pem")),
                "-verify_other",
                path_str(&file("intermediate.pem")),
            ],
            dir.path(),
        );
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains(expected), "{out}");
        assert!(!out.contains("WARNING: no nonce"), "{out}");
    }
    // The CRL from the same server verifies in openssl too.
    let (head, crl) = http_get(server.local_addr(), "/crl");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("Content-Type: application/pkix-crl"),
        "{head}"
    );
    let crl_path = dir.path().join("served.crl");
    std::fs::write(&crl_path, &crl).unwrap();
    let chain = ca_chain_file(dir.path());
    let out = openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            path_str(&crl_path),
            "-CAfile",
            path_str(&chain),
            "-noout",
        ],
        dir.path(),
    );
    assert!(out.contains("verify OK"), "{out}");
}

/// A plain HTTP GET; returns the head and the body.
fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    (head, answer[split + 4..].to_vec())
}

#[test]
fn our_crls_pass_openssl_crl_verify() {
    if !require_tool("openssl") {
        return;
    }
    let p = &pki().pki;
    let revoked = &p.signer_rsa.certificate;
    let issuer = CrlIssuer::new(p.intermediate.signer().unwrap())
        .unwrap()
        .revoke(
            &revoked.serial_hex(),
            UnixTime::from_secs(1_760_000_000),
            Some(RevocationReason::Superseded),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crl = dir.path().join("ours.crl");
    std::fs::write(&crl, issuer.issue().unwrap()).unwrap();
    let chain = ca_chain_file(dir.path());
    let out = openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            path_str(&crl),
            "-CAfile",
            path_str(&chain),
            "-noout",
            "-text",
        ],
        dir.path(),
    );
    assert!(out.contains("verify OK"), "{out}");
    assert!(
        out.contains(&format!(
            "Serial Number: {}",
            revoked.serial_hex().to_uppercase()
        )),
        "{out}"
    );
    assert!(out.contains("Superseded"), "{out}");
    assert!(out.contains("X509v3 CRL Number"), "{out}");
    // A CRL signed by another CA (whose intermediate has the same name) does not verify
    // against ours. OpenSSL 3.0 reports this as "verify failure" but exits 0, so read it.
    let other = TestPki::generate().unwrap();
    let foreign = dir.path().join("foreign.crl");
    std::fs::write(
        &foreign,
        CrlIssuer::new(other.intermediate.signer().unwrap())
            .unwrap()
            .issue()
            .unwrap(),
    )
    .unwrap();
    let refused = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(&foreign)
        .arg("-CAfile")
        .arg(&chain)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(
        said.contains("verify failure") && !said.contains("verify OK"),
        "{said}"
    );
}

/// An `openssl ca` database: the EC signer valid, the RSA signer revoked (keyCompromise).
fn openssl_ca_dir() -> (tempfile::TempDir, UnixTime) {
    let dir = tempfile::tempdir().unwrap();
    let p = &pki().pki;
    let revoked_at = UnixTime::from_civil(2026, 1, 2, 3, 4, 5).unwrap();
    let index = format!(
        "V\t491231235959Z\t\t{}\tunknown\t/CN=ec\nR\t491231235959Z\t260102030405Z,keyCompromise\t{}\tunknown\t/CN=rsa\n",
        p.signer_ec.certificate.serial_hex().to_uppercase(),
        p.signer_rsa.certificate.serial_hex().to_uppercase(),
    );
    std::fs::write(dir.path().join("index.txt"), index).unwrap();
    std::fs::write(dir.path().join("index.txt.attr"), "unique_subject = no\n").unwrap();
    std::fs::write(dir.path().join("crlnumber"), "1000\n").unwrap();
    std::fs::write(
        dir.path().join("ca.cnf"),
        "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\n\
         crlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\n",
    )
    .unwrap();
    (dir, revoked_at)
}

/// `openssl ca -gencrl` over the database of [`openssl_ca_dir`], signed by the intermediate;
/// writes `crl.pem` in `dir`.
fn openssl_gencrl(dir: &Path) {
    openssl(
        &[
            "ca",
            "-gencrl",
            "-config",
            "ca.cnf",
            "-keyfile",
            path_str(&file("intermediate-key.pem")),
            "-cert",
            path_str(&file("intermediate.pem")),
            "-out",
            "crl.pem",
        ],
        dir,
    );
}

/// `openssl ocsp` as a responder over the database of [`openssl_ca_dir`]: answers `request`
/// signed with the test PKI's files `rsigner` and `rkey`.
fn openssl_ocsp_respond(dir: &Path, rsigner: &str, rkey: &str, request: &OcspRequest) -> Vec<u8> {
    std::fs::write(dir.join("req.der"), request.to_der().unwrap()).unwrap();
    openssl(
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            path_str(&file(rsigner)),
            "-rkey",
            path_str(&file(rkey)),
            "-CA",
            path_str(&file("intermediate.pem")),
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
        ],
        dir,
    );
    std::fs::read(dir.join("resp.der")).unwrap()
}

#[test]
fn openssl_made_crls_parse_and_verify() {
    if !require_tool("openssl") {
        return;
    }
    let (dir, revoked_at) = openssl_ca_dir();
    openssl_gencrl(dir.path());
    let crl = Crl::from_pem(&std::fs::read(dir.path().join("crl.pem")).unwrap()).unwrap();
    crl.verify(intermediate()).unwrap();
    crl.check_current(UnixTime::now(), 0).unwrap();
    assert!(crl.verify(&pki().pki.root.certificate).is_err());
    assert_eq!(crl.number().as_deref(), Some("1000"));
    let p = &pki().pki;
    let entry = crl.lookup(&p.signer_rsa.certificate).unwrap();
    assert_eq!(entry.revoked_at, revoked_at);
    assert_eq!(entry.reason, Some(RevocationReason::KeyCompromise));
    assert!(crl.lookup(&p.signer_ec.certificate).is_none());
    let crls = [crl.der().to_vec()];
    let evidence = Evidence {
        crls: &crls,
        ..Evidence::default()
    };
    assert!(matches!(
        check_revocation(&p.signer_rsa.certificate, intermediate(), &evidence, UnixTime::now()),
        RevocationStatus::Revoked { revoked_at: t, .. } if t == revoked_at
    ));
    assert!(matches!(
        check_revocation(
            &p.signer_ec.certificate,
            intermediate(),
            &evidence,
            UnixTime::now()
        ),
        RevocationStatus::Good { .. }
    ));
}

#[test]
fn openssl_made_ocsp_responses_parse_and_verify() {
    if !require_tool("openssl") {
        return;
    }
    let (dir, revoked_at) = openssl_ca_dir();
    let p = &pki().pki;
    // Delegated responder, then the CA key itself.
    for (rsigner, rkey) in [
        ("ocsp.pem", "ocsp-key.pem"),
        ("intermediate.pem", "intermediate-key.pem"),
    ] {
        for (cert, revoked) in [
            (&p.signer_ec.certificate, false),
            (&p.signer_rsa.certificate, true),
        ] {
            let request = OcspRequest::new(cert, intermediate()).random_nonce();
            let der = openssl_ocsp_respond(dir.path(), rsigner, rkey, &request);
            let response = OcspResponse::parse(&der).unwrap();
            let check = OcspCheck::new(UnixTime::now()).nonce(request.nonce_value().unwrap());
            let single = response.verify(cert, intermediate(), &check).unwrap();
            if revoked {
                assert_eq!(
                    single.status,
                    OcspCertStatus::Revoked {
                        revoked_at,
                        reason: Some(RevocationReason::KeyCompromise)
                    }
                );
            } else {
                assert_eq!(single.status, OcspCertStatus::Good);
            }
            // Another CA's certificate is not what the response answers for.
            assert!(response.verify(cert, &p.root.certificate, &check).is_err());
        }
    }
}

/// What the loopback server answers with, filled in once the PKI naming its URL exists.
type Answers = Arc<OnceLock<(OcspResponder, CrlIssuer, Vec<u8>)>>;

#[test]
fn http_source_fetches_from_the_urls_in_certificates() {
    let answers: Answers = Arc::default();
    let (ocsp_side, crl_side, ca_side) = (
        Arc::clone(&answers),
        Arc::clone(&answers),
        Arc::clone(&answers),
    );
    let revocation = revocation_handler(
        move |r| ocsp_side.get().map(|a| a.0.respond(r)).unwrap_or_default(),
        move || crl_side.get().and_then(|a| a.1.issue().ok()),
    );
    let server = HttpServer::bind("127.0.0.1:0", move |request| {
        match (request.path.ends_with(".der"), ca_side.get()) {
            (true, Some(a)) => Response::ok("application/pkix-cert", a.2.clone()),
            _ => revocation(request),
        }
    })
    .unwrap()
    .spawn()
    .unwrap();
    let base = server.url();
    let pki = TestPki::generate_with(
        &PkiUrls::default()
            .ocsp(&format!("{base}ocsp"))
            .crl(&format!("{base}ca.crl"))
            .ca_issuers(&format!("{base}ca.der")),
    )
    .unwrap();
    let ca = &pki.intermediate.certificate;
    let leaf = &pki.signer_ec.certificate;
    let revoked = &pki.signer_rsa.certificate;
    let responder = OcspResponder::new(ca.clone(), pki.ocsp.signer().unwrap())
        .unwrap()
        .revoke(&revoked.serial_hex(), UnixTime::now(), None)
        .unwrap();
    let issuer = CrlIssuer::new(pki.intermediate.signer().unwrap())
        .unwrap()
        .revoke(&revoked.serial_hex(), UnixTime::now(), None)
        .unwrap();
    assert!(answers.set((responder, issuer, ca.der().to_vec())).is_ok());
    assert!(pki.ocsp.certificate.ocsp_urls().is_empty());

    let source = HttpRevocationSource::new().nonce(true);
    let ocsp = source.ocsp(leaf, ca).unwrap().unwrap();
    assert!(OcspResponse::parse(&ocsp).unwrap().nonce().is_some());
    let crls = source.crls(leaf).unwrap();
    assert_eq!(crls.len(), 1);
    Crl::parse(&crls[0]).unwrap().verify(ca).unwrap();
    assert_eq!(source.ca_issuers(leaf).unwrap(), [ca.der().to_vec()]);
    let chain = complete_chain(
        &source,
        leaf,
        std::slice::from_ref(&pki.root.certificate),
        4,
    )
    .unwrap();
    assert_eq!(chain, [ca.clone(), pki.root.certificate.clone()]);

    let gathered = gather(&source, leaf, ca).unwrap();
    assert_eq!((gathered.ocsp.len(), gathered.crls.len()), (1, 0));
    let evidence = Evidence {
        ocsp: &gathered.ocsp,
        ..Evidence::default()
    };
    assert!(matches!(
        check_revocation(leaf, ca, &evidence, UnixTime::now()),
        RevocationStatus::Good { .. }
    ));
    let gathered = gather(&source, revoked, ca).unwrap();
    let evidence = Evidence {
        ocsp: &gathered.ocsp,
        crls: &gathered.crls,
        certificates: &[],
    };
    assert!(matches!(
        check_revocation(revoked, ca, &evidence, UnixTime::now()),
        RevocationStatus::Revoked { .. }
    ));

    // A tiny response limit: OCSP fails, and so do the CRLs, so gathering fails with both reasons.
    let tiny = HttpRevocationSource::new().max_response_bytes(16);
    let err = gather(&tiny, leaf, ca).unwrap_err().to_string();
    assert!(err.contains("ocsp") && err.contains("ca.crl"), "{err}");
    // Nothing listens any more: a fetch error, not a hang.
    drop(server);
    assert!(source.ocsp(leaf, ca).is_err());
    assert!(source.crls(leaf).is_err());
}

/// Regenerates the `ocsp_response` and `crl` fuzz seeds from our responder and issuer and from
/// `openssl` (run with `--ignored`, then commit the files).
#[test]
#[ignore = "writes fuzz seeds into the source tree"]
fn write_revocation_seeds() {
    let ocsp_dir = crate::fuzz_replay::fuzz_dir().join("ocsp_response");
    let crl_dir = crate::fuzz_replay::fuzz_dir().join("crl");
    std::fs::create_dir_all(&ocsp_dir).unwrap();
    std::fs::create_dir_all(&crl_dir).unwrap();
    let p = &pki().pki;
    let revoked = &p.signer_rsa.certificate;
    let at = UnixTime::from_secs(1_760_000_000);
    let delegated = OcspResponder::new(intermediate().clone(), p.ocsp.signer().unwrap())
        .unwrap()
        .revoke(
            &revoked.serial_hex(),
            at,
            Some(RevocationReason::KeyCompromise),
        )
        .unwrap();
    let by_ca = OcspResponder::new(intermediate().clone(), p.intermediate.signer().unwrap())
        .unwrap()
        .revoke(&revoked.serial_hex(), at, None)
        .unwrap();
    let ask = |responder: &OcspResponder, request: OcspRequest| {
        responder.respond(&request.to_der().unwrap())
    };
    let seeds = [
        (
            "delegated-good-nonce.der",
            ask(
                &delegated,
                OcspRequest::new(&p.signer_ec.certificate, intermediate()).random_nonce(),
            ),
        ),
        (
            "delegated-revoked.der",
            ask(&delegated, OcspRequest::new(revoked, intermediate())),
        ),
        (
            "ca-revoked.der",
            ask(&by_ca, OcspRequest::new(revoked, intermediate())),
        ),
        (
            "unknown.der",
            ask(
                &by_ca,
                OcspRequest::new(intermediate(), &p.root.certificate),
            ),
        ),
        ("malformed-request.der", delegated.respond(b"\x30\x00")),
    ];
    for (name, der) in seeds {
        std::fs::write(ocsp_dir.join(name), der).unwrap();
    }
    let issuer = CrlIssuer::new(p.intermediate.signer().unwrap()).unwrap();
    std::fs::write(crl_dir.join("empty.der"), issuer.issue().unwrap()).unwrap();
    let issuer = issuer
        .revoke(
            &revoked.serial_hex(),
            at,
            Some(RevocationReason::Superseded),
        )
        .unwrap()
        .revoke(&p.expired_signer.certificate.serial_hex(), at, None)
        .unwrap();
    std::fs::write(crl_dir.join("two-entries.der"), issuer.issue().unwrap()).unwrap();
    // From openssl: a CRL (PEM, as `openssl ca` writes it) and a delegated OCSP response.
    let (dir, _) = openssl_ca_dir();
    openssl_gencrl(dir.path());
    std::fs::copy(dir.path().join("crl.pem"), crl_dir.join("openssl.pem")).unwrap();
    let pem = std::fs::read(dir.path().join("crl.pem")).unwrap();
    std::fs::write(
        crl_dir.join("openssl.der"),
        Crl::from_pem(&pem).unwrap().der(),
    )
    .unwrap();
    let request = OcspRequest::new(revoked, intermediate()).random_nonce();
    let der = openssl_ocsp_respond(dir.path(), "ocsp.pem", "ocsp-key.pem", &request);
    std::fs::write(ocsp_dir.join("openssl-revoked.der"), der).unwrap();
}
