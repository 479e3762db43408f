//! PAdES signing: orchestrates the PDF layer, CMS and the signer.

/// Signing could not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The CMS does not fit in the reserved placeholder.
    #[error("signature of {needed} bytes does not fit the {reserved}-byte placeholder")]
    PlaceholderTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes reserved.
        reserved: usize,
    },
}

/// Signs PDFs.
#[derive(Debug)]
pub struct PdfSigner;
/// Signature options.
#[derive(Debug)]
pub struct SignatureOptions;
/// The PAdES baseline level to produce.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignatureProfile {
    /// PAdES B-B.
    BaselineB,
}
