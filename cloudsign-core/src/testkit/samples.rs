//! Sample PDFs generated in memory, for tests, examples and benchmarks.
//!
//! Every sample is a single-revision PDF 1.7 with a classic cross-reference table, exact byte
//! offsets and uncompressed streams, written by a tiny writer here (independent of the crate's
//! own PDF layer, so a bug there cannot hide in both the sample and the code under test).

/// Collects numbered objects and writes the classic xref table and trailer at the end.
struct Writer {
    buf: Vec<u8>,
    /// Byte offset of object `i + 1`, filled in as objects are written.
    offsets: Vec<Option<usize>>,
}

impl Writer {
    /// Starts a file that will hold objects `1..=count`.
    fn new(count: usize) -> Self {
        let mut buf = Vec::new();
        // The binary comment tells transfer tools the file is binary (PDF 32000-1, 7.5.2).
        buf.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        Self {
            buf,
            offsets: vec![None; count],
        }
    }

    /// Writes object `num` with the given body (dictionary, array, ...).
    fn obj(&mut self, num: usize, body: &str) {
        self.begin(num);
        self.buf.extend_from_slice(body.as_bytes());
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    /// Writes stream object `num`: `dict` holds extra entries; /Length is added here.
    fn stream(&mut self, num: usize, dict: &str, data: &[u8]) {
        self.begin(num);
        let head = format!("<< {dict} /Length {} >>\nstream\n", data.len());
        self.buf.extend_from_slice(head.as_bytes());
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn begin(&mut self, num: usize) {
        if let Some(slot) = num.checked_sub(1).and_then(|i| self.offsets.get_mut(i)) {
            *slot = Some(self.buf.len());
        }
        self.buf
            .extend_from_slice(format!("{num} 0 obj\n").as_bytes());
    }

    /// Appends the xref table and trailer. Objects never written become free entries.
    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref_at = self.buf.len();
        let size = self.offsets.len() + 1;
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f\r\n");
        for offset in &self.offsets {
            match offset {
                Some(o) => table.push_str(&format!("{o:010} 00000 n\r\n")),
                None => table.push_str("0000000000 00000 f\r\n"),
            }
        }
        table.push_str(&format!(
            "trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        ));
        self.buf.extend_from_slice(table.as_bytes());
        self.buf
    }
}

/// Escapes text for a PDF literal string `( ... )`.
fn pdf_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Content-stream operators showing `text` at (x, y) in font `font` at `size` points.
fn text_line(font: &str, size: u32, x: u32, y: u32, text: &str) -> String {
    format!(
        "BT /{font} {size} Tf {x} {y} Td {} Tj ET\n",
        pdf_string(text)
    )
}

const HELVETICA: &str =
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
const HELVETICA_BOLD: &str =
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>";
const INFO: &str = "<< /Producer (cloudsign testkit) /Title (cloudsign sample) >>";
/// A4 in points.
const MEDIA_BOX: &str = "[0 0 595 842]";

/// A tidy one-page sample contract: title, parties, five clauses and two signature lines in
/// Helvetica on A4. Ten objects, classic xref table, about 3 KB.
pub fn contract_pdf() -> Vec<u8> {
    let mut content = String::new();
    content.push_str(&text_line("F2", 20, 72, 760, "Service Agreement"));
    content.push_str(&text_line(
        "F1",
        11,
        72,
        730,
        "between Example Provider Ltd, 1 Main Street, Example City (the \"Provider\")",
    ));
    content.push_str(&text_line(
        "F1",
        11,
        72,
        714,
        "and Example Customer GmbH, 2 High Street, Sample Town (the \"Customer\").",
    ));
    let clauses = [
        (
            "1. Scope.",
            "The Provider delivers the document signing service of Annex A.",
        ),
        (
            "2. Term.",
            "This agreement starts on the date of the last signature, for one year.",
        ),
        (
            "3. Fees.",
            "The Customer pays the fees in Annex B within thirty days of invoice.",
        ),
        (
            "4. Confidentiality.",
            "Each party keeps the other's confidential information secret.",
        ),
        (
            "5. Law.",
            "This agreement is governed by the laws stated in Annex C.",
        ),
    ];
    let mut y = 670;
    for (heading, body) in clauses {
        content.push_str(&text_line("F2", 11, 72, y, heading));
        content.push_str(&text_line("F1", 11, 72, y - 15, body));
        y -= 44;
    }
    // Signature lines: two 200-point rules with captions.
    content.push_str("0.5 w 72 160 m 272 160 l S 323 160 m 523 160 l S\n");
    content.push_str(&text_line(
        "F1",
        9,
        72,
        146,
        "For the Provider (name, date)",
    ));
    content.push_str(&text_line(
        "F1",
        9,
        323,
        146,
        "For the Customer (name, date)",
    ));

    let mut w = Writer::new(7);
    w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    w.obj(
        3,
        &format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox {MEDIA_BOX} \
             /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        ),
    );
    w.obj(4, HELVETICA);
    w.obj(5, HELVETICA_BOLD);
    w.stream(6, "", content.as_bytes());
    w.obj(7, INFO);
    w.finish(1, 7)
}

/// Objects used per page by [`text_pdf`].
pub const TEXT_PDF_OBJECTS_PER_PAGE: usize = 7;

/// A document of `pages` pages of text (at least one), one content stream per page.
///
/// Each page uses [`TEXT_PDF_OBJECTS_PER_PAGE`] = 7 objects of its own (page, content stream,
/// resources, font, graphics state, link annotation, its go-to action), plus 3 shared
/// (catalog, page tree, info): `text_pdf(8000)` has exactly 56,003 objects (about 15.7 MB). All
/// pages hang directly off one /Pages node.
pub fn text_pdf(pages: usize) -> Vec<u8> {
    let pages = pages.max(1);
    let per = TEXT_PDF_OBJECTS_PER_PAGE;
    let total = 3 + per * pages;
    // Page i (0-based) owns objects base(i) .. base(i) + 7.
    let base = |i: usize| 4 + per * i;
    let mut w = Writer::new(total);
    w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", base(i))).collect();
    w.obj(
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
    );
    w.obj(3, INFO);
    for i in 0..pages {
        let (page, content, res, font, gs, annot, action) = (
            base(i),
            base(i) + 1,
            base(i) + 2,
            base(i) + 3,
            base(i) + 4,
            base(i) + 5,
            base(i) + 6,
        );
        let n = i + 1;
        w.obj(
            page,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox {MEDIA_BOX} /Resources {res} 0 R \
                 /Contents {content} 0 R /Annots [{annot} 0 R] >>"
            ),
        );
        let mut text = String::from("/GS1 gs\n");
        text.push_str(&text_line(
            "F1",
            16,
            72,
            770,
            &format!("Page {n} of {pages}"),
        ));
        let mut y = 740;
        for line in 1..=12 {
            text.push_str(&text_line(
                "F1",
                11,
                72,
                y,
                &format!(
                    "Line {line} of page {n}: the parties agree to the terms of section {line}."
                ),
            ));
            y -= 16;
        }
        w.stream(content, "", text.as_bytes());
        w.obj(
            res,
            &format!("<< /Font << /F1 {font} 0 R >> /ExtGState << /GS1 {gs} 0 R >> >>"),
        );
        w.obj(font, HELVETICA);
        w.obj(gs, "<< /Type /ExtGState /CA 1 /ca 1 >>");
        w.obj(
            annot,
            &format!(
                "<< /Type /Annot /Subtype /Link /Rect [72 765 250 790] /Border [0 0 0] \
                 /A {action} 0 R >>"
            ),
        );
        w.obj(action, &format!("<< /S /GoTo /D [{page} 0 R /Fit] >>"));
    }
    w.finish(1, 3)
}

/// A one-page PDF of at least `min_bytes` bytes: a caption plus an uncompressed 8-bit gray
/// image XObject 1024 pixels wide, as many rows as needed, of xorshift pseudo-random bytes
/// (deterministic; incompressible, so it also stresses streaming and hashing paths).
pub fn large_pdf(min_bytes: usize) -> Vec<u8> {
    const WIDTH: usize = 1024;
    let height = min_bytes.div_ceil(WIDTH).max(1);
    let mut pixels = Vec::with_capacity(WIDTH * height);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while pixels.len() < WIDTH * height {
        // xorshift64 (Marsaglia): fast, deterministic, good enough to defeat compression.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        pixels.extend_from_slice(&state.to_le_bytes());
    }
    pixels.truncate(WIDTH * height);

    let mut content = String::from("q 495 0 0 600 50 150 cm /Im1 Do Q\n");
    content.push_str(&text_line(
        "F1",
        14,
        50,
        780,
        &format!("Large sample: {WIDTH} x {height} pixel image, at least {min_bytes} bytes"),
    ));
    let mut w = Writer::new(7);
    w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    w.obj(
        3,
        &format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox {MEDIA_BOX} \
             /Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> /Contents 5 0 R >>"
        ),
    );
    w.obj(4, HELVETICA);
    w.stream(5, "", content.as_bytes());
    w.stream(
        6,
        &format!(
            "/Type /XObject /Subtype /Image /Width {WIDTH} /Height {height} \
             /ColorSpace /DeviceGray /BitsPerComponent 8"
        ),
        &pixels,
    );
    w.obj(7, INFO);
    w.finish(1, 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks what needs no PDF parser: header, startxref -> "xref", and that every in-use
    /// xref entry points at "N 0 obj". Returns the number of in-use objects.
    fn check_xref(pdf: &[u8]) -> usize {
        assert!(pdf.starts_with(b"%PDF-1.7\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let tail = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
        let start: usize = tail
            .split("startxref\n")
            .nth(1)
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .expect("startxref");
        assert!(pdf[start..].starts_with(b"xref\n0 "));
        let table = String::from_utf8_lossy(&pdf[start..]).into_owned();
        let mut in_use = 0;
        for (num, line) in table
            .lines()
            .skip(2)
            .take_while(|l| l.len() == 18)
            .enumerate()
        {
            if line.ends_with(" n") {
                let offset: usize = line[..10].parse().expect("offset");
                let expect = format!("{num} 0 obj\n");
                assert!(pdf[offset..].starts_with(expect.as_bytes()), "object {num}");
                in_use += 1;
            }
        }
        in_use
    }

    /// Runs `qpdf --check` when qpdf is installed; exit status 0 means no errors or warnings.
    fn qpdf_check(name: &str, pdf: &[u8]) {
        let Ok(path) = std::env::var("PATH") else {
            return;
        };
        if !std::env::split_paths(&path).any(|d| d.join("qpdf").is_file()) {
            eprintln!("SKIPPED: qpdf not installed; samples checked by xref invariants only");
            return;
        }
        let file = std::env::temp_dir().join(format!(
            "cloudsign-sample-{}-{name}.pdf",
            std::process::id()
        ));
        std::fs::write(&file, pdf).expect("write sample");
        let out = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(&file)
            .output()
            .expect("run qpdf");
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "qpdf --check {name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn contract_is_valid() {
        let pdf = contract_pdf();
        assert_eq!(check_xref(&pdf), 7);
        assert!(pdf.windows(17).any(|w| w == b"Service Agreement"));
        qpdf_check("contract", &pdf);
    }

    #[test]
    fn text_pdf_is_valid_and_sized() {
        let pdf = text_pdf(40);
        assert_eq!(check_xref(&pdf), 3 + 40 * TEXT_PDF_OBJECTS_PER_PAGE);
        qpdf_check("text40", &pdf);
        assert_eq!(check_xref(&text_pdf(0)), 3 + TEXT_PDF_OBJECTS_PER_PAGE);
    }

    #[test]
    fn text_pdf_8000_pages_has_56003_objects() {
        let pdf = text_pdf(8000);
        assert_eq!(check_xref(&pdf), 56_003);
        qpdf_check("text8000", &pdf);
    }

    #[test]
    fn large_pdf_is_valid_and_large_enough() {
        for min in [0, 1, 1000, 3 << 20] {
            let pdf = large_pdf(min);
            assert!(pdf.len() >= min);
            assert_eq!(check_xref(&pdf), 7);
        }
        qpdf_check("large", &large_pdf(3 << 20));
    }

    #[test]
    fn samples_are_deterministic() {
        assert_eq!(contract_pdf(), contract_pdf());
        assert_eq!(large_pdf(5000), large_pdf(5000));
    }
}
