//! AES-256-GCM, the one authenticated cipher of the library (blob bodies and key wrapping).
//!
//! Only 96-bit nonces and 128-bit tags: the parameters NIST SP 800-38D recommends and the only
//! ones the blob format uses. Callers own nonce uniqueness; the store guarantees it with a
//! fresh key per blob and a chunk counter.
//!
//! ```
//! use cloudsign_core::crypto::aead::{self, AeadKey};
//! let key = AeadKey::generate();
//! let nonce = [7u8; aead::NONCE_LEN];
//! let sealed = aead::seal(&key, &nonce, b"context", b"secret").unwrap();
//! assert_eq!(sealed.len(), 6 + aead::TAG_LEN);
//! assert_eq!(aead::open(&key, &nonce, b"context", &sealed).unwrap(), b"secret");
//! assert!(aead::open(&key, &nonce, b"other", &sealed).is_err());
//! ```

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::CryptoError;

/// Key length in bytes (AES-256).
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes (96 bits).
pub const NONCE_LEN: usize = 12;
/// Authentication tag length in bytes (128 bits).
pub const TAG_LEN: usize = 16;

/// An AES-256-GCM key. The raw bytes and the expanded key schedule are zeroized on drop;
/// `Debug` never shows them.
#[derive(Clone)]
pub struct AeadKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    cipher: Aes256Gcm,
}

impl AeadKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let bytes = Zeroizing::new(*bytes);
        let cipher = Aes256Gcm::new((&*bytes).into());
        Self { bytes, cipher }
    }

    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        super::random_bytes(&mut *bytes);
        Self::from_bytes(&bytes)
    }

    /// The raw key bytes, for wrapping under another key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl PartialEq for AeadKey {
    /// Constant-time comparison of the key bytes.
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&*other.bytes).into()
    }
}

impl Eq for AeadKey {}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey(..)")
    }
}

/// Encrypts `plaintext` and returns ciphertext followed by the 16-byte tag.
pub fn seal(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    seal_in_place(key, nonce, aad, &mut out)?;
    Ok(out)
}

/// Encrypts `buffer` in place and appends the 16-byte tag.
///
/// GCM refuses plaintexts longer than 2^36 - 32 bytes; then the buffer is cleared (it still
/// held plaintext) and an error returned, so a caller can never store it by mistake.
pub fn seal_in_place(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    match key
        .cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, buffer)
    {
        Ok(tag) => {
            buffer.extend_from_slice(&tag);
            Ok(())
        }
        Err(_) => {
            buffer.clear();
            Err(CryptoError::Malformed("AES-GCM input too long".to_owned()))
        }
    }
}

/// Verifies and decrypts ciphertext-with-tag; nothing is returned unless the tag verifies.
pub fn open(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut buffer = sealed.to_vec();
    open_in_place(key, nonce, aad, &mut buffer)?;
    Ok(buffer)
}

/// Verifies and decrypts `buffer` (ciphertext followed by the tag) in place, leaving the
/// plaintext. On failure the buffer is cleared, so no unauthenticated plaintext survives.
pub fn open_in_place(
    key: &AeadKey,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    let Some(body_len) = buffer.len().checked_sub(TAG_LEN) else {
        buffer.clear();
        return Err(CryptoError::Decryption);
    };
    let tag = *Tag::from_slice(&buffer[body_len..]);
    buffer.truncate(body_len);
    let verified =
        key.cipher
            .decrypt_in_place_detached(Nonce::from_slice(nonce), aad, buffer, &tag);
    if verified.is_err() {
        // aes-gcm leaves the buffer untouched (still ciphertext) on failure; clear it anyway so
        // a caller can never mistake it for plaintext.
        buffer.clear();
        return Err(CryptoError::Decryption);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
