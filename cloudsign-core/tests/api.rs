//! Integration tests of the public API: one binary, one module per concern.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/oracles.rs"]
mod oracles;
#[path = "support/s3.rs"]
mod s3;

#[path = "api/access.rs"]
mod access;
#[path = "api/common.rs"]
mod common;
#[path = "api/fuzz_replay.rs"]
mod fuzz_replay;
#[path = "api/interop.rs"]
mod interop;
#[path = "api/ltv.rs"]
mod ltv;
#[path = "api/object_store.rs"]
mod object_store;
#[path = "api/revocation.rs"]
mod revocation;
#[path = "api/signing.rs"]
mod signing;
#[path = "api/store.rs"]
mod store;
#[path = "api/timestamps.rs"]
mod timestamps;
#[path = "api/verification.rs"]
mod verification;
