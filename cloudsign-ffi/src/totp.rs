//! Time-based one-time passwords (RFC 6238): enrolment secrets and URIs, codes, and checks
//! within a skew window that refuse a code used before.
//!
//! Replay protection is the caller's half: store the step `cs_totp_verify` returns with the
//! account and pass it back next time.

use std::ffi::c_char;

use cloudsign_core::auth::totp::{Totp, TotpAlgorithm, TotpSecret};
use cloudsign_core::time::UnixTime;

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// HMAC-SHA-1, the default: what most authenticator apps support (HOTP's use of HMAC is not
/// weakened by SHA-1 collisions).
pub const CS_TOTP_SHA1: u32 = 1;
/// HMAC-SHA-256.
pub const CS_TOTP_SHA256: u32 = 2;
/// HMAC-SHA-512.
pub const CS_TOTP_SHA512: u32 = 3;

/// The widest window `cs_totp_configure` accepts, in steps either side of the current one.
const MAX_SKEW_STEPS: u64 = 10;

/// A TOTP configuration for one account: its secret (wiped when freed), algorithm, digits,
/// step and skew window. Made by `cs_totp_new`, `cs_totp_new_base32` or `cs_totp_generate`,
/// freed by `cs_totp_free`.
#[derive(Debug)]
pub struct cs_totp {
    inner: Totp,
}

/// Hands C a TOTP with default settings over the secret `secret` makes.
fn new_totp(
    out: *mut *mut cs_totp,
    err: *mut *mut cs_error,
    secret: impl FnOnce() -> Result<TotpSecret, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(cs_totp {
            inner: Totp::new(secret()?),
        });
        Ok(())
    })
}

/// A TOTP over the raw secret `secret` (at least 16 bytes; shorter is `CS_ERR_AUTH`), with the
/// defaults: SHA-1, 6 digits, 30-second steps, one step of skew either side.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_new(
    secret: *const u8,
    secret_len: usize,
    out: *mut *mut cs_totp,
    err: *mut *mut cs_error,
) -> cs_status {
    new_totp(out, err, || {
        let secret = ffi::bytes(secret, secret_len, "secret")?;
        Ok(TotpSecret::from_bytes(secret)?)
    })
}

/// A TOTP over a secret in RFC 4648 base32, as authenticator apps show it (case, spaces and
/// padding are ignored; not base32 or under 128 bits is `CS_ERR_AUTH`), with the defaults of
/// `cs_totp_new`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_new_base32(
    secret: *const c_char,
    out: *mut *mut cs_totp,
    err: *mut *mut cs_error,
) -> cs_status {
    new_totp(out, err, || {
        Ok(TotpSecret::from_base32(ffi::text(secret, "secret")?)?)
    })
}

/// A TOTP over a fresh 160-bit secret from the operating system, for enrolment, with the
/// defaults of `cs_totp_new`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_generate(out: *mut *mut cs_totp, err: *mut *mut cs_error) -> cs_status {
    new_totp(out, err, || Ok(TotpSecret::generate()))
}

/// Sets the HMAC `algorithm` (`CS_TOTP_SHA1`, `CS_TOTP_SHA256`, `CS_TOTP_SHA512`), the number
/// of `digits` (6 to 8), the step length `period_seconds` (at least 1) and `skew_steps`, how
/// many steps either side of the current one are accepted (at most 10). A value outside these
/// sets is `CS_ERR_INVALID_ARGUMENT` and changes nothing.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_configure(
    totp: *mut cs_totp,
    algorithm: u32,
    digits: u32,
    period_seconds: u64,
    skew_steps: u64,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let totp = ffi::handle_mut(totp, "totp")?;
        let algorithm = match algorithm {
            CS_TOTP_SHA1 => TotpAlgorithm::Sha1,
            CS_TOTP_SHA256 => TotpAlgorithm::Sha256,
            CS_TOTP_SHA512 => TotpAlgorithm::Sha512,
            other => return Err(Failure::invalid(format!("unknown TOTP algorithm {other}"))),
        };
        let digits = u8::try_from(digits)
            .ok()
            .filter(|d| (6..=8).contains(d))
            .ok_or_else(|| Failure::invalid(format!("TOTP digits must be 6 to 8, not {digits}")))?;
        if period_seconds == 0 {
            return Err(Failure::invalid(
                "the TOTP period must be at least 1 second",
            ));
        }
        if skew_steps > MAX_SKEW_STEPS {
            return Err(Failure::invalid(format!(
                "the TOTP skew is at most {MAX_SKEW_STEPS} steps, not {skew_steps}"
            )));
        }
        totp.inner = totp
            .inner
            .clone()
            .with_algorithm(algorithm)
            .with_digits(digits)?
            .with_period(period_seconds)
            .with_skew(skew_steps);
        Ok(())
    })
}

/// Hands C a text made from a TOTP.
fn totp_text(
    totp: *const cs_totp,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
    make: impl FnOnce(&Totp) -> Result<cs_bytes, Failure>,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        out.set(make(&ffi::handle(totp, "totp")?.inner)?);
        Ok(())
    })
}

/// `*out` receives the secret in unpadded upper-case base32, to store (encrypted) with the
/// account; the buffer is wiped when freed.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_secret_base32(
    totp: *const cs_totp,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    totp_text(totp, out, err, |t| {
        Ok(cs_bytes::secret(t.secret().to_base32().as_bytes().to_vec()))
    })
}

/// `*out` receives the `otpauth://totp/ISSUER:ACCOUNT?secret=…` enrolment URI that
/// authenticator apps read (usually shown as a QR code). It contains the secret and is wiped
/// when freed.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_provisioning_uri(
    totp: *const cs_totp,
    issuer: *const c_char,
    account: *const c_char,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    totp_text(totp, out, err, |t| {
        let issuer = ffi::text(issuer, "issuer")?;
        let account = ffi::text(account, "account")?;
        Ok(cs_bytes::secret(
            t.provisioning_uri(issuer, account).into_bytes(),
        ))
    })
}

/// `*out` receives the code at `unix_time` (seconds since the epoch), zero-padded digits.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_code(
    totp: *const cs_totp,
    unix_time: u64,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    totp_text(totp, out, err, |t| {
        Ok(cs_bytes::secret(
            t.code_at(UnixTime::from_secs(unix_time)).into_bytes(),
        ))
    })
}

/// Checks `code` at `unix_time` within the skew window (every step compared in constant time).
///
/// `last_used_step` points to the step stored after the account's last successful check, or
/// is NULL if it has none: a code for that step or an earlier one is refused as a replay. On
/// success `*step` receives the step the code matched; store it as the new last used step. A
/// wrong code, a replayed one, and one that is not exactly the configured number of digits are
/// `CS_ERR_AUTH` (the message says which).
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_verify(
    totp: *const cs_totp,
    code: *const c_char,
    unix_time: u64,
    last_used_step: *const u64,
    step: *mut u64,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let step = ffi::ValueOut::new(step, "step")?;
        let totp = ffi::handle(totp, "totp")?;
        let code = ffi::text(code, "code")?;
        let last = ffi::optional_value(last_used_step);
        step.set(
            totp.inner
                .verify(code, UnixTime::from_secs(unix_time), last)?,
        );
        Ok(())
    })
}

/// Frees a TOTP and wipes its secret; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_totp_free(totp: *mut cs_totp) {
    guard((), || ffi::free_handle(totp));
}
