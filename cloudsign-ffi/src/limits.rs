//! Resource limits named in text, shared by the signing options and the validator.

use std::ffi::c_char;

use cloudsign_core::Limits;

use crate::error::Failure;
use crate::ffi;

/// Sets the limit called `name` in `limits`; an unknown name is an invalid argument.
pub(crate) fn set(limits: &mut Limits, name: *const c_char, value: u64) -> Result<(), Failure> {
    let name = ffi::text(name, "name")?;
    if limits.set(name, value) {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "unknown limit {name:?} (known: {})",
            Limits::NAMES.join(", ")
        )))
    }
}
