//! A generated test PKI (feature `testkit`).
pub mod samples;
