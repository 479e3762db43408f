#![allow(clippy::unwrap_used)]

use super::*;

/// Every Wycheproof AES-GCM case with a 256-bit key, 96-bit nonce and 128-bit tag, valid and
/// invalid, through `seal` and `open`.
#[test]
fn wycheproof_aes_256_gcm() {
    use wycheproof::TestResult;
    use wycheproof::aead::{TestName, TestSet};

    let set = TestSet::load(TestName::AesGcm).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            continue;
        }
        for t in &group.tests {
            let key = AeadKey::from_bytes(t.key.as_slice().try_into().unwrap());
            let nonce: [u8; NONCE_LEN] = t.nonce.as_slice().try_into().unwrap();
            let mut sealed = t.ct.to_vec();
            sealed.extend_from_slice(&t.tag);
            let opened = open(&key, &nonce, &t.aad, &sealed);
            match t.result {
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(opened.unwrap(), t.pt.as_slice(), "tcId {}", t.tc_id);
                    assert_eq!(
                        seal(&key, &nonce, &t.aad, &t.pt).unwrap(),
                        sealed,
                        "tcId {}",
                        t.tc_id
                    );
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert_eq!(opened, Err(CryptoError::Decryption), "tcId {}", t.tc_id);
                    invalid += 1;
                }
            }
        }
    }
    // The exact counts of wycheproof 0.7's selection: guards against silently skipping cases.
    assert_eq!((valid, invalid), (39, 27));
}

#[test]
fn short_input_and_failed_open_leave_no_plaintext() {
    let key = AeadKey::generate();
    let nonce = [1u8; NONCE_LEN];
    let mut short = vec![0u8; TAG_LEN - 1];
    assert_eq!(
        open_in_place(&key, &nonce, b"", &mut short),
        Err(CryptoError::Decryption)
    );
    assert!(short.is_empty());
    let mut sealed = seal(&key, &nonce, b"a", b"plaintext").unwrap();
    sealed[0] ^= 1;
    assert_eq!(
        open_in_place(&key, &nonce, b"a", &mut sealed),
        Err(CryptoError::Decryption)
    );
    assert!(sealed.is_empty());
}

#[test]
fn key_debug_is_redacted_and_eq_compares_bytes() {
    let key = AeadKey::from_bytes(&[0x42; KEY_LEN]);
    assert_eq!(format!("{key:?}"), "AeadKey(..)");
    assert_eq!(key, AeadKey::from_bytes(&[0x42; KEY_LEN]));
    assert_ne!(key, AeadKey::generate());
}
