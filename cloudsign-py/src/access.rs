//! Account protection: password hashing and strength, TOTP one-time codes, IP allowlists.

use std::net::IpAddr;

use cloudsign_core::auth::AuthError;
use cloudsign_core::auth::ip::IpAllowlist as CoreAllowlist;
use cloudsign_core::auth::password::{self, PasswordParams, PasswordPolicy as CorePolicy};
use cloudsign_core::auth::totp::{Totp as CoreTotp, TotpAlgorithm, TotpSecret};
use cloudsign_core::time::UnixTime;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPyResult;

/// argon2id parameters: the OWASP minimum where not given.
fn params(
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
) -> PasswordParams {
    let d = PasswordParams::OWASP_MINIMUM;
    PasswordParams::new(
        memory_kib.unwrap_or(d.memory_kib),
        iterations.unwrap_or(d.iterations),
        parallelism.unwrap_or(d.parallelism),
    )
}

/// Hashes `password` with argon2id and a fresh salt; returns the PHC string to store.
#[pyfunction]
#[pyo3(signature = (password, *, memory_kib=None, iterations=None, parallelism=None))]
pub(crate) fn hash_password(
    py: Python<'_>,
    password: &str,
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
) -> PyResult<String> {
    let params = params(memory_kib, iterations, parallelism);
    py.detach(|| password::hash(password, &params)).py()
}

/// Whether `password` matches the stored PHC string (compared in constant time).
#[pyfunction]
pub(crate) fn verify_password(py: Python<'_>, password: &str, phc: &str) -> PyResult<bool> {
    match py.detach(|| password::verify(password, phc)) {
        Ok(()) => Ok(true),
        Err(AuthError::WrongPassword) => Ok(false),
        Err(other) => Err(other).py(),
    }
}

/// Whether a stored hash is weaker than the given (default: OWASP minimum) parameters and
/// should be replaced at the next successful login.
#[pyfunction]
#[pyo3(signature = (phc, *, memory_kib=None, iterations=None, parallelism=None))]
pub(crate) fn password_needs_rehash(
    phc: &str,
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
) -> PyResult<bool> {
    password::needs_rehash(phc, &params(memory_kib, iterations, parallelism)).py()
}

/// Rules for new passwords: a minimum length, refusal of repeated characters, sequences and
/// the user's own data, and a zxcvbn score.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct PasswordPolicy {
    inner: CorePolicy,
}

#[pymethods]
impl PasswordPolicy {
    #[new]
    #[pyo3(signature = (*, min_chars=None, min_score=None))]
    fn new(min_chars: Option<usize>, min_score: Option<u8>) -> PyResult<Self> {
        let mut inner = CorePolicy::default();
        if let Some(n) = min_chars {
            inner.min_chars = n;
        }
        if let Some(s) = min_score {
            if s > 4 {
                return Err(PyValueError::new_err(format!(
                    "min_score is 0 to 4, not {s}"
                )));
            }
            inner.min_score = s;
        }
        Ok(Self { inner })
    }

    #[getter]
    fn min_chars(&self) -> usize {
        self.inner.min_chars
    }

    #[getter]
    fn min_score(&self) -> u8 {
        self.inner.min_score
    }

    /// Why `password` is too weak, in words for the person choosing it, or None if it is
    /// acceptable. `user_inputs`: the user's name, e-mail, birthday and the like.
    #[pyo3(signature = (password, user_inputs=Vec::new()))]
    fn weakness(&self, py: Python<'_>, password: &str, user_inputs: Vec<String>) -> Option<String> {
        let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
        py.detach(|| self.inner.check(password, &inputs))
            .err()
            .map(|w| w.reason)
    }

    /// Raises `AuthError` ("password too weak: ...") unless `password` is acceptable.
    #[pyo3(signature = (password, user_inputs=Vec::new()))]
    fn check(&self, py: Python<'_>, password: &str, user_inputs: Vec<String>) -> PyResult<()> {
        let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
        py.detach(|| self.inner.check(password, &inputs))
            .map_err(AuthError::from)
            .py()
    }

    fn __repr__(&self) -> String {
        format!(
            "PasswordPolicy(min_chars={}, min_score={})",
            self.inner.min_chars, self.inner.min_score
        )
    }
}

fn parse_algorithm(name: &str) -> PyResult<TotpAlgorithm> {
    match name.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Ok(TotpAlgorithm::Sha1),
        "SHA256" => Ok(TotpAlgorithm::Sha256),
        "SHA512" => Ok(TotpAlgorithm::Sha512),
        _ => Err(PyValueError::new_err(format!(
            "unknown TOTP algorithm {name:?} (supported: SHA1, SHA256, SHA512)"
        ))),
    }
}

/// A time-based one-time password configuration (RFC 6238) for one account. The secret is
/// held in Rust memory and zeroized when the object goes away.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct Totp {
    inner: CoreTotp,
    algorithm: TotpAlgorithm,
    digits: u8,
    period: u64,
}

#[pymethods]
impl Totp {
    /// From a raw secret (`bytes`) or its base32 text (`str`, as authenticator apps show it).
    #[new]
    #[pyo3(signature = (secret, *, algorithm="SHA1", digits=6, period=30, skew=1))]
    fn new(
        secret: &Bound<'_, PyAny>,
        algorithm: &str,
        digits: u8,
        period: u64,
        skew: u64,
    ) -> PyResult<Self> {
        let secret = match secret.extract::<String>() {
            Ok(text) => TotpSecret::from_base32(&text),
            Err(_) => TotpSecret::from_bytes(&secret.extract::<Vec<u8>>()?),
        }
        .py()?;
        Self::build(secret, algorithm, digits, period, skew)
    }

    /// A configuration with a fresh random secret (20 bytes, from the OS).
    #[staticmethod]
    #[pyo3(signature = (*, algorithm="SHA1", digits=6, period=30, skew=1))]
    fn generate(algorithm: &str, digits: u8, period: u64, skew: u64) -> PyResult<Self> {
        Self::build(TotpSecret::generate(), algorithm, digits, period, skew)
    }

    /// The secret in base32, to store (encrypted) or show once.
    #[getter]
    fn secret_base32(&self) -> String {
        self.inner.secret().to_base32().to_string()
    }

    /// The raw secret.
    #[getter]
    fn secret<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.secret().expose())
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.algorithm.name()
    }

    #[getter]
    fn digits(&self) -> u8 {
        self.digits
    }

    #[getter]
    fn period(&self) -> u64 {
        self.period
    }

    /// The code at `time` (seconds since the epoch; default now).
    #[pyo3(signature = (time=None))]
    fn code(&self, time: Option<u64>) -> String {
        self.inner
            .code_at(time.map_or_else(UnixTime::now, UnixTime::from_secs))
    }

    /// Checks `code` at `now` (default: the current time) within the skew window, refusing a
    /// step at or before `last_used_step`. Returns the step it matched: store it as the new
    /// `last_used_step`. Raises `AuthError` for a wrong, replayed or malformed code.
    #[pyo3(signature = (code, *, now=None, last_used_step=None))]
    fn verify(&self, code: &str, now: Option<u64>, last_used_step: Option<u64>) -> PyResult<u64> {
        let now = now.map_or_else(UnixTime::now, UnixTime::from_secs);
        self.inner.verify(code, now, last_used_step).py()
    }

    /// The `otpauth://totp/...` enrolment URI (usually shown as a QR code); it contains the
    /// secret.
    fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        self.inner.provisioning_uri(issuer, account)
    }

    fn __repr__(&self) -> String {
        format!(
            "Totp(algorithm={:?}, digits={}, period={})",
            self.algorithm.name(),
            self.digits,
            self.period
        )
    }
}

impl Totp {
    fn build(
        secret: TotpSecret,
        algorithm: &str,
        digits: u8,
        period: u64,
        skew: u64,
    ) -> PyResult<Self> {
        let algorithm = parse_algorithm(algorithm)?;
        if period == 0 {
            return Err(PyValueError::new_err("period must be at least 1 second"));
        }
        let inner = CoreTotp::new(secret)
            .with_algorithm(algorithm)
            .with_digits(digits)
            .py()?
            .with_period(period)
            .with_skew(skew);
        Ok(Self {
            inner,
            algorithm,
            digits,
            period,
        })
    }
}

/// Networks allowed to reach an account: addresses and CIDR ranges, IPv4 and IPv6. An empty
/// list allows nothing.
#[pyclass(frozen, module = "cloudsign")]
#[derive(Debug)]
pub(crate) struct IpAllowlist {
    inner: CoreAllowlist,
}

fn parse_ip(ip: &str) -> PyResult<IpAddr> {
    ip.trim()
        .parse()
        .map_err(|_| PyValueError::new_err(format!("not an IP address: {ip:?}")))
}

#[pymethods]
impl IpAllowlist {
    /// Parses every entry (`"10.0.0.0/8"`, `"2001:db8::/32"`, `"192.0.2.7"`); the first bad
    /// one raises `AuthError`, so a typo never silently narrows or widens access.
    #[new]
    fn new(entries: Vec<String>) -> PyResult<Self> {
        CoreAllowlist::parse(&entries)
            .py()
            .map(|inner| Self { inner })
    }

    /// Whether `ip` is allowed (IPv4-mapped IPv6 addresses count as IPv4).
    fn allows(&self, ip: &str) -> PyResult<bool> {
        Ok(self.inner.allows(parse_ip(ip)?))
    }

    fn __contains__(&self, ip: &str) -> PyResult<bool> {
        self.allows(ip)
    }

    /// The rules in canonical form.
    #[getter]
    fn rules(&self) -> Vec<String> {
        self.inner.rules().iter().map(ToString::to_string).collect()
    }

    fn __len__(&self) -> usize {
        self.inner.rules().len()
    }

    fn __repr__(&self) -> String {
        format!("IpAllowlist({:?})", self.rules())
    }
}
