//! Unique-URL tokens: stored-hash tokens (`cloudsign.TokenStore`) and stateless signed tokens
//! (`cloudsign.SignedTokenKeys`). Refusals raise `cloudsign.TokenError`.

use std::path::PathBuf;
use std::sync::Mutex;

use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{
    self, MemoryTokenStore, SignedClaims, SignedTokenKeys as CoreKeys, SqliteTokenStore,
    TokenClaims, TokenError, TokenIssuer, TokenRecord as CoreRecord, TokenStore as CoreStore,
};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::buffer::Bytes;
use crate::errors::IntoPyResult;

fn now_or(now: Option<u64>) -> UnixTime {
    now.map_or_else(UnixTime::now, UnixTime::from_secs)
}

/// What a stored token grants and how it has been used (the secret itself is never stored).
#[pyclass(frozen, module = "cloudsign", get_all)]
#[derive(Debug)]
pub(crate) struct TokenRecord {
    /// The resource the token opens.
    resource: String,
    /// Who it was sent to.
    recipient: String,
    /// What the holder may do.
    scope: String,
    /// First Unix second at which it is no longer valid.
    expires: u64,
    /// How many times it may be redeemed.
    max_uses: u32,
    /// How many times it has been redeemed.
    uses: u32,
    /// Whether it was revoked.
    revoked: bool,
    /// SHA-256 of the secret, hex: what the store keys the record by.
    hash: String,
}

impl From<CoreRecord> for TokenRecord {
    fn from(r: CoreRecord) -> Self {
        let c = r.claims();
        Self {
            resource: c.resource.clone(),
            recipient: c.recipient.clone(),
            scope: c.scope.clone(),
            expires: c.expires.as_secs(),
            max_uses: c.max_uses(),
            uses: r.uses(),
            revoked: r.revoked(),
            hash: r.hash().to_hex(),
        }
    }
}

#[pymethods]
impl TokenRecord {
    fn __repr__(&self) -> String {
        format!(
            "TokenRecord(resource={:?}, uses={}/{}, expires={}, revoked={})",
            self.resource,
            self.uses,
            self.max_uses,
            self.expires,
            if self.revoked { "True" } else { "False" }
        )
    }
}

/// Stored-hash tokens: `issue` hands out a 256-bit secret for the URL and keeps only its
/// SHA-256; `verify` checks a presented token in constant time, `redeem` counts a use
/// atomically.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct TokenStore {
    store: Box<dyn CoreStore>,
}

#[pymethods]
impl TokenStore {
    /// Records in process memory.
    #[staticmethod]
    fn memory() -> Self {
        Self {
            store: Box::new(MemoryTokenStore::new()),
        }
    }

    /// Records in an SQLite database file (created if missing).
    #[staticmethod]
    fn sqlite(path: PathBuf) -> PyResult<Self> {
        let store = SqliteTokenStore::open(path).py()?;
        Ok(Self {
            store: Box::new(store),
        })
    }

    /// Issues a token for `resource`, valid for `ttl` seconds from `now` (default: the
    /// clock), and stores its record. Returns the secret to put in the URL; it is kept nowhere
    /// else.
    #[pyo3(signature = (resource, *, ttl, recipient="", scope="view", max_uses=1, now=None))]
    fn issue(
        &self,
        resource: &str,
        ttl: u64,
        recipient: &str,
        scope: &str,
        max_uses: u32,
        now: Option<u64>,
    ) -> PyResult<String> {
        let claims = TokenClaims::new(resource, now_or(now).plus_secs(ttl))
            .with_recipient(recipient)
            .with_scope(scope)
            .with_max_uses(max_uses);
        let (secret, record) = TokenIssuer::new().issue(claims).into_parts();
        self.store.insert(&record).py()?;
        Ok(secret.expose().to_owned())
    }

    /// The record of a presented token if it could be redeemed now; uses nothing up.
    #[pyo3(signature = (token, *, now=None))]
    fn verify(&self, py: Python<'_>, token: &str, now: Option<u64>) -> PyResult<TokenRecord> {
        let at = now_or(now);
        py.detach(|| token::verify(self.store.as_ref(), token, at))
            .py()
            .map(TokenRecord::from)
    }

    /// Redeems a presented token, counting one use atomically; the record after the use.
    #[pyo3(signature = (token, *, now=None))]
    fn redeem(&self, py: Python<'_>, token: &str, now: Option<u64>) -> PyResult<TokenRecord> {
        let at = now_or(now);
        py.detach(|| token::redeem(self.store.as_ref(), token, at))
            .py()
            .map(TokenRecord::from)
    }

    /// Revokes a presented token; False if it was never issued.
    fn revoke(&self, py: Python<'_>, token: &str) -> PyResult<bool> {
        py.detach(|| token::revoke(self.store.as_ref(), token)).py()
    }
}

/// A signed token that verified.
#[pyclass(frozen, module = "cloudsign", get_all)]
#[derive(Debug)]
pub(crate) struct SignedTokenInfo {
    /// Id of the key that signed it.
    kid: String,
    /// The token's random id, hex (for deny-lists).
    id: String,
    /// The resource it opens.
    resource: String,
    /// Who it was sent to.
    recipient: String,
    /// What the holder may do.
    scope: String,
    /// First Unix second at which it is no longer valid.
    expires: u64,
}

#[pymethods]
impl SignedTokenInfo {
    fn __repr__(&self) -> String {
        format!(
            "SignedTokenInfo(kid={:?}, resource={:?}, expires={})",
            self.kid, self.resource, self.expires
        )
    }
}

/// HMAC-SHA256 keys for stateless signed tokens: several verify, the active one signs.
/// Rotate with `add`, `activate`, then `retire` the old key.
#[pyclass(frozen, module = "cloudsign")]
pub(crate) struct SignedTokenKeys {
    keys: Mutex<CoreKeys>,
}

impl std::fmt::Debug for SignedTokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedTokenKeys").finish_non_exhaustive()
    }
}

impl SignedTokenKeys {
    fn with<R>(&self, f: impl FnOnce(&mut CoreKeys) -> Result<R, TokenError>) -> PyResult<R> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| PyRuntimeError::new_err("signed token keys are poisoned"))?;
        f(&mut keys).py()
    }
}

#[pymethods]
impl SignedTokenKeys {
    /// Keys with one active key `kid` (at least 32 bytes).
    #[new]
    fn new(kid: &str, key: Bytes<'_>) -> PyResult<Self> {
        let keys = CoreKeys::new(kid, &key).py()?;
        Ok(Self {
            keys: Mutex::new(keys),
        })
    }

    /// Keys with one freshly generated random key `kid`.
    #[staticmethod]
    fn generate(kid: &str) -> PyResult<Self> {
        let keys = CoreKeys::generate(kid).py()?;
        Ok(Self {
            keys: Mutex::new(keys),
        })
    }

    /// Adds a key that verifies (and signs once activated).
    fn add(&self, kid: &str, key: Bytes<'_>) -> PyResult<()> {
        self.with(|k| k.add(kid, &key))
    }

    /// Makes a known key the signing key.
    fn activate(&self, kid: &str) -> PyResult<()> {
        self.with(|k| k.activate(kid))
    }

    /// Removes a key: every token it signed stops verifying.
    fn retire(&self, kid: &str) -> PyResult<()> {
        self.with(|k| k.retire(kid))
    }

    /// The id of the signing key.
    #[getter]
    fn active_kid(&self) -> PyResult<String> {
        self.with(|k| Ok(k.active_kid().to_owned()))
    }

    /// A token for `resource` valid for `ttl` seconds from `now` (default: the clock).
    #[pyo3(signature = (resource, *, ttl, recipient="", scope="view", now=None))]
    fn sign(
        &self,
        resource: &str,
        ttl: u64,
        recipient: &str,
        scope: &str,
        now: Option<u64>,
    ) -> PyResult<String> {
        let claims = SignedClaims::new(resource, now_or(now).plus_secs(ttl))
            .with_recipient(recipient)
            .with_scope(scope);
        self.with(|k| k.sign(&claims))
            .map(|secret| secret.expose().to_owned())
    }

    /// Verifies a presented signed token.
    #[pyo3(signature = (token, *, now=None))]
    fn verify(&self, token: &str, now: Option<u64>) -> PyResult<SignedTokenInfo> {
        let verified = self.with(|k| k.verify(token, now_or(now)))?;
        let c = verified.claims();
        Ok(SignedTokenInfo {
            kid: verified.kid().to_owned(),
            id: c.id().iter().map(|b| format!("{b:02x}")).collect(),
            resource: c.resource.clone(),
            recipient: c.recipient.clone(),
            scope: c.scope.clone(),
            expires: c.expires.as_secs(),
        })
    }
}
