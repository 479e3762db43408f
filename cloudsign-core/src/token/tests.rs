#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn claims() -> TokenClaims {
    TokenClaims::new("contract-1", NOW.plus_secs(3600)).with_recipient("bob@example.com")
}

#[test]
fn tokens_have_the_documented_shape() {
    let issued = TokenIssuer::new().issue(claims());
    let s = issued.secret().expose();
    assert!(s.starts_with("cs1_"));
    assert_eq!(s.len(), TOKEN_LEN);
    assert!(
        s[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        issued.record().hash().as_bytes().as_slice(),
        DigestAlgorithm::Sha256.digest(s.as_bytes())
    );
}

#[test]
fn ten_thousand_tokens_are_distinct_and_each_verifies_only_itself() {
    let store = MemoryTokenStore::new();
    let issuer = TokenIssuer::new();
    let mut secrets = Vec::with_capacity(10_000);
    let mut seen = HashSet::new();
    for i in 0..10_000 {
        let (secret, record) = issuer
            .issue(TokenClaims::new(format!("r{i}"), NOW.plus_secs(60)))
            .into_parts();
        assert!(seen.insert(secret.expose().to_owned()));
        store.insert(&record).unwrap();
        secrets.push(secret);
    }
    assert_eq!(store.len(), 10_000);
    for (i, s) in secrets.iter().enumerate() {
        let rec = verify(&store, s.expose(), NOW).unwrap();
        assert_eq!(rec.claims().resource, format!("r{i}"));
    }
    // A token one character off any issued one is unknown (or malformed), never another's.
    for s in secrets.iter().take(200) {
        let mut t = s.expose().to_owned();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'Q' } else { 'A' });
        assert!(matches!(
            verify(&store, &t, NOW),
            Err(TokenError::Unknown | TokenError::Malformed(_))
        ));
    }
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let issued = TokenIssuer::new().issue(claims());
    let secret = issued.secret().expose().to_owned();
    let dbg = format!("{issued:?} {:?}", issued.secret());
    assert!(!dbg.contains(&secret), "{dbg}");
    assert!(!dbg.contains(&secret[4..20]));
    assert!(dbg.contains("TokenSecret(..)"));
}

#[test]
fn single_use_is_honoured_once_across_threads() {
    let store = Arc::new(MemoryTokenStore::new());
    let (secret, record) = TokenIssuer::new()
        .issue(claims().with_max_uses(1))
        .into_parts();
    store.insert(&record).unwrap();
    let ok = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (store, ok, barrier) = (store.clone(), ok.clone(), barrier.clone());
            let s = secret.expose().to_owned();
            std::thread::spawn(move || {
                barrier.wait();
                match redeem(store.as_ref(), &s, NOW) {
                    Ok(_) => {
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
fn expiry_revocation_and_uses_are_enforced() {
    let store = MemoryTokenStore::new();
    let (s, r) = TokenIssuer::new()
        .issue(claims().with_max_uses(2))
        .into_parts();
    store.insert(&r).unwrap();
    let s = s.expose();
    assert_eq!(
        verify(&store, s, NOW.plus_secs(3600)),
        Err(TokenError::Expired)
    );
    assert!(verify(&store, s, NOW.plus_secs(3599)).is_ok());
    assert_eq!(redeem(&store, s, NOW).unwrap().uses(), 1);
    assert_eq!(redeem(&store, s, NOW).unwrap().uses(), 2);
    assert_eq!(redeem(&store, s, NOW), Err(TokenError::Exhausted));
    assert!(revoke(&store, s).unwrap());
    assert_eq!(verify(&store, s, NOW), Err(TokenError::Revoked));
    assert_eq!(redeem(&store, s, NOW), Err(TokenError::Revoked));
    let other = TokenIssuer::new().issue(claims());
    assert!(!revoke(&store, other.secret().expose()).unwrap());
    assert_eq!(
        verify(&store, other.secret().expose(), NOW),
        Err(TokenError::Unknown)
    );
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let good = TokenIssuer::new().issue(claims());
    let g = good.secret().expose();
    let cases = [
        (String::new(), "wrong prefix"),
        (g.replacen("cs1_", "cs2_", 1), "wrong prefix"),
        (g.replacen("cs1_", "CS1_", 1), "wrong prefix"),
        (g[..g.len() - 1].to_owned(), "wrong length"),
        (format!("{g}A"), "wrong length"),
        (format!("cs1_{}", "A".repeat(42) + "+"), "not base64url"),
        (format!("cs1_{}", "A".repeat(42) + "="), "not base64url"),
        (format!("cs1_{}", "A".repeat(42) + " "), "not base64url"),
        // 43 characters carry 258 bits; the last two must be zero in the canonical encoding.
        (format!("cs1_{}", "A".repeat(42) + "B"), "not base64url"),
        (format!("cs1_{}", "é".repeat(21) + "A"), "not base64url"),
    ];
    let store = MemoryTokenStore::new();
    for (input, reason) in cases {
        assert_eq!(
            verify(&store, &input, NOW),
            Err(TokenError::Malformed(reason)),
            "{input:?}"
        );
    }
}

#[test]
fn token_hash_hex_round_trips() {
    let h = TokenIssuer::new()
        .issue(claims())
        .record()
        .hash()
        .to_owned();
    assert_eq!(TokenHash::from_hex(&h.to_hex()).unwrap(), h);
    assert!(TokenHash::from_hex("00").is_err());
}

#[test]
fn signed_tokens_verify_rotate_and_expire() {
    let mut keys = SignedTokenKeys::new("k1", &[1u8; 32]).unwrap();
    let claims = SignedClaims::new("contract-9", NOW.plus_secs(60))
        .with_recipient("carol@example.com")
        .with_scope("sign");
    let t1 = keys.sign(&claims).unwrap();
    assert!(t1.expose().starts_with("cs1s_k1."));
    let v = keys.verify(t1.expose(), NOW).unwrap();
    assert_eq!(v.claims(), &claims);
    assert_eq!(
        keys.verify(t1.expose(), NOW.plus_secs(60)),
        Err(TokenError::Expired)
    );

    keys.add("k2", &[2u8; 32]).unwrap();
    keys.activate("k2").unwrap();
    let t2 = keys.sign(&claims).unwrap();
    assert_eq!(keys.verify(t2.expose(), NOW).unwrap().kid(), "k2");
    assert_eq!(keys.verify(t1.expose(), NOW).unwrap().kid(), "k1");
    assert!(keys.retire("k2").is_err());
    keys.retire("k1").unwrap();
    assert_eq!(keys.verify(t1.expose(), NOW), Err(TokenError::Unknown));
    assert_eq!(keys.active_kid(), "k2");
    assert!(!format!("{keys:?}").contains("2, 2"));
}

#[test]
fn signed_tokens_refuse_tampering() {
    let keys = SignedTokenKeys::new("k1", &[1u8; 32]).unwrap();
    let other = SignedTokenKeys::new("k1", &[9u8; 32]).unwrap();
    let t = keys
        .sign(&SignedClaims::new("contract-9", NOW.plus_secs(60)))
        .unwrap();
    let t = t.expose();
    assert_eq!(other.verify(t, NOW), Err(TokenError::Unknown));
    // Swap the key id: the MAC covers it.
    let mut keys2 = SignedTokenKeys::new("k1", &[1u8; 32]).unwrap();
    keys2.add("k3", &[1u8; 32]).unwrap();
    assert_eq!(
        keys2.verify(&t.replacen("_k1.", "_k3.", 1), NOW),
        Err(TokenError::Unknown)
    );
    // Flip a claim character.
    let (head, tag) = t.rsplit_once('.').unwrap();
    let mut h = head.to_owned();
    let c = h.pop().unwrap();
    h.push(if c == 'A' { 'E' } else { 'A' });
    assert!(keys.verify(&format!("{h}.{tag}"), NOW).is_err());
    // Truncated MAC.
    assert!(keys.verify(&t[..t.len() - 4], NOW).is_err());
    for bad in [
        "",
        "cs1s_",
        "cs1s_k1",
        "cs1s_k1.",
        "cs1s_k1..",
        "cs1s_k.1.AA.AA",
        "cs1_k1.AA.AA",
    ] {
        assert!(
            matches!(keys.verify(bad, NOW), Err(TokenError::Malformed(_))),
            "{bad}"
        );
    }
    assert!(SignedTokenKeys::new("k1", &[1u8; 31]).is_err());
    assert!(SignedTokenKeys::new("bad kid", &[1u8; 32]).is_err());
}

#[test]
fn claim_encoding_round_trips_and_is_strict() {
    let c = SignedClaims::new("r", NOW)
        .with_recipient("é")
        .with_scope("");
    let enc = c.encode().unwrap();
    assert_eq!(SignedClaims::decode(&enc).unwrap(), c);
    let mut longer = enc.clone();
    longer.push(0);
    assert!(SignedClaims::decode(&longer).is_err());
    assert!(SignedClaims::decode(&enc[..enc.len() - 1]).is_err());
}
