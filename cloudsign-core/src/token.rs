//! Unique-URL tokens: issue, keep only a hash at rest, verify, redeem, revoke.
//!
//! A token is `cs1_` followed by the unpadded base64url encoding of 32 bytes from the operating
//! system's CSPRNG (47 characters in all, safe in a URL path or query without escaping). The
//! prefix names the format version so that a later format can be told apart, and lets secret
//! scanners recognise a leaked token.
//!
//! # Why 256 bits
//!
//! An attacker making 10^8 guesses per second for the age of the universe (4.35·10^17 s) makes
//! about 2^85 guesses. A 128-bit token would already leave a margin of 2^43 for one target; we
//! issue 256 bits so that even 2^40 live tokens (every guess hits *some* token with probability
//! 2^40/2^256) leave ample margin, and so that the SHA-256 stored at rest has a full-entropy
//! preimage: a stolen database cannot be brute-forced back into working URLs.
//!
//! # What is stored
//!
//! Only [`TokenRecord`]: the SHA-256 of the secret, the claims, the use count and a revocation
//! flag. The secret itself exists once, in the [`IssuedToken`] handed to the caller to put
//! in the URL; it is zeroized on drop and its `Debug` output is redacted.
//!
//! ```
//! use cloudsign_core::time::UnixTime;
//! use cloudsign_core::token::{self, MemoryTokenStore, TokenClaims, TokenError, TokenIssuer, TokenStore};
//!
//! let now = UnixTime::from_secs(1_700_000_000);
//! let store = MemoryTokenStore::new();
//! let issued = TokenIssuer::new().issue(
//!     TokenClaims::new("contract-42", now.plus_secs(7 * 86_400))
//!         .with_recipient("alice@example.com")
//!         .with_max_uses(1),
//! );
//! store.insert(issued.record())?;
//! let url = format!("https://sign.example/c/{}", issued.secret().expose());
//!
//! let presented = url.rsplit('/').next().unwrap_or_default();
//! let record = token::redeem(&store, presented, now)?;
//! assert_eq!(record.claims().resource, "contract-42");
//! assert_eq!(token::redeem(&store, presented, now), Err(TokenError::Exhausted));
//! # Ok::<(), TokenError>(())
//! ```
//!
//! For links that need no database there is the stateless [`SignedToken`] (HMAC-SHA256 with a
//! key id for rotation); it cannot count uses or be revoked one by one.

mod claims;
mod memory;
mod signed;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(test)]
mod tests;

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::{self, DigestAlgorithm};
use crate::time::UnixTime;

pub use claims::{Claims, Stored, TokenClaims};
pub use memory::MemoryTokenStore;
pub use signed::{SIGNED_TOKEN_PREFIX, Signed, SignedClaims, SignedToken, SignedTokenKeys};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteTokenStore;

/// The version prefix of stored-hash tokens.
pub const TOKEN_PREFIX: &str = "cs1_";

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// Length of a well-formed token in characters: the prefix and 43 base64url characters.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;

/// A token was refused or could not be handled.
///
/// Deliberately coarse: none of the variants says anything about the secret, and a caller
/// showing an error to the presenter should say no more than "link invalid or expired".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Every allowed use has been made.
    #[error("token has no uses left")]
    Exhausted,
    /// The token's expiry has passed.
    #[error("token has expired")]
    Expired,
    /// The input is not a token of a known format (prefix, encoding or length).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The token was revoked.
    #[error("token has been revoked")]
    Revoked,
    /// The token store failed.
    #[error("token store error: {0}")]
    Storage(String),
    /// No such token was issued: no record for its hash, or a signed token whose key id is not
    /// known or whose MAC does not verify.
    #[error("unknown token")]
    Unknown,
}

/// A token secret as presented in a URL. Zeroized on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(Zeroizing<String>);

impl TokenSecret {
    /// The secret text, for building the URL. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(..)")
    }
}

/// The SHA-256 of a token secret: what is stored and looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of a well-formed token.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] if `presented` is not `cs1_` followed by the canonical
    /// base64url encoding of exactly 32 bytes.
    pub fn of_presented(presented: &str) -> Result<Self, TokenError> {
        let body = presented
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::Malformed("wrong prefix"))?;
        if body.len() != TOKEN_LEN - TOKEN_PREFIX.len() {
            return Err(TokenError::Malformed("wrong length"));
        }
        let raw = Zeroizing::new(
            data_encoding::BASE64URL_NOPAD
                .decode(body.as_bytes())
                .map_err(|_| TokenError::Malformed("not base64url"))?,
        );
        if raw.len() != TOKEN_BYTES {
            return Err(TokenError::Malformed("wrong length"));
        }
        Ok(Self::of_text(presented))
    }

    // Hash the text rather than the raw bytes: the canonical-encoding check above makes the
    // two equivalent, and hashing the text keeps other token formats on one code path.
    fn of_text(text: &str) -> Self {
        let d = DigestAlgorithm::Sha256.digest(text.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&d);
        Self(out)
    }

    /// The 32 hash bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From 32 stored bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Lower-case hex, for storage that prefers text.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// From 64 hex digits.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] if `s` is not 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, TokenError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| TokenError::Malformed("not a token hash"))?;
        Ok(Self(out))
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.to_hex())
    }
}

/// What a store keeps for one token: its hash, never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    hash: TokenHash,
    claims: TokenClaims,
    uses: u32,
    revoked: bool,
}

impl TokenRecord {
    /// A record as read back from storage.
    pub const fn from_parts(
        hash: TokenHash,
        claims: TokenClaims,
        uses: u32,
        revoked: bool,
    ) -> Self {
        Self {
            hash,
            claims,
            uses,
            revoked,
        }
    }

    /// The SHA-256 of the secret.
    pub const fn hash(&self) -> &TokenHash {
        &self.hash
    }

    /// What the token grants.
    pub const fn claims(&self) -> &TokenClaims {
        &self.claims
    }

    /// How many times it has been redeemed.
    pub const fn uses(&self) -> u32 {
        self.uses
    }

    /// Whether it was revoked.
    pub const fn revoked(&self) -> bool {
        self.revoked
    }

    /// Why the token cannot be redeemed at `now`, if it cannot. Revocation is reported before
    /// expiry and exhaustion, as the most deliberate of the three.
    ///
    /// # Errors
    /// [`TokenError::Revoked`], [`TokenError::Expired`] or [`TokenError::Exhausted`].
    pub fn check(&self, now: UnixTime) -> Result<(), TokenError> {
        if self.revoked {
            Err(TokenError::Revoked)
        } else if now >= self.claims.expires {
            Err(TokenError::Expired)
        } else if self.uses >= self.claims.max_uses() {
            Err(TokenError::Exhausted)
        } else {
            Ok(())
        }
    }

    pub(crate) fn redeemed(mut self) -> Self {
        self.uses = self.uses.saturating_add(1);
        self
    }

    pub(crate) fn revoke(&mut self) {
        self.revoked = true;
    }
}

/// A freshly issued token: the secret for the URL and the record for the store.
#[derive(Debug)]
pub struct IssuedToken {
    secret: TokenSecret,
    record: TokenRecord,
}

impl IssuedToken {
    /// The secret to send to the recipient. It is not kept anywhere else.
    pub const fn secret(&self) -> &TokenSecret {
        &self.secret
    }

    /// The record to store.
    pub const fn record(&self) -> &TokenRecord {
        &self.record
    }

    /// Both parts.
    pub fn into_parts(self) -> (TokenSecret, TokenRecord) {
        (self.secret, self.record)
    }
}

/// Issues stored-hash tokens from the operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokenIssuer;

impl TokenIssuer {
    /// An issuer.
    pub const fn new() -> Self {
        Self
    }

    /// A new token granting `claims`.
    pub fn issue(&self, claims: TokenClaims) -> IssuedToken {
        let mut raw = Zeroizing::new([0u8; TOKEN_BYTES]);
        crypto::random_bytes(raw.as_mut());
        let mut text = String::with_capacity(TOKEN_LEN);
        text.push_str(TOKEN_PREFIX);
        data_encoding::BASE64URL_NOPAD.encode_append(raw.as_ref(), &mut text);
        let hash = TokenHash::of_text(&text);
        IssuedToken {
            secret: TokenSecret::new(text),
            record: TokenRecord::from_parts(hash, claims, 0, false),
        }
    }
}

/// Keeps token records by hash.
///
/// Implementations must make [`redeem`](Self::redeem) atomic: checking revocation, expiry and
/// remaining uses and counting the use happen in one step, so that a single-use token
/// presented from many places at once is honoured exactly once.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// Stores a new record.
    ///
    /// # Errors
    /// [`TokenError::Storage`] if the record cannot be stored (including a duplicate hash).
    fn insert(&self, record: &TokenRecord) -> Result<(), TokenError>;

    /// The record with this hash, if any.
    ///
    /// # Errors
    /// [`TokenError::Storage`] if the store cannot be read.
    fn find(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, TokenError>;

    /// Atomically checks the record and counts one use; returns the record after the use.
    ///
    /// # Errors
    /// [`TokenError::Unknown`], [`TokenError::Revoked`], [`TokenError::Expired`],
    /// [`TokenError::Exhausted`] or [`TokenError::Storage`].
    fn redeem(&self, hash: &TokenHash, now: UnixTime) -> Result<TokenRecord, TokenError>;

    /// Marks the record revoked; `false` if there is no such record.
    ///
    /// # Errors
    /// [`TokenError::Storage`] if the store cannot be written.
    fn revoke(&self, hash: &TokenHash) -> Result<bool, TokenError>;
}

/// Checks a presented token without using it up: the record if it could be redeemed at `now`.
///
/// # Errors
/// [`TokenError::Malformed`] before any store access, then as [`TokenRecord::check`], or
/// [`TokenError::Unknown`] / [`TokenError::Storage`].
pub fn verify(
    store: &dyn TokenStore,
    presented: &str,
    now: UnixTime,
) -> Result<TokenRecord, TokenError> {
    let hash = TokenHash::of_presented(presented)?;
    let record = store.find(&hash)?.ok_or(TokenError::Unknown)?;
    // The store looked the record up by hash; compare again in constant time so that a store
    // with a lenient or prefix-matching index cannot turn a near miss into a hit.
    if !record.hash().ct_eq(&hash) {
        return Err(TokenError::Unknown);
    }
    record.check(now)?;
    Ok(record)
}

/// Redeems a presented token: one use is counted atomically; returns the record after the use.
///
/// # Errors
/// As [`verify`].
pub fn redeem(
    store: &dyn TokenStore,
    presented: &str,
    now: UnixTime,
) -> Result<TokenRecord, TokenError> {
    let hash = TokenHash::of_presented(presented)?;
    let record = store.redeem(&hash, now)?;
    if !record.hash().ct_eq(&hash) {
        return Err(TokenError::Unknown);
    }
    Ok(record)
}

/// Revokes a presented token; `false` if it was never issued.
///
/// # Errors
/// [`TokenError::Malformed`] or [`TokenError::Storage`].
pub fn revoke(store: &dyn TokenStore, presented: &str) -> Result<bool, TokenError> {
    store.revoke(&TokenHash::of_presented(presented)?)
}
