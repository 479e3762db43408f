"""The README's "Using cloudsign from Python" examples run as written, in a directory holding
the files they name; only the timestamp authority's address is the test's own."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

README_TSA = "http://127.0.0.1:3180/"


def python_examples() -> list[str]:
    readme = Path(os.environ["CLOUDSIGN_README"]).read_text(encoding="utf-8")
    section = readme.split("## Using cloudsign from Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_examples():
    assert len(python_examples()) >= 5


# The fifth example (B-LTA) needs a PKI whose certificates name revocation services; the
# same calls run in test_ltv.py.
@pytest.mark.parametrize("index", range(4))
def test_readme_example_runs(index, pki, tsa_url, tmp_path, monkeypatch):
    for name in ("signer-rsa.p12", "signer-ec.p12", "root.pem", "contract.pdf"):
        shutil.copy(pki / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    code = python_examples()[index]
    exec(compile(code.replace(README_TSA, tsa_url), f"README example {index + 1}", "exec"), {})
    if index == 0:
        assert (tmp_path / "contract-signed.pdf").read_bytes().startswith(
            (pki / "contract.pdf").read_bytes()
        )
