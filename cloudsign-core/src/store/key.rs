//! Data keys and the providers that wrap them: the single joint between the store and
//! whatever holds the key-encryption keys (a file, an environment variable, a KMS, an HSM).

use std::collections::BTreeMap;
use std::path::Path;

use zeroize::Zeroizing;

use super::StoreError;
use crate::crypto::aead::{self, AeadKey, KEY_LEN, NONCE_LEN, TAG_LEN};

/// The name of a key-encryption key: 1 to 64 characters from `[A-Za-z0-9._-]`, so it can
/// appear in headers, file names and key files without escaping.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// A checked key id.
    pub fn new(id: &str) -> Result<Self, StoreError> {
        let ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(id.to_owned()))
        } else {
            Err(StoreError::InvalidKeyId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The per-blob AES-256 data key. Fresh for every blob, zeroized on drop, `Debug` redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(AeadKey);

impl DataKey {
    /// A data key from raw bytes (for providers that unwrap remotely).
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        Self(AeadKey::from_bytes(bytes))
    }

    /// A fresh random data key.
    pub(crate) fn generate() -> Self {
        Self(AeadKey::generate())
    }

    /// The raw key bytes, to be wrapped. Never store them unwrapped.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        self.0.as_bytes()
    }

    pub(crate) fn aead(&self) -> &AeadKey {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A data key wrapped by a [`KeyProvider`]: the id of the wrapping key and opaque bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// The key-encryption key that wrapped it.
    pub key_id: KeyId,
    /// Opaque wrapped bytes (at most 1024).
    pub bytes: Vec<u8>,
}

/// Holds key-encryption keys and wraps and unwraps data keys.
///
/// `context` binds a wrapped key to one blob (its id and fixed header fields); an
/// implementation must authenticate it (as AEAD associated data, or a KMS encryption context)
/// so a wrapped key copied to another blob fails to unwrap. Unwrap failures of any cause,
/// including an unknown key id, should be [`StoreError::Authentication`].
///
/// A KMS-backed provider keeps no key material locally; `KmsClient` below stands for any
/// SDK client with encrypt/decrypt under an encryption context:
///
/// ```
/// use cloudsign_core::store::{DataKey, KeyId, KeyProvider, StoreError, WrappedKey};
///
/// # struct KmsClient;
/// # impl KmsClient {
/// #     fn encrypt(&self, _key: &str, pt: &[u8], _ctx: &[u8]) -> Result<Vec<u8>, ()> {
/// #         Ok(pt.to_vec())
/// #     }
/// #     fn decrypt(&self, _key: &str, ct: &[u8], _ctx: &[u8]) -> Result<Vec<u8>, ()> {
/// #         Ok(ct.to_vec())
/// #     }
/// # }
/// struct KmsKeyProvider {
///     client: KmsClient,
///     key: KeyId, // e.g. "contracts-2026" naming a KMS key alias
/// }
///
/// impl KeyProvider for KmsKeyProvider {
///     fn active_key_id(&self) -> KeyId {
///         self.key.clone()
///     }
///
///     fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
///         let bytes = self
///             .client
///             .encrypt(self.key.as_str(), data_key.as_bytes(), context)
///             .map_err(|()| StoreError::KeyProvider("KMS encrypt failed".into()))?;
///         Ok(WrappedKey { key_id: self.key.clone(), bytes })
///     }
///
///     fn unwrap(&self, key_id: &KeyId, wrapped: &[u8], context: &[u8])
///         -> Result<DataKey, StoreError>
///     {
///         let plain = self
///             .client
///             .decrypt(key_id.as_str(), wrapped, context)
///             .map_err(|()| StoreError::Authentication)?;
///         let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| StoreError::Authentication)?;
///         Ok(DataKey::from_bytes(&bytes))
///     }
/// }
/// # let p = KmsKeyProvider { client: KmsClient, key: KeyId::new("k").unwrap() };
/// # let dk = DataKey::from_bytes(&[1; 32]);
/// # let w = p.wrap(&dk, b"ctx").unwrap();
/// # assert_eq!(p.unwrap(&w.key_id, &w.bytes, b"ctx").unwrap(), dk);
/// ```
pub trait KeyProvider: Send + Sync {
    /// The key new blobs are wrapped under, and the target of rotation.
    fn active_key_id(&self) -> KeyId;

    /// Wraps `data_key` under the active key, authenticating `context`.
    fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError>;

    /// Unwraps a data key wrapped under `key_id` with the same `context`.
    fn unwrap(&self, key_id: &KeyId, wrapped: &[u8], context: &[u8])
    -> Result<DataKey, StoreError>;
}

/// A shared provider: several stores can wrap and unwrap with one provider (see the example
/// at `impl BlobBackend for Arc<B>`).
impl<K: KeyProvider + ?Sized> KeyProvider for std::sync::Arc<K> {
    fn active_key_id(&self) -> KeyId {
        (**self).active_key_id()
    }

    fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        (**self).wrap(data_key, context)
    }

    fn unwrap(&self, id: &KeyId, wrapped: &[u8], ctx: &[u8]) -> Result<DataKey, StoreError> {
        (**self).unwrap(id, wrapped, ctx)
    }
}

/// Key-encryption keys held in memory, loaded from a key file, an environment variable or
/// given directly; one of them active.
///
/// Key file format (also the value of the environment variable, where `;` may separate
/// entries): one `KEYID HEX64` entry per line, the first entry is the active key, blank lines
/// and lines starting with `#` are ignored:
///
/// ```text
/// # newest first: new blobs are wrapped under it, `rotate` moves old blobs to it
/// k2026 8f0c...64 hex digits...
/// k2025 1d2e...64 hex digits...
/// ```
///
/// Wrapping is AES-256-GCM under the key-encryption key with a random 96-bit nonce and the
/// blob context as AAD: `nonce (12) ‖ sealed data key (32) ‖ tag (16)`. Random nonces keep a
/// single key safe for about 2^32 wraps (NIST SP 800-38D §8.3); rotate keys long before.
///
/// ```
/// use cloudsign_core::store::{KeyProvider, StaticKeyProvider};
/// let text = format!("new {}\nold {}\n", "11".repeat(32), "22".repeat(32));
/// let keys = StaticKeyProvider::parse(&text).unwrap();
/// assert_eq!(keys.active_key_id().as_str(), "new");
/// ```
pub struct StaticKeyProvider {
    active: KeyId,
    keys: BTreeMap<KeyId, AeadKey>,
}

impl StaticKeyProvider {
    /// A provider with a single (active) key.
    pub fn new(id: KeyId, key: &[u8; KEY_LEN]) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(id.clone(), AeadKey::from_bytes(key));
        Self { active: id, keys }
    }

    /// Adds a key that can unwrap (and, after [`set_active`](Self::set_active), wrap).
    pub fn add_key(&mut self, id: KeyId, key: &[u8; KEY_LEN]) {
        self.keys.insert(id, AeadKey::from_bytes(key));
    }

    /// Makes a known key the active one.
    pub fn set_active(&mut self, id: &KeyId) -> Result<(), StoreError> {
        if !self.keys.contains_key(id) {
            return Err(StoreError::KeyProvider(format!("unknown key id {id}")));
        }
        self.active = id.clone();
        Ok(())
    }

    /// Parses the key file format described above.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let mut provider: Option<Self> = None;
        for (n, entry) in text.split(['\n', ';']).enumerate() {
            let entry = entry.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let bad =
                || StoreError::KeyProvider(format!("key entry {}: expected KEYID HEX64", n + 1));
            let mut parts = entry.split_whitespace();
            let (Some(id), Some(hex_key), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad());
            };
            let id = KeyId::new(id)?;
            let key = decode_key_hex(hex_key).ok_or_else(bad)?;
            match provider.as_mut() {
                None => provider = Some(Self::new(id, &key)),
                Some(p) if p.keys.contains_key(&id) => {
                    return Err(StoreError::KeyProvider(format!("duplicate key id {id}")));
                }
                Some(p) => p.add_key(id, &key),
            }
        }
        provider.ok_or_else(|| StoreError::KeyProvider("no keys given".to_owned()))
    }

    /// Loads a key file in the format described above.
    pub fn from_key_file(path: &Path) -> Result<Self, StoreError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(StoreError::Backend)?);
        Self::parse(&text)
    }

    /// Loads a single key under `id` from a file holding exactly 32 raw bytes or 64 hex digits
    /// (surrounding whitespace allowed).
    pub fn from_single_key_file(id: KeyId, path: &Path) -> Result<Self, StoreError> {
        let raw = Zeroizing::new(std::fs::read(path).map_err(StoreError::Backend)?);
        if let Ok(key) = <&[u8; KEY_LEN]>::try_from(raw.as_slice()) {
            return Ok(Self::new(id, key));
        }
        let key = std::str::from_utf8(&raw)
            .ok()
            .and_then(|s| decode_key_hex(s.trim()))
            .ok_or_else(|| {
                StoreError::KeyProvider("expected 32 raw bytes or 64 hex digits".into())
            })?;
        Ok(Self::new(id, &key))
    }

    /// Reads the key file format from environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self, StoreError> {
        let text = Zeroizing::new(
            std::env::var(var).map_err(|_| StoreError::KeyProvider(format!("{var} is not set")))?,
        );
        Self::parse(&text)
    }

    /// The known key ids.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }
}

impl std::fmt::Debug for StaticKeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticKeyProvider")
            .field("active", &self.active)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeyProvider for StaticKeyProvider {
    fn active_key_id(&self) -> KeyId {
        self.active.clone()
    }

    fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Result<WrappedKey, StoreError> {
        let kek = self
            .keys
            .get(&self.active)
            .ok_or_else(|| StoreError::KeyProvider("active key missing".to_owned()))?;
        let mut nonce = [0u8; NONCE_LEN];
        crate::crypto::random_bytes(&mut nonce);
        let mut bytes = nonce.to_vec();
        let sealed = aead::seal(kek, &nonce, context, data_key.as_bytes())
            .map_err(|e| StoreError::KeyProvider(e.to_string()))?;
        bytes.extend_from_slice(&sealed);
        Ok(WrappedKey {
            key_id: self.active.clone(),
            bytes,
        })
    }

    fn unwrap(
        &self,
        key_id: &KeyId,
        wrapped: &[u8],
        context: &[u8],
    ) -> Result<DataKey, StoreError> {
        let kek = self.keys.get(key_id).ok_or(StoreError::Authentication)?;
        if wrapped.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
            return Err(StoreError::Authentication);
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| StoreError::Authentication)?;
        let plain = Zeroizing::new(
            aead::open(kek, nonce, context, sealed).map_err(|_| StoreError::Authentication)?,
        );
        let bytes: &[u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Authentication)?;
        Ok(DataKey::from_bytes(bytes))
    }
}

fn decode_key_hex(text: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(text, &mut *key).ok()?;
    Some(key)
}
