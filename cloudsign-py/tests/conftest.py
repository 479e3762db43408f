"""Fixtures: the test PKI, sample contract and loopback timestamp authority that the Rust
test driver (tests/python.rs) prepares and passes in through the environment."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import cloudsign


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        # Not a skip: without the driver's PKI these tests cannot mean anything.
        raise RuntimeError(f"{name} is not set; run these tests through `cargo test -p cloudsign-py`")
    return Path(value)


@pytest.fixture(scope="session")
def pki() -> Path:
    return _env_path("CLOUDSIGN_TEST_PKI")


@pytest.fixture(scope="session")
def tsa_url() -> str:
    url = os.environ.get("CLOUDSIGN_TEST_TSA_URL")
    if not url:
        raise RuntimeError("CLOUDSIGN_TEST_TSA_URL is not set")
    return url


@pytest.fixture(scope="session")
def contract(pki: Path) -> bytes:
    return (pki / "contract.pdf").read_bytes()


@pytest.fixture(scope="session")
def root_pem(pki: Path) -> bytes:
    return (pki / "root.pem").read_bytes()


@pytest.fixture(scope="session")
def rsa_signer(pki: Path) -> cloudsign.Signer:
    return cloudsign.Signer.from_pkcs12((pki / "signer-rsa.p12").read_bytes(), "test")


@pytest.fixture(scope="session")
def ec_signer(pki: Path) -> cloudsign.Signer:
    return cloudsign.Signer.from_pem(
        (pki / "signer-ec-key.pem").read_bytes(),
        (pki / "signer-ec.pem").read_bytes() + (pki / "chain.pem").read_bytes(),
    )


def pyhanko_bottom_lines(pdf: bytes, root_pem: bytes) -> list[bool]:
    """pyHanko's verdict (bottom line) on every embedded signature, trusting only `root_pem`."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pem") as f:
        f.write(root_pem)
        f.flush()
        root = load_cert_from_pemder(f.name)
    reader = PdfFileReader(io.BytesIO(pdf))
    verdicts = []
    for sig in reader.embedded_signatures:
        context = ValidationContext(trust_roots=[root], allow_fetching=False)
        verdicts.append(validate_pdf_signature(sig, context).bottom_line)
    return verdicts


def require_tool(name: str) -> str:
    """The path of command `name`; a missing tool skips the test locally and fails it under
    CI=true, as the Rust suites' oracles do."""
    import shutil

    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{name} is not installed but CI=true; run .ci/install-tools.sh")
    pytest.skip(f"{name} is not installed (install with .ci/install-tools.sh)")


def pyhanko_adesverify(pdf: bytes, root_pem: Path, tmp_path: Path) -> tuple[bool, str]:
    """pyHanko's AdES validation with long-term validation (`pyhanko sign adesverify`:
    EN 319 102-1 past-signature validation over the DSS and document timestamps, revocation
    information required), trusting only `root_pem`: whether every signature's summary line
    passed, and the transcript."""
    import subprocess

    pyhanko = require_tool("pyhanko")
    path = tmp_path / "adesverify.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(
        [pyhanko, "sign", "adesverify", "--executive-summary", "--trust", str(root_pem),
         "--trust-replace", str(path)],
        capture_output=True, text=True, timeout=300,
    )
    lines = [line.rstrip() for line in run.stdout.splitlines() if line.strip()]
    ok = run.returncode == 0 and bool(lines) and all(
        line.endswith(":PASSED") or line.endswith(":VALID") for line in lines
    )
    return ok, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
