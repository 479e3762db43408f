//! The `cloudsign` command.

fn main() {}
