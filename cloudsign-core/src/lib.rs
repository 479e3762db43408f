#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod auth;
pub mod cms;
pub mod crypto;
pub mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod limits;
pub mod pades;
mod parallel;
pub mod pdf;
pub mod revocation;
#[cfg(feature = "serve")]
pub mod serve;
pub mod signer;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod time;
pub mod token;
pub mod tsp;
pub mod validate;
pub mod x509;

pub use error::{Error, ErrorKind};
pub use limits::Limits;
pub use pades::{PdfSigner, SignatureOptions, SignatureProfile};
pub use validate::{ValidationReport, Validator};
