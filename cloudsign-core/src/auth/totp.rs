//! Time-based one-time passwords (RFC 6238, over HOTP of RFC 4226).
//!
//! ```text
//! TOTP = HOTP(K, T),  T = floor((now - T0) / X),  T0 = 0, X = period (30 s)
//! HOTP(K, C) = Truncate(HMAC(K, C as 8-byte big-endian)) mod 10^digits
//! ```
//!
//! Replay protection is the caller's half: store the step returned by [`Totp::verify`] with
//! the account and pass it back next time; a code for that step or an earlier one is refused,
//! so a code seen over a shoulder cannot be used again within its window.
//!
//! ```
//! use cloudsign_core::auth::totp::{Totp, TotpSecret};
//! use cloudsign_core::auth::AuthError;
//! use cloudsign_core::time::UnixTime;
//!
//! let totp = Totp::new(TotpSecret::generate());
//! let uri = totp.provisioning_uri("Cloudsign", "alice@example.com");
//! assert!(uri.starts_with("otpauth://totp/Cloudsign:alice%40example.com?secret="));
//!
//! let now = UnixTime::from_secs(1_700_000_000);
//! let code = totp.code_at(now);
//! let step = totp.verify(&code, now, None)?;
//! assert_eq!(totp.verify(&code, now, Some(step)), Err(AuthError::Replayed));
//! # Ok::<(), AuthError>(())
//! ```

#[cfg(test)]
mod tests;

use std::fmt;

use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::AuthError;
use crate::crypto;
use crate::time::UnixTime;

/// The HMAC hash of a TOTP. SHA-1 is the default and what most authenticator apps support;
/// HOTP's use of HMAC-SHA-1 is not affected by SHA-1 collisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    /// The name used in `otpauth://` URIs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    fn mac(self, key: &[u8], msg: &[u8]) -> Zeroizing<Vec<u8>> {
        // HMAC accepts keys of any length, so new_from_slice cannot fail; an empty output
        // would only make every comparison fail.
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
            <M as hmac::digest::KeyInit>::new_from_slice(key).map_or_else(
                |_| Vec::new(),
                |mut m| {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                },
            )
        }
        Zeroizing::new(match self {
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(key, msg),
            Self::Sha256 => run::<Hmac<sha2::Sha256>>(key, msg),
            Self::Sha512 => run::<Hmac<sha2::Sha512>>(key, msg),
        })
    }
}

/// A shared TOTP secret. Zeroized on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

/// Bytes in a generated secret: 160 bits, the HMAC-SHA-1 block-size recommendation of
/// RFC 4226 §4 (R6).
pub const TOTP_SECRET_BYTES: usize = 20;

impl TotpSecret {
    /// A fresh 160-bit secret from the operating system's CSPRNG.
    pub fn generate() -> Self {
        Self::generate_len(TOTP_SECRET_BYTES)
    }

    /// A fresh secret of `len` bytes (at least 20; shorter requests are raised to 20).
    pub fn generate_len(len: usize) -> Self {
        let mut v = Zeroizing::new(vec![0u8; len.max(TOTP_SECRET_BYTES)]);
        crypto::random_bytes(&mut v);
        Self(v)
    }

    /// From raw bytes (at least 16, the RFC 4226 minimum of 128 bits).
    ///
    /// # Errors
    /// [`AuthError::Malformed`] for fewer than 16 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuthError> {
        if bytes.len() < 16 {
            return Err(AuthError::Malformed(
                "TOTP secret shorter than 128 bits".into(),
            ));
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// From RFC 4648 base32 as shown to users: case, spaces and padding are ignored.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] if it is not base32 or is shorter than 128 bits.
    pub fn from_base32(s: &str) -> Result<Self, AuthError> {
        let clean: Zeroizing<String> = Zeroizing::new(
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = Zeroizing::new(
            data_encoding::BASE32_NOPAD
                .decode(clean.as_bytes())
                .map_err(|_| AuthError::Malformed("TOTP secret is not base32".into()))?,
        );
        Self::from_bytes(&bytes)
    }

    /// Unpadded upper-case base32, the form authenticator apps expect.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0))
    }

    /// The raw secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// A TOTP configuration for one account.
#[derive(Clone, Debug)]
pub struct Totp {
    secret: TotpSecret,
    algorithm: TotpAlgorithm,
    digits: u8,
    period: u64,
    skew: u64,
}

impl Totp {
    /// SHA-1, 6 digits, 30-second steps, and a window of one step either side (the RFC 6238
    /// §6 recommendation for network delay and clock drift).
    pub const fn new(secret: TotpSecret) -> Self {
        Self {
            secret,
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
            skew: 1,
        }
    }

    /// Sets the HMAC algorithm.
    #[must_use]
    pub const fn with_algorithm(mut self, algorithm: TotpAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Sets the number of digits, 6 to 8.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] outside 6..=8.
    pub fn with_digits(mut self, digits: u8) -> Result<Self, AuthError> {
        if !(6..=8).contains(&digits) {
            return Err(AuthError::Malformed("TOTP digits must be 6 to 8".into()));
        }
        self.digits = digits;
        Ok(self)
    }

    /// Sets the step length in seconds (at least 1).
    #[must_use]
    pub fn with_period(mut self, seconds: u64) -> Self {
        self.period = seconds.max(1);
        self
    }

    /// Sets how many steps either side of the current one are accepted (at most 10).
    #[must_use]
    pub fn with_skew(mut self, steps: u64) -> Self {
        self.skew = steps.min(10);
        self
    }

    /// The secret.
    pub const fn secret(&self) -> &TotpSecret {
        &self.secret
    }

    /// The step that contains `time`.
    pub const fn step_at(&self, time: UnixTime) -> u64 {
        time.as_secs() / self.period
    }

    /// The code for step `step`, zero-padded to the configured digits.
    pub fn code_for_step(&self, step: u64) -> String {
        let mac = self.algorithm.mac(&self.secret.0, &step.to_be_bytes());
        // Dynamic truncation, RFC 4226 §5.3: the low nibble of the last byte is an offset.
        let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
        let word = mac
            .get(offset..offset + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_be_bytes)
            & 0x7fff_ffff;
        let modulus = 10u32.pow(u32::from(self.digits));
        format!(
            "{:0width$}",
            word % modulus,
            width = usize::from(self.digits)
        )
    }

    /// The code at `time`.
    pub fn code_at(&self, time: UnixTime) -> String {
        self.code_for_step(self.step_at(time))
    }

    /// Checks `code` at `now`; returns the step it matched, which the caller stores as the
    /// new `last_used_step`.
    ///
    /// Every step in the window is computed and compared in constant time, whatever matches,
    /// so timing tells nothing about which step (or how much of a code) was right.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] if `code` is not exactly the configured number of ASCII
    /// digits, [`AuthError::Replayed`] if it matches only steps at or before
    /// `last_used_step`, [`AuthError::InvalidCode`] otherwise.
    pub fn verify(
        &self,
        code: &str,
        now: UnixTime,
        last_used_step: Option<u64>,
    ) -> Result<u64, AuthError> {
        if code.len() != usize::from(self.digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthError::Malformed(format!(
                "a one-time code is {} digits",
                self.digits
            )));
        }
        let current = self.step_at(now);
        let mut fresh: Option<u64> = None;
        let mut replayed = false;
        for step in current.saturating_sub(self.skew)..=current.saturating_add(self.skew) {
            let expected = self.code_for_step(step);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                if last_used_step.is_some_and(|last| step <= last) {
                    replayed = true;
                } else if fresh.is_none() {
                    fresh = Some(step);
                }
            }
        }
        match (fresh, replayed) {
            (Some(step), _) => Ok(step),
            (None, true) => Err(AuthError::Replayed),
            (None, false) => Err(AuthError::InvalidCode),
        }
    }

    /// The `otpauth://totp/` URI for enrolment (usually shown as a QR code), in the Key Uri
    /// Format authenticator apps read: label `Issuer:account`, and the secret, issuer,
    /// algorithm, digits and period as parameters. The URI contains the secret.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
            percent_encode(issuer),
            percent_encode(account),
            self.secret.to_base32().as_str(),
            percent_encode(issuer),
            self.algorithm.name(),
            self.digits,
            self.period
        )
    }
}

// RFC 3986 unreserved characters pass; everything else, including ':' '@' '&' and spaces, is
// encoded so that neither label nor parameters can be split by a crafted name.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
