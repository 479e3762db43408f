//! Account protection: one-time passwords (TOTP), IP allowlists and password hashing.
//!
//! Each part is independent and does no I/O: the caller stores the TOTP secret and its
//! `last_used_step`, the allowlist and the PHC password hash wherever its accounts live.

pub mod ip;
pub mod password;
pub mod totp;

/// An authentication check failed or its input is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// An IP address or CIDR range is not written in the one strict form accepted.
    #[error("invalid address {input:?}: {reason}")]
    InvalidAddress {
        /// The text refused.
        input: String,
        /// Why.
        reason: &'static str,
    },
    /// A one-time code does not match any step in the window.
    #[error("one-time code does not match")]
    InvalidCode,
    /// A parameter or encoded value is malformed (base32 secret, digit count, PHC string).
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The password hash could not be computed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    /// A one-time code that matches, but for a step at or before the last one used.
    #[error("one-time code already used")]
    Replayed,
    /// A new password does not meet the strength policy.
    #[error(transparent)]
    WeakPassword(#[from] password::WeakPassword),
    /// The password does not match the stored hash.
    #[error("password does not match")]
    WrongPassword,
}
