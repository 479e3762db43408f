//! Tokens at rest in SQLite: no secret in the file, atomic single use across connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{
    self, SqliteTokenStore, TokenClaims, TokenError, TokenIssuer, TokenStore,
};

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

#[test]
fn sqlite_file_holds_hashes_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    let store = SqliteTokenStore::open(&path).unwrap();
    let issuer = TokenIssuer::new();
    let mut secrets = Vec::new();
    for i in 0..200 {
        let issued = issuer.issue(
            TokenClaims::new(format!("contract-{i}"), NOW.plus_secs(3600))
                .with_recipient("dora@example.com"),
        );
        store.insert(issued.record()).unwrap();
        secrets.push(issued.into_parts().0);
    }
    let hash_of_first = token::verify(&store, secrets[0].expose(), NOW)
        .unwrap()
        .hash()
        .to_owned();
    token::revoke(&store, secrets[1].expose()).unwrap();
    drop(store);

    let raw = std::fs::read(&path).unwrap();
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"contract-199"), "the dump is readable");
    assert!(contains(hash_of_first.as_bytes()), "the hash is stored");
    for s in &secrets {
        let text = s.expose();
        assert!(!contains(text.as_bytes()));
        // Neither the base64 body nor the 32 raw random bytes appear.
        assert!(!contains(&text.as_bytes()[4..]));
        let raw_secret = data_encoding_decode(&text[4..]);
        assert!(!contains(&raw_secret));
    }

    // Reopened, every token still verifies by its hash.
    let store = SqliteTokenStore::open(&path).unwrap();
    assert!(token::verify(&store, secrets[0].expose(), NOW).is_ok());
    assert_eq!(
        token::verify(&store, secrets[1].expose(), NOW),
        Err(TokenError::Revoked)
    );
    assert_eq!(
        token::verify(&store, secrets[2].expose(), NOW.plus_secs(3600)),
        Err(TokenError::Expired)
    );
}

fn data_encoding_decode(b64url: &str) -> Vec<u8> {
    // A tiny base64url decoder so that the test does not trust the library's own codec.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in b64url.bytes() {
        let v = u32::try_from(alphabet.iter().position(|&a| a == c).unwrap()).unwrap();
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).unwrap());
        }
    }
    assert_eq!(out.len(), 32);
    out
}

#[test]
fn sqlite_single_use_is_honoured_once_across_sixteen_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    let (secret, record) = TokenIssuer::new()
        .issue(TokenClaims::new("contract-1", NOW.plus_secs(60)).with_max_uses(1))
        .into_parts();
    SqliteTokenStore::open(&path)
        .unwrap()
        .insert(&record)
        .unwrap();
    let stores: Vec<_> = (0..16)
        .map(|_| SqliteTokenStore::open(&path).unwrap())
        .collect();
    let ok = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = stores
        .into_iter()
        .map(|store| {
            let (ok, barrier) = (ok.clone(), barrier.clone());
            let s = secret.expose().to_owned();
            std::thread::spawn(move || {
                barrier.wait();
                match token::redeem(&store, &s, NOW) {
                    Ok(r) => {
                        assert_eq!(r.uses(), 1);
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => assert_eq!(e, TokenError::Exhausted),
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::SeqCst), 1);
}

#[test]
fn sqlite_shared_store_single_use_across_threads_and_refusals() {
    let store = Arc::new(SqliteTokenStore::in_memory().unwrap());
    let (secret, record) = TokenIssuer::new()
        .issue(TokenClaims::new("contract-2", NOW.plus_secs(60)).with_max_uses(1))
        .into_parts();
    store.insert(&record).unwrap();
    let ok = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (store, ok, barrier) = (store.clone(), ok.clone(), barrier.clone());
            let s = secret.expose().to_owned();
            std::thread::spawn(move || {
                barrier.wait();
                if token::redeem(store.as_ref(), &s, NOW).is_ok() {
                    ok.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::SeqCst), 1);
    let s = secret.expose();
    assert_eq!(
        token::redeem(store.as_ref(), s, NOW),
        Err(TokenError::Exhausted)
    );
    assert!(store.insert(&record).is_err(), "duplicate hash refused");

    let (other, rec) = TokenIssuer::new()
        .issue(TokenClaims::new("contract-3", NOW.plus_secs(60)).with_max_uses(5))
        .into_parts();
    store.insert(&rec).unwrap();
    assert_eq!(
        token::redeem(store.as_ref(), other.expose(), NOW.plus_secs(60)),
        Err(TokenError::Expired)
    );
    assert!(token::revoke(store.as_ref(), other.expose()).unwrap());
    assert_eq!(
        token::redeem(store.as_ref(), other.expose(), NOW),
        Err(TokenError::Revoked)
    );
    assert_eq!(
        token::redeem(store.as_ref(), "cs1_short", NOW),
        Err(TokenError::Malformed("wrong length"))
    );
}

mod audit {
    use std::path::{Path, PathBuf};

    use cloudsign_core::audit::{
        self, AuditError, AuditLog, CheckpointPolicy, FsyncPolicy, JsonLinesFile,
    };
    use cloudsign_core::time::SystemClock;
    use cloudsign_core::x509::TrustStore;
    use serde_json::json;

    use crate::common::pki;

    fn policy(every: u64) -> CheckpointPolicy {
        let mut p = CheckpointPolicy::default();
        p.every_records = Some(every);
        p.every_secs = None;
        p
    }

    /// A log of 10 entries with a checkpoint after every 4: genesis (0), e1..e4, cp (5),
    /// e5..e8, cp (10), e9, e10: 13 lines.
    fn write_log(dir: &Path) -> PathBuf {
        let path = dir.join("audit.jsonl");
        let sink = JsonLinesFile::open(&path, FsyncPolicy::EveryRecord).unwrap();
        let tsa = pki().pki.authority().unwrap();
        let mut log =
            AuditLog::create(sink, Box::new(SystemClock), Box::new(tsa), policy(4)).unwrap();
        for i in 1..=10 {
            log.append(
                "operator",
                "token.issue",
                &format!("contract-{i}"),
                json!({"n": i}),
            )
            .unwrap();
        }
        path
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write_lines(path: &Path, lines: &[String]) {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn intact_log_verifies_and_reports_its_unanchored_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        assert_eq!(lines(&path).len(), 13);
        let report = audit::verify_log(&path, &pki().trust()).unwrap();
        assert_eq!(report.records, 13);
        assert_eq!(report.checkpoints, 2);
        assert_eq!(report.last_checkpoint_seq, Some(10));
        assert_eq!(report.unanchored_records, 2);
        assert!(report.truncation_note().contains("2 record(s)"));
    }

    fn refused(path: &Path) -> AuditError {
        audit::verify_log(path, &pki().trust()).unwrap_err()
    }

    #[test]
    fn tampering_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let original = lines(&path);

        // Modification of an entry's content.
        let mut l = original.clone();
        l[3] = l[3].replace("contract-3", "contract-X");
        write_lines(&path, &l);
        assert!(matches!(refused(&path), AuditError::Broken { seq: 3, .. }));

        // Deletion of one record.
        let mut l = original.clone();
        l.remove(2);
        write_lines(&path, &l);
        assert!(matches!(refused(&path), AuditError::Broken { seq: 2, .. }));

        // Insertion of a copy.
        let mut l = original.clone();
        l.insert(3, original[3].clone());
        write_lines(&path, &l);
        assert!(matches!(refused(&path), AuditError::Broken { seq: 4, .. }));

        // Reordering of two records.
        let mut l = original.clone();
        l.swap(6, 7);
        write_lines(&path, &l);
        assert!(matches!(refused(&path), AuditError::Broken { seq: 6, .. }));

        // A torn last line.
        let mut text = original.join("\n");
        text.truncate(text.len() - 10);
        std::fs::write(&path, text).unwrap();
        assert!(matches!(refused(&path), AuditError::TornTail { line: 13 }));

        // A checkpoint moved onto another head (its token imprint no longer matches).
        let mut l = original.clone();
        let cp5: serde_json::Value = serde_json::from_str(&l[5]).unwrap();
        let mut cp10: serde_json::Value = serde_json::from_str(&l[10]).unwrap();
        cp10["timestamp"] = cp5["timestamp"].clone();
        l[10] = cp10.to_string();
        write_lines(&path, &l);
        assert!(matches!(refused(&path), AuditError::Broken { seq: 10, .. }));

        // An untrusted authority.
        write_lines(&path, &original);
        let err = audit::verify_log(&path, &TrustStore::new()).unwrap_err();
        assert!(
            matches!(err, AuditError::Checkpoint { seq: 5, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_re_hashed_forgery_is_caught_by_the_checkpoint() {
        // An attacker who rewrites an early record and recomputes every later hash still
        // cannot make the checkpoint's timestamp cover the new head.
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let mut recs: Vec<audit::AuditRecord> = lines(&path)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        recs[2].subject = "contract-forged".into();
        let forged = rehash(&mut recs);
        write_lines(&path, &forged);
        assert!(matches!(
            refused(&path),
            AuditError::Checkpoint { seq: 5, .. }
        ));
    }

    fn rehash(recs: &mut [audit::AuditRecord]) -> Vec<String> {
        // The attacker knows the format and recomputes every link after the change.
        let mut prev = recs[0].prev_hash.clone();
        let mut out = Vec::new();
        for r in recs.iter_mut() {
            r.prev_hash = prev.clone();
            r.hash = audit::record_hash_hex(r);
            prev = r.hash.clone();
            out.push(serde_json::to_string(r).unwrap());
        }
        out
    }

    #[test]
    fn truncation_after_the_last_checkpoint_verifies_but_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let full = audit::verify_log(&path, &pki().trust()).unwrap();
        let l = lines(&path);
        write_lines(&path, &l[..11]);
        let cut = audit::verify_log(&path, &pki().trust()).unwrap();
        assert_eq!(cut.unanchored_records, 0);
        assert!(
            !cut.contains_head(&full.head_hash),
            "a kept head reveals the cut"
        );
        write_lines(&path, &l[..8]);
        let cut = audit::verify_log(&path, &pki().trust()).unwrap();
        assert_eq!(cut.last_checkpoint_seq, Some(5));
    }

    #[test]
    fn sealed_segments_verify_on_their_own_and_link() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.jsonl");
        let second = dir.path().join("b.jsonl");
        let tsa = pki().pki.authority().unwrap();
        let sink = JsonLinesFile::open(&first, FsyncPolicy::OnCheckpoint).unwrap();
        let mut log =
            AuditLog::create(sink, Box::new(SystemClock), Box::new(tsa), policy(100)).unwrap();
        log.append("op", "a", "s", json!(null)).unwrap();
        let sink = JsonLinesFile::open(&second, FsyncPolicy::OnCheckpoint).unwrap();
        let mut log = log.seal(sink).unwrap();
        log.append("op", "b", "s", json!({"x": 1})).unwrap();
        drop(log);
        let a = audit::verify_log(&first, &pki().trust()).unwrap();
        let b = audit::verify_log(&second, &pki().trust()).unwrap();
        assert_eq!(a.unanchored_records, 0);
        assert_eq!(
            b.previous_segment_head.as_deref(),
            Some(a.head_hash.as_str())
        );
        assert_eq!(b.checkpoints, 1, "the genesis carries the seal's timestamp");
        // The old segment can be deleted: the new one still verifies.
        std::fs::remove_file(&first).unwrap();
        assert!(audit::verify_log(&second, &pki().trust()).is_ok());
    }

    fn resume(path: &Path) -> Result<AuditLog<JsonLinesFile>, AuditError> {
        let existing = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let sink = JsonLinesFile::open(path, FsyncPolicy::EveryRecord).unwrap();
        let tsa = pki().pki.authority().unwrap();
        AuditLog::resume(
            sink,
            existing,
            &pki().trust(),
            Box::new(SystemClock),
            Box::new(tsa),
            policy(4),
        )
    }

    #[test]
    fn a_reopened_log_continues_the_chain_and_the_checkpoint_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let before = audit::verify_log(&path, &pki().trust()).unwrap();
        let mut log = resume(&path).unwrap();
        assert_eq!(log.head(), before.head_hash);
        // Two entries were already after the checkpoint at 10: the second new one (seq 14)
        // completes the interval of 4, so a checkpoint follows at 15.
        let rec = log
            .append("operator", "token.revoke", "c-11", json!({}))
            .unwrap();
        assert_eq!(rec.seq, 13);
        assert_eq!(rec.prev_hash, before.head_hash);
        for i in 12..=13 {
            log.append("operator", "token.revoke", &format!("c-{i}"), json!({}))
                .unwrap();
        }
        drop(log);
        let after = audit::verify_log(&path, &pki().trust()).unwrap();
        assert_eq!(after.records, 17);
        assert_eq!(after.checkpoints, 3);
        assert_eq!(after.last_checkpoint_seq, Some(15));
        assert_eq!(after.unanchored_records, 1);
        assert!(after.contains_head(&before.head_hash));
    }

    #[test]
    fn a_torn_tail_is_refused_on_reopen_until_repaired_explicitly() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let intact = std::fs::read(&path).unwrap();
        let torn = &intact[..intact.len() - 10];
        std::fs::write(&path, torn).unwrap();

        assert_eq!(
            resume(&path).unwrap_err(),
            AuditError::TornTail { line: 13 }
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            torn,
            "refusal writes nothing"
        );

        let cut = JsonLinesFile::repair_torn_tail(&path).unwrap().unwrap();
        let last_line_start = torn.len() - cut.len();
        assert_eq!(torn[last_line_start - 1], b'\n');
        assert!(cut.starts_with(b"{\"seq\":12,"));
        assert_eq!(JsonLinesFile::repair_torn_tail(&path).unwrap(), None);

        let mut log = resume(&path).unwrap();
        let rec = log
            .append("operator", "log.repair", "", json!({"cut": cut.len()}))
            .unwrap();
        assert_eq!(rec.seq, 12);
        drop(log);
        assert_eq!(
            audit::verify_log(&path, &pki().trust()).unwrap().records,
            13
        );
    }

    #[test]
    fn a_tampered_or_empty_log_is_not_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_log(dir.path());
        let mut l = lines(&path);
        l[3] = l[3].replace("contract-3", "contract-X");
        write_lines(&path, &l);
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            resume(&path).unwrap_err(),
            AuditError::Broken { seq: 3, .. }
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);

        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            resume(&empty).unwrap_err(),
            AuditError::Malformed { line: 0, .. }
        ));
    }
}
