"""Account protection (passwords, TOTP, IP allowlists) and audit log verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import urllib.parse

import pytest

import cloudsign

# Small argon2 parameters keep the suite quick; the defaults are the OWASP minimum.
FAST = {"memory_kib": 1024, "iterations": 1, "parallelism": 1}


def test_password_hash_verify_and_rehash():
    phc = cloudsign.hash_password("correct horse battery staple", **FAST)
    assert phc.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert cloudsign.verify_password("correct horse battery staple", phc)
    assert not cloudsign.verify_password("correct horse battery stapler", phc)
    # Weaker than the OWASP minimum: replace at the next login; as strong: keep.
    assert cloudsign.password_needs_rehash(phc)
    assert not cloudsign.password_needs_rehash(phc, **FAST)
    # Salted: the same password hashes differently each time.
    assert cloudsign.hash_password("correct horse battery staple", **FAST) != phc


def test_password_errors():
    with pytest.raises(cloudsign.AuthError, match="malformed|PHC|hash"):
        cloudsign.verify_password("x", "$2b$12$not-an-argon2-hash")
    with pytest.raises(cloudsign.AuthError):
        cloudsign.password_needs_rehash("plain text")
    with pytest.raises(cloudsign.AuthError):
        cloudsign.hash_password("x", memory_kib=1, iterations=0, parallelism=1)


def test_password_policy_gives_readable_reasons():
    policy = cloudsign.PasswordPolicy()
    assert (policy.min_chars, policy.min_score) == (12, 3)
    assert policy.weakness("short") == "use at least 12 characters"
    assert policy.weakness("aaaaaaaaaaaaaaaa") == "do not repeat one character"
    assert "sequence" in (policy.weakness("abcdefghijklmnop") or "")
    reason = policy.weakness("AliceSmith1990!", ["Alice Smith", "alice@example.com", "1990"])
    assert reason is not None
    assert policy.weakness("tangerine-viaduct-morsel-quibble") is None
    policy.check("tangerine-viaduct-morsel-quibble")
    with pytest.raises(cloudsign.AuthError, match="too weak: use at least 20 characters"):
        cloudsign.PasswordPolicy(min_chars=20).check("tangerine-viaduct")
    with pytest.raises(ValueError):
        cloudsign.PasswordPolicy(min_score=5)


def rfc6238_code(secret: bytes, step: int, digits: int = 6, digest=hashlib.sha1) -> str:
    """The reference computation of RFC 4226/6238, independent of the binding."""
    mac = hmac.new(secret, struct.pack(">Q", step), digest).digest()
    offset = mac[-1] & 0x0F
    word = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(word % 10**digits).zfill(digits)


def test_totp_matches_rfc_6238_test_vectors():
    # RFC 6238 Appendix B, 8 digits, SHA-1 secret "12345678901234567890".
    totp = cloudsign.Totp(b"12345678901234567890", digits=8)
    assert totp.code(59) == "94287082"
    assert totp.code(1111111109) == "07081804"
    assert totp.code(20000000000) == "65353130"
    sha256 = cloudsign.Totp(b"12345678901234567890123456789012", algorithm="SHA256", digits=8)
    assert sha256.code(59) == "46119246"


def test_totp_generate_uri_verify_skew_and_replay():
    totp = cloudsign.Totp.generate()
    assert len(totp.secret) == 20
    assert base64.b32decode(totp.secret_base32 + "=" * (-len(totp.secret_base32) % 8)) == totp.secret
    assert cloudsign.Totp(totp.secret_base32).secret == totp.secret

    uri = urllib.parse.urlparse(totp.provisioning_uri("Cloud Sign", "alice@example.com"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(uri.path) == "/Cloud Sign:alice@example.com"
    query = urllib.parse.parse_qs(uri.query)
    assert query["secret"] == [totp.secret_base32]
    assert query["issuer"] == ["Cloud Sign"]
    assert (query["algorithm"], query["digits"], query["period"]) == (["SHA1"], ["6"], ["30"])

    now = 1_700_000_000
    step = now // 30
    code = rfc6238_code(totp.secret, step)
    assert totp.code(now) == code
    assert totp.verify(code, now=now) == step
    # One step of clock drift either way is accepted; two are not.
    assert totp.verify(rfc6238_code(totp.secret, step - 1), now=now) == step - 1
    assert totp.verify(rfc6238_code(totp.secret, step + 1), now=now) == step + 1
    with pytest.raises(cloudsign.AuthError):
        totp.verify(rfc6238_code(totp.secret, step - 2), now=now)
    # A code already used (its step is at or before the last one stored) is refused.
    with pytest.raises(cloudsign.AuthError, match="[Rr]eplay|already"):
        totp.verify(code, now=now, last_used_step=step)
    # Malformed input is an error too, and no skew means the exact step only.
    with pytest.raises(cloudsign.AuthError):
        totp.verify("12ab56", now=now)
    strict = cloudsign.Totp(totp.secret, skew=0)
    with pytest.raises(cloudsign.AuthError):
        strict.verify(rfc6238_code(totp.secret, step - 1), now=now)


def test_totp_errors():
    with pytest.raises(cloudsign.AuthError):
        cloudsign.Totp("not base32 at all!")
    with pytest.raises(cloudsign.AuthError):
        cloudsign.Totp.generate(digits=9)
    with pytest.raises(ValueError):
        cloudsign.Totp.generate(algorithm="MD5")


def test_ip_allowlist():
    allow = cloudsign.IpAllowlist(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])
    assert len(allow) == 3
    assert "10.200.3.4" in allow
    assert allow.allows("192.0.2.7")
    assert not allow.allows("192.0.2.8")
    assert allow.allows("2001:db8:1::5")
    assert allow.allows("::ffff:10.1.2.3"), "IPv4-mapped IPv6 counts as IPv4"
    assert not allow.allows("2001:db9::1")
    assert not cloudsign.IpAllowlist([]).allows("10.0.0.1")
    with pytest.raises(cloudsign.AuthError, match="10.0.0.0/33"):
        cloudsign.IpAllowlist(["10.0.0.0/8", "10.0.0.0/33"])
    with pytest.raises(ValueError):
        allow.allows("not an address")


def test_audit_log_verifies_with_its_tsa_root(pki, root_pem, tmp_path):
    log = pki / "audit.jsonl"
    report = cloudsign.verify_audit_log(log, tsa_trust=[root_pem])
    assert (report.records, report.checkpoints) == (4, 1)
    # genesis, entry, checkpoint, entry: one record after the checkpoint is unanchored.
    lines = log.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["kind"] for r in records] == ["genesis", "entry", "checkpoint", "entry"]
    assert report.head_hash == records[-1]["hash"]
    assert report.contains_head(records[1]["hash"])
    assert not report.contains_head("00" * 32)
    assert report.last_checkpoint_seq == 2
    assert report.unanchored_records == 1
    assert "1 record(s)" in report.truncation_note()

    # Without the TSA's root the checkpoint cannot be trusted.
    with pytest.raises(cloudsign.AuditError):
        cloudsign.verify_audit_log(log, tsa_trust=[])

    # A changed record breaks the chain.
    records[1]["subject"] = "contract-2"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with pytest.raises(cloudsign.AuditError):
        cloudsign.verify_audit_log(tampered, tsa_trust=[root_pem])

    with pytest.raises(cloudsign.CloudsignError):
        cloudsign.verify_audit_log(tmp_path / "missing.jsonl")
