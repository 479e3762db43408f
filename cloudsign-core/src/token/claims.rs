//! What a token grants: one claims core shared by stored-hash and signed tokens.

use crate::time::UnixTime;

/// What a token grants. Expiry is absolute; a token is valid while `now < expires`.
///
/// The fields every token has live here once; `K` carries what only one kind of token has:
/// [`Stored`] (a use limit) for [`TokenClaims`], [`Signed`](super::Signed) (a random id) for
/// [`SignedClaims`](super::SignedClaims).
///
/// ```
/// use cloudsign_core::time::UnixTime;
/// use cloudsign_core::token::TokenClaims;
///
/// let claims = TokenClaims::new("contract-42", UnixTime::from_secs(1_700_000_000))
///     .with_recipient("alice@example.com")
///     .with_scope("sign")
///     .with_max_uses(3);
/// assert_eq!((claims.scope.as_str(), claims.max_uses()), ("sign", 3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims<K> {
    /// The resource the token opens (a contract or envelope id).
    pub resource: String,
    /// Who the token was sent to (an e-mail address, a party id); informational.
    pub recipient: String,
    /// What the holder may do (e.g. `"sign"`, `"view"`); interpreted by the caller.
    pub scope: String,
    /// The first instant at which the token is no longer valid.
    pub expires: UnixTime,
    pub(super) kind: K,
}

/// Claims of a stored-hash token (see [`TokenIssuer`](super::TokenIssuer)).
pub type TokenClaims = Claims<Stored>;

/// What only a stored-hash token carries: how many times it may be redeemed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    max_uses: u32,
}

impl<K> Claims<K> {
    // Empty recipient and scope "view": the least a link can grant.
    pub(super) fn with_kind(resource: impl Into<String>, expires: UnixTime, kind: K) -> Self {
        Self {
            resource: resource.into(),
            recipient: String::new(),
            scope: "view".into(),
            expires,
            kind,
        }
    }

    /// Sets the recipient.
    #[must_use]
    pub fn with_recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = recipient.into();
        self
    }

    /// Sets the scope.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }
}

impl Claims<Stored> {
    /// Claims for `resource` until `expires`, one use, empty recipient and scope `"view"`.
    pub fn new(resource: impl Into<String>, expires: UnixTime) -> Self {
        Self::with_kind(resource, expires, Stored { max_uses: 1 })
    }

    /// Sets how many times the token may be redeemed.
    #[must_use]
    pub fn with_max_uses(mut self, max_uses: u32) -> Self {
        self.kind.max_uses = max_uses;
        self
    }

    /// How many times the token may be redeemed.
    pub const fn max_uses(&self) -> u32 {
        self.kind.max_uses
    }
}
