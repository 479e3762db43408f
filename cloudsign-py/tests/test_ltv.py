"""PAdES B-LT and B-LTA: signed against the loopback OCSP responder, CRL distribution point and
timestamp authority of a PKI whose certificates name them, then verified offline from the
document's DSS alone, and online."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cloudsign


@pytest.fixture(scope="module")
def ltv_pki() -> Path:
    value = os.environ.get("CLOUDSIGN_TEST_LTV_PKI")
    if not value:
        raise RuntimeError("CLOUDSIGN_TEST_LTV_PKI is not set; run through `cargo test -p cloudsign-py`")
    return Path(value)


@pytest.fixture(scope="module")
def ltv_tsa() -> str:
    url = os.environ.get("CLOUDSIGN_TEST_LTV_TSA_URL")
    if not url:
        raise RuntimeError("CLOUDSIGN_TEST_LTV_TSA_URL is not set")
    return url


@pytest.fixture(scope="module")
def ltv_signer(ltv_pki: Path) -> cloudsign.Signer:
    return cloudsign.Signer.from_pkcs12((ltv_pki / "signer-ec.p12").read_bytes(), "test")


def _signature(report: cloudsign.VerificationReport) -> cloudsign.SignatureReport:
    return next(s for s in report.signatures if s.kind == "SIGNATURE")


@pytest.mark.parametrize("level", ["b-lt", "b-lta"])
def test_long_term_levels_verify_offline_from_the_dss(contract, ltv_pki, ltv_tsa, ltv_signer, level):
    signed = cloudsign.sign_pdf(contract, ltv_signer, level=level, tsa=ltv_tsa)
    root = (ltv_pki / "root.pem").read_bytes()

    report = cloudsign.verify_pdf(signed, trust=[root])
    assert report.passed, report.to_json()
    assert _signature(report).level == level.upper()
    kinds = [s.kind for s in report.signatures]
    assert kinds.count("DOCUMENT_TIMESTAMP") == (1 if level == "b-lta" else 0), kinds
    # The status came from the document itself: an OCSP response stored in its DSS.
    revocation = report.to_dict()["signatures"][0]["revocation"]
    assert any(r["origin"] == "DSS" for r in revocation), revocation

    online = cloudsign.verify_pdf(signed, trust=[root], fetch_revocation=True)
    assert online.passed, online.to_json()


def test_fetching_revocation_is_what_proves_a_b_t_signature(contract, ltv_pki, ltv_tsa, ltv_signer):
    # A B-T signature holds no revocation data: offline its status cannot be shown.
    signed = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    root = (ltv_pki / "root.pem").read_bytes()
    offline = cloudsign.verify_pdf(signed, trust=[root])
    assert not offline.passed
    assert _signature(offline).indication == "INDETERMINATE", offline.to_json()
    online = cloudsign.verify_pdf(signed, trust=[root], fetch_revocation=True)
    assert online.passed, online.to_json()
