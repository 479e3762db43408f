//! The one error type of the library.
//!
//! An `Error` means no verdict could be formed or no output produced: the input is not a PDF,
//! a limit was hit, a key is unusable, I/O failed. A signature that is merely bad is not an
//! error; it is a [`ValidationReport`](crate::ValidationReport) saying `Failed`.

use crate::limits::LimitExceeded;

/// Everything that can go wrong, by layer. Each variant wraps the layer's own typed error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PDF could not be read or cannot be signed safely.
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
    /// An input exceeded a configured [`Limits`](crate::Limits) bound.
    #[error("limit exceeded: {0}")]
    Limit(#[from] LimitExceeded),
    /// A CMS structure could not be built or parsed.
    #[error(transparent)]
    Cms(#[from] crate::cms::CmsError),
    /// A certificate could not be parsed or used.
    #[error(transparent)]
    Certificate(#[from] crate::x509::CertificateError),
    /// A private key or key container could not be loaded or used.
    #[error(transparent)]
    Key(#[from] crate::signer::KeyError),
    /// A cryptographic primitive refused its input (unsupported or forbidden algorithm).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// Signing could not complete (for example the signature does not fit its placeholder).
    #[error(transparent)]
    Signing(#[from] crate::pades::SigningError),
    /// A timestamp could not be obtained or does not check out.
    #[error(transparent)]
    Timestamp(#[from] crate::tsp::TspError),
    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An authentication check failed (one-time code, password, address).
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The audit log could not be written or does not verify.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// A unique-URL token was refused or its store failed.
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
    /// A stored blob could not be written, read or authenticated.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Revocation data (OCSP, CRL) could not be obtained, parsed or trusted.
    #[error(transparent)]
    Revocation(#[from] crate::revocation::RevocationError),
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stable, coarse classification of [`Error`], for bindings (C status codes, Python
/// exception classes) and for callers that branch on the kind of failure.
///
/// ```
/// use cloudsign_core::{Error, ErrorKind};
/// let err = Error::from(std::io::Error::other("disk gone"));
/// assert_eq!(err.kind(), ErrorKind::Io);
/// assert_eq!(ErrorKind::Io.code(), 900);
/// ```
///
/// Deliberately exhaustive: the bindings map every kind with a `match` that has no wildcard
/// arm, so adding a kind fails their build until it has a C status code and a Python
/// exception class instead of silently falling into a catch-all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ErrorKind {
    /// Malformed or unsupported PDF.
    Pdf,
    /// A resource limit was exceeded.
    Limit,
    /// Malformed or unsupported CMS.
    Cms,
    /// Malformed or unusable certificate.
    Certificate,
    /// Unusable key, wrong password, unreadable key container.
    Key,
    /// Unsupported or forbidden algorithm.
    Crypto,
    /// Signing could not complete.
    Signing,
    /// A timestamp could not be obtained or does not verify.
    Timestamp,
    /// File or stream I/O.
    Io,
    /// A token was refused or its store failed.
    Token,
    /// An authentication check failed.
    Auth,
    /// The audit log could not be written or does not verify.
    Audit,
    /// Encrypted blob storage (including a blob that fails authentication).
    Store,
    /// Revocation data (OCSP, CRL) could not be obtained, parsed or trusted.
    Revocation,
}

impl ErrorKind {
    /// A stable numeric code; codes are never reused for another meaning.
    pub const fn code(self) -> u32 {
        match self {
            Self::Pdf => 100,
            Self::Limit => 200,
            Self::Cms => 300,
            Self::Certificate => 400,
            Self::Key => 500,
            Self::Crypto => 600,
            Self::Signing => 700,
            Self::Timestamp => 800,
            Self::Io => 900,
            Self::Token => 1000,
            Self::Auth => 1100,
            Self::Audit => 1200,
            Self::Store => 1300,
            Self::Revocation => 1400,
        }
    }
}

impl Error {
    /// The stable kind of this error.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Pdf(_) => ErrorKind::Pdf,
            Self::Limit(_) => ErrorKind::Limit,
            Self::Cms(_) => ErrorKind::Cms,
            Self::Certificate(_) => ErrorKind::Certificate,
            Self::Key(_) => ErrorKind::Key,
            Self::Crypto(_) => ErrorKind::Crypto,
            Self::Signing(_) => ErrorKind::Signing,
            Self::Timestamp(_) => ErrorKind::Timestamp,
            Self::Io(_) => ErrorKind::Io,
            Self::Token(_) => ErrorKind::Token,
            Self::Auth(_) => ErrorKind::Auth,
            Self::Audit(_) => ErrorKind::Audit,
            Self::Store(_) => ErrorKind::Store,
            Self::Revocation(_) => ErrorKind::Revocation,
        }
    }
}
