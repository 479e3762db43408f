//! Password hashing (argon2id, PHC strings) and a strength policy for new passwords.
//!
//! # Parameters
//!
//! [`PasswordParams::default`] is argon2id with m = 19 MiB (19 456 KiB), t = 2, p = 1: the
//! first configuration of the OWASP Password Storage Cheat Sheet ("Argon2id with a minimum
//! configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism"),
//! which is also the RFC 9106 §4 style of choosing memory first. Stored hashes carry their
//! parameters in the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so the
//! defaults can be raised later: [`needs_rehash`] tells when a stored hash is below the
//! current parameters, and the caller re-hashes on the next successful login.
//!
//! ```no_run
//! use cloudsign_core::auth::password::{self, PasswordParams, PasswordPolicy};
//!
//! let params = PasswordParams::default();
//! PasswordPolicy::default().check("correct horse battery staple", &["alice@example.com"])?;
//! let phc = password::hash("correct horse battery staple", &params)?;
//! password::verify("correct horse battery staple", &phc)?;
//! assert!(!password::needs_rehash(&phc, &params)?);
//! # Ok::<(), cloudsign_core::auth::AuthError>(())
//! ```

#[cfg(test)]
mod tests;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::AuthError;

/// Longest password accepted, in bytes; argon2 would take more, but nobody types this much
/// and it bounds the work an attacker can ask of [`PasswordPolicy::check`].
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordParams {
    /// The OWASP minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP_MINIMUM: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Custom parameters (checked when hashing).
    pub const fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        Self {
            memory_kib,
            iterations,
            parallelism,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>, AuthError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| AuthError::PasswordHash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP_MINIMUM
    }
}

/// Hashes `password` with argon2id and a fresh 128-bit salt; returns the PHC string to store.
///
/// # Errors
/// [`AuthError::PasswordHash`] for unusable parameters, [`AuthError::Malformed`] for a
/// password longer than [`MAX_PASSWORD_BYTES`].
pub fn hash(password: &str, params: &PasswordParams) -> Result<String, AuthError> {
    check_len(password)?;
    let salt = SaltString::generate(&mut OsRng);
    params
        .argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::PasswordHash(e.to_string()))
}

/// Checks `password` against a stored PHC string, with the parameters it records. The hash
/// comparison inside is constant-time.
///
/// # Errors
/// [`AuthError::WrongPassword`] on mismatch, [`AuthError::Malformed`] if `phc` is not an
/// argon2id PHC string.
pub fn verify(password: &str, phc: &str) -> Result<(), AuthError> {
    check_len(password)?;
    let parsed = parse(phc)?;
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .map_err(|e| match e {
            argon2::password_hash::Error::Password => AuthError::WrongPassword,
            other => AuthError::Malformed(other.to_string()),
        })
}

/// Whether a stored hash should be replaced: another algorithm or version, or any cost
/// parameter below `current`.
///
/// # Errors
/// [`AuthError::Malformed`] if `phc` is not a PHC string.
pub fn needs_rehash(phc: &str, current: &PasswordParams) -> Result<bool, AuthError> {
    let parsed = parse(phc)?;
    let stored = Params::try_from(&parsed).map_err(|e| AuthError::Malformed(e.to_string()))?;
    Ok(parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(0x13)
        || stored.m_cost() < current.memory_kib
        || stored.t_cost() < current.iterations
        || stored.p_cost() < current.parallelism)
}

/// The parameters recorded in a stored PHC string.
///
/// # Errors
/// [`AuthError::Malformed`] if `phc` is not an argon2 PHC string.
pub fn params_of(phc: &str) -> Result<PasswordParams, AuthError> {
    let parsed = parse(phc)?;
    let p = Params::try_from(&parsed).map_err(|e| AuthError::Malformed(e.to_string()))?;
    Ok(PasswordParams::new(p.m_cost(), p.t_cost(), p.p_cost()))
}

fn parse(phc: &str) -> Result<PasswordHash<'_>, AuthError> {
    let parsed = PasswordHash::new(phc).map_err(|e| AuthError::Malformed(e.to_string()))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err(AuthError::Malformed("not an argon2 hash".into()));
    }
    Ok(parsed)
}

fn check_len(password: &str) -> Result<(), AuthError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::Malformed("password too long".into()));
    }
    Ok(())
}

/// A new password was refused; `reason` is written for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password too weak: {reason}")]
#[non_exhaustive]
pub struct WeakPassword {
    /// Why, in words for the user.
    pub reason: String,
}

impl WeakPassword {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Rules for new passwords: a minimum length, explicit refusals of the patterns people reach
/// for (one repeated character or pattern, keyboard-free sequences, the user's own name,
/// e-mail or birthday), and a zxcvbn guess estimate of at least score 3 (about 10^8 guesses,
/// "safely unguessable" against online attacks and slowed by argon2 offline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Minimum length in characters (NIST SP 800-63B asks at least 8; we default to 12).
    pub min_chars: usize,
    /// Minimum zxcvbn score, 0–4.
    pub min_score: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            min_score: 3,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password. `user_inputs` are the user's own data (name, e-mail, birthday,
    /// company) that must not make up the password.
    ///
    /// # Errors
    /// [`WeakPassword`] with a reason a user can act on.
    pub fn check(&self, password: &str, user_inputs: &[&str]) -> Result<(), WeakPassword> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(WeakPassword::new("use at most 1024 bytes"));
        }
        let chars: Vec<char> = password.chars().collect();
        if chars.len() < self.min_chars {
            return Err(WeakPassword::new(format!(
                "use at least {} characters",
                self.min_chars
            )));
        }
        if let Some(period) = repeat_period(&chars) {
            return Err(WeakPassword::new(if period == 1 {
                "do not repeat one character".to_owned()
            } else {
                "do not repeat a short pattern".to_owned()
            }));
        }
        if is_sequence(&chars) {
            return Err(WeakPassword::new(
                "do not use a sequence such as abcd… or 1234…",
            ));
        }
        if mostly_personal(password, user_inputs) {
            return Err(WeakPassword::new(
                "do not build the password from your name, e-mail address or birthday",
            ));
        }
        let mut inputs: Vec<String> = user_inputs.iter().map(|s| (*s).to_owned()).collect();
        inputs.extend(personal_tokens(user_inputs));
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(password, &refs);
        if u8::from(estimate.score()) < self.min_score {
            let warning = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| w.to_string());
            return Err(WeakPassword::new(match warning {
                Some(w) if !w.is_empty() => format!("too easy to guess: {w}"),
                _ => "too easy to guess: add more words or characters".to_owned(),
            }));
        }
        Ok(())
    }
}

// The shortest period p ≤ 4 such that the password is one block of p characters repeated.
fn repeat_period(chars: &[char]) -> Option<usize> {
    (1..=4).find(|&p| {
        chars.len() >= 2 * p && chars.iter().enumerate().all(|(i, c)| chars[i % p] == *c)
    })
}

// Every character one code point above (or every one below) the previous: abcdef…, 987654…
fn is_sequence(chars: &[char]) -> bool {
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    steps.iter().all(|&d| d == 1) || steps.iter().all(|&d| d == -1)
}

// Words of at least three letters or digits from the user's data, plus each input's digits
// run together (a birthday 1985-04-12 gives 19850412 as well as 1985).
fn personal_tokens(user_inputs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for input in user_inputs {
        let lower = input.to_lowercase();
        out.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|t| t.chars().count() >= 3)
                .map(str::to_owned),
        );
        let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 4 {
            out.push(digits);
        }
    }
    out
}

// The password minus every personal token (and separators) leaves fewer than 6 characters.
fn mostly_personal(password: &str, user_inputs: &[&str]) -> bool {
    let mut tokens = personal_tokens(user_inputs);
    if tokens.is_empty() {
        return false;
    }
    tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut rest = Zeroizing::new(password.to_lowercase());
    for t in &tokens {
        *rest = rest.replace(t.as_str(), "");
    }
    rest.chars().filter(|c| c.is_alphanumeric()).count() < 6
}
