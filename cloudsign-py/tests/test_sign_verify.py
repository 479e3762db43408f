"""Signing and verification through the Python API, judged by our validator and by pyHanko."""

from __future__ import annotations

import threading
import sys

import pytest

import cloudsign
from conftest import pyhanko_bottom_lines


def test_b_b_signature_passes_our_validator_and_pyhanko(contract, rsa_signer, root_pem):
    signed = cloudsign.sign_pdf(contract, rsa_signer, level="b-b", reason="I agree")
    assert isinstance(signed, bytes)
    assert signed.startswith(contract)  # an incremental update: original bytes untouched

    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed is True
    (sig,) = report.signatures
    assert (sig.indication, sig.level, sig.kind) == ("PASSED", "B-B", "SIGNATURE")
    assert "Test Signer RSA" in (sig.signer_subject or "")

    data = report.to_dict()
    assert data["schema_version"] == report.schema_version == 1
    assert data["signatures"][0]["indication"] == "PASSED"
    assert data["signatures"][0]["integrity"]["digest_ok"] is True
    assert sig.to_dict() == data["signatures"][0]

    assert pyhanko_bottom_lines(signed, root_pem) == [True]


def test_ec_signer_from_pem_with_options(contract, ec_signer, root_pem):
    assert ec_signer.algorithm == "ecdsa-sha256"
    assert len(ec_signer.certificate_chain) == 2
    signed = cloudsign.sign_pdf(
        contract, ec_signer, field_name="Buyer", location="Berlin", certify=2
    )
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert report.signatures[0].field == "Buyer"
    assert report.to_dict()["signatures"][0]["certification"] == 2
    assert pyhanko_bottom_lines(signed, root_pem) == [True]


def test_signer_options_digest_and_pss(pki, contract, root_pem):
    p12 = (pki / "signer-rsa.p12").read_bytes()
    signer = cloudsign.Signer.from_pkcs12(p12, "test", digest="sha512", pss=True)
    assert signer.algorithm == "rsa-pss-sha512"
    report = cloudsign.verify_pdf(cloudsign.sign_pdf(contract, signer), trust=[root_pem])
    assert report.passed, report.to_json()


def test_b_t_and_document_timestamp_over_http(contract, rsa_signer, root_pem, tsa_url):
    signed = cloudsign.sign_pdf(contract, rsa_signer, level="b-t", tsa=tsa_url)
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert report.signatures[0].level == "B-T"
    assert report.signatures[0].proven_time is not None
    assert pyhanko_bottom_lines(signed, root_pem) == [True]

    archived = cloudsign.timestamp_pdf(signed, tsa_url)
    report = cloudsign.verify_pdf(archived, trust=[root_pem])
    assert report.passed, report.to_json()
    assert [s.kind for s in report.signatures] == ["SIGNATURE", "DOCUMENT_TIMESTAMP"]


def test_tampering_is_a_failed_report_not_an_exception(contract, rsa_signer, root_pem):
    signed = bytearray(cloudsign.sign_pdf(contract, rsa_signer))
    # Flip a byte of the original content, which the signature covers.
    at = contract.index(b"stream") + 10
    signed[at] ^= 0x01
    report = cloudsign.verify_pdf(bytes(signed), trust=[root_pem])
    assert report.passed is False
    assert report.signatures[0].indication == "FAILED"
    assert report.signatures[0].sub_indication == "HASH_FAILURE"


def test_untrusted_root_is_indeterminate(pki, contract, rsa_signer):
    signed = cloudsign.sign_pdf(contract, rsa_signer)
    stranger = (pki / "tsa.pem").read_bytes()  # a certificate, but no anchor of this signer
    report = cloudsign.verify_pdf(signed, trust=[stranger])
    assert not report.passed
    assert report.signatures[0].indication == "INDETERMINATE"


def test_unsigned_document_does_not_pass(contract, root_pem):
    report = cloudsign.verify_pdf(contract, trust=[root_pem])
    assert not report.passed
    assert report.signatures == ()
    assert report.findings


def test_levels(contract, rsa_signer, tsa_url):
    assert cloudsign.SUPPORTED_LEVELS == ["b-b", "b-t", "b-lt", "b-lta"]
    with pytest.raises(ValueError, match="unknown level"):
        cloudsign.sign_pdf(contract, rsa_signer, level="x")
    for level in ("b-t", "b-lt", "B-LTA"):
        with pytest.raises(ValueError, match="needs tsa"):
            cloudsign.sign_pdf(contract, rsa_signer, level=level)
    with pytest.raises(ValueError, match="not used at level"):
        cloudsign.sign_pdf(contract, rsa_signer, level="b-b", tsa=tsa_url)
    # The validation data depends on the finished signature: no two-phase long-term levels.
    with pytest.raises(ValueError, match="sign_pdf makes"):
        cloudsign.prepare_pdf(contract, rsa_signer, level="b-lta", tsa=tsa_url)


def test_verification_runs_without_the_gil(pki, rsa_signer, root_pem):
    # A document large enough (4 MiB) that verifying it takes a while.
    signed = cloudsign.sign_pdf((pki / "large.pdf").read_bytes(), rsa_signer)

    # With a huge switch interval the interpreter never takes the GIL away from a running
    # thread: the main thread can run again only when the worker releases the GIL itself,
    # i.e. inside verify_pdf. Holding the GIL there would let the worker finish first, every
    # time; releasing it lets the main thread in while the worker is still verifying, unless
    # the OS is slow to wake it (hence a few attempts).
    def attempt() -> bool:
        done = threading.Event()
        worker = threading.Thread(
            target=lambda: (cloudsign.verify_pdf(signed, trust=[root_pem]), done.set())
        )
        worker.start()
        overlapped = not done.is_set()
        worker.join()
        assert done.is_set()
        return overlapped

    before = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        overlaps = [attempt() for _ in range(5)]
    finally:
        sys.setswitchinterval(before)
    assert any(overlaps), "the main thread never ran while verify_pdf was working"


def test_claimed_signing_time(contract, rsa_signer, root_pem):
    signed = cloudsign.sign_pdf(contract, rsa_signer, signing_time=1_700_000_000)
    (sig,) = cloudsign.verify_pdf(signed, trust=[root_pem]).signatures
    assert sig.claimed_signing_time == "D:20231114221320Z"  # 1_700_000_000 as /M writes it
    assert sig.proven_time is None  # a claim, not a proof: no timestamp at B-B
