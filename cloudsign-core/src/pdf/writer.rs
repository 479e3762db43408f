//! The append-only incremental writer (ISO 32000-1 §7.5.6).
//!
//! It never touches the bytes of the document it extends: it produces the bytes of one
//! update section to append, and reports where everything it wrote landed, so that a caller
//! can patch fixed-width placeholders and hash exactly the right ranges.

use std::collections::BTreeMap;

use super::document::Document;
use super::error::{PdfError, PdfErrorKind};
use super::object::{Dict, ObjRef, Object};
use super::source::Source;
use super::xref::XrefKind;
use crate::error::Result;

/// Which kind of cross-reference section to write; the writer matches the document's last
/// section so that readers that understand the original also understand the update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum XrefStyle {
    /// A classic `xref` table with a `trailer` dictionary.
    Table,
    /// A cross-reference stream (PDF 1.5).
    Stream,
}

/// Builds one incremental update.
///
/// ```
/// use cloudsign_core::pdf::{Dict, IncrementalWriter, Object, ObjRef, XrefStyle};
/// let mut trailer = Dict::new();
/// trailer.set(b"Root".to_vec(), ObjRef::new(1, 0));
/// // A document of 200 bytes whose last xref section starts at offset 150, objects 1..=4.
/// let mut writer = IncrementalWriter::new(200, true, 150, XrefStyle::Table, 5, trailer);
/// let r = writer.allocate();
/// assert_eq!(r, ObjRef::new(5, 0));
/// writer.add(r, Object::Integer(42));
/// let update = writer.finish();
/// assert!(update.bytes.starts_with(b"5 0 obj\n42\nendobj\n"));
/// assert_eq!(update.object_offsets[&r], 200);
/// ```
#[derive(Debug)]
pub struct IncrementalWriter {
    base_len: u64,
    needs_leading_eol: bool,
    prev_xref: u64,
    style: XrefStyle,
    next_number: u32,
    trailer: Dict,
    objects: BTreeMap<ObjRef, Vec<u8>>,
}

/// The bytes of a finished update and where everything in it sits, as absolute offsets in the
/// combined file (original followed by `bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenUpdate {
    /// The bytes to append to the original document.
    pub bytes: Vec<u8>,
    /// Offset of each object's `N G obj` line.
    pub object_offsets: BTreeMap<ObjRef, u64>,
    /// Offset of each object's body (just after `N G obj\n`).
    pub body_offsets: BTreeMap<ObjRef, u64>,
    /// Offset of the new cross-reference section (the value after `startxref`).
    pub xref_offset: u64,
    /// Length of the combined file.
    pub end: u64,
}

impl IncrementalWriter {
    /// Starts an update of a document of `base_len` bytes.
    ///
    /// `base_ends_with_eol` says whether the document's last byte is an end-of-line; if not,
    /// one is written first so that the first object starts a line. `prev_xref` is the
    /// document's current `startxref` value, `next_number` its trailer `/Size` (the first free
    /// object number), and `trailer` the entries to carry into the new trailer (`/Root`,
    /// `/Info`, `/ID`); `/Size` and `/Prev` are set by the writer.
    pub fn new(
        base_len: u64,
        base_ends_with_eol: bool,
        prev_xref: u64,
        style: XrefStyle,
        next_number: u32,
        trailer: Dict,
    ) -> Self {
        Self {
            base_len,
            needs_leading_eol: !base_ends_with_eol,
            prev_xref,
            style,
            next_number,
            trailer,
            objects: BTreeMap::new(),
        }
    }

    /// Starts an update of `doc`: after its last byte, chained to its newest cross-reference
    /// section and in that section's style, carrying its `/Root`, `/Info` and `/ID`, numbering
    /// new objects after every number in use.
    ///
    /// # Errors
    /// [`PdfErrorKind::Encrypted`] for an encrypted document (an update would have to be
    /// encrypted too), and read errors.
    pub fn append_to<S: Source>(doc: &Document<S>) -> Result<Self> {
        if doc.is_encrypted() {
            return Err(PdfError::new(PdfErrorKind::Encrypted).into());
        }
        let base_len = doc.len();
        let last = doc
            .revisions()
            .last()
            .ok_or(PdfError::new(PdfErrorKind::MissingStartxref))?;
        let style = match last.xref_kind {
            XrefKind::Stream => XrefStyle::Stream,
            _ => XrefStyle::Table,
        };
        let mut carried = Dict::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = doc.trailer().get(key) {
                carried.set(key.to_vec(), v.clone());
            }
        }
        let size_from_trailer = doc
            .trailer()
            .integer(b"Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let next_number = size_from_trailer.max(doc.max_object_number().saturating_add(1));
        let tail = doc.read_range(base_len.saturating_sub(1), base_len)?;
        let ends_with_eol = matches!(tail.last(), Some(b'\n' | b'\r'));
        Ok(Self::new(
            base_len,
            ends_with_eol,
            last.xref_offset,
            style,
            next_number,
            carried,
        ))
    }

    /// Reserves a new object number.
    pub fn allocate(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next_number, 0);
        self.next_number = self.next_number.saturating_add(1);
        r
    }

    /// Adds (or replaces) the object `r` in this update.
    pub fn add(&mut self, r: ObjRef, object: Object) {
        self.objects.insert(r, object.to_bytes());
    }

    /// Adds an object whose body is already serialised (used for bodies with placeholders
    /// whose positions the caller computed).
    pub fn add_raw(&mut self, r: ObjRef, body: Vec<u8>) {
        self.objects.insert(r, body);
    }

    /// Whether `r` is part of this update.
    pub fn contains(&self, r: ObjRef) -> bool {
        self.objects.contains_key(&r)
    }

    /// Writes the update.
    pub fn finish(mut self) -> WrittenUpdate {
        let mut out = Vec::new();
        if self.needs_leading_eol {
            out.push(b'\n');
        }
        let mut object_offsets = BTreeMap::new();
        let mut body_offsets = BTreeMap::new();
        let xref_stream_ref = match self.style {
            XrefStyle::Stream => Some(self.allocate()),
            XrefStyle::Table => None,
        };
        for (r, body) in &self.objects {
            object_offsets.insert(*r, self.base_len + len_u64(&out));
            out.extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
            body_offsets.insert(*r, self.base_len + len_u64(&out));
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_offset = self.base_len + len_u64(&out);
        let mut trailer = std::mem::take(&mut self.trailer);
        for key in [
            &b"Size"[..],
            b"Prev",
            b"XRefStm",
            b"Type",
            b"W",
            b"Index",
            b"Filter",
            b"DecodeParms",
            b"Length",
        ] {
            trailer.remove(key);
        }
        trailer.set(
            b"Size".to_vec(),
            Object::Integer(i64::from(self.next_number)),
        );
        trailer.set(b"Prev".to_vec(), Object::Integer(to_i64(self.prev_xref)));
        match xref_stream_ref {
            None => {
                out.extend_from_slice(b"xref\n");
                for run in runs(object_offsets.iter().map(|(r, off)| (*r, *off))) {
                    out.extend_from_slice(format!("{} {}\n", run[0].0.num, run.len()).as_bytes());
                    for (r, off) in run {
                        out.extend_from_slice(
                            format!("{off:010} {:05} n\r\n", r.generation).as_bytes(),
                        );
                    }
                }
                out.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write_to(&mut out);
                out.push(b'\n');
            }
            Some(xref_ref) => {
                let mut entries: Vec<(ObjRef, u64)> =
                    object_offsets.iter().map(|(r, o)| (*r, *o)).collect();
                entries.push((xref_ref, xref_offset));
                object_offsets.insert(xref_ref, xref_offset);
                let offset_width = byte_width(xref_offset);
                let mut index = Vec::new();
                let mut data = Vec::new();
                for run in runs(entries.into_iter()) {
                    index.push(Object::Integer(i64::from(run[0].0.num)));
                    index.push(Object::Integer(to_i64(len_u64(&run))));
                    for (r, off) in run {
                        data.push(1u8);
                        data.extend_from_slice(&off.to_be_bytes()[8 - offset_width..]);
                        data.extend_from_slice(&r.generation.to_be_bytes());
                    }
                }
                trailer.set(b"Type".to_vec(), Object::name(b"XRef".to_vec()));
                trailer.set(b"Index".to_vec(), Object::Array(index));
                let w = [1, to_i64(offset_width as u64), 2]
                    .map(Object::Integer)
                    .to_vec();
                trailer.set(b"W".to_vec(), Object::Array(w));
                let stream = super::object::Stream {
                    dict: trailer,
                    data,
                    data_span: None,
                };
                out.extend_from_slice(
                    format!("{} {} obj\n", xref_ref.num, xref_ref.generation).as_bytes(),
                );
                body_offsets.insert(xref_ref, self.base_len + len_u64(&out));
                Object::Stream(stream).write_to(&mut out);
                out.extend_from_slice(b"\nendobj\n");
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        let end = self.base_len + len_u64(&out);
        WrittenUpdate {
            bytes: out,
            object_offsets,
            body_offsets,
            xref_offset,
            end,
        }
    }
}

/// Groups entries with consecutive object numbers into xref subsections.
fn runs(entries: impl Iterator<Item = (ObjRef, u64)>) -> Vec<Vec<(ObjRef, u64)>> {
    let mut runs: Vec<Vec<(ObjRef, u64)>> = Vec::new();
    for entry in entries {
        match runs.last_mut() {
            Some(run)
                if run
                    .last()
                    .is_some_and(|(r, _)| r.num.checked_add(1) == Some(entry.0.num)) =>
            {
                run.push(entry);
            }
            _ => runs.push(vec![entry]),
        }
    }
    runs
}

fn byte_width(max: u64) -> usize {
    let bits = 64 - max.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

fn len_u64<T>(v: &[T]) -> u64 {
    u64::try_from(v.len()).unwrap_or(u64::MAX)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A fixed-width region reserved in written bytes, to be filled in later without moving
/// anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placeholder {
    /// Absolute offset of the first reserved byte.
    pub offset: u64,
    /// Number of reserved bytes.
    pub len: u64,
}

/// Overwrites `placeholder` inside `buffer` (which starts at absolute offset `buffer_start`)
/// with `value`, padding with `pad`. Returns false, changing nothing, when `value` is longer
/// than the placeholder or the placeholder is not inside the buffer.
///
/// ```
/// use cloudsign_core::pdf::{Placeholder, patch_placeholder};
/// let mut buf = b"[0 ____ ]".to_vec();
/// let p = Placeholder { offset: 103, len: 5 };
/// assert!(patch_placeholder(&mut buf, 100, p, b"42", b' '));
/// assert_eq!(buf, b"[0 42   ]");
/// ```
pub fn patch_placeholder(
    buffer: &mut [u8],
    buffer_start: u64,
    placeholder: Placeholder,
    value: &[u8],
    pad: u8,
) -> bool {
    let Some(rel) = placeholder.offset.checked_sub(buffer_start) else {
        return false;
    };
    let (Ok(start), Ok(len)) = (usize::try_from(rel), usize::try_from(placeholder.len)) else {
        return false;
    };
    let Some(slot) = start
        .checked_add(len)
        .and_then(|end| buffer.get_mut(start..end))
    else {
        return false;
    };
    if value.len() > slot.len() {
        return false;
    }
    let (head, tail) = slot.split_at_mut(value.len());
    head.copy_from_slice(value);
    tail.fill(pad);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trailer() -> Dict {
        let mut t = Dict::new();
        t.set(b"Root".to_vec(), ObjRef::new(1, 0));
        t.set(b"Size".to_vec(), Object::Integer(3));
        t.set(b"Prev".to_vec(), Object::Integer(1));
        t
    }

    #[test]
    fn table_update_has_exact_offsets() {
        let mut w = IncrementalWriter::new(1000, false, 900, XrefStyle::Table, 3, trailer());
        let a = w.allocate();
        let b = w.allocate();
        w.add(a, Object::Integer(1));
        w.add(b, Object::Bool(true));
        w.add(ObjRef::new(1, 0), Object::Null);
        let up = w.finish();
        let text = String::from_utf8(up.bytes.clone()).unwrap();
        assert!(text.starts_with("\n1 0 obj\nnull\nendobj\n3 0 obj\n1\nendobj\n"));
        for (r, off) in &up.object_offsets {
            let rel = usize::try_from(off - 1000).unwrap();
            assert!(text[rel..].starts_with(&format!("{} 0 obj", r.num)));
        }
        let xref_rel = usize::try_from(up.xref_offset - 1000).unwrap();
        assert!(text[xref_rel..].starts_with("xref\n1 1\n0000001001 00000 n\r\n3 2\n"));
        assert!(text.contains("/Size 5/Prev 900>>"));
        assert!(text.ends_with(&format!("startxref\n{}\n%%EOF\n", up.xref_offset)));
        assert_eq!(up.end, 1000 + u64::try_from(text.len()).unwrap());
    }

    #[test]
    fn stream_update_indexes_itself() {
        let mut w = IncrementalWriter::new(70_000, true, 65_000, XrefStyle::Stream, 10, trailer());
        let a = w.allocate();
        w.add(a, Object::Integer(7));
        let up = w.finish();
        let text = String::from_utf8_lossy(&up.bytes).into_owned();
        assert!(text.contains("/Type /XRef"));
        assert!(text.contains("/Index [10 2]"));
        assert!(text.contains("/W [1 3 2]"));
        assert_eq!(up.object_offsets.len(), 2);
        // 2 entries of 1 + 3 + 2 bytes.
        assert!(text.contains("/Length 12"));
    }

    #[test]
    fn placeholder_patch_refuses_overflow() {
        let mut buf = vec![b'0'; 10];
        let p = Placeholder { offset: 2, len: 4 };
        assert!(!patch_placeholder(&mut buf, 0, p, b"12345", b'0'));
        assert!(!patch_placeholder(&mut buf, 8, p, b"1", b'0'));
        assert!(patch_placeholder(&mut buf, 0, p, b"AB", b'0'));
        assert_eq!(buf, b"00AB000000");
    }
}
