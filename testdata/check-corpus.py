#!/usr/bin/env python3
"""Assert that every file in testdata/corpus/ is what testdata/README.md claims it is.

Why: a corpus file that silently lost its structure (say, a re-save that turned the hybrid
into a plain table) would make our parser tests pass for the wrong reason. So each file is
checked for the common properties (qpdf --check clean, unencrypted, >= 1 page, visible text,
< 200 KB) and for the raw-byte markers of its claimed structure.

Needs qpdf and poppler-utils (pdfinfo, pdftotext). Run: python3 testdata/check-corpus.py
"""

import os
import re
import subprocess
import sys

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def sh(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def xref_kinds(path):
    """Return the set of entry kinds qpdf reports ("uncompressed", "compressed")."""
    _, out, _ = sh("qpdf", "--show-xref", path)
    return set(re.findall(r": (uncompressed|compressed);", out))


def classic(data):
    return re.search(rb"(^|[\r\n])xref[\r\n]", data) is not None


def xref_stream(data):
    return re.search(rb"/Type\s*/XRef\b", data) is not None


# file -> (claimed structure, check(data, path, info) -> bool)
EXPECT = {
    "01-classic-reportlab.pdf": ("classic xref table, single revision",
        lambda d, p, i: classic(d) and not xref_stream(d) and d.count(b"%%EOF") == 1
        and xref_kinds(p) == {"uncompressed"} and "ReportLab" in i["Producer"]),
    "02-objstm-qpdf.pdf": ("xref stream + object streams, no classic table",
        lambda d, p, i: xref_stream(d) and not classic(d) and b"/ObjStm" in d
        and "compressed" in xref_kinds(p)),
    "03-hybrid-handmade.pdf": ("hybrid: classic table + trailer /XRefStm, object only in ObjStm",
        lambda d, p, i: classic(d) and re.search(rb"trailer\s*<<[^>]*/XRefStm \d+", d) is not None
        and xref_stream(d) and "compressed" in xref_kinds(p)),
    "04-linearized-qpdf.pdf": ("linearized",
        lambda d, p, i: b"/Linearized" in d[:1024] and sh("qpdf", "--check-linearization", p)[0] == 0),
    "05-incremental-pyhanko.pdf": ("two revisions; 2nd adds empty sig field Approval",
        lambda d, p, i: d.count(b"%%EOF") == 2 and b"/Prev" in d[d.rfind(b"trailer"):]
        and b"/T (Approval)" in d and b"/FT /Sig" in d and b"/ByteRange" not in d and "pyHanko" in i["Producer"]),
    "06-acroform-reportlab.pdf": ("AcroForm with text fields",
        lambda d, p, i: b"/AcroForm" in d and len(re.findall(rb"/FT\s*/Tx", d)) >= 4),
    "07-pdf20-qpdf.pdf": ("PDF 2.0 header",
        lambda d, p, i: d.startswith(b"%PDF-2.0") and i["PDF version"] == "2.0"),
    "08-ghostscript.pdf": ("ghostscript pdfwrite output",
        lambda d, p, i: "Ghostscript" in i["Producer"]),
    "09-cairo.pdf": ("cairo (pdftocairo -pdf) output",
        lambda d, p, i: "cairo" in i["Producer"]),
}


def main():
    failures = []
    names = sorted(f for f in os.listdir(CORPUS) if f.endswith(".pdf"))
    if sorted(EXPECT) != names:
        failures.append(f"corpus files {names} differ from expected {sorted(EXPECT)}")
    for name in names:
        path = os.path.join(CORPUS, name)
        with open(path, "rb") as f:
            data = f.read()
        problems = []
        rc, out, err = sh("qpdf", "--check", path)
        if rc != 0 or "WARNING" in err or "No syntax or stream encoding errors" not in out:
            problems.append(f"qpdf --check rc={rc}: {err.strip()}")
        _, info_out, _ = sh("pdfinfo", path)
        info = {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in info_out.splitlines())}
        info.setdefault("Producer", "")
        if info.get("Encrypted") != "no":
            problems.append("encrypted")
        if int(info.get("Pages", "0")) < 1:
            problems.append("no pages")
        _, text, _ = sh("pdftotext", "-l", "1", path, "-")
        if len(text.strip()) < 10:
            problems.append("no visible text on page 1")
        if len(data) >= 200_000:
            problems.append(f"too large: {len(data)} bytes")
        if not data.startswith(b"%PDF-"):
            problems.append("bad header")
        claim, check = EXPECT.get(name, ("(unexpected file)", lambda *a: False))
        if not check(data, path, info):
            problems.append(f"not genuinely: {claim}")
        status = "ok  " if not problems else "FAIL"
        print(f"{status} {name:28} {len(data):7} B  {claim}")
        failures += [f"{name}: {p}" for p in problems]
    for f in failures:
        print("  ", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
