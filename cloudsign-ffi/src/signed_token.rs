//! Stateless tokens: HMAC-SHA256-signed claims with a key id, so that keys can rotate. No
//! database: a signed token is valid any number of times until it expires, and is revoked
//! only by retiring its key.

use std::ffi::{CString, c_char};

use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{Claims, SignedClaims, SignedTokenKeys, TokenError};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// HMAC keys for signed tokens: several verify, one (the active key) signs. Made by
/// `cs_signed_token_keys_new` or `cs_signed_token_keys_generate`, freed (and wiped) by
/// `cs_signed_token_keys_free`.
///
/// Rotation: `cs_signed_token_keys_add` the new key, `cs_signed_token_keys_activate` it once
/// every verifier has it, and `cs_signed_token_keys_retire` the old one after the longest
/// token lifetime (retiring at once revokes every token it signed).
#[derive(Debug)]
pub struct cs_signed_token_keys {
    inner: SignedTokenKeys,
}

/// Hands C the keys `make` builds.
fn new_keys(
    out: *mut *mut cs_signed_token_keys,
    err: *mut *mut cs_error,
    make: impl FnOnce() -> Result<SignedTokenKeys, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(cs_signed_token_keys { inner: make()? });
        Ok(())
    })
}

/// Keys with one active key `kid` (1 to 32 characters of `A-Z a-z 0-9 -`) of `key_len` bytes
/// (at least 32); anything else is `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_new(
    kid: *const c_char,
    key: *const u8,
    key_len: usize,
    out: *mut *mut cs_signed_token_keys,
    err: *mut *mut cs_error,
) -> cs_status {
    new_keys(out, err, || {
        let kid = ffi::text(kid, "kid")?;
        Ok(SignedTokenKeys::new(kid, ffi::bytes(key, key_len, "key")?)?)
    })
}

/// Keys with one fresh random 32-byte active key `kid`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_generate(
    kid: *const c_char,
    out: *mut *mut cs_signed_token_keys,
    err: *mut *mut cs_error,
) -> cs_status {
    new_keys(out, err, || {
        Ok(SignedTokenKeys::generate(ffi::text(kid, "kid")?)?)
    })
}

/// Applies `change` to the keys, for key id `kid`.
fn change_keys(
    keys: *mut cs_signed_token_keys,
    kid: *const c_char,
    err: *mut *mut cs_error,
    change: impl FnOnce(&mut SignedTokenKeys, &str) -> Result<(), Failure>,
) -> cs_status {
    boundary(err, || {
        let keys = ffi::handle_mut(keys, "keys")?;
        change(&mut keys.inner, ffi::text(kid, "kid")?)
    })
}

/// Adds a verification key `kid` of `key_len` bytes (at least 32); it does not sign until
/// activated. A bad or duplicate key id or a short key is `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_add(
    keys: *mut cs_signed_token_keys,
    kid: *const c_char,
    key: *const u8,
    key_len: usize,
    err: *mut *mut cs_error,
) -> cs_status {
    change_keys(keys, kid, err, |keys, kid| {
        Ok(keys.add(kid, ffi::bytes(key, key_len, "key")?)?)
    })
}

/// Makes the known key `kid` the signing key; an unknown one is `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_activate(
    keys: *mut cs_signed_token_keys,
    kid: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    change_keys(keys, kid, err, |keys, kid| Ok(keys.activate(kid)?))
}

/// Removes key `kid`: the tokens it signed stop verifying. The active key cannot be retired;
/// it and an unknown key are `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_retire(
    keys: *mut cs_signed_token_keys,
    kid: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    change_keys(keys, kid, err, |keys, kid| Ok(keys.retire(kid)?))
}

/// Frees keys and wipes them; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_keys_free(keys: *mut cs_signed_token_keys) {
    guard((), || ffi::free_handle(keys));
}

/// Signs a token for `resource`, valid for `ttl_seconds` (at least 1) from now, sent to
/// `recipient` (NULL: none) with `scope` (NULL: `"view"`), under the active key. `*token`
/// receives `cs1s_<kid>.<claims>.<mac>` (text, safe in a URL, wiped when freed).
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_sign(
    keys: *const cs_signed_token_keys,
    resource: *const c_char,
    recipient: *const c_char,
    scope: *const c_char,
    ttl_seconds: u64,
    token: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let token = ffi::Out::new(token, "token")?;
        let keys = ffi::handle(keys, "keys")?;
        let resource = ffi::text(resource, "resource")?;
        if ttl_seconds == 0 {
            return Err(Failure::invalid("ttl_seconds must be positive"));
        }
        let claims = SignedClaims::new(resource, UnixTime::now().plus_secs(ttl_seconds));
        let claims = crate::token::addressed(claims, recipient, scope)?;
        let secret = keys.inner.sign(&claims)?;
        token.set(cs_bytes::secret(secret.expose().as_bytes().to_vec()));
        Ok(())
    })
}

/// Verifies a presented signed token now; `*claims` receives what it grants. A malformed
/// token, an unknown or retired key, a MAC that does not verify and an expired token are all
/// `CS_ERR_TOKEN`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_signed_token_verify(
    keys: *const cs_signed_token_keys,
    token: *const c_char,
    claims: *mut *mut cs_token_claims,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let claims = ffi::Out::new(claims, "claims")?;
        let keys = ffi::handle(keys, "keys")?;
        let presented = ffi::text(token, "token")?;
        let verified = keys.inner.verify(presented, UnixTime::now())?;
        claims.set(cs_token_claims::new(verified.kid(), verified.claims())?);
        Ok(())
    })
}

/// What a verified token grants: a signed token (`cs_signed_token_verify`) or a stored one
/// (`cs_token_verify_claims`, `cs_token_redeem_claims`). Strings it returns stay valid until
/// `cs_token_claims_free`.
#[derive(Debug)]
pub struct cs_token_claims {
    kid: CString,
    resource: CString,
    recipient: CString,
    scope: CString,
    expires: u64,
}

impl cs_token_claims {
    /// The claims of a token signed under key `kid` (empty for a stored token).
    pub(crate) fn new<K>(kid: &str, claims: &Claims<K>) -> Result<Self, Failure> {
        let c = |s: &str| {
            CString::new(s).map_err(|_| TokenError::Malformed("a claim holds a NUL byte"))
        };
        Ok(Self {
            kid: c(kid)?,
            resource: c(&claims.resource)?,
            recipient: c(&claims.recipient)?,
            scope: c(&claims.scope)?,
            expires: claims.expires.as_secs(),
        })
    }

    fn string_of(claims: *const Self, pick: fn(&Self) -> &CString) -> *const c_char {
        guard(std::ptr::null(), || {
            ffi::handle(claims, "claims").map_or(std::ptr::null(), |c| pick(c).as_ptr())
        })
    }
}

/// The id of the key that signed the token (empty for a stored token); NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_kid(claims: *const cs_token_claims) -> *const c_char {
    cs_token_claims::string_of(claims, |c| &c.kid)
}

/// The resource the token opens; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_resource(claims: *const cs_token_claims) -> *const c_char {
    cs_token_claims::string_of(claims, |c| &c.resource)
}

/// Who the token was sent to (empty if nobody was named); NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_recipient(claims: *const cs_token_claims) -> *const c_char {
    cs_token_claims::string_of(claims, |c| &c.recipient)
}

/// What the holder may do (e.g. `"view"`, `"sign"`), for the caller to enforce; NULL for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_scope(claims: *const cs_token_claims) -> *const c_char {
    cs_token_claims::string_of(claims, |c| &c.scope)
}

/// The first second (since the epoch) at which the token is no longer valid; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_expires(claims: *const cs_token_claims) -> u64 {
    guard(0, || ffi::handle(claims, "claims").map_or(0, |c| c.expires))
}

/// Frees claims and every string they lent out; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_token_claims_free(claims: *mut cs_token_claims) {
    guard((), || ffi::free_handle(claims));
}
