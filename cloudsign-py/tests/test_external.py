"""External signers (a Python object with `sign`), Python timestamp transports, and the
two-phase API, with exceptions from callbacks coming back out unchanged."""

from __future__ import annotations

import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

import cloudsign
from conftest import pyhanko_bottom_lines


class SoftHsm:
    """An external ECDSA signer built on pyca/cryptography, which signs the digest it is
    handed, as an HSM does; nothing of cloudsign's key handling is involved."""

    algorithm = "ecdsa-sha256"

    def __init__(self, pki):
        self._key = serialization.load_pem_private_key(
            (pki / "signer-ec-key.pem").read_bytes(), password=None
        )
        self.certificate_chain = [
            (pki / "signer-ec.pem").read_bytes(),
            (pki / "chain.pem").read_bytes(),
        ]
        self.calls = []

    def sign(self, tbs: cloudsign.ToBeSigned) -> bytes:
        self.calls.append(tbs)
        assert tbs.algorithm == self.algorithm and tbs.digest_algorithm == "sha256"
        return self._key.sign(tbs.digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


class HttpTransport:
    """A timestamp transport in Python: posts the request to the test authority."""

    def __init__(self, url: str):
        self.url = url
        self.requests = 0

    def exchange(self, request: bytes) -> bytes:
        self.requests += 1
        http = urllib.request.Request(
            self.url,
            data=request,
            headers={"Content-Type": "application/timestamp-query"},
        )
        with urllib.request.urlopen(http, timeout=10) as response:
            return response.read()


class Boom(Exception):
    pass


def test_external_signer_signs_a_valid_pdf(pki, contract, root_pem):
    hsm = SoftHsm(pki)
    signed = cloudsign.sign_pdf(contract, hsm)
    assert len(hsm.calls) == 1
    tbs = hsm.calls[0]
    assert hashes_equal(tbs.message, tbs.digest)
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert pyhanko_bottom_lines(signed, root_pem) == [True]


def hashes_equal(message: bytes, digest: bytes) -> bool:
    h = hashes.Hash(hashes.SHA256())
    h.update(message)
    return h.finalize() == digest


def test_external_signer_with_a_python_timestamp_transport(pki, contract, root_pem, tsa_url):
    transport = HttpTransport(tsa_url)
    signed = cloudsign.sign_pdf(contract, SoftHsm(pki), level="b-t", tsa=transport)
    assert transport.requests == 1
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert report.signatures[0].level == "B-T"


def test_a_wrong_signature_value_is_a_failed_report(pki, contract, root_pem):
    class Liar(SoftHsm):
        def sign(self, tbs):
            sig = bytearray(super().sign(tbs))
            sig[-1] ^= 1
            return bytes(sig)

    report = cloudsign.verify_pdf(cloudsign.sign_pdf(contract, Liar(pki)), trust=[root_pem])
    assert report.signatures[0].indication == "FAILED"


def test_exception_from_the_signer_comes_back_unchanged(pki, contract):
    raised = Boom("the HSM is offline")

    class Offline(SoftHsm):
        def sign(self, tbs):
            raise raised

    with pytest.raises(Boom) as caught:
        cloudsign.sign_pdf(contract, Offline(pki))
    assert caught.value is raised


def test_exception_from_the_transport_comes_back_unchanged(contract, rsa_signer):
    raised = ConnectionResetError("peer hung up")

    class Broken:
        def exchange(self, request: bytes) -> bytes:
            raise raised

    with pytest.raises(ConnectionResetError) as caught:
        cloudsign.sign_pdf(contract, rsa_signer, level="b-t", tsa=Broken())
    assert caught.value is raised
    with pytest.raises(ConnectionResetError) as caught:
        cloudsign.timestamp_pdf(contract, Broken())
    assert caught.value is raised


def test_signer_returning_the_wrong_type_raises_type_error(pki, contract):
    class Wrong(SoftHsm):
        def sign(self, tbs):
            return "not bytes"

    with pytest.raises(TypeError):
        cloudsign.sign_pdf(contract, Wrong(pki))


def test_objects_that_are_not_signers_are_refused(contract):
    with pytest.raises(TypeError, match="sign"):
        cloudsign.sign_pdf(contract, object())

    class NoAlgorithm:
        certificate_chain = []

        def sign(self, tbs):
            return b""

    with pytest.raises(TypeError, match="algorithm"):
        cloudsign.sign_pdf(contract, NoAlgorithm())

    class BadAlgorithm(NoAlgorithm):
        algorithm = "dsa-sha1"

    with pytest.raises(ValueError, match="unknown signature algorithm"):
        cloudsign.sign_pdf(contract, BadAlgorithm())


def test_two_phase_survives_serialisation(pki, contract, root_pem):
    hsm = SoftHsm(pki)
    prepared = cloudsign.prepare_pdf(contract, hsm, reason="Signed remotely")
    assert hsm.calls == []  # preparing asks only for certificates and algorithm
    state = prepared.to_json()
    tbs = prepared.to_be_signed
    assert len(tbs.digest) == 32
    assert prepared.byte_range[0] == 0

    signature = hsm.sign(tbs)
    resumed = cloudsign.PreparedSignature.from_json(state)
    assert resumed.document_digest == prepared.document_digest

    other = bytearray(contract)
    other[20] ^= 1
    with pytest.raises(cloudsign.SigningError, match="does not match"):
        resumed.finish(bytes(other), signature)

    signed = resumed.finish(contract, signature)
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert pyhanko_bottom_lines(signed, root_pem) == [True]


def test_two_phase_with_a_local_signer_and_a_timestamp(contract, rsa_signer, root_pem, tsa_url):
    prepared = cloudsign.prepare_pdf(contract, rsa_signer, level="b-t", tsa=tsa_url)
    signature = rsa_signer.sign(prepared.to_be_signed)
    with pytest.raises(cloudsign.SigningError, match="needs a timestamp"):
        prepared.finish(contract, signature)
    signed = prepared.finish(contract, signature, tsa=tsa_url)
    report = cloudsign.verify_pdf(signed, trust=[root_pem])
    assert report.passed, report.to_json()
    assert report.signatures[0].level == "B-T"


def test_prepared_state_that_is_not_one_is_refused():
    with pytest.raises(cloudsign.SigningError):
        cloudsign.PreparedSignature.from_json("{}")
