//! Integration tests of the public API: one binary, one module per concern.

#[path = "support/oracles.rs"]
#[allow(dead_code)]
mod oracles;

#[path = "api/common.rs"]
mod common;
#[path = "api/interop.rs"]
mod interop;
#[path = "api/fuzz_replay.rs"]
mod fuzz_replay;
#[path = "api/signing.rs"]
mod signing;
#[path = "api/verification.rs"]
mod verification;
