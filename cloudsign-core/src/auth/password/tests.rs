#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn hash_verify_and_parameters_from_the_phc_string() {
    let params = PasswordParams::default();
    let phc = hash("Tr0ub4dor&3-but-longer", &params).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert_eq!(params_of(&phc).unwrap(), PasswordParams::new(19_456, 2, 1));
    verify("Tr0ub4dor&3-but-longer", &phc).unwrap();
    assert_eq!(
        verify("Tr0ub4dor&3-but-longeR", &phc),
        Err(AuthError::WrongPassword)
    );
    assert!(!needs_rehash(&phc, &params).unwrap());
    assert!(needs_rehash(&phc, &PasswordParams::new(64 * 1024, 3, 1)).unwrap());
    assert!(needs_rehash(&phc, &PasswordParams::new(19_456, 3, 1)).unwrap());
    assert!(matches!(
        verify("x", "not a phc"),
        Err(AuthError::Malformed(_))
    ));
    assert!(matches!(
        verify("x", "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA"),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn weaker_stored_hashes_need_rehash_and_still_verify() {
    let weak = hash("a long enough pass phrase", &PasswordParams::new(8, 1, 1)).unwrap();
    assert!(weak.contains("m=8,t=1,p=1"));
    verify("a long enough pass phrase", &weak).unwrap();
    assert!(needs_rehash(&weak, &PasswordParams::default()).unwrap());
    let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\
                   AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert!(needs_rehash(argon2i, &PasswordParams::default()).unwrap());
}

#[test]
fn policy_table() {
    let policy = PasswordPolicy::default();
    let user = ["Alice Johnson", "alice.johnson@example.com", "1985-04-12"];
    #[rustfmt::skip]
    let weak: &[(&str, &str)] = &[
        ("short",                       "at least 12 characters"),
        ("Password1!",                  "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa",            "repeat one character"),
        ("abcabcabcabcabc",             "repeat a short pattern"),
        ("abcdefghijklmn",              "sequence"),
        ("9876543210987",               "too easy to guess"),
        ("12345678901234",              "too easy to guess"),
        ("password1234",                "too easy to guess"),
        ("passwordpassword",            "too easy to guess"),
        ("qwertyuiopasdf",              "too easy to guess"),
        ("correcthorses",               "too easy to guess"),
        ("alicejohnson1985",            "name, e-mail address or birthday"),
        ("Johnson19850412!",            "name, e-mail address or birthday"),
        ("alice.johnson@example.com",   "name, e-mail address or birthday"),
        ("Alice1985Alice1985",          "name, e-mail address or birthday"),
    ];
    for (pw, reason) in weak {
        let err = policy.check(pw, &user).expect_err(pw);
        assert!(err.reason.contains(reason), "{pw}: {}", err.reason);
    }
    for strong in [
        "correct horse battery staple",
        "vK8#qL2!mZ9@wR4$",
        "Tangerine-Kettle-Orbit-47",
        "my cat ate 3 purple lamps",
    ] {
        policy
            .check(strong, &user)
            .unwrap_or_else(|e| panic!("{strong}: {e}"));
    }
}
