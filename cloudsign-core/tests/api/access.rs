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
