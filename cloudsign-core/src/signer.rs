//! The `Signer` seam: local keys and external signers (HSM, KMS) share one interface.

/// A key or key container that cannot be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is malformed.
    #[error("malformed key: {0}")]
    Malformed(String),
}
