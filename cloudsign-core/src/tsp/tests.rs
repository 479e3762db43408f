use std::sync::OnceLock;

use der::{Decode, Encode};

use super::asn1::{GenTime, TimeStampReq, TimeStampResp};
use super::authority::{SYSTEM_FAILURE, rejection};
use super::*;
use crate::crypto::DigestAlgorithm;
use crate::testkit::{CertSpec, EKU_TIME_STAMPING, KeyType, TEST_TSA_POLICY, shared};
use crate::time::{FixedClock, UnixTime};

const ALL: [DigestAlgorithm; 3] = [
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

fn authority() -> &'static TimestampAuthority {
    static TSA: OnceLock<TimestampAuthority> = OnceLock::new();
    TSA.get_or_init(|| shared().authority().unwrap())
}

fn request(alg: DigestAlgorithm) -> TimestampRequest {
    TimestampRequest::new(alg, alg.digest(b"the contract"))
}

fn respond(tsa: &TimestampAuthority, req: &TimestampRequest) -> Vec<u8> {
    tsa.respond(&req.to_der().unwrap())
}

#[test]
fn request_round_trip() {
    for alg in ALL {
        let req = request(alg).with_policy(TEST_TSA_POLICY).unwrap();
        let der = req.to_der().unwrap();
        let back = parse_request(&der).unwrap();
        assert_eq!(back, req);
        assert_eq!(back.digest_algorithm(), alg);
        assert_eq!(back.imprint(), alg.digest(b"the contract").as_slice());
        assert_eq!(back.policy(), Some(TEST_TSA_POLICY));
        assert!(back.cert_req());
        let nonce = back.nonce().unwrap();
        assert!(!nonce.is_empty() && nonce.len() <= 9);
        assert!(nonce[0] & 0x80 == 0, "nonce must be positive");
    }
    let a = request(DigestAlgorithm::Sha256);
    let b = request(DigestAlgorithm::Sha256);
    assert_ne!(a.nonce(), b.nonce(), "nonces are random");
    assert!(a.policy().is_none());
}

#[test]
fn request_parsing_is_strict() {
    let good = request(DigestAlgorithm::Sha256).to_der().unwrap();
    let mut req = TimeStampReq::from_der(&good).unwrap();
    req.version = 2;
    assert!(matches!(
        parse_request(&req.to_der().unwrap()),
        Err(TspError::Malformed(_))
    ));
    let mut req = TimeStampReq::from_der(&good).unwrap();
    req.message_imprint.hashed_message = der::asn1::OctetString::new(vec![1u8; 31]).unwrap();
    assert!(matches!(
        parse_request(&req.to_der().unwrap()),
        Err(TspError::Malformed(_))
    ));
    let mut req = TimeStampReq::from_der(&good).unwrap();
    req.message_imprint.hash_algorithm.oid = crate::crypto::oid::SHA1;
    req.message_imprint.hashed_message = der::asn1::OctetString::new(vec![1u8; 20]).unwrap();
    assert_eq!(
        parse_request(&req.to_der().unwrap()),
        Err(TspError::UnsupportedAlgorithm("SHA-1".into()))
    );
    let mut trailing = good;
    trailing.push(0);
    assert!(matches!(
        parse_request(&trailing),
        Err(TspError::Malformed(_))
    ));
    assert!(matches!(
        TimestampRequest::new(DigestAlgorithm::Sha384, vec![0; 32]).to_der(),
        Err(TspError::Malformed(_))
    ));
    assert!(matches!(
        request(DigestAlgorithm::Sha256).with_policy("not an oid"),
        Err(TspError::Malformed(_))
    ));
}

#[test]
fn authority_round_trip_for_each_digest() {
    let tsa = authority();
    let pki = shared();
    for alg in ALL {
        let req = request(alg).with_policy(TEST_TSA_POLICY).unwrap();
        let before = UnixTime::now();
        let token = check_response(&req, &respond(tsa, &req)).unwrap();
        let after = UnixTime::now();
        assert!(before <= token.gen_time() && token.gen_time() <= after);
        assert_eq!(token.policy(), TEST_TSA_POLICY);
        assert_eq!(token.imprint_algorithm(), Ok(alg));
        assert_eq!(token.imprint(), req.imprint());
        assert_eq!(token.nonce(), req.nonce());
        assert!(token.matches_imprint(alg, req.imprint()));
        assert!(!token.matches_imprint(alg, &vec![0; alg.output_len()]));
        assert_eq!(token.signer_certificate(), Some(&pki.tsa.certificate));
        assert_eq!(token.certificates().len(), 2);
        assert_eq!(token.verify().unwrap(), &pki.tsa.certificate);
        assert!(token.tsa_name().is_none());
        // The token re-parses from its own bytes, and through the transport seam.
        let again = TimestampToken::from_der(token.der()).unwrap();
        assert_eq!(again.der(), token.der());
        let via_trait = timestamp(tsa, &req).unwrap();
        assert_eq!(via_trait.policy(), TEST_TSA_POLICY);
    }
}

#[test]
fn serials_increase_and_gen_time_never_goes_back() {
    let pki = shared();
    let tsa = TimestampAuthority::new(pki.tsa.signer().unwrap(), TEST_TSA_POLICY)
        .unwrap()
        .with_clock(Box::new(FixedClock(UnixTime::from_secs(1_800_000_000))))
        .with_accuracy_seconds(1)
        .with_tsa_name(true);
    let mut serials = Vec::new();
    for _ in 0..4 {
        let req = request(DigestAlgorithm::Sha256);
        let token = check_response(&req, &respond(&tsa, &req)).unwrap();
        assert_eq!(token.gen_time(), UnixTime::from_secs(1_800_000_000));
        assert_eq!(token.accuracy(), Some((1, 0, 0)));
        assert_eq!(
            token.tsa_name().as_deref(),
            Some("CN=cloudsign Test TSA,O=cloudsign test")
        );
        serials.push(u128::from_str_radix(&token.serial_hex(), 16).unwrap());
    }
    assert!(serials.windows(2).all(|w| w[0] < w[1]), "{serials:?}");
    // Serials start near the current time in microseconds, so a restart does not repeat them.
    let now_micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros();
    assert!(serials[0] <= now_micros && now_micros - serials[0] < 600_000_000);

    // A clock that steps back does not make genTime go back.
    let tsa = tsa.with_clock(Box::new(FixedClock(UnixTime::from_secs(1_700_000_000))));
    let req = request(DigestAlgorithm::Sha256);
    let token = check_response(&req, &respond(&tsa, &req)).unwrap();
    assert_eq!(token.gen_time(), UnixTime::from_secs(1_800_000_000));
}

#[test]
fn cert_req_false_omits_certificates() {
    let req = request(DigestAlgorithm::Sha256);
    let mut asn = TimeStampReq::from_der(&req.to_der().unwrap()).unwrap();
    asn.cert_req = false;
    let resp = authority().respond(&asn.to_der().unwrap());
    let token = TimestampToken::from_der(response::token_span(&resp).unwrap()).unwrap();
    assert!(token.certificates().is_empty());
    assert!(matches!(token.verify(), Err(TspError::BadToken(_))));
}

#[test]
fn nonce_imprint_and_policy_mismatches() {
    let tsa = authority();
    let req = request(DigestAlgorithm::Sha256);
    let other = request(DigestAlgorithm::Sha256);
    // Same imprint, different nonce.
    assert_eq!(
        check_response(&req, &respond(tsa, &other)).unwrap_err(),
        TspError::NonceMismatch
    );
    // Different imprint: answer a request with the same nonce but another hash.
    let mut asn = TimeStampReq::from_der(&req.to_der().unwrap()).unwrap();
    asn.message_imprint.hashed_message =
        der::asn1::OctetString::new(DigestAlgorithm::Sha256.digest(b"another contract")).unwrap();
    assert_eq!(
        check_response(&req, &tsa.respond(&asn.to_der().unwrap())).unwrap_err(),
        TspError::ImprintMismatch
    );
    // Policy: an authority with another policy answers a request that named none.
    let elsewhere =
        TimestampAuthority::new(shared().tsa.signer().unwrap(), "1.3.6.1.4.1.99999.1.2").unwrap();
    let wants = request(DigestAlgorithm::Sha256)
        .with_policy(TEST_TSA_POLICY)
        .unwrap();
    let mut asn = TimeStampReq::from_der(&wants.to_der().unwrap()).unwrap();
    asn.req_policy = None;
    assert_eq!(
        check_response(&wants, &elsewhere.respond(&asn.to_der().unwrap())).unwrap_err(),
        TspError::PolicyMismatch {
            required: TEST_TSA_POLICY.into(),
            found: "1.3.6.1.4.1.99999.1.2".into()
        }
    );
}

fn rejected(resp: &[u8], req: &TimestampRequest) -> (u8, Option<String>) {
    match check_response(req, resp) {
        Err(TspError::Rejected {
            status,
            fail_info,
            text,
        }) => {
            assert!(text.is_some());
            (status, fail_info)
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn rejections_carry_status_and_named_failure() {
    let tsa = authority();
    let req = request(DigestAlgorithm::Sha256);
    assert_eq!(
        rejected(&tsa.respond(b"\x30\x03\x02\x01\x01"), &req),
        (2, Some("badDataFormat".into()))
    );
    let mut asn = TimeStampReq::from_der(&req.to_der().unwrap()).unwrap();
    asn.message_imprint.hash_algorithm.oid = crate::crypto::oid::SHA1;
    asn.message_imprint.hashed_message = der::asn1::OctetString::new(vec![1u8; 20]).unwrap();
    assert_eq!(
        rejected(&tsa.respond(&asn.to_der().unwrap()), &req),
        (2, Some("badAlg".into()))
    );
    let other_policy = request(DigestAlgorithm::Sha256)
        .with_policy("1.3.6.1.4.1.99999.9")
        .unwrap();
    assert_eq!(
        rejected(&respond(tsa, &other_policy), &req),
        (2, Some("unacceptedPolicy".into()))
    );
    let mut asn = TimeStampReq::from_der(&req.to_der().unwrap()).unwrap();
    asn.extensions = Some(vec![x509_cert::ext::Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.7"),
        critical: false,
        extn_value: der::asn1::OctetString::new(vec![5, 0]).unwrap(),
    }]);
    assert_eq!(
        rejected(&tsa.respond(&asn.to_der().unwrap()), &req),
        (2, Some("unacceptedExtension".into()))
    );
    // Every named bit encodes to DER and reads back by name; waiting (3) is a rejection too.
    for fail in [
        FailureInfo::BadRequest,
        FailureInfo::TimeNotAvailable,
        FailureInfo::AddInfoNotAvailable,
        FailureInfo::SystemFailure,
    ] {
        assert_eq!(
            rejected(&rejection(fail, "no"), &req),
            (2, Some(fail.name().to_owned()))
        );
    }
    let mut waiting =
        TimeStampResp::from_der(&rejection(FailureInfo::BadRequest, "later")).unwrap();
    waiting.status.status = 3;
    waiting.status.fail_info = None;
    assert_eq!(rejected(&waiting.to_der().unwrap(), &req), (3, None));
    // The hard-coded fallback is the DER of a bare systemFailure rejection.
    let mut bare = TimeStampResp::from_der(&rejection(FailureInfo::SystemFailure, "x")).unwrap();
    bare.status.status_string = None;
    assert_eq!(bare.to_der().unwrap(), SYSTEM_FAILURE);
}

#[test]
fn garbage_is_malformed() {
    let req = request(DigestAlgorithm::Sha256);
    for bad in [
        &b""[..],
        b"\x30\x00",
        b"garbage",
        b"\x30\x05\x30\x03\x02\x01\x00",
        b"\x30\x07\x30\x03\x02\x01\x00\x30\x00",
    ] {
        assert!(
            matches!(check_response(&req, bad), Err(TspError::Malformed(_))),
            "{bad:?}"
        );
    }
    // A granted response whose token is truncated.
    let good = respond(authority(), &req);
    for cut in [good.len() - 1, good.len() / 2, 20] {
        assert!(matches!(
            check_response(&req, &good[..cut]),
            Err(TspError::Malformed(_))
        ));
    }
}

#[test]
fn tampered_tokens_do_not_verify() {
    let req = request(DigestAlgorithm::Sha256);
    let good = respond(authority(), &req);
    let token = TimestampToken::from_der(response::token_span(&good).unwrap()).unwrap();
    let tst = token.tst_info_der().to_vec();
    // Flip a byte inside the TSTInfo's genTime digits: still parses, digest no longer matches.
    let pos = good
        .windows(tst.len())
        .position(|w| w == tst.as_slice())
        .unwrap();
    // The genTime GeneralizedTime is the only element with tag 0x18; look for that header and
    // its closing 'Z' rather than for any 0x5A byte, which a random nonce or serial can hold.
    let z_at = (0..tst.len() - 1)
        .find_map(|i| {
            let len = usize::from(tst[i + 1]);
            let end = i + 2 + len;
            let digits = tst.get(i + 2..end - 1)?;
            (tst[i] == 0x18
                && (15..=24).contains(&len)
                && tst.get(end - 1) == Some(&b'Z')
                && digits.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
            .then_some(end - 1)
        })
        .unwrap();
    let mut bad = good;
    bad[pos + z_at - 1] = if bad[pos + z_at - 1] == b'0' {
        b'1'
    } else {
        b'0'
    };
    assert!(matches!(
        check_response(&req, &bad),
        Err(TspError::BadToken(_))
    ));
}

fn token_signed_by(spec: CertSpec) -> TspError {
    let id = shared().issue(&spec).unwrap();
    let signer = id.signer().unwrap();
    assert!(matches!(
        TimestampAuthority::new(id.signer().unwrap(), TEST_TSA_POLICY),
        Err(crate::Error::Timestamp(
            TspError::NotTimestampingCertificate(_)
        ))
    ));
    let tsa = TimestampAuthority::new_unchecked(signer, TEST_TSA_POLICY).unwrap();
    let req = request(DigestAlgorithm::Sha256);
    check_response(&req, &respond(&tsa, &req)).unwrap_err()
}

#[test]
fn signer_without_timestamping_eku_is_refused() {
    assert!(matches!(
        token_signed_by(CertSpec::new("no EKU TSA")),
        TspError::NotTimestampingCertificate(_)
    ));
    assert!(matches!(
        token_signed_by(
            CertSpec::new("non-critical EKU TSA").extended_key_usage(EKU_TIME_STAMPING, false)
        ),
        TspError::NotTimestampingCertificate(m) if m.contains("not critical")
    ));
    assert!(matches!(
        token_signed_by(
            CertSpec::new("two purposes TSA")
                .key_type(KeyType::P384)
                .extended_key_usage(EKU_TIME_STAMPING, true)
                .extended_key_usage("1.3.6.1.5.5.7.3.4", true)
        ),
        TspError::NotTimestampingCertificate(_)
    ));
}

#[test]
fn ec_authority_works_too() {
    let id = shared()
        .issue(
            &CertSpec::new("EC TSA")
                .key_type(KeyType::P256)
                .extended_key_usage(EKU_TIME_STAMPING, true),
        )
        .unwrap();
    let tsa = TimestampAuthority::new(id.signer().unwrap(), TEST_TSA_POLICY).unwrap();
    let req = request(DigestAlgorithm::Sha512);
    let token = check_response(&req, &respond(&tsa, &req)).unwrap();
    assert_eq!(token.verify().unwrap(), &id.certificate);
}

#[test]
fn gen_time_fractions_are_truncated() {
    let t = GenTime::parse(b"20240229123456.789Z").unwrap();
    assert_eq!(
        t.time(),
        UnixTime::from_civil(2024, 2, 29, 12, 34, 56).unwrap()
    );
    assert_eq!(t.to_der().unwrap()[2..], b"20240229123456.789Z"[..]);
    for bad in [
        &b"20240229123456."[..],
        b"20240229123456.Z",
        b"20240229123456",
        b"2024022912345Z",
        b"20240230123456Z",
        b"20240229123456+0100",
        b"2024022912345aZ",
    ] {
        assert!(GenTime::parse(bad).is_none(), "{bad:?}");
    }
}

/// Whether `openssl` runs; a missing tool skips loudly, and fails under `CI=true`.
fn openssl_available() -> bool {
    let ok = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required for the RFC 3161 interop tests in CI"
        );
        eprintln!("SKIPPED: openssl not on PATH; RFC 3161 interop not checked");
    }
    ok
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn openssl_reads_our_request_and_verifies_our_response() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = shared();
    std::fs::write(dir.path().join("root.pem"), pki.root.certificate.to_pem()).unwrap();
    std::fs::write(
        dir.path().join("chain.pem"),
        pki.intermediate.certificate.to_pem(),
    )
    .unwrap();
    let tsa = shared()
        .authority()
        .unwrap()
        .with_accuracy_seconds(1)
        .with_tsa_name(true);
    for alg in ALL {
        let req = request(alg).with_policy(TEST_TSA_POLICY).unwrap();
        std::fs::write(dir.path().join("req.tsq"), req.to_der().unwrap()).unwrap();
        let text = openssl(dir.path(), &["ts", "-query", "-in", "req.tsq", "-text"]);
        let hash = alg.name().replace('-', "").to_lowercase();
        assert!(text.contains(&format!("Hash Algorithm: {hash}")), "{text}");
        assert!(text.contains(TEST_TSA_POLICY), "{text}");
        assert!(text.contains("Certificate required: yes"), "{text}");
        std::fs::write(dir.path().join("resp.tsr"), respond(&tsa, &req)).unwrap();
        openssl(
            dir.path(),
            &[
                "ts",
                "-verify",
                "-in",
                "resp.tsr",
                "-queryfile",
                "req.tsq",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
            ],
        );
    }
}

const OPENSSL_TSA_CONFIG: &str = "\
[ req ]
distinguished_name = dn
x509_extensions = tsa_ext
prompt = no
[ dn ]
CN = OpenSSL Test TSA
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
[ tsa ]
default_tsa = tsa_sha1_ess
[ tsa_sha1_ess ]
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha1
[ tsa_sha256_ess ]
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha384
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
tsa_name = no
ess_cert_id_alg = sha256
";

#[test]
fn we_accept_openssl_responses() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsa.cnf"), OPENSSL_TSA_CONFIG).unwrap();
    std::fs::write(dir.path().join("serial"), "01\n").unwrap();
    openssl(
        dir.path(),
        &[
            "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out",
            "tsa.crt", "-days", "2", "-config", "tsa.cnf",
        ],
    );
    let cases = [
        ("tsa_sha1_ess", DigestAlgorithm::Sha256, None),
        (
            "tsa_sha1_ess",
            DigestAlgorithm::Sha512,
            Some(TEST_TSA_POLICY),
        ),
        ("tsa_sha256_ess", DigestAlgorithm::Sha384, None),
    ];
    for (section, alg, policy) in cases {
        let mut req = request(alg);
        if let Some(p) = policy {
            req = req.with_policy(p).unwrap();
        }
        std::fs::write(dir.path().join("req.tsq"), req.to_der().unwrap()).unwrap();
        openssl(
            dir.path(),
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-section",
                section,
                "-queryfile",
                "req.tsq",
                "-out",
                "resp.tsr",
            ],
        );
        let resp = std::fs::read(dir.path().join("resp.tsr")).unwrap();
        let token =
            check_response(&req, &resp).unwrap_or_else(|e| panic!("{section} {alg:?}: {e}"));
        assert_eq!(token.policy(), policy.unwrap_or("1.2.3.4.1"));
        assert_eq!(
            token.signer_certificate().unwrap().subject(),
            "CN=OpenSSL Test TSA"
        );
        let age = UnixTime::now()
            .as_secs()
            .abs_diff(token.gen_time().as_secs());
        assert!(age < 300, "genTime {age} s away from now");
    }
    // OpenSSL refuses a hash outside its list with badAlg; we read the bit by name.
    let req = request(DigestAlgorithm::Sha256);
    let mut asn = TimeStampReq::from_der(&req.to_der().unwrap()).unwrap();
    asn.message_imprint.hash_algorithm.oid = crate::crypto::oid::SHA1;
    asn.message_imprint.hashed_message = der::asn1::OctetString::new(vec![1u8; 20]).unwrap();
    std::fs::write(dir.path().join("sha1.tsq"), asn.to_der().unwrap()).unwrap();
    openssl(
        dir.path(),
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-section",
            "tsa_sha256_ess",
            "-queryfile",
            "sha1.tsq",
            "-out",
            "rejected.tsr",
        ],
    );
    let resp = std::fs::read(dir.path().join("rejected.tsr")).unwrap();
    assert!(matches!(
        check_response(&req, &resp),
        Err(TspError::Rejected { status: 2, fail_info: Some(f), .. }) if f == "badAlg"
    ));
}
