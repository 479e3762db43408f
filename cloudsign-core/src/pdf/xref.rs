//! Cross-reference sections: tables, streams and hybrids (ISO 32000-1 §7.5.4, §7.5.8).
//!
//! Strict by design: a section must start exactly where it is said to start, and nothing is
//! repaired by scanning, because a reader that repairs differently from the signer's is how
//! incremental-saving attacks hide content.

use super::error::{PdfError, PdfErrorKind};
use super::filter;
use super::lexer::{Lexer, Token};
use super::object::{Dict, Object, Span};
use super::parser::{Indirect, parse_indirect, parse_object};
use super::source::{Source, read_stream_body, with_window};
use crate::error::Result;
use crate::limits::{LimitExceeded, Limits};

/// One cross-reference entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefEntry {
    /// A free entry.
    Free {
        /// The next free object number.
        next: u32,
        /// The generation to use if the number is reused.
        generation: u16,
    },
    /// An object stored uncompressed at `offset`.
    InUse {
        /// Byte offset of `n g obj`.
        offset: u64,
        /// Generation number.
        generation: u16,
    },
    /// An object stored in an object stream.
    Compressed {
        /// Object number of the object stream.
        stream: u32,
        /// Index of the object within the stream.
        index: u32,
    },
}

/// Cross-reference entries by object number, each number at most once, in ascending order.
///
/// A sorted vector rather than a tree: a section is parsed once and then only looked up, and
/// files with tens of thousands of objects should open in well under a millisecond.
///
/// ```
/// use cloudsign_core::pdf::Document;
///
/// let pdf = cloudsign_core::testkit::samples::contract_pdf();
/// let doc = Document::open(pdf.as_slice(), &Default::default())?;
/// let entries = &doc.revisions()[0].entries;
/// assert!(entries.get(1).is_some());
/// assert_eq!(entries.iter().count(), entries.len());
/// # Ok::<(), cloudsign_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XrefMap {
    sorted: Vec<(u32, XrefEntry)>,
}

impl XrefMap {
    /// Builds the map from entries in any order, refusing an object number listed twice.
    fn from_list(mut list: Vec<(u32, XrefEntry)>, at: u64) -> Result<Self> {
        // Sections list their entries in ascending order, so this is usually one linear pass.
        if !list.windows(2).all(|w| w[0].0 < w[1].0) {
            list.sort_by_key(|&(num, _)| num);
            if list.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(bad("object listed twice in one section", at).into());
            }
        }
        Ok(Self { sorted: list })
    }

    /// The entry for object number `num`.
    pub fn get(&self, num: u32) -> Option<XrefEntry> {
        self.sorted
            .binary_search_by_key(&num, |&(n, _)| n)
            .ok()
            .and_then(|i| self.sorted.get(i))
            .map(|&(_, entry)| entry)
    }

    /// Every object number with its entry, in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, XrefEntry)> + '_ {
        self.sorted.iter().copied()
    }

    /// How many object numbers are listed.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether no object number is listed.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The largest object number listed.
    pub fn last_number(&self) -> Option<u32> {
        self.sorted.last().map(|&(num, _)| num)
    }

    /// Both maps in one: where both list a number, `self`'s entry is kept unless `yield_to`
    /// says `other`'s should replace it. Linear in the sizes of both.
    pub(crate) fn merged(&self, other: &Self, yield_to: impl Fn(XrefEntry) -> bool) -> Self {
        let (mut mine, mut theirs) = (self.sorted.as_slice(), other.sorted.as_slice());
        let mut sorted = Vec::with_capacity(mine.len().max(theirs.len()));
        // Copy whole runs between collisions: a small update merged into a large base costs
        // a few binary searches and memcpys, not a step per entry.
        while let (Some(&(a, entry)), Some(&(b, replacement))) = (mine.first(), theirs.first()) {
            match a.cmp(&b) {
                std::cmp::Ordering::Less => {
                    let (run, rest) = mine.split_at(mine.partition_point(|&(n, _)| n < b));
                    sorted.extend_from_slice(run);
                    mine = rest;
                }
                std::cmp::Ordering::Greater => {
                    let (run, rest) = theirs.split_at(theirs.partition_point(|&(n, _)| n < a));
                    sorted.extend_from_slice(run);
                    theirs = rest;
                }
                std::cmp::Ordering::Equal => {
                    sorted.push(if yield_to(entry) {
                        (b, replacement)
                    } else {
                        (a, entry)
                    });
                    mine = mine.get(1..).unwrap_or_default();
                    theirs = theirs.get(1..).unwrap_or_default();
                }
            }
        }
        sorted.extend_from_slice(mine);
        sorted.extend_from_slice(theirs);
        Self { sorted }
    }
}

/// How a revision's cross-reference information is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table.
    Table,
    /// A cross-reference stream.
    Stream,
    /// A table whose trailer names a complementary stream with `/XRefStm`.
    Hybrid,
}

/// One parsed section (a table with its trailer, or an xref stream).
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub(crate) offset: u64,
    pub(crate) kind: XrefKind,
    pub(crate) trailer: Dict,
    pub(crate) entries: XrefMap,
    /// Just past the trailer dictionary, or past `endobj` of the stream.
    pub(crate) end: u64,
    /// Where the `/XRefStm` stream of a hybrid section stands.
    pub(crate) xref_stm: Option<Span>,
}

const fn bad(what: &'static str, offset: u64) -> PdfError {
    PdfError::at(PdfErrorKind::InvalidXref(what), offset)
}

type TableParts = (XrefMap, Dict, u64);

/// Parses the section that starts exactly at `offset`.
pub(crate) fn parse_section<S: Source + ?Sized>(
    src: &S,
    len: u64,
    offset: u64,
    limits: &Limits,
) -> Result<Section> {
    if offset >= len {
        return Err(bad("section offset outside the file", offset).into());
    }
    let table = with_window(src, len, offset, |lx| {
        if lx.eat_keyword(b"xref")? {
            parse_table(lx, limits, len).map(Some)
        } else {
            Ok(None)
        }
    })?;
    let Some((mut entries, trailer, end)) = table else {
        let (entries, trailer, end) = parse_xref_stream(src, len, offset, limits)?;
        return Ok(Section {
            offset,
            kind: XrefKind::Stream,
            trailer,
            entries,
            end,
            xref_stm: None,
        });
    };
    let mut kind = XrefKind::Table;
    let mut xref_stm = None;
    if let Some(stm) = trailer.get(b"XRefStm") {
        let stm = stm
            .as_integer()
            .and_then(|o| u64::try_from(o).ok())
            .filter(|&o| o < len)
            .ok_or_else(|| bad("/XRefStm is not an offset in the file", offset))?;
        let (extra, _, stm_end) = parse_xref_stream(src, len, stm, limits)?;
        xref_stm = Some(Span {
            start: stm,
            end: stm_end,
        });
        // The stream complements the table: it supplies what the table lacks or lists as
        // free (writers list the compressed objects of a hybrid file as free in the table).
        entries = entries.merged(&extra, |listed| matches!(listed, XrefEntry::Free { .. }));
        kind = XrefKind::Hybrid;
    }
    Ok(Section {
        offset,
        kind,
        trailer,
        entries,
        end,
        xref_stm,
    })
}

/// Parses the subsections and trailer following the `xref` keyword.
fn parse_table(lx: &mut Lexer<'_>, limits: &Limits, file_len: u64) -> Result<TableParts> {
    let mut entries = Vec::new();
    loop {
        lx.skip_ws();
        if lx.eat_keyword(b"trailer")? {
            break;
        }
        let at = lx.offset();
        let (Token::Integer(first), Token::Integer(count)) =
            (lx.expect_token()?, lx.expect_token()?)
        else {
            return Err(bad("bad subsection header", at).into());
        };
        let first = u32::try_from(first).map_err(|_| bad("bad subsection start", at))?;
        let count = u32::try_from(count).map_err(|_| bad("bad subsection count", at))?;
        if first.checked_add(count).is_none() {
            return Err(bad("subsection beyond the largest object number", at).into());
        }
        if entries.len().saturating_add(count as usize) > limits.max_objects {
            return Err(LimitExceeded::Objects {
                limit: limits.max_objects,
            }
            .into());
        }
        lx.skip_plain_ws();
        let needed = u64::from(count).saturating_mul(20);
        if needed > file_len.saturating_sub(lx.offset()) {
            return Err(bad("subsection longer than the file", at).into());
        }
        if needed > lx.rest().len() as u64 && !lx.is_complete() {
            // Tell the window how far the entries reach, so that a large table is read in
            // one more step instead of many doublings.
            return Err(PdfError::at(PdfErrorKind::UnexpectedEof, lx.offset() + needed).into());
        }
        let start = lx.offset();
        let Some(records) = usize::try_from(needed)
            .ok()
            .and_then(|n| lx.rest().get(..n))
        else {
            return Err(lx.eof_error().into());
        };
        entries.reserve(count as usize);
        for (i, record) in (0..count).zip(records.chunks_exact(20)) {
            let entry = parse_record(record)
                .ok_or_else(|| bad("malformed 20-byte entry", start + u64::from(i) * 20))?;
            entries.push((first + i, entry));
        }
        lx.set_pos(lx.pos() + records.len());
    }
    let at = lx.offset();
    let Object::Dict(trailer) = parse_object(lx, limits.max_nesting_depth)? else {
        return Err(bad("trailer is not a dictionary", at).into());
    };
    Ok((XrefMap::from_list(entries, at)?, trailer, lx.offset()))
}

/// `oooooooooo ggggg n` followed by a two-byte end of line.
fn parse_record(r: &[u8]) -> Option<XrefEntry> {
    let r: &[u8; 20] = r.try_into().ok()?;
    let [high @ .., low0, low1, b' '] = *r.first_chunk::<11>()? else {
        return None;
    };
    let [generation @ .., b' ', kind, eol1, eol2] = r.last_chunk::<9>()? else {
        return None;
    };
    if !matches!(
        [*eol1, *eol2],
        [b'\r', b'\n'] | [b' ', b'\n'] | [b' ', b'\r']
    ) {
        return None;
    }
    let offset = eight_digits(high)? * 100 + decimal(&[low0, low1])?;
    // Nearly every in-use entry has generation 0, every free head 65535.
    let generation = match generation {
        b"00000" => 0,
        generation => u16::try_from(decimal(generation)?).ok()?,
    };
    match kind {
        b'n' => Some(XrefEntry::InUse { offset, generation }),
        b'f' => Some(XrefEntry::Free {
            next: u32::try_from(offset).ok()?,
            generation,
        }),
        _ => None,
    }
}

/// The value of eight ASCII digits, converted eight at a time in one 64-bit word (the
/// well-known SWAR method), since every table record starts with them.
fn eight_digits(digits: [u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let word = u64::from_le_bytes(digits);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 does not carry into it.
    let all_digits = word & HIGH_NIBBLES == ZEROS
        && word.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES == ZEROS;
    if !all_digits {
        return None;
    }
    let mut v = word - ZEROS;
    // Pairs, then quadruples, then the whole: each step merges neighbours of the last.
    v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

/// The value of a fixed-width run of ASCII digits.
fn decimal(digits: &[u8]) -> Option<u64> {
    let mut all_digits = true;
    let mut value = 0u64;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        all_digits &= digit < 10;
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
    }
    all_digits.then_some(value)
}

/// Parses the xref stream object at `offset`: its entries, its dictionary (which is the
/// trailer) and the offset past `endobj`.
fn parse_xref_stream<S: Source + ?Sized>(
    src: &S,
    len: u64,
    offset: u64,
    limits: &Limits,
) -> Result<TableParts> {
    let parsed = with_window(src, len, offset, |lx| {
        parse_indirect(lx, limits.max_nesting_depth)
    })
    .map_err(|e| match e {
        crate::Error::Pdf(p) if matches!(p.kind, PdfErrorKind::Syntax(_)) => bad(
            "startxref does not point at 'xref' or an xref stream",
            offset,
        )
        .into(),
        other => other,
    })?;
    let Indirect::StreamStart {
        dict, data_start, ..
    } = parsed
    else {
        return Err(bad("object at the section offset is not a stream", offset).into());
    };
    if dict.name(b"Type") != Some(b"XRef") {
        return Err(bad("stream at the section offset is not /Type /XRef", offset).into());
    }
    // The values of an xref stream dictionary are direct (§7.5.8.2): no object lookup here.
    let length = dict
        .integer(b"Length")
        .ok_or_else(|| bad("xref stream /Length is not a direct integer", offset))?;
    let (raw, _, end) = read_stream_body(src, len, data_start, length)?;
    let data = filter::decode(&dict, &raw, limits)?;
    let entries = stream_entries(&dict, &data, limits, offset)?;
    Ok((entries, dict, end))
}

fn stream_entries(dict: &Dict, data: &[u8], limits: &Limits, at: u64) -> Result<XrefMap> {
    let widths: Vec<usize> = dict
        .get(b"W")
        .and_then(Object::as_array)
        .filter(|w| w.len() == 3)
        .and_then(|w| {
            w.iter()
                .map(|o| o.as_integer().and_then(|i| usize::try_from(i).ok()))
                .collect::<Option<Vec<_>>>()
        })
        .filter(|w| w.iter().all(|&x| x <= 8))
        .ok_or_else(|| bad("/W is not three widths of at most 8 bytes", at))?;
    let row = widths.iter().sum::<usize>();
    if row == 0 {
        return Err(bad("/W widths are all zero", at).into());
    }
    let size = dict
        .integer(b"Size")
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| bad("missing or bad /Size", at))?;
    let index: Vec<(u32, u32)> = match dict.get(b"Index") {
        None => vec![(0, size)],
        Some(Object::Array(items)) if items.len() % 2 == 0 => items
            .chunks(2)
            .map(|p| {
                let f = p[0].as_integer().and_then(|i| u32::try_from(i).ok());
                let c = p[1].as_integer().and_then(|i| u32::try_from(i).ok());
                match (f, c) {
                    (Some(f), Some(c)) if f.checked_add(c).is_some() => Ok((f, c)),
                    _ => Err(bad("bad /Index pair", at)),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("/Index is not an array of pairs", at).into()),
    };
    let total: u64 = index.iter().map(|&(_, c)| u64::from(c)).sum();
    if total > limits.max_objects as u64 {
        return Err(LimitExceeded::Objects {
            limit: limits.max_objects,
        }
        .into());
    }
    if total.saturating_mul(row as u64) > data.len() as u64 {
        return Err(bad("xref stream data shorter than /Index and /W say", at).into());
    }
    let field = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let mut entries = Vec::new();
    let mut rows = data.chunks_exact(row);
    for (first, count) in index {
        for i in 0..count {
            let Some(r) = rows.next() else {
                return Err(bad("xref stream data too short", at).into());
            };
            let (f1, rest) = r.split_at(widths[0]);
            let (f2, f3) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { field(f1) };
            let (f2, f3) = (field(f2), field(f3));
            let entry = match kind {
                0 => XrefEntry::Free {
                    next: u32::try_from(f2).map_err(|_| bad("bad free entry", at))?,
                    generation: u16::try_from(f3).map_err(|_| bad("bad generation", at))?,
                },
                1 => XrefEntry::InUse {
                    offset: f2,
                    generation: u16::try_from(f3).map_err(|_| bad("bad generation", at))?,
                },
                2 => XrefEntry::Compressed {
                    stream: u32::try_from(f2).map_err(|_| bad("bad object stream number", at))?,
                    index: u32::try_from(f3).map_err(|_| bad("bad object stream index", at))?,
                },
                // Unknown types are to be read as references to the null object (§7.5.8.3).
                _ => continue,
            };
            entries.push((first + i, entry));
        }
    }
    XrefMap::from_list(entries, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn table(src: &[u8]) -> Result<Section> {
        parse_section(&src.to_vec(), src.len() as u64, 0, &Limits::default())
    }

    #[test]
    fn eight_digits_agrees_with_decimal() {
        let mut samples: Vec<[u8; 8]> =
            vec![*b"00000000", *b"99999999", *b"12345678", *b"00000017"];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            samples.push(state.to_le_bytes());
            let digits = format!("{:08}", state % 100_000_000);
            samples.push(digits.as_bytes().try_into().unwrap());
        }
        for sample in samples {
            assert_eq!(eight_digits(sample), decimal(&sample), "{sample:?}");
        }
    }

    #[test]
    fn classic_table_with_eol_variants() {
        let src = b"xref\n0 2\n0000000000 65535 f\r\n0000000017 00000 n \n5 1\r\n0000000099 00002 n \rtrailer\n<</Size 6>>\n";
        let s = table(src).unwrap();
        assert_eq!(s.kind, XrefKind::Table);
        assert_eq!(s.entries.len(), 3);
        assert_eq!(
            s.entries.get(0).unwrap(),
            XrefEntry::Free {
                next: 0,
                generation: 65535
            }
        );
        assert_eq!(
            s.entries.get(5).unwrap(),
            XrefEntry::InUse {
                offset: 99,
                generation: 2
            }
        );
        assert_eq!(s.trailer.integer(b"Size"), Some(6));
        assert_eq!(s.end, src.len() as u64 - 1);
    }

    #[test]
    fn merged_keeps_own_entries_unless_told_to_yield() {
        let used = |offset| XrefEntry::InUse {
            offset,
            generation: 0,
        };
        let free = XrefEntry::Free {
            next: 0,
            generation: 1,
        };
        let mine = XrefMap::from_list(vec![(1, used(10)), (3, free), (5, used(50))], 0).unwrap();
        let theirs = XrefMap::from_list(vec![(0, free), (3, used(30)), (5, used(55))], 0).unwrap();
        let kept = mine.merged(&theirs, |_| false);
        let listed: Vec<_> = kept.iter().collect();
        assert_eq!(listed, [(0, free), (1, used(10)), (3, free), (5, used(50))]);
        let filled = mine.merged(&theirs, |e| matches!(e, XrefEntry::Free { .. }));
        assert_eq!(filled.get(3), Some(used(30)));
        assert_eq!(filled.get(5), Some(used(50)));
        assert_eq!(filled.get(4), None);
        assert_eq!(filled.last_number(), Some(5));
        assert!(XrefMap::from_list(vec![(2, free), (2, free)], 0).is_err());
    }

    #[test]
    fn malformed_tables_are_rejected() {
        for src in [
            &b"xref\n0 1\n000000000 65535 f\r\ntrailer<<>>"[..],
            b"xref\n0 1\n0000000000 65535 x\r\ntrailer<<>>",
            b"xref\n0 1\n0000000000 65535 f\n\ntrailer<<>>",
            b"xref\n0 1\n0000000000 99999 f\r\ntrailer<<>>",
            b"xref\n0 2\n0000000000 65535 f\r\ntrailer<<>>",
            b"xref\n0 1\n0000000000 65535 f\r\ntrailer [1]",
            b"xref\n0 1\n0000000000 65535 f\r\n",
            b"xref\n0 99999999\n",
            b"xref\n-1 1\n",
            b"xref\n0 1\n0000000000 65535 f\r\n0 1\n0000000000 65535 f\r\ntrailer<<>>",
            b" xref\n0 0\ntrailer<<>>",
            b"xrefs",
        ] {
            assert!(table(src).is_err(), "{:?}", String::from_utf8_lossy(src));
        }
    }

    #[test]
    fn xref_stream_entries() {
        let mut d = Dict::new();
        d.set(
            *b"W",
            vec![Object::Integer(1), Object::Integer(2), Object::Integer(1)],
        );
        d.set(*b"Size", 3);
        d.set(*b"Index", vec![Object::Integer(4), Object::Integer(3)]);
        let data = [0, 0, 0, 255, 1, 1, 0, 0, 2, 0, 7, 3];
        let e = stream_entries(&d, &data, &Limits::default(), 0).unwrap();
        assert_eq!(
            e.get(4).unwrap(),
            XrefEntry::Free {
                next: 0,
                generation: 255
            }
        );
        assert_eq!(
            e.get(5).unwrap(),
            XrefEntry::InUse {
                offset: 256,
                generation: 0
            }
        );
        assert_eq!(
            e.get(6).unwrap(),
            XrefEntry::Compressed {
                stream: 7,
                index: 3
            }
        );
        assert!(stream_entries(&d, &data[..11], &Limits::default(), 0).is_err());
        let few = Limits {
            max_objects: 2,
            ..Limits::default()
        };
        assert!(matches!(
            stream_entries(&d, &data, &few, 0),
            Err(Error::Limit(LimitExceeded::Objects { .. }))
        ));
        d.set(
            *b"W",
            vec![Object::Integer(9), Object::Integer(0), Object::Integer(0)],
        );
        assert!(stream_entries(&d, &data, &Limits::default(), 0).is_err());
    }
}
