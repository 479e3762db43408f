"""The exception hierarchy and its mapping from the library's error kinds."""

from __future__ import annotations

import pytest

import cloudsign

KINDS = {
    "PdfError": 100,
    "LimitError": 200,
    "CmsError": 300,
    "CertificateError": 400,
    "InvalidKeyError": 500,
    "CryptoError": 600,
    "SigningError": 700,
    "TimestampError": 800,
    "CloudsignIOError": 900,
    "TokenError": 1000,
    "AuthError": 1100,
    "AuditError": 1200,
    "StoreError": 1300,
    "RevocationError": 1400,
}


def test_every_kind_has_a_class_under_cloudsign_error():
    for name in KINDS:
        cls = getattr(cloudsign, name)
        assert issubclass(cls, cloudsign.CloudsignError)
    assert issubclass(cloudsign.CloudsignIOError, OSError)


def test_not_a_pdf(rsa_signer, root_pem):
    with pytest.raises(cloudsign.PdfError) as caught:
        cloudsign.sign_pdf(b"%PDF-1.7\nnot really\n", rsa_signer)
    assert caught.value.code == KINDS["PdfError"]
    with pytest.raises(cloudsign.PdfError):
        cloudsign.verify_pdf(b"hello", trust=[root_pem])


def test_wrong_pkcs12_password(pki):
    with pytest.raises(cloudsign.InvalidKeyError, match="password") as caught:
        cloudsign.Signer.from_pkcs12((pki / "signer-rsa.p12").read_bytes(), "wrong")
    assert caught.value.code == KINDS["InvalidKeyError"]


def test_key_that_does_not_match_its_certificate(pki):
    with pytest.raises(cloudsign.InvalidKeyError):
        cloudsign.Signer.from_pem(
            (pki / "signer-ec-key.pem").read_bytes(), (pki / "signer-rsa.pem").read_bytes()
        )


def test_malformed_certificate():
    with pytest.raises(cloudsign.CertificateError) as caught:
        cloudsign.verify_pdf(b"%PDF-1.7", trust=[b"\x30\x03\x02\x01\x01"])
    assert caught.value.code == KINDS["CertificateError"]


def test_unreachable_timestamp_authority(contract, rsa_signer):
    with pytest.raises(cloudsign.TimestampError) as caught:
        cloudsign.sign_pdf(contract, rsa_signer, level="b-t", tsa="http://127.0.0.1:1/")
    assert caught.value.code == KINDS["TimestampError"]


def test_missing_key_file():
    with pytest.raises(cloudsign.StoreError):
        cloudsign.StaticKeyProvider.from_key_file("/nonexistent/keys")


def test_unknown_digest_is_a_value_error(pki):
    with pytest.raises(ValueError, match="digest"):
        cloudsign.Signer.from_pkcs12((pki / "signer-rsa.p12").read_bytes(), "test", digest="md5")


def test_limits_refuse_what_exceeds_them(contract, rsa_signer, root_pem):
    with pytest.raises(cloudsign.LimitError) as caught:
        cloudsign.sign_pdf(contract, rsa_signer, limits={"max_input_bytes": 1024})
    assert caught.value.code == KINDS["LimitError"]
    signed = cloudsign.sign_pdf(contract, rsa_signer, limits={"max_input_bytes": len(contract)})
    assert cloudsign.verify_pdf(signed, trust=[root_pem]).passed
    with pytest.raises(cloudsign.LimitError):
        cloudsign.verify_pdf(signed, trust=[root_pem], limits={"max_input_bytes": 1024})
    with pytest.raises(ValueError, match="max_pages"):
        cloudsign.verify_pdf(signed, trust=[root_pem], limits={"max_pages": 1})
