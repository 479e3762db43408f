"""Writing the audit log from Python: create, append, checkpoint (timestamped by the loopback
authority, by URL or through a Python transport), resume, seal, repair of a torn tail, and
verification of what was written, by cloudsign and by an independent recomputation."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

import pytest

import cloudsign
from test_external import HttpTransport


def record_hash(record: dict) -> str:
    """The record hash of the audit format, recomputed here without the library: SHA-256 over
    the tag, seq, time and each field length-prefixed (details as sorted-key JSON)."""
    def canonical(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    enc = b"cloudsign-audit-v1" + struct.pack(">QQ", record["seq"], record["time"])
    for field in (
        record["kind"], record["actor"], record["action"], record["subject"],
        canonical(record["details"]), record["prev_hash"], record["timestamp"] or "",
    ):
        data = field.encode()
        enc += struct.pack(">Q", len(data)) + data
    return hashlib.sha256(enc).hexdigest()


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_write_checkpoint_and_verify(tmp_path, tsa_url, root_pem):
    path = tmp_path / "audit.jsonl"
    with cloudsign.AuditLog.create(path, tsa=tsa_url, checkpoint_every_records=None) as log:
        first = log.append("operator", "token.issue", "contract-1", {"recipient": "alice", "n": 1})
        assert (first.seq, first.kind, first.actor) == (1, "entry", "operator")
        assert first.to_dict()["details"] == {"recipient": "alice", "n": 1}
        checkpoint = log.checkpoint()
        assert checkpoint.kind == "checkpoint" and checkpoint.prev_hash == first.hash
        last = log.append("operator", "token.revoke", "contract-1")
        assert log.head == last.hash
    assert log.closed
    with pytest.raises(ValueError, match="closed"):
        log.append("operator", "x", "y")

    records = lines(path)
    assert [r["kind"] for r in records] == ["genesis", "entry", "checkpoint", "entry"]
    # Every hash and link recomputed independently of the library.
    previous = "0" * 64
    for record in records:
        assert record["prev_hash"] == previous
        assert record_hash(record) == record["hash"]
        previous = record["hash"]
    # The checkpoint's token is a DER TimeStampToken over the head it follows.
    token = base64.b64decode(records[2]["timestamp"])
    assert token[0] == 0x30 and bytes.fromhex(records[1]["hash"]) in token

    report = cloudsign.verify_audit_log(path, tsa_trust=[root_pem])
    assert (report.records, report.checkpoints, report.unanchored_records) == (4, 1, 1)
    assert report.head_hash == last.hash

    # A tampered copy fails: a changed detail breaks the record's hash.
    records[1]["details"]["recipient"] = "mallory"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(cloudsign.AuditError, match="record 1"):
        cloudsign.verify_audit_log(tampered, tsa_trust=[root_pem])
    # So does a deleted record.
    tampered.write_text("".join(json.dumps(r) + "\n" for r in lines(path)[:1] + lines(path)[2:]))
    with pytest.raises(cloudsign.AuditError):
        cloudsign.verify_audit_log(tampered, tsa_trust=[root_pem])


def test_checkpoints_follow_the_policy(tmp_path, tsa_url, root_pem):
    path = tmp_path / "audit.jsonl"
    with cloudsign.AuditLog.create(
        path, tsa=tsa_url, checkpoint_every_records=2, checkpoint_every_secs=None,
        fsync="every-record",
    ) as log:
        for n in range(5):
            log.append("svc", "contract.view", f"contract-{n}")
    kinds = [r["kind"] for r in lines(path)]
    assert kinds == ["genesis", "entry", "entry", "checkpoint", "entry", "entry", "checkpoint", "entry"]
    report = cloudsign.verify_audit_log(path, tsa_trust=[root_pem])
    assert (report.checkpoints, report.unanchored_records) == (2, 1)


def test_resume_after_restart_and_repair_a_torn_tail(tmp_path, tsa_url, root_pem):
    path = tmp_path / "audit.jsonl"
    with cloudsign.AuditLog.create(path, tsa=tsa_url) as log:
        log.append("operator", "token.issue", "contract-1")
        log.checkpoint()
    # create refuses a file that holds a log already.
    with pytest.raises(FileExistsError, match="resume"):
        cloudsign.AuditLog.create(path, tsa=tsa_url)

    # A crash tore the last write.
    with open(path, "ab") as f:
        f.write(b'{"seq":3,"time":17')
    with pytest.raises(cloudsign.AuditError, match="incomplete"):
        cloudsign.AuditLog.resume(path, tsa=tsa_url, tsa_trust=[root_pem])
    assert cloudsign.AuditLog.repair_torn_tail(path) == b'{"seq":3,"time":17'
    assert cloudsign.AuditLog.repair_torn_tail(path) is None

    transport = HttpTransport(tsa_url)
    with cloudsign.AuditLog.resume(path, tsa=transport, tsa_trust=[root_pem]) as log:
        assert log.append("operator", "token.revoke", "contract-1").seq == 3
        log.checkpoint()
    assert transport.requests == 1
    report = cloudsign.verify_audit_log(path, tsa_trust=[root_pem])
    assert (report.records, report.checkpoints, report.unanchored_records) == (5, 2, 0)

    # Resuming verifies first: a log that does not verify is not continued.
    broken = lines(path)
    broken[1]["actor"] = "someone else"
    path.write_text("".join(json.dumps(r) + "\n" for r in broken))
    with pytest.raises(cloudsign.AuditError, match="record 1"):
        cloudsign.AuditLog.resume(path, tsa=tsa_url, tsa_trust=[root_pem])
    # A missing file is no log to resume.
    with pytest.raises(cloudsign.AuditError):
        cloudsign.AuditLog.resume(tmp_path / "missing.jsonl", tsa=tsa_url, tsa_trust=[root_pem])


def test_seal_starts_a_linked_segment(tmp_path, tsa_url, root_pem):
    first, second = tmp_path / "2026-01.jsonl", tmp_path / "2026-02.jsonl"
    log = cloudsign.AuditLog.create(first, tsa=tsa_url)
    log.append("operator", "token.issue", "contract-1")
    next_log = log.seal(second)
    assert log.closed
    next_log.append("operator", "token.issue", "contract-2")
    next_log.close()
    old = cloudsign.verify_audit_log(first, tsa_trust=[root_pem])
    new = cloudsign.verify_audit_log(second, tsa_trust=[root_pem])
    assert new.previous_segment_head == old.head_hash
    assert new.checkpoints == 1  # the genesis record carries the seal's timestamp


def test_transport_exception_comes_back_unchanged(tmp_path, tsa_url):
    raised = ConnectionResetError("the authority hung up")

    class Flaky:
        fail = False

        def __init__(self):
            self.inner = HttpTransport(tsa_url)

        def exchange(self, request: bytes) -> bytes:
            if self.fail:
                raise raised
            return self.inner.exchange(request)

    flaky = Flaky()
    with cloudsign.AuditLog.create(tmp_path / "a.jsonl", tsa=flaky) as log:
        log.checkpoint()
        flaky.fail = True
        with pytest.raises(ConnectionResetError) as caught:
            log.checkpoint()
        assert caught.value is raised
        # The log stays usable, and the old exception does not resurface.
        flaky.fail = False
        log.append("operator", "x", "y")
        log.checkpoint()

    with cloudsign.AuditLog.create(tmp_path / "b.jsonl", tsa="http://127.0.0.1:1/") as log:
        with pytest.raises(cloudsign.AuditError, match="timestamped"):
            log.checkpoint()


def test_bad_arguments(tmp_path, tsa_url):
    with pytest.raises(ValueError, match="fsync"):
        cloudsign.AuditLog.create(tmp_path / "a.jsonl", tsa=tsa_url, fsync="sometimes")
    with pytest.raises(TypeError, match="tsa"):
        cloudsign.AuditLog.create(tmp_path / "a.jsonl", tsa=object())
    with cloudsign.AuditLog.create(tmp_path / "b.jsonl", tsa=tsa_url) as log:
        with pytest.raises(TypeError):
            log.append("a", "b", "c", details={"not json": object()})
