#![allow(clippy::unwrap_used)]

use super::*;

fn store() -> EncryptedBlobStore<MemoryBackend, StaticKeyProvider> {
    let keys = StaticKeyProvider::new(KeyId::new("k1").unwrap(), &[1u8; 32]);
    EncryptedBlobStore::new(MemoryBackend::new(), keys)
        .with_chunk_size(16)
        .unwrap()
}

#[test]
fn header_round_trips_and_layout_is_as_documented() {
    let h = Header {
        key_id: KeyId::new("kid").unwrap(),
        wrapped_key: vec![9; 60],
        nonce_prefix: [5; PREFIX_LEN],
        chunk_size: 65536,
    };
    let bytes = h.to_bytes();
    assert_eq!(&bytes[..6], b"CSBL\x01\x03");
    assert_eq!(&bytes[6..9], b"kid");
    assert_eq!(&bytes[9..11], &[0, 60]);
    assert_eq!(bytes.len(), 19 + 3 + 60);
    assert_eq!(&bytes[bytes.len() - 4..], &[0, 1, 0, 0]);
    assert_eq!(Header::read_from(&mut bytes.as_slice()).unwrap(), h);
    for cut in 0..bytes.len() {
        assert_eq!(
            Header::read_from(&mut &bytes[..cut]),
            Err(StoreError::Authentication)
        );
    }
}

#[test]
fn nonce_is_prefix_counter_flag() {
    let h = Header {
        key_id: KeyId::new("k").unwrap(),
        wrapped_key: vec![1],
        nonce_prefix: [0xaa; PREFIX_LEN],
        chunk_size: 16,
    };
    assert_eq!(
        h.nonce(0x0102_0304, true),
        [0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 1, 2, 3, 4, 1]
    );
    assert_eq!(h.nonce(0, false)[7..], [0, 0, 0, 0, 0]);
}

#[test]
fn blob_ids_are_strict_lowercase_hex() {
    let id = BlobId::generate();
    assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
    for bad in [
        "",
        "../etc/passwd",
        &"A".repeat(32),
        &"0".repeat(31),
        &"0".repeat(33),
    ] {
        assert_eq!(bad.parse::<BlobId>(), Err(StoreError::InvalidBlobId));
    }
}

#[test]
fn key_ids_are_checked() {
    assert!(KeyId::new("k-2026.v1_a").is_ok());
    for bad in ["", "a b", "a/b", &"x".repeat(65)] {
        assert_eq!(KeyId::new(bad), Err(StoreError::InvalidKeyId));
    }
}

#[test]
fn full_chunk_is_sealed_non_final_and_empty_final_chunk_follows() {
    let s = store();
    let id = s.put(&[7u8; 32]).unwrap();
    let raw = s.backend().raw(&id).unwrap();
    let header_len = 19 + 2 + 60;
    // Two full chunks and an empty final one.
    assert_eq!(raw.len(), header_len + 2 * (16 + TAG_LEN) + TAG_LEN);
    assert_eq!(s.get(&id).unwrap(), vec![7u8; 32]);
}

#[test]
fn writer_dropped_without_finish_stores_nothing() {
    let s = store();
    let mut w = s.writer().unwrap();
    w.write_all(&[1u8; 100]).unwrap();
    let id = w.id().clone();
    drop(w);
    assert!(!s.exists(&id).unwrap());
    assert_eq!(s.get(&id), Err(StoreError::NotFound));
}

#[test]
fn error_kind_has_stable_code() {
    let e = crate::Error::from(StoreError::Authentication);
    assert_eq!(e.kind(), crate::ErrorKind::Store);
    assert_eq!(e.kind().code(), 1300);
}

#[test]
fn static_key_provider_parses_and_rejects() {
    let hex1 = "11".repeat(32);
    let p =
        StaticKeyProvider::parse(&format!("# c\n\nnew {hex1}\nold {}", "22".repeat(32))).unwrap();
    assert_eq!(p.active_key_id().as_str(), "new");
    assert_eq!(p.key_ids().count(), 2);
    assert!(StaticKeyProvider::parse(&format!("a {hex1};b {}", "33".repeat(32))).is_ok());
    for bad in [
        "",
        "k",
        "k 1234",
        &format!("k {hex1} extra"),
        &format!("k {hex1}\nk {hex1}"),
    ] {
        assert!(
            matches!(
                StaticKeyProvider::parse(bad),
                Err(StoreError::KeyProvider(_) | StoreError::InvalidKeyId)
            ),
            "{bad}"
        );
    }
    assert!(!format!("{p:?}").contains("11111111"));
}

#[test]
fn streams_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let s = store();
    let w = s.writer().unwrap();
    send(&w);
    let id = w.finish().unwrap();
    send(&s.reader(&id).unwrap());
}
