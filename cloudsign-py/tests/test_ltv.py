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
    signed = cloudsign.sign_pdf(contract, ltv_signer, level=level, tsa=ltv_tsa, vri=level == "b-lta")
    assert (b"/VRI" in signed) == (level == "b-lta")
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


# Long-term validation data added to documents already signed: `ltv_add` and `ltv_extend`,
# judged by our validator offline and by pyHanko's AdES validation (`adesverify`).


def _levels(report: cloudsign.VerificationReport) -> list:
    return [(s.kind, s.level, s.indication) for s in report.signatures]


def test_ltv_add_makes_b_t_into_b_lta_and_pyhanko_agrees(contract, ltv_pki, ltv_tsa, ltv_signer, tmp_path):
    from conftest import pyhanko_adesverify

    signed = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    root = (ltv_pki / "root.pem").read_bytes()

    lt = cloudsign.ltv_add(signed)
    assert lt.startswith(signed)
    report = cloudsign.verify_pdf(lt, trust=[root])
    assert report.passed, report.to_json()
    assert _signature(report).level == "B-LT"

    # pyHanko wants the intermediate CA's status too; it names no distribution point, so its
    # issuer's CRL is passed in as extra validation data.
    root_crl = (ltv_pki / "root.crl").read_bytes()
    lta = cloudsign.ltv_add(signed, tsa=ltv_tsa, vri=True, extra_crls=[root_crl])
    report = cloudsign.verify_pdf(lta, trust=[root])
    assert report.passed, report.to_json()
    assert _signature(report).level == "B-LTA"
    assert [s.kind for s in report.signatures].count("DOCUMENT_TIMESTAMP") == 1
    ok, transcript = pyhanko_adesverify(lta, ltv_pki / "root.pem", tmp_path)
    assert ok, transcript

    # Renewing the archive: another document timestamp, validation data for the previous one.
    renewed = cloudsign.ltv_extend(lta, ltv_tsa, extra_crls=[root_crl])
    assert renewed.startswith(lta)
    report = cloudsign.verify_pdf(renewed, trust=[root])
    assert report.passed, report.to_json()
    stamps = [s for s in report.signatures if s.kind == "DOCUMENT_TIMESTAMP"]
    assert len(stamps) == 2
    ok, transcript = pyhanko_adesverify(renewed, ltv_pki / "root.pem", tmp_path)
    assert ok, transcript


def test_offline_ltv_add_cannot_show_a_status_the_certificates_publish_online(
    contract, ltv_tsa, ltv_signer
):
    signed = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    # The signer's certificate names an OCSP responder and a CRL: offline, neither is asked.
    with pytest.raises(cloudsign.RevocationError, match="Signer EC"):
        cloudsign.ltv_add(signed, revocation="offline")


def test_offline_ltv_add_takes_the_status_from_the_crls_given(contract, ltv_pki, ltv_tsa, ltv_signer):
    signed = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    ca_crl = (ltv_pki / "ca.crl").read_bytes()
    # Nothing is fetched: the CA's CRL given shows the signer's and the authority's status.
    added = cloudsign.ltv_add(signed, revocation="offline", extra_crls=[ca_crl])
    report = cloudsign.verify_pdf(added, trust=[(ltv_pki / "root.pem").read_bytes()])
    assert report.passed, report.to_json()
    assert _signature(report).level == "B-LT"


class CrlsOverUrllib:
    """A revocation source in Python: CRLs from the distribution points the certificate names
    (read with pyca/cryptography, fetched with urllib); no OCSP, no issuer certificates."""

    def __init__(self):
        self.asked: list[str] = []

    def ocsp(self, cert: bytes, issuer: bytes):
        self.asked.append("ocsp")
        return None

    def crls(self, cert: bytes) -> list:
        import urllib.request

        from cryptography import x509

        self.asked.append("crls")
        parsed = x509.load_der_x509_certificate(cert)
        try:
            points = parsed.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            return []
        urls = [n.value for p in points for n in p.full_name or [] if isinstance(n, x509.UniformResourceIdentifier)]
        return [urllib.request.urlopen(url, timeout=10).read() for url in urls]

    def ca_issuers(self, cert: bytes) -> list:
        return []


def test_a_python_revocation_source_supplies_the_validation_data(contract, ltv_pki, ltv_tsa, ltv_signer):
    signed = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    root = (ltv_pki / "root.pem").read_bytes()
    source = CrlsOverUrllib()
    lt = cloudsign.ltv_add(signed, revocation=source)
    assert "ocsp" in source.asked and "crls" in source.asked
    report = cloudsign.verify_pdf(lt, trust=[root])
    assert report.passed, report.to_json()
    revocation = report.to_dict()["signatures"][0]["revocation"]
    assert revocation and all(r["origin"] == "DSS" for r in revocation), revocation

    raised = ConnectionAbortedError("the cache is down")

    class Down(CrlsOverUrllib):
        def crls(self, cert):
            raise raised

    with pytest.raises(ConnectionAbortedError) as caught:
        cloudsign.ltv_add(signed, revocation=Down())
    assert caught.value is raised
    with pytest.raises(TypeError, match="ca_issuers"):
        cloudsign.ltv_add(signed, revocation=object())


def test_ltv_warns_about_a_certification_that_permits_no_changes(contract, ltv_tsa, ltv_signer):
    certified = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa, certify=1)
    with pytest.warns(cloudsign.LtvWarning, match="P=1"):
        cloudsign.ltv_add(certified)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", cloudsign.LtvWarning)
        with pytest.raises(cloudsign.LtvWarning):
            cloudsign.ltv_add(certified, tsa=ltv_tsa)


def test_ltv_errors(contract, ltv_tsa, ltv_signer, rsa_signer):
    b_t = cloudsign.sign_pdf(contract, ltv_signer, level="b-t", tsa=ltv_tsa)
    with pytest.raises(cloudsign.SigningError, match="no document timestamp"):
        cloudsign.ltv_extend(b_t, ltv_tsa)
    with pytest.raises(cloudsign.SigningError, match="no signature"):
        cloudsign.ltv_add(contract)
    with pytest.raises(cloudsign.PdfError):
        cloudsign.ltv_add(b"not a pdf")
    with pytest.raises(ValueError, match="revocation"):
        cloudsign.ltv_add(b_t, revocation="sometimes")
    with pytest.raises(TypeError, match="unexpected keyword argument 'tsaa'"):
        cloudsign.ltv_add(b_t, tsaa=ltv_tsa)
    with pytest.raises(TypeError):
        cloudsign.ltv_extend(b_t)  # the authority is required

    raised = TimeoutError("no answer")

    class Silent:
        def exchange(self, request: bytes) -> bytes:
            raise raised

    with pytest.raises(TimeoutError) as caught:
        cloudsign.ltv_add(b_t, tsa=Silent())
    assert caught.value is raised
