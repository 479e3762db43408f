//! Unique-URL tokens: issue, verify, redeem and revoke against a memory or SQLite store.

use std::ffi::c_char;

use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{
    self, Claims, MemoryTokenStore, SqliteTokenStore, TokenClaims, TokenIssuer, TokenRecord,
    TokenStore,
};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;
use crate::signed_token::cs_token_claims;

/// Where token records (hashes, never secrets) are kept. Made by `cs_token_store_new_memory`
/// or `cs_token_store_new_sqlite`, freed by `cs_token_store_free`.
#[derive(Debug)]
pub struct cs_token_store {
    inner: Box<dyn TokenStore>,
}

/// A store in memory.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_store_new_memory(
    out: *mut *mut cs_token_store,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(cs_token_store {
            inner: Box::new(MemoryTokenStore::new()),
        });
        Ok(())
    })
}

/// A store in the SQLite database file at `path` (created if missing).
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_store_new_sqlite(
    path: *const c_char,
    out: *mut *mut cs_token_store,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let store = SqliteTokenStore::open(ffi::text(path, "path")?)?;
        out.set(cs_token_store {
            inner: Box::new(store),
        });
        Ok(())
    })
}

/// Issues a token for `resource`, valid for `ttl_seconds` and `max_uses` redemptions (at
/// least 1), with no recipient and scope `"view"`. `*token` receives the secret for the URL
/// (text); only its hash is stored. `cs_token_issue_for` also names recipient and scope.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_issue(
    store: *const cs_token_store,
    resource: *const c_char,
    ttl_seconds: u64,
    max_uses: u32,
    token: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    let none = std::ptr::null();
    cs_token_issue_for(
        store,
        resource,
        none,
        none,
        ttl_seconds,
        max_uses,
        token,
        err,
    )
}

/// As `cs_token_issue`, for a token sent to `recipient` (NULL: none) granting `scope` (NULL:
/// `"view"`), the parameters of `cs_signed_token_sign`. Read them back with
/// `cs_token_verify_claims` or `cs_token_redeem_claims`.
// A second function rather than an options handle: the claims are complete with these two
// strings, and the signed-token twin already takes them this way.
#[allow(clippy::too_many_arguments)]
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_issue_for(
    store: *const cs_token_store,
    resource: *const c_char,
    recipient: *const c_char,
    scope: *const c_char,
    ttl_seconds: u64,
    max_uses: u32,
    token: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let token_out = ffi::Out::new(token, "token")?;
        let store = ffi::handle(store, "store")?;
        let resource = ffi::text(resource, "resource")?;
        if ttl_seconds == 0 || max_uses == 0 {
            return Err(Failure::invalid(
                "ttl_seconds and max_uses must be positive",
            ));
        }
        let claims = TokenClaims::new(resource, UnixTime::now().plus_secs(ttl_seconds))
            .with_max_uses(max_uses);
        let claims = addressed(claims, recipient, scope)?;
        let (secret, record) = TokenIssuer::new().issue(claims).into_parts();
        store.inner.insert(&record)?;
        token_out.set(cs_bytes::secret(secret.expose().as_bytes().to_vec()));
        Ok(())
    })
}

/// `claims` sent to `recipient` (NULL: none) with `scope` (NULL: as they were).
pub(crate) fn addressed<K>(
    mut claims: Claims<K>,
    recipient: *const c_char,
    scope: *const c_char,
) -> Result<Claims<K>, Failure> {
    if let Some(recipient) = ffi::optional_text(recipient, "recipient")? {
        claims = claims.with_recipient(recipient);
    }
    if let Some(scope) = ffi::optional_text(scope, "scope")? {
        claims = claims.with_scope(scope);
    }
    Ok(claims)
}

type Check = fn(&dyn TokenStore, &str, UnixTime) -> Result<TokenRecord, token::TokenError>;

/// Runs `act` (verify or redeem) on a presented token; the record of the token.
fn check(
    store: *const cs_token_store,
    token: *const c_char,
    act: Check,
) -> Result<TokenRecord, Failure> {
    let store = ffi::handle(store, "store")?;
    let presented = ffi::text(token, "token")?;
    Ok(act(store.inner.as_ref(), presented, UnixTime::now())?)
}

/// As `check`, handing C the resource when `resource` is not NULL.
fn check_resource(
    store: *const cs_token_store,
    token: *const c_char,
    resource: *mut *mut cs_bytes,
    act: Check,
) -> Result<(), Failure> {
    let record = check(store, token, act)?;
    if !resource.is_null() {
        ffi::Out::new(resource, "resource")?.set(cs_bytes::text(record.claims().resource.clone()));
    }
    Ok(())
}

/// As `check`, handing C the claims through `claims`.
fn check_claims(
    store: *const cs_token_store,
    token: *const c_char,
    claims: *mut *mut cs_token_claims,
    act: Check,
) -> Result<(), Failure> {
    let out = ffi::Out::new(claims, "claims")?;
    let record = check(store, token, act)?;
    out.set(cs_token_claims::new("", record.claims())?);
    Ok(())
}

/// Checks a presented token without using it up: `CS_OK` if it could be redeemed now, else
/// `CS_ERR_TOKEN` (unknown, expired, revoked, used up or malformed). When `resource` is not
/// NULL it receives the resource the token opens.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_verify(
    store: *const cs_token_store,
    token: *const c_char,
    resource: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        check_resource(store, token, resource, token::verify)
    })
}

/// Redeems a presented token: as `cs_token_verify`, and counts one use atomically.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_redeem(
    store: *const cs_token_store,
    token: *const c_char,
    resource: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        check_resource(store, token, resource, token::redeem)
    })
}

/// As `cs_token_verify`; `*claims` receives what the token grants (resource, recipient,
/// scope, expiry; its key id is empty).
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_verify_claims(
    store: *const cs_token_store,
    token: *const c_char,
    claims: *mut *mut cs_token_claims,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || check_claims(store, token, claims, token::verify))
}

/// As `cs_token_redeem`; `*claims` receives what the token grants, as for
/// `cs_token_verify_claims`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_redeem_claims(
    store: *const cs_token_store,
    token: *const c_char,
    claims: *mut *mut cs_token_claims,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || check_claims(store, token, claims, token::redeem))
}

/// Revokes a presented token: later checks refuse it. `*revoked` receives false when no such
/// token was issued; a malformed token is `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_revoke(
    store: *const cs_token_store,
    token: *const c_char,
    revoked: *mut bool,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let revoked = ffi::ValueOut::new(revoked, "revoked")?;
        let store = ffi::handle(store, "store")?;
        let presented = ffi::text(token, "token")?;
        revoked.set(token::revoke(store.inner.as_ref(), presented)?);
        Ok(())
    })
}

/// Frees a token store; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_store_free(store: *mut cs_token_store) {
    guard((), || ffi::free_handle(store));
}
