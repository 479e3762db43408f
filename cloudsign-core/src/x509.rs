//! Certificates, trust stores and certification path validation.

/// A certificate that cannot be parsed or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a DER or PEM X.509 certificate.
    #[error("malformed certificate: {0}")]
    Malformed(String),
}
