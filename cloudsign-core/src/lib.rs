//! cloudsign: PAdES signatures, timestamps and long-term validation for electronic contracts.
//!
//! The crate is a pure-Rust core: it performs no network I/O itself, links no OpenSSL and
//! reaches the outside world only through traits. See the repository README for an overview.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cms;
pub mod crypto;
pub mod error;
pub mod limits;
pub mod pades;
pub mod pdf;
pub mod signer;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod time;
pub mod validate;
pub mod x509;

pub use error::{Error, ErrorKind};
pub use limits::Limits;
pub use pades::{PdfSigner, SignatureOptions, SignatureProfile};
pub use validate::{ValidationReport, Validator};
