"""The README's "Using cloudsign from Python" examples run as written, in a directory holding
the files they name; only the timestamp authority's address is the test's own. Examples that
make the long-term levels run against the PKI whose certificates name revocation services."""

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


def needs_revocation_services(code: str) -> bool:
    return 'level="b-lt' in code or "ltv_" in code


def test_the_readme_has_examples():
    examples = python_examples()
    assert len(examples) >= 8
    assert sum(map(needs_revocation_services, examples)) == 1


@pytest.mark.parametrize("index", range(len(python_examples())))
def test_readme_example_runs(index, pki, tsa_url, tmp_path, monkeypatch):
    code = python_examples()[index]
    files, url = pki, tsa_url
    if needs_revocation_services(code):
        files, url = Path(os.environ["CLOUDSIGN_TEST_LTV_PKI"]), os.environ["CLOUDSIGN_TEST_LTV_TSA_URL"]
    for name in ("signer-rsa.p12", "signer-ec.p12", "root.pem"):
        shutil.copy(files / name, tmp_path / name)
    shutil.copy(pki / "contract.pdf", tmp_path / "contract.pdf")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace(README_TSA, url), f"README example {index + 1}", "exec"), {})
    if index == 0:
        assert (tmp_path / "contract-signed.pdf").read_bytes().startswith(
            (pki / "contract.pdf").read_bytes()
        )
