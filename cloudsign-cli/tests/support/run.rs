//! Running the `cloudsign` binary from the CLI test files.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `cloudsign ARGS...` and returns its output.
pub(crate) fn cloudsign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudsign"))
        .args(args)
        .output()
        .expect("run cloudsign")
}

/// Stdout and stderr together, for assertion messages.
pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A path as an argument.
pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
