//! `cloudsign blob`: put, get, rotate and keygen as a user runs them.

// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/run.rs"]
mod run;

use run::{cloudsign, s, text};

fn keygen(id: &str) -> String {
    let out = cloudsign(&["blob", "keygen", id]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn put_get_rotate_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let keys = dir.path().join("keys");
    let old = keygen("k2025");
    assert_eq!(old.trim().len(), "k2025 ".len() + 64);
    std::fs::write(&keys, &old).unwrap();
    let input = dir.path().join("contract.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&input, &data).unwrap();
    let common = ["--store", s(&store), "--key-file", s(&keys)];

    let out = cloudsign(&[&["blob", "put", s(&input)][..], &common].concat());
    assert!(out.status.success(), "{}", text(&out));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(id.len(), 32);
    let stored = std::fs::read(store.join(&id)).unwrap();
    assert!(!stored.windows(64).any(|w| w == &data[1000..1064]));

    let back = dir.path().join("back.bin");
    let out = cloudsign(&[&["blob", "get", &id, "-o", s(&back)][..], &common].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // New active key first, old kept for unwrapping; rotate; then the old key can go.
    std::fs::write(&keys, format!("{}{old}", keygen("k2026"))).unwrap();
    let out = cloudsign(&[&["blob", "rotate"][..], &common].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rotated 1 blob(s)"), "{}", text(&out));
    let new_only: String = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .take(1)
        .collect();
    std::fs::write(&keys, new_only).unwrap();
    std::fs::remove_file(&back).unwrap();
    let out = cloudsign(&[&["blob", "get", &id, "-o", s(&back)][..], &common].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(&back).unwrap(), data);
}

#[test]
fn tampered_blob_fails_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let keys = dir.path().join("keys");
    std::fs::write(&keys, keygen("k1")).unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, vec![7u8; 200_000]).unwrap();
    let common = ["--store", s(&store), "--key-file", s(&keys)];
    let out = cloudsign(&[&["blob", "put", s(&input)][..], &common].concat());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // Flip a byte in the last chunk: earlier chunks verify, yet no output file appears.
    let path = store.join(&id);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let back = dir.path().join("back");
    let out = cloudsign(&[&["blob", "get", &id, "-o", s(&back)][..], &common].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("authentication"), "{}", text(&out));
    assert!(!back.exists());
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 3, "store, keys, in");

    // Bad ids and key files are clean errors.
    for bad_id in ["../../etc/passwd", "XYZ"] {
        let out = cloudsign(&[&["blob", "get", bad_id, "-o", s(&back)][..], &common].concat());
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out).contains("invalid blob id"), "{}", text(&out));
    }
    std::fs::write(&keys, "k1 nothex").unwrap();
    let out = cloudsign(&[&["blob", "put", s(&input)][..], &common].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("KEYID HEX64"), "{}", text(&out));
}
