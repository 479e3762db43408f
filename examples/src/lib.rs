//! Runnable examples of cloudsign; see `examples/` and run them with
//! `cargo run -p cloudsign-examples --example NAME`.
