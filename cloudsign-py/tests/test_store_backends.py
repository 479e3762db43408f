"""Blob storage beyond the basics: a Python object as the key provider (a stand-in for a KMS,
built on pyca/cryptography), S3 against moto's standalone server on 127.0.0.1, replication
with failover and repair, streaming file input and output."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import cloudsign
from conftest import require_tool

BUCKET = "cloudsign-py-test"
KEY = bytes(range(32))


class KmsKeys:
    """A key provider in Python: AES-256-GCM under named key-encryption keys, the store's
    context as associated data, as a KMS encryption context would be."""

    def __init__(self, active: str, keys: dict[str, bytes]):
        self.active_key_id = active
        self.keys = keys
        self.calls: list[str] = []

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        self.calls.append("wrap")
        nonce = os.urandom(12)
        return nonce + AESGCM(self.keys[self.active_key_id]).encrypt(nonce, data_key, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        self.calls.append(f"unwrap {key_id}")
        return AESGCM(self.keys[key_id]).decrypt(wrapped[:12], wrapped[12:], context)


def test_python_key_provider_round_trip_and_rotation(tmp_path):
    old = KmsKeys("k2025", {"k2025": os.urandom(32)})
    store = cloudsign.BlobStore(cloudsign.BlobBackend.filesystem(tmp_path), old)
    blob = store.put(b"signed contract")
    assert old.calls == ["wrap"]
    assert store.get(blob) == b"signed contract"
    assert old.calls[-1] == "unwrap k2025"

    both = KmsKeys("k2026", {"k2026": os.urandom(32), "k2025": old.keys["k2025"]})
    rotating = cloudsign.BlobStore.filesystem(tmp_path, both)
    assert rotating.rotate_all() == 1
    assert rotating.rotate(blob) is False  # already under the active key
    new_only = KmsKeys("k2026", {"k2026": both.keys["k2026"]})
    assert cloudsign.BlobStore.filesystem(tmp_path, new_only).get(blob) == b"signed contract"
    # The old key no longer opens it: the data key was re-wrapped.
    with pytest.raises(KeyError):
        cloudsign.BlobStore.filesystem(tmp_path, old).get(blob)


def test_key_provider_exceptions_come_back_unchanged(tmp_path):
    keys = KmsKeys("k1", {"k1": os.urandom(32)})
    store = cloudsign.BlobStore.filesystem(tmp_path, keys)
    blob = store.put(b"contract")

    raised = PermissionError("KMS: access denied")

    class Denied(KmsKeys):
        def unwrap(self, key_id, wrapped, context):
            raise raised

    denied = Denied("k1", {})
    with pytest.raises(PermissionError) as caught:
        cloudsign.BlobStore.filesystem(tmp_path, denied).get(blob)
    assert caught.value is raised

    # A blob copied over another one: its wrapped key is bound to the first blob's id, so the
    # provider's own authentication refuses it, and its exception is what the caller sees.
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    other = store.put(b"another contract")
    (other_path,) = [p for p in tmp_path.rglob("*") if p.is_file() and p != path]
    other_path.write_bytes(path.read_bytes())
    with pytest.raises(InvalidTag):
        store.get(other)

    class Short(KmsKeys):
        def unwrap(self, key_id, wrapped, context):
            return b"too short"

    with pytest.raises(cloudsign.StoreError, match="32-byte"):
        cloudsign.BlobStore.filesystem(tmp_path, Short("k1", {})).get(blob)

    class NoUnwrap:
        active_key_id = "k1"

        def wrap(self, data_key, context):
            return data_key

    with pytest.raises(TypeError, match="unwrap"):
        cloudsign.BlobStore.memory(NoUnwrap())

    class BadId(KmsKeys):
        pass

    with pytest.raises(cloudsign.StoreError, match="key id"):
        cloudsign.BlobStore.memory(BadId("no spaces allowed", {}))


def test_streaming_files_and_buffers(tmp_path):
    store = cloudsign.BlobStore(
        cloudsign.BlobBackend.memory(), cloudsign.StaticKeyProvider("k1", bytearray(KEY)), chunk_size=4096
    )
    source = tmp_path / "contract.bin"
    data = os.urandom(300_000)
    source.write_bytes(data)
    blob = store.put_file(source)
    out = tmp_path / "out.bin"
    store.get_file(blob, out)
    assert out.read_bytes() == data
    assert store.get(store.put(memoryview(data)[:1000])) == data[:1000]
    assert store.get(store.put(bytearray(b"ba"))) == b"ba"
    with pytest.raises(TypeError):
        store.put("text is not bytes")  # type: ignore[arg-type]
    with pytest.raises(cloudsign.StoreError):
        store.get_file("0" * 32, tmp_path / "absent.bin")
    assert not (tmp_path / "absent.bin").exists()
    with pytest.raises(cloudsign.CloudsignIOError):
        store.put_file(tmp_path / "missing.bin")
    with pytest.raises(cloudsign.StoreError, match="chunk size"):
        cloudsign.BlobStore(cloudsign.BlobBackend.memory(), cloudsign.StaticKeyProvider("k1", KEY), chunk_size=1)


# --- S3 through moto's standalone server -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto_server on a free loopback port with the test bucket. It runs under a shell that
    kills it when its stdin closes, so it cannot outlive this process."""
    moto = require_tool("moto_server")
    port = _free_port()
    shell = subprocess.Popen(
        ["sh", "-c", '"$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; read _; kill "$pid"',
         moto, str(port)],
        stdin=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
        yield endpoint
    finally:
        assert shell.stdin is not None
        shell.stdin.close()
        shell.wait(timeout=30)


def s3(endpoint: str, prefix: str, **options) -> cloudsign.BlobBackend:
    return cloudsign.BlobBackend.s3(
        BUCKET, endpoint=endpoint, allow_http=True, access_key_id="testing",
        secret_access_key="testing", prefix=prefix, timeout=10, retries=0, **options,
    )


def _listing(endpoint: str, prefix: str) -> str:
    with urllib.request.urlopen(f"{endpoint}/{BUCKET}?prefix={prefix}", timeout=10) as r:
        return r.read().decode()


def test_s3_round_trip_with_multipart_upload(s3_endpoint, tmp_path):
    keys = KmsKeys("k1", {"k1": os.urandom(32)})
    store = cloudsign.BlobStore(s3(s3_endpoint, "py/basic"), keys)
    blob = store.put(b"signed contract")
    assert store.exists(blob) and store.list() == [blob]
    assert f"py/basic/{blob}" in _listing(s3_endpoint, "py/basic")
    assert store.get(blob) == b"signed contract"

    # Larger than one 5 MiB part: a multipart upload, read back streaming.
    big = tmp_path / "big.bin"
    data = os.urandom((5 << 20) + 12345)
    big.write_bytes(data)
    large = store.put_file(big)
    store.get_file(large, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == data
    assert sorted(store.list()) == sorted([blob, large])

    store.delete(blob)
    assert not store.exists(blob)
    with pytest.raises(cloudsign.StoreError, match="not found"):
        store.get(blob)


def test_replication_fails_over_and_repairs(s3_endpoint, tmp_path):
    local = cloudsign.BlobBackend.filesystem(tmp_path / "replica-0")
    remote = s3(s3_endpoint, "py/replica-1")
    both = cloudsign.BlobBackend.replicated([local, remote])
    assert both.replica_count == 2
    keys = cloudsign.StaticKeyProvider("k1", KEY)
    store = cloudsign.BlobStore(both, keys)
    blob = store.put(b"contract kept twice")

    # Both copies exist, each readable on its own.
    assert cloudsign.BlobStore(local, keys).get(blob) == b"contract kept twice"
    assert cloudsign.BlobStore(remote, keys).get(blob) == b"contract kept twice"

    # The local copy is damaged: reads fail over to S3, repair rewrites it.
    (path,) = [p for p in (tmp_path / "replica-0").rglob("*") if p.is_file()]
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(cloudsign.StoreError, match="authentication"):
        cloudsign.BlobStore(local, keys).get(blob)
    assert store.get(blob) == b"contract kept twice"
    report = store.repair(blob)
    assert (report.source, report.repaired) == (1, [0])
    assert cloudsign.BlobStore(local, keys).get(blob) == b"contract kept twice"
    assert store.repair(blob).repaired == []


def test_replication_write_policies(tmp_path):
    unreachable = cloudsign.BlobBackend.s3(
        BUCKET, endpoint="http://127.0.0.1:1", allow_http=True, access_key_id="testing",
        secret_access_key="testing", timeout=2, retries=0,
    )
    local = cloudsign.BlobBackend.filesystem(tmp_path)
    keys = cloudsign.StaticKeyProvider("k1", KEY)
    with pytest.raises(cloudsign.StoreError):
        cloudsign.BlobStore(cloudsign.BlobBackend.replicated([local, unreachable]), keys).put(b"x")
    quorum = cloudsign.BlobStore(cloudsign.BlobBackend.replicated([local, unreachable], quorum=1), keys)
    blob = quorum.put(b"x")
    assert cloudsign.BlobStore(local, keys).get(blob) == b"x"

    with pytest.raises(ValueError, match="quorum"):
        cloudsign.BlobBackend.replicated([local], quorum=2)
    with pytest.raises(ValueError, match="at least one"):
        cloudsign.BlobBackend.replicated([])
    with pytest.raises(ValueError, match="secret_access_key"):
        cloudsign.BlobBackend.s3(BUCKET, access_key_id="only the id")
    with pytest.raises(cloudsign.StoreError, match="part size"):
        cloudsign.BlobBackend.s3(BUCKET, part_size=1024)
