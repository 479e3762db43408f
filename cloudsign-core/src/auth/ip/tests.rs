#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[rustfmt::skip]
const REFUSED: &[(&str, &str)] = &[
    ("010.0.0.1",        "IPv4 octet has a leading zero"),
    ("10.0.0.01",        "IPv4 octet has a leading zero"),
    ("00.0.0.0",         "IPv4 octet has a leading zero"),
    ("10.1",             "IPv4 needs exactly four dotted decimal octets"),
    ("10.0.1",           "IPv4 needs exactly four dotted decimal octets"),
    ("167772161",        "IPv4 needs exactly four dotted decimal octets"),
    ("10.0.0.1.",        "IPv4 needs exactly four dotted decimal octets"),
    ("0x0a.0.0.1",       "not an IPv4 address"),
    ("0xa.0.0.1",        "not an IPv4 address"),
    ("10.0.0.256",       "not an IPv4 address"),
    ("10.0.0.-1",        "not an IPv4 address"),
    ("+10.0.0.1",        "not an IPv4 address"),
    (" 10.0.0.1",        "not an IPv4 address"),
    ("10.0.0.1 ",        "not an IPv4 address"),
    ("",                 "IPv4 needs exactly four dotted decimal octets"),
    ("10.0.0.0/33",      "prefix length out of range"),
    ("10.0.0.0/255",     "prefix length out of range"),
    ("10.0.0.0/08",      "prefix length has a leading zero"),
    ("10.0.0.0/00",      "prefix length has a leading zero"),
    ("10.0.0.0/",        "prefix length is not a decimal number"),
    ("10.0.0.0/+8",      "prefix length is not a decimal number"),
    ("10.0.0.0/8/8",     "prefix length is not a decimal number"),
    ("10.0.0.0/1000",    "prefix length is not a decimal number"),
    ("10.0.0.1/8",       "host bits set after the prefix"),
    ("192.168.1.1/24",   "host bits set after the prefix"),
    ("2001:db8::1/32",   "host bits set after the prefix"),
    ("2001:db8::/129",   "prefix length out of range"),
    ("2001:db8::/032",   "prefix length has a leading zero"),
    ("fe80::1%eth0",     "not an IPv6 address"),
    ("2001:db8:::1",     "not an IPv6 address"),
    ("2001:db8::g",      "not an IPv6 address"),
    ("[2001:db8::1]",    "not an IPv6 address"),
    ("::ffff:010.0.0.1", "not an IPv6 address"),
];

#[test]
fn ambiguous_and_malformed_forms_are_refused() {
    for &(input, reason) in REFUSED {
        match input.parse::<IpRule>() {
            Err(AuthError::InvalidAddress { reason: r, .. }) => assert_eq!(r, reason, "{input}"),
            other => panic!("{input:?} gave {other:?}"),
        }
    }
}

#[rustfmt::skip]
const ACCEPTED: &[(&str, &str)] = &[
    ("10.0.0.1",              "10.0.0.1"),
    ("0.0.0.0/0",             "0.0.0.0/0"),
    ("10.0.0.0/8",            "10.0.0.0/8"),
    ("10.0.0.1/32",           "10.0.0.1"),
    ("192.168.1.0/24",        "192.168.1.0/24"),
    ("::/0",                  "::/0"),
    ("::1",                   "::1"),
    ("2001:DB8::/32",         "2001:db8::/32"),
    ("2001:db8:0:0:0:0:0:1",  "2001:db8::1"),
    ("::ffff:10.0.0.1",       "10.0.0.1"),
    ("::ffff:10.0.0.0/104",   "10.0.0.0/8"),
];

#[test]
fn accepted_forms_print_canonically() {
    for &(input, canonical) in ACCEPTED {
        let rule: IpRule = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(rule.to_string(), canonical, "{input}");
    }
}

#[test]
fn matching_table() {
    let list = IpAllowlist::parse([
        "10.0.0.0/8",
        "192.0.2.7",
        "2001:db8::/32",
        "::ffff:198.51.100.0/120",
    ])
    .unwrap();
    #[rustfmt::skip]
    let cases = [
        ("10.0.0.0", true), ("10.255.255.255", true), ("11.0.0.0", false), ("9.255.255.255", false),
        ("192.0.2.7", true), ("192.0.2.6", false), ("192.0.2.8", false),
        ("2001:db8::1", true), ("2001:db8:ffff::", true), ("2001:db9::", false),
        ("::ffff:10.1.2.3", true), ("::ffff:192.0.2.7", true), ("::ffff:11.0.0.1", false),
        ("198.51.100.42", true), ("::ffff:198.51.100.42", true), ("198.51.101.1", false),
        // IPv4-compatible (deprecated) and NAT64 forms are not IPv4-mapped.
        ("::10.0.0.1", false), ("64:ff9b::10.0.0.1", false),
    ];
    for (ip, allowed) in cases {
        assert_eq!(list.allows(ip.parse().unwrap()), allowed, "{ip}");
    }
    assert!(!IpAllowlist::new().allows("127.0.0.1".parse().unwrap()));
    let everything = IpAllowlist::parse(["0.0.0.0/0", "::/0"]).unwrap();
    assert!(everything.allows("8.8.8.8".parse().unwrap()));
    assert!(everything.allows("::".parse().unwrap()));
}

#[test]
fn one_bad_entry_fails_the_list() {
    let err = IpAllowlist::parse(["10.0.0.0/8", "10.1"]).unwrap_err();
    assert!(err.to_string().contains("\"10.1\""), "{err}");
}
