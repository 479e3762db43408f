//! Account protection: argon2id password hashes (PHC strings) at the OWASP minimum cost.

use std::ffi::c_char;

use cloudsign_core::auth::{AuthError, password};

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status};
use crate::ffi;

impl From<AuthError> for Failure {
    fn from(e: AuthError) -> Self {
        cloudsign_core::Error::from(e).into()
    }
}

/// Hashes `password` with argon2id at the OWASP minimum cost and a fresh salt; `*out`
/// receives the PHC string (`$argon2id$v=19$...`) to store.
#[unsafe(no_mangle)]
pub extern "C" fn cs_password_hash(
    password: *const c_char,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let password = ffi::text(password, "password")?;
        let phc = password::hash(password, &password::PasswordParams::OWASP_MINIMUM)?;
        out.set(cs_bytes::text(phc));
        Ok(())
    })
}

/// Checks `password` against the stored PHC string `phc` (constant-time): `CS_OK` on a
/// match, `CS_ERR_AUTH` for a wrong password or a malformed `phc`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_password_verify(
    password: *const c_char,
    phc: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let password = ffi::text(password, "password")?;
        let phc = ffi::text(phc, "phc")?;
        Ok(password::verify(password, phc)?)
    })
}
