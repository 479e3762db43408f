//! CMS SignedData for PAdES (CAdES detached signatures).

/// A CMS structure that cannot be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    /// Not well-formed DER, or not the expected structure.
    #[error("malformed CMS: {0}")]
    Malformed(String),
}
