//! Account protection: argon2id password hashes (PHC strings) at the OWASP minimum cost, and
//! the strength policy for new passwords.

use std::ffi::c_char;

use cloudsign_core::auth::password::{PasswordParams, PasswordPolicy};
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
        let phc = password::hash(password, &PasswordParams::OWASP_MINIMUM)?;
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

/// `*needs` receives whether the stored PHC string `phc` should be replaced by a new hash at
/// the next successful login: another algorithm or version, or a cost below what
/// `cs_password_hash` uses now. A malformed `phc` is `CS_ERR_AUTH`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_password_needs_rehash(
    phc: *const c_char,
    needs: *mut bool,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let needs = ffi::ValueOut::new(needs, "needs")?;
        let phc = ffi::text(phc, "phc")?;
        needs.set(password::needs_rehash(phc, &PasswordParams::OWASP_MINIMUM)?);
        Ok(())
    })
}

/// Checks a new password against the strength policy: at least 12 characters, no repeated
/// character or short pattern, no sequence such as `abcd…`, not made of the user's own data,
/// and a zxcvbn guess estimate of at least score 3. `user_inputs` holds `user_inputs_count`
/// strings of that data (name, e-mail address, birthday, company); NULL when the count is 0.
///
/// A weak password is a verdict, not an error: the call returns `CS_OK` and `*weakness`
/// receives NULL for an acceptable password, or the reason (text written for the person
/// choosing it, e.g. "use at least 12 characters").
#[unsafe(no_mangle)]
pub extern "C" fn cs_password_check(
    password: *const c_char,
    user_inputs: *const *const c_char,
    user_inputs_count: usize,
    weakness: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let weakness = ffi::Out::new(weakness, "weakness")?;
        let password = ffi::text(password, "password")?;
        let inputs = ffi::texts(user_inputs, user_inputs_count, "user_inputs")?;
        let verdict = PasswordPolicy::default().check(password, &inputs);
        weakness.set_option(verdict.err().map(|w| cs_bytes::text(w.reason)));
        Ok(())
    })
}
