//! Access and accountability: token issue and verify (memory store, SQLite store, stateless
//! signed tokens), argon2id password hashing at the default parameters, and TOTP verification.
//!
//! The figures printed after criterion's report are medians of the per-iteration times
//! criterion itself measured (see [`Timings`]), not a second run.

// A benchmark has no caller to return an error to: a failure to set up is reported by
// `expect` with a message, which is what a bench should do.
#![allow(clippy::expect_used)]

use std::time::Duration;

use cloudsign_benches::{Timings, ms, slow_group};
use cloudsign_core::auth::password::{self, PasswordParams};
use cloudsign_core::auth::totp::{Totp, TotpSecret};
use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{
    self, MemoryTokenStore, SignedClaims, SignedTokenKeys, SqliteTokenStore, TokenClaims,
    TokenIssuer, TokenStore,
};
use criterion::Criterion;

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

/// Records already in each store when its lookups are timed.
const PREFILL: usize = 1000;

/// Benchmark keys in the order the summary lists them, with a description.
const ROWS: [(&str, &str); 12] = [
    (
        "token/issue",
        "issue a token (256-bit secret, SHA-256 record), no store",
    ),
    (
        "token/memory-insert",
        "issue and insert into MemoryTokenStore",
    ),
    ("token/memory-verify", "verify against MemoryTokenStore"),
    (
        "token/memory-redeem",
        "redeem (count one use) in MemoryTokenStore",
    ),
    (
        "token/sqlite-insert",
        "issue and insert into SqliteTokenStore (file, one commit)",
    ),
    (
        "token/sqlite-verify",
        "verify against SqliteTokenStore (file)",
    ),
    (
        "token/sqlite-redeem",
        "redeem in SqliteTokenStore (file, one commit)",
    ),
    ("token/signed-sign", "sign a stateless token (HMAC-SHA256)"),
    ("token/signed-verify", "verify a stateless token"),
    (
        "password/hash",
        "argon2id hash at PasswordParams::default()",
    ),
    ("password/verify", "argon2id verify of that hash"),
    (
        "totp/verify",
        "TOTP verify, SHA-1, 6 digits, window ±1 step",
    ),
];

fn forever() -> UnixTime {
    NOW.plus_secs(365 * 86_400)
}

/// A store holding [`PREFILL`] tokens and one more, returned, that can be redeemed endlessly.
fn filled(store: &dyn TokenStore) -> String {
    let issuer = TokenIssuer::new();
    for i in 0..PREFILL {
        let claims = TokenClaims::new(format!("contract-{i}"), forever());
        store
            .insert(issuer.issue(claims).record())
            .expect("prefill store");
    }
    let many = TokenClaims::new("contract-bench", forever()).with_max_uses(u32::MAX);
    let issued = issuer.issue(many);
    store.insert(issued.record()).expect("insert bench token");
    issued.secret().expose().to_owned()
}

fn store_benches(c: &mut Criterion, t: &Timings, name: &str, store: &dyn TokenStore) {
    let presented = filled(store);
    token::verify(store, &presented, NOW).expect("the bench token verifies");
    let mut g = slow_group(c, "token");
    let issuer = TokenIssuer::new();
    t.bench(&mut g, "token", &format!("{name}-insert"), || {
        let issued = issuer.issue(TokenClaims::new("contract-new", forever()));
        store.insert(issued.record()).expect("insert");
    });
    t.bench(&mut g, "token", &format!("{name}-verify"), || {
        token::verify(store, &presented, NOW).expect("verify")
    });
    t.bench(&mut g, "token", &format!("{name}-redeem"), || {
        token::redeem(store, &presented, NOW).expect("redeem")
    });
    g.finish();
}

fn token_benches(c: &mut Criterion, t: &Timings) {
    let mut g = slow_group(c, "token");
    let issuer = TokenIssuer::new();
    t.bench(&mut g, "token", "issue", || {
        issuer.issue(TokenClaims::new("contract-1", forever()))
    });
    let keys = SignedTokenKeys::generate("bench").expect("signed-token keys");
    let claims = SignedClaims::new("contract-1", forever()).with_recipient("alice@example.com");
    t.bench(&mut g, "token", "signed-sign", || {
        keys.sign(&claims).expect("sign")
    });
    let signed = keys.sign(&claims).expect("sign");
    t.bench(&mut g, "token", "signed-verify", || {
        keys.verify(signed.expose(), NOW).expect("verify")
    });
    g.finish();

    store_benches(c, t, "memory", &MemoryTokenStore::new());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteTokenStore::open(dir.path().join("tokens.db")).expect("open SQLite store");
    store_benches(c, t, "sqlite", &sqlite);
}

fn password_benches(c: &mut Criterion, t: &Timings) {
    let params = PasswordParams::default();
    let pw = "correct horse battery staple 2026";
    let phc = password::hash(pw, &params).expect("hash");
    password::verify(pw, &phc).expect("the hash verifies");
    let mut g = slow_group(c, "password");
    t.bench(&mut g, "password", "hash", || {
        password::hash(pw, &params).expect("hash")
    });
    t.bench(&mut g, "password", "verify", || {
        password::verify(pw, &phc).expect("verify")
    });
    g.finish();
}

fn totp_benches(c: &mut Criterion, t: &Timings) {
    let totp = Totp::new(TotpSecret::generate());
    let code = totp.code_at(NOW);
    let mut g = slow_group(c, "totp");
    t.bench(&mut g, "totp", "verify", || {
        totp.verify(&code, NOW, None).expect("verify")
    });
    g.finish();
}

fn print_summary(t: &Timings) {
    let params = PasswordParams::default();
    println!();
    println!(
        "Access figures (median per-iteration time; {PREFILL} records in each store; argon2id \
         m = {} KiB, t = {}, p = {})",
        params.memory_kib, params.iterations, params.parallelism
    );
    println!("| benchmark | what | median | per second |");
    println!("|---|---|---:|---:|");
    for (key, what) in ROWS {
        match t.median(key) {
            Some(d) => println!(
                "| {key} | {what} | {} | {:.0} |",
                fmt_time(d),
                1.0 / d.as_secs_f64().max(1e-12)
            ),
            None => println!("| {key} | {what} | n/a | n/a |"),
        }
    }
}

fn fmt_time(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", ms(d))
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let timings = Timings::default();
    token_benches(&mut c, &timings);
    password_benches(&mut c, &timings);
    totp_benches(&mut c, &timings);
    c.final_summary();
    print_summary(&timings);
}
