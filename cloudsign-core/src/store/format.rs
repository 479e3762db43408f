//! The blob envelope: header layout, chunk nonces and the associated data.
//!
//! ```text
//! offset     len  field
//! 0          4    magic "CSBL"
//! 4          1    format version (1)
//! 5          1    key id length K (1..=64)
//! 6          K    key id (ASCII [A-Za-z0-9._-])
//! 6+K        2    wrapped data key length W, big-endian (1..=1024)
//! 8+K        W    wrapped data key (opaque, produced by the KeyProvider)
//! 8+K+W      7    nonce prefix (random per blob)
//! 15+K+W     4    chunk size C, big-endian (16..=16 MiB)
//! 19+K+W     ...  body: chunks of C plaintext bytes sealed with AES-256-GCM (C + 16 bytes each),
//!                 then one final chunk of 0..C-1 plaintext bytes (16..C+15 bytes)
//! ```
//!
//! Chunk `i` is sealed with nonce `prefix ‖ i (u32 BE) ‖ flag` where flag is 1 for the final
//! chunk and 0 otherwise, and with the 32-byte *binding* as associated data:
//! `magic ‖ version ‖ blob id (16) ‖ nonce prefix ‖ chunk size`. The binding is also the
//! context under which the data key is wrapped.
//!
//! Why the key id and wrapped key are not in the chunk AAD: rotation replaces both, and if the
//! body were bound to them every rotation would re-encrypt every byte. They need no binding of
//! their own: the wrapped key is authenticated by the key wrap (its AAD is the binding, so it
//! cannot be moved to another blob id or paired with other header fields), and a changed key id
//! either names no key or a key that fails to unwrap. Every other header field is in the
//! binding, so altering any header byte, or moving a body to another id, fails authentication.

use std::io::Read;

use super::{BlobId, KeyId, StoreError};
use crate::crypto::aead::NONCE_LEN;

/// Magic bytes that open every blob.
pub(crate) const MAGIC: [u8; 4] = *b"CSBL";
/// The only format version written and read.
pub(crate) const VERSION: u8 = 1;
/// Length of the random per-blob nonce prefix.
pub(crate) const PREFIX_LEN: usize = 7;
/// Default plaintext bytes per chunk.
pub(crate) const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Smallest chunk size accepted (tiny chunks only make sense in tests).
pub(crate) const MIN_CHUNK_SIZE: u32 = 16;
/// Largest chunk size accepted: bounds the memory a reader allocates for a hostile header.
pub(crate) const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
/// Largest wrapped key accepted (KMS ciphertexts are a few hundred bytes).
pub(crate) const MAX_WRAPPED_LEN: usize = 1024;
/// Length of the binding (chunk AAD and key-wrap context).
pub(crate) const BINDING_LEN: usize = 4 + 1 + 16 + PREFIX_LEN + 4;

/// A parsed blob header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) key_id: KeyId,
    pub(crate) wrapped_key: Vec<u8>,
    pub(crate) nonce_prefix: [u8; PREFIX_LEN],
    pub(crate) chunk_size: u32,
}

impl Header {
    /// The serialized header.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let key_id = self.key_id.as_str().as_bytes();
        let mut out = Vec::with_capacity(19 + key_id.len() + self.wrapped_key.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        // Both lengths are bounded when the values are constructed (KeyId, wrap check).
        out.push(u8::try_from(key_id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(key_id);
        out.extend_from_slice(
            &u16::try_from(self.wrapped_key.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.wrapped_key);
        out.extend_from_slice(&self.nonce_prefix);
        out.extend_from_slice(&self.chunk_size.to_be_bytes());
        out
    }

    /// Reads exactly one header from the start of `r`. Every malformation is an
    /// authentication failure: a stored blob is untrusted input and the caller learns nothing
    /// finer than "not authentic".
    pub(crate) fn read_from(r: &mut dyn Read) -> Result<Self, StoreError> {
        let mut fixed = [0u8; 6];
        read_exact(r, &mut fixed)?;
        if fixed[..4] != MAGIC || fixed[4] != VERSION {
            return Err(StoreError::Authentication);
        }
        let mut key_id = vec![0u8; usize::from(fixed[5])];
        read_exact(r, &mut key_id)?;
        let key_id = std::str::from_utf8(&key_id)
            .ok()
            .and_then(|s| KeyId::new(s).ok())
            .ok_or(StoreError::Authentication)?;
        let mut len = [0u8; 2];
        read_exact(r, &mut len)?;
        let wrapped_len = usize::from(u16::from_be_bytes(len));
        if wrapped_len == 0 || wrapped_len > MAX_WRAPPED_LEN {
            return Err(StoreError::Authentication);
        }
        let mut wrapped_key = vec![0u8; wrapped_len];
        read_exact(r, &mut wrapped_key)?;
        let mut nonce_prefix = [0u8; PREFIX_LEN];
        read_exact(r, &mut nonce_prefix)?;
        let mut size = [0u8; 4];
        read_exact(r, &mut size)?;
        let chunk_size = u32::from_be_bytes(size);
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(StoreError::Authentication);
        }
        Ok(Self {
            key_id,
            wrapped_key,
            nonce_prefix,
            chunk_size,
        })
    }

    /// The associated data of every chunk and the key-wrap context: the blob id and every
    /// header field that stays fixed for the blob's life.
    pub(crate) fn binding(&self, id: &BlobId) -> [u8; BINDING_LEN] {
        binding(id, &self.nonce_prefix, self.chunk_size)
    }

    /// The nonce of chunk `counter`.
    pub(crate) fn nonce(&self, counter: u32, last: bool) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        n[..PREFIX_LEN].copy_from_slice(&self.nonce_prefix);
        n[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
        n[NONCE_LEN - 1] = u8::from(last);
        n
    }

    /// Chunk size as a buffer length.
    pub(crate) fn chunk_len(&self) -> usize {
        // u32 always fits usize on the 32- and 64-bit targets the crate supports.
        usize::try_from(self.chunk_size).unwrap_or(usize::MAX)
    }
}

/// See [`Header::binding`].
pub(crate) fn binding(
    id: &BlobId,
    prefix: &[u8; PREFIX_LEN],
    chunk_size: u32,
) -> [u8; BINDING_LEN] {
    let mut b = [0u8; BINDING_LEN];
    b[..4].copy_from_slice(&MAGIC);
    b[4] = VERSION;
    b[5..21].copy_from_slice(id.as_bytes());
    b[21..28].copy_from_slice(prefix);
    b[28..].copy_from_slice(&chunk_size.to_be_bytes());
    b
}

/// `read_exact`, with a short read reported as an authentication failure (a truncated header)
/// and other I/O errors passed through.
fn read_exact(r: &mut dyn Read, buf: &mut [u8]) -> Result<(), StoreError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            StoreError::Authentication
        } else {
            StoreError::Backend(e)
        }
    })
}

/// Reads until `buf` is full or the source ends; returns the number of bytes read.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
