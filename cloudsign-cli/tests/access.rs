//! `cloudsign token` and `cloudsign audit` end to end.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/run.rs"]
#[allow(dead_code)] // each test file uses only some of the helpers
mod run;

use run::cloudsign;

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
