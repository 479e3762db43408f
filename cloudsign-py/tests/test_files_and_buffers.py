"""Inputs as any bytes-like object (bytes, bytearray, memoryview), and the file variants that
stream large documents through the library without loading them into Python."""

from __future__ import annotations

import pytest

import cloudsign
from conftest import pyhanko_bottom_lines


def test_bytes_like_inputs(pki, contract, root_pem):
    p12 = (pki / "signer-rsa.p12").read_bytes()
    signer = cloudsign.Signer.from_pkcs12(bytearray(p12), "test")
    ec = cloudsign.Signer.from_pem(
        memoryview((pki / "signer-ec-key.pem").read_bytes()),
        bytearray((pki / "signer-ec.pem").read_bytes() + (pki / "chain.pem").read_bytes()),
    )
    for pdf in (bytearray(contract), memoryview(contract)):
        signed = cloudsign.sign_pdf(pdf, signer)
        assert signed.startswith(contract)
        report = cloudsign.verify_pdf(memoryview(signed), trust=[bytearray(root_pem)])
        assert report.passed, report.to_json()

    # The key and certificates from buffers make a working signer too.
    signed = cloudsign.sign_pdf(contract, ec)
    assert cloudsign.verify_pdf(signed, trust=[root_pem]).passed

    prepared = cloudsign.prepare_pdf(bytearray(contract), signer)
    finished = prepared.finish(memoryview(contract), bytearray(signer.sign(prepared.to_be_signed)))
    assert cloudsign.verify_pdf(finished, trust=[root_pem]).passed

    with pytest.raises(TypeError):
        cloudsign.sign_pdf("a str is not bytes", signer)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cloudsign.verify_pdf(12, trust=[root_pem])  # type: ignore[arg-type]


def test_sign_and_verify_files(pki, rsa_signer, root_pem, tmp_path, tsa_url):
    large = pki / "large.pdf"
    out = tmp_path / "large-signed.pdf"
    cloudsign.sign_pdf_file(large, out, rsa_signer, level="b-t", tsa=tsa_url, reason="bulk")
    signed = out.read_bytes()
    assert signed.startswith(large.read_bytes())
    report = cloudsign.verify_pdf_file(out, trust=[root_pem])
    assert report.passed, report.to_json()
    assert report.signatures[0].level == "B-T"
    in_memory = cloudsign.verify_pdf(signed, trust=[root_pem])
    summary = lambda r: [(s.field, s.indication, s.level, s.proven_time) for s in r.signatures]  # noqa: E731
    assert summary(report) == summary(in_memory)
    assert pyhanko_bottom_lines(signed, root_pem) == [True]

    # Nothing is left behind when signing fails.
    with pytest.raises(cloudsign.PdfError):
        not_pdf = tmp_path / "not.pdf"
        not_pdf.write_bytes(b"%PDF-1.7\nnot really\n")
        cloudsign.sign_pdf_file(not_pdf, tmp_path / "never.pdf", rsa_signer)
    assert not (tmp_path / "never.pdf").exists()
    with pytest.raises(cloudsign.CloudsignIOError):
        cloudsign.sign_pdf_file(tmp_path / "missing.pdf", tmp_path / "x.pdf", rsa_signer)
    with pytest.raises(cloudsign.CloudsignIOError):
        cloudsign.verify_pdf_file(tmp_path / "missing.pdf", trust=[root_pem])


def test_signing_options_are_checked_once_for_every_function(contract, rsa_signer, tmp_path):
    for call in (
        lambda **kw: cloudsign.sign_pdf(contract, rsa_signer, **kw),
        lambda **kw: cloudsign.prepare_pdf(contract, rsa_signer, **kw),
        lambda **kw: cloudsign.sign_pdf_file(tmp_path / "in.pdf", tmp_path / "out.pdf", rsa_signer, **kw),
    ):
        with pytest.raises(TypeError, match="unexpected keyword argument 'reasn'"):
            call(reasn="typo")
        with pytest.raises(ValueError, match="unknown level"):
            call(level="b-x")
        with pytest.raises(ValueError, match="needs tsa"):
            call(level="b-t")
        with pytest.raises(ValueError, match="certify"):
            call(certify=4)
        with pytest.raises(TypeError):
            call(reason=42)
