//! `cloudsign token` and `cloudsign audit` end to end.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/run.rs"]
#[allow(dead_code)] // each test file uses only some of the helpers
mod run;

use std::path::Path;

use cloudsign_core::audit::{AuditLog, CheckpointPolicy, FsyncPolicy, JsonLinesFile};
use cloudsign_core::testkit::TestPki;
use cloudsign_core::time::SystemClock;
use run::{cloudsign, s, text};

#[test]
fn token_issue_then_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tokens.db");
    let db = db.to_str().unwrap();
    let out = cloudsign(&[
        "token",
        "issue",
        "--db",
        db,
        "--resource",
        "c-1",
        "--ttl",
        "1h",
        "--max-uses",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("cs1_") && token.len() == 47, "{token}");

    let ok = cloudsign(&["token", "verify", &token, "--db", db]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("resource c-1"));

    let unknown = cloudsign(&[
        "token",
        "verify",
        &format!("cs1_{}", "A".repeat(43)),
        "--db",
        db,
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stdout).contains("unknown token"));

    let malformed = cloudsign(&["token", "verify", "cs1_nope", "--db", db]);
    assert_eq!(malformed.status.code(), Some(1));

    let expired = cloudsign(&[
        "token",
        "issue",
        "--db",
        db,
        "--resource",
        "c-2",
        "--ttl",
        "0s",
    ]);
    let expired = String::from_utf8(expired.stdout).unwrap().trim().to_owned();
    let out = cloudsign(&["token", "verify", &expired, "--db", db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expired"));

    let bad_ttl = cloudsign(&[
        "token",
        "issue",
        "--db",
        db,
        "--resource",
        "c",
        "--ttl",
        "7y",
    ]);
    assert_eq!(bad_ttl.status.code(), Some(2));
}

#[test]
fn audit_verify_reports_and_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let missing = cloudsign(&["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(&log, "{\"seq\":0}\n").unwrap();
    let bad = cloudsign(&["audit", "verify", log.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("refused"));
}

/// A log of genesis, 5 entries with a checkpoint after every 2 (records 3 and 6) and one
/// entry after the last checkpoint: 8 records, the checkpoints timestamped by the test PKI's
/// embedded authority. Writes the log and the authority's root to `dir`.
fn checkpointed_log(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let pki = TestPki::generate().unwrap();
    let root = dir.join("root.pem");
    std::fs::write(&root, pki.root.certificate.to_pem()).unwrap();
    let log = dir.join("audit.jsonl");
    let mut policy = CheckpointPolicy::default();
    policy.every_records = Some(2);
    policy.every_secs = None;
    let sink = JsonLinesFile::open(&log, FsyncPolicy::OnCheckpoint).unwrap();
    let tsa = Box::new(pki.authority().unwrap());
    let mut audit = AuditLog::create(sink, Box::new(SystemClock), tsa, policy).unwrap();
    for i in 1..=5 {
        let subject = format!("contract-{i}");
        audit
            .append(
                "operator",
                "token.issue",
                &subject,
                serde_json::json!({"n": i}),
            )
            .unwrap();
    }
    (log, root)
}

#[test]
fn audit_verify_accepts_a_checkpointed_log_and_names_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let (log, root) = checkpointed_log(dir.path());
    let head = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .last()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["hash"].clone())
        .unwrap();

    let out = cloudsign(&["audit", "verify", s(&log), "--tsa-trust", s(&root)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().next().unwrap(),
        format!(
            "valid: 8 records, 2 checkpoints, head {}",
            head.as_str().unwrap()
        )
    );
    assert!(
        stdout.contains("note: 1 record(s) after the last checkpoint"),
        "{stdout}"
    );

    // The same log without the authority's root: the checkpoints cannot be trusted.
    let untrusted = cloudsign(&["audit", "verify", s(&log)]);
    assert_eq!(untrusted.status.code(), Some(1), "{}", text(&untrusted));
    assert!(text(&untrusted).contains("checkpoint at record 3 does not verify"));
}

#[test]
fn audit_verify_refuses_a_modified_or_torn_checkpointed_log() {
    let dir = tempfile::tempdir().unwrap();
    let (log, root) = checkpointed_log(dir.path());
    let original = std::fs::read_to_string(&log).unwrap();
    let verify = || cloudsign(&["audit", "verify", s(&log), "--tsa-trust", s(&root)]);

    std::fs::write(&log, original.replacen("contract-2", "contract-X", 1)).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("refused: audit chain broken at record 2"));

    std::fs::write(&log, &original[..original.len() - 5]).unwrap();
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("line 8 is incomplete"),
        "{}",
        text(&out)
    );
}
