"""Encrypted blob storage and unique-URL tokens through the Python API."""

from __future__ import annotations

import os

import pytest

import cloudsign

KEY = bytes(range(32))


def test_blob_round_trip_in_memory():
    keys = cloudsign.StaticKeyProvider("k1", KEY)
    store = cloudsign.BlobStore.memory(keys)
    blob = store.put(b"signed contract")
    assert len(blob) == 32 and store.exists(blob)
    assert store.get(blob) == b"signed contract"
    assert store.list() == [blob]
    store.delete(blob)
    assert not store.exists(blob)
    with pytest.raises(cloudsign.StoreError):
        store.get(blob)
    with pytest.raises(cloudsign.StoreError, match="invalid blob id"):
        store.get("../../etc/passwd")


def test_filesystem_blobs_are_sealed_and_tamper_evident(tmp_path):
    keys = cloudsign.StaticKeyProvider.parse(f"new {'11' * 32}\nold {'22' * 32}\n")
    assert keys.active_key_id == "new" and sorted(keys.key_ids) == ["new", "old"]
    store = cloudsign.BlobStore.filesystem(tmp_path, keys)
    secret = os.urandom(200_000)
    blob = store.put(secret)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    raw = files[0].read_bytes()
    assert secret[:64] not in raw  # only ciphertext reaches the disk

    assert store.get(blob) == secret
    tampered = bytearray(raw)
    tampered[len(raw) // 2] ^= 1
    files[0].write_bytes(bytes(tampered))
    with pytest.raises(cloudsign.StoreError, match="authentication"):
        store.get(blob)

    other_keys = cloudsign.StaticKeyProvider("new", bytes(32))
    files[0].write_bytes(raw)
    with pytest.raises(cloudsign.StoreError):
        cloudsign.BlobStore.filesystem(tmp_path, other_keys).get(blob)


def test_rotation_rewraps_under_the_active_key(tmp_path):
    old = cloudsign.StaticKeyProvider.parse(f"old {'22' * 32}")
    blob = cloudsign.BlobStore.filesystem(tmp_path, old).put(b"contract")
    both = cloudsign.StaticKeyProvider.parse(f"new {'11' * 32}\nold {'22' * 32}")
    store = cloudsign.BlobStore.filesystem(tmp_path, both)
    assert store.rotate(blob) is True
    new_only = cloudsign.StaticKeyProvider.parse(f"new {'11' * 32}")
    assert cloudsign.BlobStore.filesystem(tmp_path, new_only).get(blob) == b"contract"


def test_key_must_be_32_bytes():
    with pytest.raises(ValueError):
        cloudsign.StaticKeyProvider("k", b"short")


def test_tokens_issue_verify_redeem_revoke():
    tokens = cloudsign.TokenStore.memory()
    now = 1_700_000_000
    token = tokens.issue("contract-42", ttl=3600, recipient="alice@example.com", max_uses=2, now=now)
    assert token.startswith("cs1_") and len(token) == 47

    record = tokens.verify(token, now=now)
    assert (record.resource, record.recipient, record.uses, record.max_uses) == (
        "contract-42", "alice@example.com", 0, 2,
    )
    assert record.expires == now + 3600 and len(record.hash) == 64
    assert tokens.redeem(token, now=now).uses == 1
    assert tokens.redeem(token, now=now).uses == 2
    with pytest.raises(cloudsign.TokenError, match="no uses left"):
        tokens.redeem(token, now=now)

    other = tokens.issue("contract-43", ttl=60, now=now)
    with pytest.raises(cloudsign.TokenError, match="expired"):
        tokens.verify(other, now=now + 60)
    assert tokens.revoke(other) is True
    with pytest.raises(cloudsign.TokenError, match="revoked"):
        tokens.verify(other, now=now)

    with pytest.raises(cloudsign.TokenError, match="malformed"):
        tokens.verify("cs1_short")
    forged = "cs1_" + "A" * 43
    with pytest.raises(cloudsign.TokenError, match="unknown"):
        tokens.verify(forged)


def test_sqlite_tokens_persist(tmp_path):
    db = tmp_path / "tokens.db"
    token = cloudsign.TokenStore.sqlite(db).issue("contract-7", ttl=600)
    assert cloudsign.TokenStore.sqlite(db).redeem(token).uses == 1


def test_signed_tokens_rotate():
    now = 1_700_000_000
    keys = cloudsign.SignedTokenKeys.generate("2026-01")
    old = keys.sign("contract-42", ttl=3600, scope="sign", now=now)
    keys.add("2026-02", os.urandom(32))
    keys.activate("2026-02")
    assert keys.active_kid == "2026-02"
    new = keys.sign("contract-43", ttl=3600, now=now)
    assert keys.verify(old, now=now).kid == "2026-01"
    info = keys.verify(new, now=now)
    assert (info.kid, info.resource, info.scope, info.expires) == (
        "2026-02", "contract-43", "view", now + 3600,
    )
    keys.retire("2026-01")
    with pytest.raises(cloudsign.TokenError, match="unknown"):
        keys.verify(old, now=now)
    with pytest.raises(cloudsign.TokenError, match="expired"):
        keys.verify(new, now=now + 3600)


def test_keys_from_a_single_key_file_and_the_environment(tmp_path, monkeypatch):
    raw = tmp_path / "raw.key"
    raw.write_bytes(KEY)
    hexed = tmp_path / "hex.key"
    hexed.write_text(KEY.hex() + "\n")
    blob = cloudsign.BlobStore.filesystem(tmp_path / "blobs", cloudsign.StaticKeyProvider("k1", KEY)).put(b"c")
    for path in (raw, hexed):
        keys = cloudsign.StaticKeyProvider.from_single_key_file("k1", path)
        assert keys.key_ids == ["k1"]
        assert cloudsign.BlobStore.filesystem(tmp_path / "blobs", keys).get(blob) == b"c"
    hexed.write_text("not a key")
    with pytest.raises(cloudsign.StoreError, match="32 raw bytes or 64 hex"):
        cloudsign.StaticKeyProvider.from_single_key_file("k1", hexed)

    monkeypatch.setenv("CLOUDSIGN_TEST_KEYS", f"new {'11' * 32};k1 {KEY.hex()}")
    keys = cloudsign.StaticKeyProvider.from_env("CLOUDSIGN_TEST_KEYS")
    assert keys.active_key_id == "new"
    assert cloudsign.BlobStore.filesystem(tmp_path / "blobs", keys).get(blob) == b"c"
    with pytest.raises(cloudsign.StoreError, match="not set"):
        cloudsign.StaticKeyProvider.from_env("CLOUDSIGN_TEST_NO_SUCH_VARIABLE")
