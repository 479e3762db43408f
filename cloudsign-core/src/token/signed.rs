//! Stateless tokens: an HMAC-SHA256-signed claim set with a key id, so keys can rotate.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Claims, TokenError, TokenSecret};
use crate::crypto;
use crate::time::UnixTime;

/// The version prefix of signed tokens.
pub const SIGNED_TOKEN_PREFIX: &str = "cs1s_";

// Longer inputs are refused before any decoding or MAC work.
const MAX_SIGNED_TOKEN_LEN: usize = 4096;
const MIN_KEY_LEN: usize = 32;
const MAX_KID_LEN: usize = 32;
const ID_LEN: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// Claims of a [`SignedToken`]. There is no use count: a stateless token is valid any number
/// of times until it expires, and can be revoked only by retiring its key.
pub type SignedClaims = Claims<Signed>;

/// What only a signed token carries: a random 16-byte id, so that equal claims give different
/// tokens and a caller can keep a deny-list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signed {
    id: [u8; ID_LEN],
}

impl Claims<Signed> {
    /// Claims for `resource` until `expires`, with a fresh random id, empty recipient and scope
    /// `"view"`.
    pub fn new(resource: impl Into<String>, expires: UnixTime) -> Self {
        let mut id = [0u8; ID_LEN];
        crypto::random_bytes(&mut id);
        Self::with_kind(resource, expires, Signed { id })
    }

    /// The token's random id.
    pub const fn id(&self) -> &[u8; ID_LEN] {
        &self.kind.id
    }

    // id ‖ expires (u64 BE) ‖ (u16 BE length ‖ UTF-8) for resource, recipient, scope.
    pub(super) fn encode(&self) -> Result<Vec<u8>, TokenError> {
        let mut out = Vec::with_capacity(ID_LEN + 8 + 6 + self.resource.len());
        out.extend_from_slice(&self.kind.id);
        out.extend_from_slice(&self.expires.as_secs().to_be_bytes());
        for field in [&self.resource, &self.recipient, &self.scope] {
            let len =
                u16::try_from(field.len()).map_err(|_| TokenError::Malformed("claim too long"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        if out.len() > MAX_SIGNED_TOKEN_LEN / 2 {
            return Err(TokenError::Malformed("claims too long"));
        }
        Ok(out)
    }

    pub(super) fn decode(mut b: &[u8]) -> Result<Self, TokenError> {
        const BAD: TokenError = TokenError::Malformed("bad claim encoding");
        let (id, rest) = b.split_first_chunk::<ID_LEN>().ok_or(BAD)?;
        let (expires, rest) = rest.split_first_chunk::<8>().ok_or(BAD)?;
        b = rest;
        let mut fields = Vec::with_capacity(3);
        for _ in 0..3 {
            let (len, rest) = b.split_first_chunk::<2>().ok_or(BAD)?;
            let len = usize::from(u16::from_be_bytes(*len));
            if rest.len() < len {
                return Err(BAD);
            }
            let (s, rest) = rest.split_at(len);
            fields.push(String::from_utf8(s.to_vec()).map_err(|_| BAD)?);
            b = rest;
        }
        if !b.is_empty() {
            return Err(BAD);
        }
        let mut it = fields.into_iter();
        let expires = UnixTime::from_secs(u64::from_be_bytes(*expires));
        Ok(
            Self::with_kind(it.next().unwrap_or_default(), expires, Signed { id: *id })
                .with_recipient(it.next().unwrap_or_default())
                .with_scope(it.next().unwrap_or_default()),
        )
    }
}

/// A signed token that verified: its key id and claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedToken {
    kid: String,
    claims: SignedClaims,
}

impl SignedToken {
    /// The id of the key that signed it.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The claims.
    pub const fn claims(&self) -> &SignedClaims {
        &self.claims
    }
}

struct Key {
    kid: String,
    secret: Zeroizing<Vec<u8>>,
}

/// HMAC keys for [`SignedToken`]s: several may verify, one signs.
///
/// Rotation: [`add`](Self::add) the new key, [`activate`](Self::activate) it once every
/// verifier has it, and [`retire`](Self::retire) the old one after the longest token lifetime
/// has passed (retiring at once revokes every token it signed).
///
/// ```
/// use cloudsign_core::time::UnixTime;
/// use cloudsign_core::token::{SignedClaims, SignedTokenKeys, TokenError};
///
/// let now = UnixTime::from_secs(1_700_000_000);
/// let mut keys = SignedTokenKeys::generate("2024-01")?;
/// let old = keys.sign(&SignedClaims::new("contract-42", now.plus_secs(3600)))?;
/// keys.add("2024-02", &[7u8; 32])?;
/// keys.activate("2024-02")?;
/// let new = keys.sign(&SignedClaims::new("contract-43", now.plus_secs(3600)))?;
/// assert_eq!(keys.verify(old.expose(), now)?.kid(), "2024-01");
/// assert_eq!(keys.verify(new.expose(), now)?.kid(), "2024-02");
/// keys.retire("2024-01")?;
/// assert_eq!(keys.verify(old.expose(), now), Err(TokenError::Unknown));
/// # Ok::<(), TokenError>(())
/// ```
pub struct SignedTokenKeys {
    keys: Vec<Key>,
    active: usize,
}

impl fmt::Debug for SignedTokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedTokenKeys")
            .field(
                "kids",
                &self.keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .field("active", &self.keys.get(self.active).map(|k| &k.kid))
            .finish_non_exhaustive()
    }
}

fn check_kid(kid: &str) -> Result<(), TokenError> {
    if kid.is_empty()
        || kid.len() > MAX_KID_LEN
        || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(TokenError::Malformed(
            "key id must be 1-32 characters of A-Z, a-z, 0-9 and '-'",
        ));
    }
    Ok(())
}

impl SignedTokenKeys {
    /// Keys with one active key `kid` of at least 32 bytes.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] for a bad key id or a short key.
    pub fn new(kid: &str, key: &[u8]) -> Result<Self, TokenError> {
        let mut keys = Self {
            keys: Vec::new(),
            active: 0,
        };
        keys.add(kid, key)?;
        Ok(keys)
    }

    /// Keys with one fresh random 32-byte active key.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] for a bad key id.
    pub fn generate(kid: &str) -> Result<Self, TokenError> {
        let mut key = Zeroizing::new([0u8; 32]);
        crypto::random_bytes(key.as_mut());
        Self::new(kid, key.as_ref())
    }

    /// Adds a verification key; it does not sign until [`activate`](Self::activate)d.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] for a bad or duplicate key id or a key under 32 bytes.
    pub fn add(&mut self, kid: &str, key: &[u8]) -> Result<(), TokenError> {
        check_kid(kid)?;
        if key.len() < MIN_KEY_LEN {
            return Err(TokenError::Malformed("key shorter than 32 bytes"));
        }
        if self.keys.iter().any(|k| k.kid == kid) {
            return Err(TokenError::Malformed("duplicate key id"));
        }
        self.keys.push(Key {
            kid: kid.to_owned(),
            secret: Zeroizing::new(key.to_vec()),
        });
        Ok(())
    }

    /// Makes `kid` the signing key.
    ///
    /// # Errors
    /// [`TokenError::Unknown`] if there is no such key.
    pub fn activate(&mut self, kid: &str) -> Result<(), TokenError> {
        self.active = self
            .keys
            .iter()
            .position(|k| k.kid == kid)
            .ok_or(TokenError::Unknown)?;
        Ok(())
    }

    /// Removes a key that is not active; tokens it signed stop verifying.
    ///
    /// # Errors
    /// [`TokenError::Unknown`] if there is no such key, [`TokenError::Malformed`] if it is the
    /// active key.
    pub fn retire(&mut self, kid: &str) -> Result<(), TokenError> {
        let i = self
            .keys
            .iter()
            .position(|k| k.kid == kid)
            .ok_or(TokenError::Unknown)?;
        if i == self.active {
            return Err(TokenError::Malformed("cannot retire the active key"));
        }
        self.keys.remove(i);
        if i < self.active {
            self.active -= 1;
        }
        Ok(())
    }

    /// The id of the signing key.
    pub fn active_kid(&self) -> &str {
        self.keys.get(self.active).map_or("", |k| k.kid.as_str())
    }

    /// Signs `claims` with the active key: `cs1s_<kid>.<base64url claims>.<base64url MAC>`.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] if a claim is too long.
    pub fn sign(&self, claims: &SignedClaims) -> Result<TokenSecret, TokenError> {
        let key = self.keys.get(self.active).ok_or(TokenError::Unknown)?;
        let mut text = format!("{SIGNED_TOKEN_PREFIX}{}.", key.kid);
        data_encoding::BASE64URL_NOPAD.encode_append(&claims.encode()?, &mut text);
        let tag = mac(&key.secret, &text)?.finalize().into_bytes();
        text.push('.');
        data_encoding::BASE64URL_NOPAD.encode_append(&tag, &mut text);
        Ok(TokenSecret::new(text))
    }

    /// Verifies a presented signed token at `now`.
    ///
    /// # Errors
    /// [`TokenError::Malformed`] for a token not of this format, [`TokenError::Unknown`] for
    /// an unknown key id or a MAC that does not verify, [`TokenError::Expired`].
    pub fn verify(&self, presented: &str, now: UnixTime) -> Result<SignedToken, TokenError> {
        if presented.len() > MAX_SIGNED_TOKEN_LEN {
            return Err(TokenError::Malformed("too long"));
        }
        let body = presented
            .strip_prefix(SIGNED_TOKEN_PREFIX)
            .ok_or(TokenError::Malformed("wrong prefix"))?;
        let (signed_part, tag_b64) = presented
            .rsplit_once('.')
            .ok_or(TokenError::Malformed("missing MAC"))?;
        let (kid, claims_b64) = body
            .split_once('.')
            .ok_or(TokenError::Malformed("missing claims"))?;
        let claims_b64 = claims_b64
            .strip_suffix(tag_b64)
            .and_then(|c| c.strip_suffix('.'))
            .ok_or(TokenError::Malformed("missing MAC"))?;
        check_kid(kid)?;
        let tag = data_encoding::BASE64URL_NOPAD
            .decode(tag_b64.as_bytes())
            .map_err(|_| TokenError::Malformed("MAC not base64url"))?;
        if tag.len() != 32 {
            return Err(TokenError::Malformed("MAC wrong length"));
        }
        let claims = data_encoding::BASE64URL_NOPAD
            .decode(claims_b64.as_bytes())
            .map_err(|_| TokenError::Malformed("claims not base64url"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::Unknown)?;
        // verify_slice compares in constant time and refuses a truncated tag.
        mac(&key.secret, signed_part)?
            .verify_slice(&tag)
            .map_err(|_| TokenError::Unknown)?;
        let claims = SignedClaims::decode(&claims)?;
        if now >= claims.expires {
            return Err(TokenError::Expired);
        }
        Ok(SignedToken {
            kid: kid.to_owned(),
            claims,
        })
    }
}

fn mac(key: &[u8], signed_part: &str) -> Result<HmacSha256, TokenError> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key)
        .map_err(|_| TokenError::Malformed("bad HMAC key"))?;
    m.update(signed_part.as_bytes());
    Ok(m)
}
