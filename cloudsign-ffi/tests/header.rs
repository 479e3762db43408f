//! The committed C header is exactly what cbindgen makes of the crate today.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .unwrap()
        .write(&mut generated);
    let path = crate_dir.join("include/cloudsign.h");
    if std::env::var_os("CLOUDSIGN_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/cloudsign.h is stale; regenerate it with \
         CLOUDSIGN_BLESS=1 cargo test -p cloudsign-ffi --test header and commit it"
    );
}
