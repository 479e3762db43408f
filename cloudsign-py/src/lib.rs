//! The Python binding of cloudsign: the native module `cloudsign._native`.
//!
//! The Python package `cloudsign` (in `python/cloudsign/`) re-exports what is defined here,
//! defines the exception hierarchy and carries the typed stubs. Every call that signs,
//! verifies, timestamps, seals or hashes runs with the interpreter detached, so other Python
//! threads keep running; Python callbacks (external signers, timestamp transports, key
//! providers) re-attach for the duration of the call.

mod access;
mod audit;
mod buffer;
mod errors;
mod kwargs;
mod ltv;
mod report;
mod sign;
mod signer;
mod store;
mod token;
mod tsa;

use pyo3::pymodule;

/// Native part of the `cloudsign` package; import `cloudsign` instead.
#[pymodule(name = "_native")]
mod native {
    #[pymodule_export]
    use crate::access::{
        IpAllowlist, PasswordPolicy, Totp, hash_password, password_needs_rehash, verify_password,
    };
    #[pymodule_export]
    use crate::audit::{AuditLog, AuditRecord, AuditReport, verify_audit_log};
    #[pymodule_export]
    use crate::ltv::{ltv_add, ltv_extend};
    #[pymodule_export]
    use crate::report::{SignatureReport, VerificationReport, verify_pdf, verify_pdf_file};
    #[pymodule_export]
    use crate::sign::{PreparedSignature, prepare_pdf, sign_pdf, sign_pdf_file, timestamp_pdf};
    #[pymodule_export]
    use crate::signer::{Signer, ToBeSigned};
    #[pymodule_export]
    use crate::store::{BlobBackend, BlobStore, RepairReport, StaticKeyProvider};
    #[pymodule_export]
    use crate::token::{SignedTokenInfo, SignedTokenKeys, TokenRecord, TokenStore};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("SUPPORTED_LEVELS", crate::sign::Level::NAMES.to_vec())?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
