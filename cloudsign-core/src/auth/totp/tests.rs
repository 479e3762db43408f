#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn seed(len: usize) -> TotpSecret {
    let ascii: Vec<u8> = b"1234567890".iter().copied().cycle().take(len).collect();
    TotpSecret::from_bytes(&ascii).unwrap()
}

// RFC 6238 Appendix B: 8 digits, 30-second steps; the seed is the ASCII string
// "1234567890" repeated to 20, 32 and 64 bytes for SHA-1, SHA-256 and SHA-512.
#[rustfmt::skip]
const RFC6238: &[(u64, &str, &str, &str)] = &[
    //  time         SHA-1       SHA-256     SHA-512
    (59,          "94287082", "46119246", "90693936"),
    (1111111109,  "07081804", "68084774", "25091201"),
    (1111111111,  "14050471", "67062674", "99943326"),
    (1234567890,  "89005924", "91819424", "93441116"),
    (2000000000,  "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

#[test]
fn rfc6238_appendix_b_vectors() {
    let algs = [
        (TotpAlgorithm::Sha1, 20),
        (TotpAlgorithm::Sha256, 32),
        (TotpAlgorithm::Sha512, 64),
    ];
    for &(time, c1, c256, c512) in RFC6238 {
        for ((alg, len), expected) in algs.iter().zip([c1, c256, c512]) {
            let totp = Totp::new(seed(*len))
                .with_algorithm(*alg)
                .with_digits(8)
                .unwrap();
            let t = UnixTime::from_secs(time);
            assert_eq!(totp.code_at(t), expected, "{alg:?} at {time}");
            assert_eq!(totp.verify(expected, t, None).unwrap(), time / 30);
        }
    }
}

#[test]
fn six_digit_codes_are_the_low_digits() {
    let totp = Totp::new(seed(20));
    assert_eq!(totp.code_at(UnixTime::from_secs(59)), "287082");
    assert_eq!(totp.code_at(UnixTime::from_secs(1111111109)), "081804");
}

#[test]
fn skew_window_is_one_step_by_default_and_configurable() {
    let totp = Totp::new(seed(20));
    let t = UnixTime::from_secs(1_700_000_000);
    let step = totp.step_at(t);
    assert_eq!(
        totp.verify(&totp.code_for_step(step - 1), t, None).unwrap(),
        step - 1
    );
    assert_eq!(
        totp.verify(&totp.code_for_step(step + 1), t, None).unwrap(),
        step + 1
    );
    assert_eq!(
        totp.verify(&totp.code_for_step(step - 2), t, None),
        Err(AuthError::InvalidCode)
    );
    assert_eq!(
        totp.verify(&totp.code_for_step(step + 2), t, None),
        Err(AuthError::InvalidCode)
    );
    let wide = totp.clone().with_skew(2);
    assert!(wide.verify(&totp.code_for_step(step - 2), t, None).is_ok());
    let strict = totp.with_skew(0);
    assert!(
        strict
            .verify(&strict.code_for_step(step - 1), t, None)
            .is_err()
    );
}

#[test]
fn replay_is_refused() {
    let totp = Totp::new(seed(20));
    let t = UnixTime::from_secs(1_700_000_000);
    let code = totp.code_at(t);
    let step = totp.verify(&code, t, None).unwrap();
    assert_eq!(totp.verify(&code, t, Some(step)), Err(AuthError::Replayed));
    assert_eq!(
        totp.verify(&code, t.plus_secs(30), Some(step)),
        Err(AuthError::Replayed)
    );
    // An earlier code is refused once a later one has been used.
    let earlier = totp.code_for_step(step - 1);
    assert_eq!(
        totp.verify(&earlier, t, Some(step)),
        Err(AuthError::Replayed)
    );
    // The next step's code is still fine.
    let next = totp.code_for_step(step + 1);
    assert_eq!(
        totp.verify(&next, t.plus_secs(30), Some(step)).unwrap(),
        step + 1
    );
}

#[test]
fn malformed_codes_and_parameters() {
    let totp = Totp::new(seed(20));
    let t = UnixTime::from_secs(59);
    for bad in ["", "28708", "2870822", "28708a", " 287082", "２８７０８２"] {
        assert!(
            matches!(totp.verify(bad, t, None), Err(AuthError::Malformed(_))),
            "{bad}"
        );
    }
    assert!(Totp::new(seed(20)).with_digits(5).is_err());
    assert!(Totp::new(seed(20)).with_digits(9).is_err());
    assert!(TotpSecret::from_bytes(&[0u8; 15]).is_err());
    assert!(TotpSecret::from_base32("not base32!").is_err());
}

#[test]
fn secrets_and_uri() {
    let s = TotpSecret::generate();
    assert_eq!(s.expose().len(), 20);
    assert_ne!(s, TotpSecret::generate());
    let b32 = s.to_base32();
    assert_eq!(b32.len(), 32);
    let spaced: String = b32
        .to_ascii_lowercase()
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(TotpSecret::from_base32(&spaced).unwrap(), s);
    assert_eq!(format!("{s:?}"), "TotpSecret(..)");

    let totp = Totp::new(seed(20));
    assert_eq!(
        totp.provisioning_uri("ACME Co", "john.doe@example.com"),
        "otpauth://totp/ACME%20Co:john.doe%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
         &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
    );
    let evil = totp.provisioning_uri("a:b&issuer=x", "c?d");
    assert!(evil.starts_with("otpauth://totp/a%3Ab%26issuer%3Dx:c%3Fd?secret="));
}
