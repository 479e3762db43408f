#!/usr/bin/env python3
"""Regenerate testdata/corpus/: small, unsigned PDFs that differ in *structure* and *producer*.

Why: our strict PDF layer must read (and append to) every common way a PDF is laid out, not
just the one our own writer produces. Each file is made by a different tool or option so the
corpus exercises classic tables, xref streams, object streams, hybrids, linearization,
earlier incremental updates, AcroForms and PDF 2.0.

Needs: python3 with reportlab and pyhanko, qpdf, ghostscript (gs), poppler-utils (pdftocairo).
Run from anywhere:  python3 testdata/make-corpus.py
Then check:         python3 testdata/check-corpus.py
Output is deterministic where the tool allows it (reportlab invariant mode, qpdf
--deterministic-id); ghostscript and cairo stamp the current date, pyHanko a fresh /ID.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import zlib

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

CLAUSES = [
    "1. Scope. The Provider delivers the document signing service described in Annex A.",
    "2. Term. This agreement starts on the date of the last signature and runs for one year.",
    "3. Fees. The Customer pays the fees in Annex B within thirty days of each invoice.",
    "4. Confidentiality. Each party keeps the other party's confidential information secret.",
    "5. Governing law. This agreement is governed by the laws stated in Annex C.",
]


def contract_page(c, title, page_no=None):
    """Draw one page of a small sample contract with Helvetica text."""
    _, height = A4
    c.setFont("Helvetica-Bold", 18)
    c.drawString(72, height - 90, title)
    c.setFont("Helvetica", 11)
    y = height - 130
    c.drawString(72, y, "between Example Provider Ltd (the Provider)")
    c.drawString(72, y - 16, "and Example Customer GmbH (the Customer).")
    y -= 56
    for clause in CLAUSES:
        c.drawString(72, y, clause)
        y -= 20
    c.drawString(72, 140, "Signed for the Provider: ______________________")
    c.drawString(72, 110, "Signed for the Customer: ______________________")
    if page_no is not None:
        c.drawString(72, 50, f"Page {page_no}")


def reportlab_contract(path, pages=1, compress=False):
    """Classic-xref PDF from reportlab; invariant=1 makes dates and /ID reproducible."""
    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1 if compress else 0)
    c.setTitle("Sample service agreement")
    for n in range(1, pages + 1):
        contract_page(c, "Service Agreement", n if pages > 1 else None)
        c.showPage()
    c.save()


def reportlab_form(path):
    """Reportlab AcroForm with text fields (names, place, date) under the contract text."""
    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=0)
    c.setTitle("Sample agreement with form fields")
    contract_page(c, "Service Agreement (form)")
    form = c.acroForm
    for i, (name, label) in enumerate(
        [("provider_name", "Provider name"), ("customer_name", "Customer name"), ("place", "Place"), ("date", "Date")]
    ):
        y = 330 - 40 * i
        c.drawString(72, y + 6, label + ":")
        form.textfield(name=name, tooltip=label, x=200, y=y, width=250, height=22, borderStyle="inset", forceBorder=True)
    c.showPage()
    c.save()


def hybrid_pdf(path):
    """Build a hybrid-reference file byte by byte (no common tool writes one any more).

    Layout: objects 1-4 (catalog, pages, page, content) are plain objects listed in a classic
    xref table. Object 5, the Helvetica font, lives ONLY in object stream 6; the classic table
    omits 5 (two subsections, 0-4 and 6-7) and the trailer's /XRefStm points to xref
    stream 7, whose single type-2 entry says "object 5 is entry 0 of object stream 6".
    A PDF 1.4 reader ignoring /XRefStm sees no font; a 1.5+ reader overlays the stream entries (PDF 32000-1, 7.5.8.4).
    """
    objs = {}
    text = b"BT /F1 18 Tf 72 750 Td (Hybrid reference sample) Tj ET\n" \
           b"BT /F1 11 Tf 72 720 Td (This file has a classic xref table and an /XRefStm.) Tj ET\n"
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
    objs[4] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    head = b"5 0 "  # object stream header: "objnum offset" pairs, then the objects
    objstm_body = head + font
    objs[6] = (b"<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n" % (len(head), len(objstm_body))
               + objstm_body + b"\nendstream")

    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in (1, 2, 3, 4, 6):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    # Xref stream 7: /W [1 2 1], one entry for object 5 -> (type 2, objstm 6, index 0).
    offsets[7] = len(out)
    entry = bytes([2]) + (6).to_bytes(2, "big") + bytes([0])
    data = zlib.compress(entry)
    out += (b"7 0 obj\n<< /Type /XRef /Size 8 /Index [5 1] /W [1 2 1] /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(data) + data + b"\nendstream\nendobj\n")
    xref_at = len(out)
    # Two subsections that skip object 5: a table entry (even a free one) for a compressed
    # object would shadow the /XRefStm entry in poppler, which only fills in missing entries.
    out += b"xref\n0 5\n0000000000 65535 f\r\n"
    out += b"".join(b"%010d 00000 n\r\n" % offsets[n] for n in (1, 2, 3, 4))
    out += b"6 2\n" + b"".join(b"%010d 00000 n\r\n" % offsets[n] for n in (6, 7))
    out += b"trailer\n<< /Size 8 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n" % (offsets[7], xref_at)
    with open(path, "wb") as f:
        f.write(out)


def add_approval_field(src, dst):
    """Incremental update by pyHanko: add an empty, visible signature field "Approval"."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    with open(src, "rb") as inf:
        w = IncrementalPdfFileWriter(inf)
        append_signature_field(w, SigFieldSpec("Approval", on_page=0, box=(330, 100, 520, 150)))
        with open(dst, "wb") as outf:
            w.write(outf)


def run(*cmd):
    print("+", " ".join(cmd))
    subprocess.run(cmd, check=True)


def main():
    for tool in ("qpdf", "gs", "pdftocairo"):
        if shutil.which(tool) is None:
            sys.exit(f"missing tool: {tool}")
    os.makedirs(OUT, exist_ok=True)
    o = lambda name: os.path.join(OUT, name)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        three = os.path.join(tmp, "three-pages.pdf")
        reportlab_contract(three, pages=3, compress=True)

        reportlab_contract(o("01-classic-reportlab.pdf"))
        run("qpdf", "--deterministic-id", "--object-streams=generate", three, o("02-objstm-qpdf.pdf"))
        hybrid_pdf(o("03-hybrid-handmade.pdf"))
        run("qpdf", "--deterministic-id", "--linearize", three, o("04-linearized-qpdf.pdf"))
        add_approval_field(o("01-classic-reportlab.pdf"), o("05-incremental-pyhanko.pdf"))
        reportlab_form(o("06-acroform-reportlab.pdf"))
        run("qpdf", "--deterministic-id", "--force-version=2.0", o("06-acroform-reportlab.pdf"), o("07-pdf20-qpdf.pdf"))
        run("gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dCompatibilityLevel=1.7",
            "-sOutputFile=" + o("08-ghostscript.pdf"), three)
        run("pdftocairo", "-pdf", o("01-classic-reportlab.pdf"), o("09-cairo.pdf"))


if __name__ == "__main__":
    main()
