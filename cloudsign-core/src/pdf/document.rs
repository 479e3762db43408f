//! A read-only, lazily loaded document: header, revisions, and objects on demand.
//!
//! Opening reads only the header, the tail and the cross-reference sections; objects are read
//! when asked for. Every revision stays visible, so that callers can say what a later update
//! changed after a signature.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::error::{PdfError, PdfErrorKind};
use super::filter;
use super::lexer::{Lexer, Token};
use super::object::{Dict, ObjRef, Object, Span, Stream, is_whitespace};
use super::parser::{Indirect, parse_indirect, parse_object};
use super::source::{Source, read_range, read_stream_body, with_window};
use super::xref::{Section, XrefEntry, XrefKind, XrefMap, parse_section};
use crate::error::{Error, Result};
use crate::limits::{LimitExceeded, Limits};

/// How far from the start the header may be, and how much of the tail is searched for
/// `startxref` (ISO 32000-1 §7.5.5 asks for the last 1024 bytes).
const HEADER_WINDOW: u64 = 1024;
const TAIL_WINDOW: u64 = 1024;
/// Most hops [`Document::resolve`] follows.
const MAX_REFERENCE_HOPS: usize = 32;
/// A stream's `/Length` may itself be in an object stream whose `/Length` is indirect; deeper
/// than this is hostile.
const MAX_LOOKUP_DEPTH: usize = 4;
/// Decoded object streams kept in memory, by count and by total decoded size.
const OBJSTM_CACHE: usize = 8;
const OBJSTM_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// One revision: the original document or one incremental update.
#[derive(Clone, Debug)]
pub struct Revision {
    /// Offset of the cross-reference section that starts this revision's chain (what
    /// `startxref` or a later `/Prev` points at).
    pub xref_offset: u64,
    /// How the cross-reference information is stored.
    pub xref_kind: XrefKind,
    /// Offset just past this revision's `%%EOF` marker and one following end of line.
    pub end: u64,
    /// The trailer (for an xref stream, the stream dictionary).
    pub trailer: Dict,
    /// The entries this revision's section(s) list.
    pub entries: XrefMap,
}

#[derive(Debug)]
struct ObjectStream {
    /// Object number and file offset of the stream object, identifying its content.
    key: (u32, u64),
    data: Vec<u8>,
    /// Object number and offset in `data` of each member.
    members: Vec<(u32, usize)>,
}

/// A PDF document read from a [`Source`].
#[derive(Debug)]
pub struct Document<S: Source> {
    source: S,
    len: u64,
    limits: Limits,
    version: (u8, u8),
    header_offset: u64,
    trailing_garbage: Option<Span>,
    revisions: Vec<Revision>,
    /// Every revision's entries merged, built on first use: lookups walk the few revisions
    /// instead, so opening a large signed file does not copy its whole table.
    latest: OnceLock<XrefMap>,
    object_streams: Mutex<Vec<Arc<ObjectStream>>>,
}

/// Up to this many revisions, an entry is looked up in each, newest first, instead of in a
/// merged view (which costs a copy of every entry).
const WALKED_REVISIONS: usize = 8;

fn pdf_err(kind: PdfErrorKind, offset: u64) -> Error {
    PdfError::at(kind, offset).into()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn eol_len(bytes: &[u8]) -> usize {
    match bytes {
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        _ => 0,
    }
}

impl<S: Source> Document<S> {
    /// Opens a document: checks the header, follows `startxref` and the `/Prev` chain, and
    /// builds the list of revisions. No object is read yet.
    ///
    /// # Errors
    ///
    /// [`Error::Pdf`] for anything malformed (no repair is attempted), [`Error::Limit`] when
    /// the input exceeds `limits`, [`Error::Io`] when the source fails.
    pub fn open(source: S, limits: &Limits) -> Result<Self> {
        let len = source.len();
        if len > limits.max_input_bytes {
            return Err(LimitExceeded::InputBytes {
                limit: limits.max_input_bytes,
            }
            .into());
        }
        let (version, header_offset) = read_header(&source, len)?;
        let (startxref, newest_end, trailing_garbage) = read_tail(&source, len)?;
        let revisions = read_revisions(&source, len, startxref, newest_end, limits)?;
        let doc = Self {
            source,
            len,
            limits: limits.clone(),
            version,
            header_offset,
            trailing_garbage,
            revisions,
            latest: OnceLock::new(),
            object_streams: Mutex::new(Vec::new()),
        };
        let declared = doc.trailer().integer(b"Size").unwrap_or(0);
        if u64::try_from(declared).unwrap_or(0) > (limits.max_objects as u64).saturating_add(1) {
            return Err(LimitExceeded::Objects {
                limit: limits.max_objects,
            }
            .into());
        }
        Ok(doc)
    }

    /// The revisions, oldest first. There is always at least one.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The newest revision.
    fn newest(&self) -> &Revision {
        // `open` refuses documents without a revision, so the fallback is never used.
        self.revisions.last().unwrap_or(&self.revisions[0])
    }

    /// The newest trailer.
    pub fn trailer(&self) -> &Dict {
        &self.newest().trailer
    }

    /// The header version `(major, minor)`.
    pub const fn version(&self) -> (u8, u8) {
        self.version
    }

    /// Offset of `%PDF-` (usually 0).
    pub const fn header_offset(&self) -> u64 {
        self.header_offset
    }

    /// Length of the input in bytes.
    pub const fn len(&self) -> u64 {
        self.len
    }

    /// Whether the input is empty (never true for an opened document).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The underlying source.
    pub const fn source(&self) -> &S {
        &self.source
    }

    /// The limits the document was opened with.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The bytes `[start, end)` of the input.
    ///
    /// # Errors
    ///
    /// [`PdfErrorKind::UnexpectedEof`] if the range is not inside the input.
    pub fn read_range(&self, start: u64, end: u64) -> Result<Vec<u8>> {
        read_range(&self.source, self.len, start, end)
    }

    /// Whether the newest trailer has `/Encrypt`.
    pub fn is_encrypted(&self) -> bool {
        self.trailer().get(b"Encrypt").is_some()
    }

    /// Bytes after the final `%%EOF` line that are not white space, if any.
    pub const fn trailing_garbage(&self) -> Option<Span> {
        self.trailing_garbage
    }

    /// The largest object number in use or declared by `/Size`.
    pub fn max_object_number(&self) -> u32 {
        let from_size = self
            .trailer()
            .integer(b"Size")
            .and_then(|s| u32::try_from(s.saturating_sub(1)).ok())
            .unwrap_or(0);
        let from_entries = self
            .revisions
            .iter()
            .filter_map(|r| r.entries.last_number())
            .max()
            .unwrap_or(0);
        from_size.max(from_entries)
    }

    /// The newest cross-reference entry for object number `num`.
    pub fn entry(&self, num: u32) -> Option<XrefEntry> {
        // A few revisions are searched newest first; a file with many gets one merged view,
        // so that a lookup never costs a search per revision.
        if self.revisions.len() <= WALKED_REVISIONS {
            self.revisions.iter().rev().find_map(|r| r.entries.get(num))
        } else {
            self.merged_entries().get(num)
        }
    }

    /// Every object number with its newest entry, in ascending order.
    pub fn entries(&self) -> impl Iterator<Item = (u32, XrefEntry)> + '_ {
        self.merged_entries().iter()
    }

    /// Every revision's entries in one view, built on first use.
    fn merged_entries(&self) -> &XrefMap {
        self.latest.get_or_init(|| {
            let mut newest_first = self.revisions.iter().rev().map(|r| &r.entries);
            let newest = newest_first.next().cloned().unwrap_or_default();
            newest_first.fold(newest, |view, older| view.merged(older, |_| false))
        })
    }

    fn entry_in(&self, num: u32, revision: Option<usize>) -> Option<XrefEntry> {
        match revision {
            None => self.entry(num),
            Some(rev) => self
                .revisions
                .get(..=rev)?
                .iter()
                .rev()
                .find_map(|r| r.entries.get(num)),
        }
    }

    /// The object `r` in the newest view; `None` if it is free, absent, or of another
    /// generation.
    ///
    /// # Errors
    ///
    /// [`PdfErrorKind::MissingObject`] when the cross-reference entry points at something
    /// else, and parse errors of the object itself.
    pub fn get(&self, r: ObjRef) -> Result<Option<Object>> {
        self.lookup(r, None, 0)
    }

    /// The object `r` as it was in `revision` (index into [`Document::revisions`]): its
    /// newest definition at or before that revision.
    ///
    /// # Errors
    ///
    /// As [`Document::get`]; also [`PdfErrorKind::Unsupported`] for an unknown revision.
    pub fn get_in_revision(&self, r: ObjRef, revision: usize) -> Result<Option<Object>> {
        if revision >= self.revisions.len() {
            return Err(PdfError::new(PdfErrorKind::Unsupported("no such revision")).into());
        }
        self.lookup(r, Some(revision), 0)
    }

    /// Where the whole `n g obj … endobj` of `r` stands, for an uncompressed object in the
    /// newest view.
    ///
    /// # Errors
    ///
    /// As [`Document::get`].
    pub fn object_span(&self, r: ObjRef) -> Result<Option<Span>> {
        match self.entry(r.num) {
            Some(XrefEntry::InUse { offset, generation }) if generation == r.generation => {
                Ok(Some(self.read_uncompressed(r, offset, None, 0)?.1))
            }
            _ => Ok(None),
        }
    }

    /// The objects `revision` defined or freed: entries of its section(s) that differ from
    /// the view just before it. Entries re-listed unchanged (some writers repeat the whole
    /// table) are not changes, since the same offset means the same bytes.
    pub fn changed_objects(&self, revision: usize) -> Vec<ObjRef> {
        let Some(rev) = self.revisions.get(revision) else {
            return Vec::new();
        };
        rev.entries
            .iter()
            .filter(|&(num, _)| num != 0)
            .filter_map(|(num, entry)| {
                let before = revision
                    .checked_sub(1)
                    .and_then(|prev| self.entry_in(num, Some(prev)));
                if before == Some(entry) {
                    return None;
                }
                let generation = match (entry, before) {
                    (XrefEntry::InUse { generation, .. }, _) => generation,
                    (XrefEntry::Free { .. }, Some(XrefEntry::InUse { generation, .. })) => {
                        generation
                    }
                    (XrefEntry::Free { generation, .. }, _) => generation,
                    (XrefEntry::Compressed { .. }, _) => 0,
                };
                Some(ObjRef::new(num, generation))
            })
            .collect()
    }

    /// Follows references until a direct object; a dangling reference resolves to null.
    ///
    /// # Errors
    ///
    /// [`PdfErrorKind::ReferenceLoop`] for a loop or more than 32 hops, and errors of
    /// [`Document::get`].
    pub fn resolve(&self, obj: &Object) -> Result<Object> {
        let Object::Reference(first) = obj else {
            return Ok(obj.clone());
        };
        let mut seen = vec![*first];
        let mut current = *first;
        loop {
            match self.get(current)? {
                Some(Object::Reference(next)) => {
                    if seen.contains(&next) || seen.len() >= MAX_REFERENCE_HOPS {
                        return Err(PdfError::new(PdfErrorKind::ReferenceLoop(*first)).into());
                    }
                    seen.push(next);
                    current = next;
                }
                Some(other) => return Ok(other),
                None => return Ok(Object::Null),
            }
        }
    }

    /// The decoded data of a stream, bounded by the document's limits.
    ///
    /// # Errors
    ///
    /// See [`filter::decode`].
    pub fn decode_stream(&self, s: &Stream) -> Result<Vec<u8>> {
        filter::decode(&s.dict, &s.data, &self.limits)
    }

    /// The document catalog (the trailer's `/Root`).
    ///
    /// # Errors
    ///
    /// [`PdfErrorKind::UnexpectedType`] if there is no `/Root` dictionary.
    pub fn catalog(&self) -> Result<Dict> {
        let root = self
            .trailer()
            .get(b"Root")
            .ok_or_else(|| PdfError::new(PdfErrorKind::UnexpectedType("trailer has no /Root")))?;
        match self.resolve(root)? {
            Object::Dict(d) => Ok(d),
            _ => {
                Err(PdfError::new(PdfErrorKind::UnexpectedType("/Root is not a dictionary")).into())
            }
        }
    }

    /// The pages in document order, walking the page tree without recursion.
    ///
    /// # Errors
    ///
    /// [`PdfErrorKind::UnexpectedType`] for a malformed tree (a node reached twice, a node
    /// that is neither `/Pages` nor `/Page`), [`PdfErrorKind::MissingObject`] for a missing
    /// node, [`LimitExceeded::Objects`] for a tree larger than the object limit.
    pub fn pages(&self) -> Result<Vec<ObjRef>> {
        let tree = |what| Error::from(PdfError::new(PdfErrorKind::UnexpectedType(what)));
        let catalog = self.catalog()?;
        let root = catalog
            .reference(b"Pages")
            .ok_or_else(|| tree("catalog /Pages is not a reference"))?;
        let mut stack = vec![root];
        let mut visited = HashSet::new();
        let mut pages = Vec::new();
        while let Some(r) = stack.pop() {
            if !visited.insert(r) {
                return Err(tree("page tree node reached twice"));
            }
            if visited.len() > self.limits.max_objects {
                return Err(LimitExceeded::Objects {
                    limit: self.limits.max_objects,
                }
                .into());
            }
            let node = self
                .get(r)?
                .ok_or_else(|| PdfError::new(PdfErrorKind::MissingObject(r)))?;
            let Object::Dict(node) = node else {
                return Err(tree("page tree node is not a dictionary"));
            };
            match node.name(b"Type") {
                Some(b"Pages") => {
                    let kids = node
                        .get(b"Kids")
                        .ok_or_else(|| tree("/Pages without /Kids"))?;
                    let Object::Array(kids) = self.resolve(kids)? else {
                        return Err(tree("/Kids is not an array"));
                    };
                    for kid in kids.iter().rev() {
                        stack.push(
                            kid.as_reference()
                                .ok_or_else(|| tree("page kid is not a reference"))?,
                        );
                    }
                }
                Some(b"Page") => pages.push(r),
                _ => return Err(tree("page tree node is neither /Pages nor /Page")),
            }
        }
        Ok(pages)
    }

    fn lookup(&self, r: ObjRef, revision: Option<usize>, depth: usize) -> Result<Option<Object>> {
        if depth > MAX_LOOKUP_DEPTH {
            return Err(PdfError::new(PdfErrorKind::ReferenceLoop(r)).into());
        }
        match self.entry_in(r.num, revision) {
            None | Some(XrefEntry::Free { .. }) => Ok(None),
            Some(XrefEntry::InUse { offset, generation }) => {
                if generation != r.generation {
                    return Ok(None);
                }
                Ok(Some(self.read_uncompressed(r, offset, revision, depth)?.0))
            }
            Some(XrefEntry::Compressed { stream, index }) => {
                if r.generation != 0 {
                    return Ok(None);
                }
                let objstm = self.object_stream(stream, revision, depth)?;
                let missing = || Error::from(PdfError::new(PdfErrorKind::MissingObject(r)));
                let &(num, start) = usize::try_from(index)
                    .ok()
                    .and_then(|i| objstm.members.get(i))
                    .ok_or_else(missing)?;
                if num != r.num {
                    return Err(missing());
                }
                let data = objstm.data.get(start..).ok_or_else(missing)?;
                let mut obj = parse_object(
                    &mut Lexer::new(data, 0, true),
                    self.limits.max_nesting_depth,
                )?;
                // Offsets inside a decoded stream are not file offsets.
                clear_spans(&mut obj);
                Ok(Some(obj))
            }
        }
    }

    /// Reads the uncompressed object `r` at `offset`, returning it and its whole span.
    fn read_uncompressed(
        &self,
        r: ObjRef,
        offset: u64,
        revision: Option<usize>,
        depth: usize,
    ) -> Result<(Object, Span)> {
        let missing = || pdf_err(PdfErrorKind::MissingObject(r), offset);
        if offset >= self.len {
            return Err(missing());
        }
        let max_depth = self.limits.max_nesting_depth;
        let parsed = with_window(&self.source, self.len, offset, |lx| {
            parse_indirect(lx, max_depth)
        })
        .map_err(|e| match e {
            Error::Pdf(PdfError {
                kind: PdfErrorKind::Syntax(_),
                ..
            }) if !self.starts_with_header(offset) => missing(),
            other => other,
        })?;
        match parsed {
            Indirect::Object { id, object, end } => {
                if id != r {
                    return Err(missing());
                }
                Ok((object, Span { start: offset, end }))
            }
            Indirect::StreamStart {
                id,
                dict,
                data_start,
            } => {
                if id != r {
                    return Err(missing());
                }
                let length = match dict.get(b"Length") {
                    Some(Object::Integer(n)) => *n,
                    Some(Object::Reference(lr)) => self
                        .lookup(*lr, revision, depth + 1)?
                        .and_then(|o| o.as_integer())
                        .ok_or_else(|| {
                            pdf_err(
                                PdfErrorKind::InvalidStream("/Length is not an integer"),
                                offset,
                            )
                        })?,
                    _ => {
                        return Err(pdf_err(
                            PdfErrorKind::InvalidStream("missing /Length"),
                            offset,
                        ));
                    }
                };
                let (data, data_span, end) =
                    read_stream_body(&self.source, self.len, data_start, length)?;
                let stream = Stream {
                    dict,
                    data,
                    data_span: Some(data_span),
                };
                Ok((Object::Stream(stream), Span { start: offset, end }))
            }
        }
    }

    /// Whether an `n g obj` header starts at `offset`; distinguishes a wrong xref offset
    /// (missing object) from a malformed object body (syntax error).
    fn starts_with_header(&self, offset: u64) -> bool {
        let end = offset.saturating_add(64).min(self.len);
        let Ok(buf) = self.read_range(offset, end) else {
            return false;
        };
        let mut lx = Lexer::new(&buf, offset, end == self.len);
        matches!(
            (lx.next_token(), lx.next_token()),
            (Ok(Some(Token::Integer(_))), Ok(Some(Token::Integer(_))))
        ) && matches!(lx.eat_keyword_after_ws(b"obj"), Ok(true))
    }

    fn object_stream(
        &self,
        num: u32,
        revision: Option<usize>,
        depth: usize,
    ) -> Result<Arc<ObjectStream>> {
        let r = ObjRef::new(num, 0);
        let Some(XrefEntry::InUse { offset, generation }) = self.entry_in(num, revision) else {
            return Err(PdfError::new(PdfErrorKind::MissingObject(r)).into());
        };
        let key = (num, offset);
        if let Ok(cache) = self.object_streams.lock() {
            if let Some(hit) = cache.iter().find(|s| s.key == key) {
                return Ok(Arc::clone(hit));
            }
        }
        let (obj, _) =
            self.read_uncompressed(ObjRef::new(num, generation), offset, revision, depth + 1)?;
        let bad = |what| pdf_err(PdfErrorKind::InvalidStream(what), offset);
        let Object::Stream(stream) = obj else {
            return Err(bad("object stream is not a stream"));
        };
        if stream.dict.name(b"Type") != Some(b"ObjStm") {
            return Err(bad("object stream is not /Type /ObjStm"));
        }
        let n = stream
            .dict
            .integer(b"N")
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| bad("object stream /N is missing or negative"))?;
        let first = stream
            .dict
            .integer(b"First")
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| bad("object stream /First is missing or negative"))?;
        let data = self.decode_stream(&stream)?;
        let header = data
            .get(..first)
            .ok_or_else(|| bad("object stream /First is beyond its data"))?;
        // Each header pair takes at least four bytes, which bounds `n` before allocating.
        if n > header.len() / 2 {
            return Err(bad("object stream /N larger than its header"));
        }
        let mut lx = Lexer::new(header, 0, true);
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            let pair = (lx.next_token()?, lx.next_token()?);
            let (Some(Token::Integer(obj)), Some(Token::Integer(rel))) = pair else {
                return Err(bad("malformed object stream header"));
            };
            let obj = u32::try_from(obj).map_err(|_| bad("bad object number in object stream"))?;
            let start = usize::try_from(rel)
                .ok()
                .and_then(|rel| first.checked_add(rel))
                .filter(|&s| s <= data.len())
                .ok_or_else(|| bad("object stream member offset out of range"))?;
            members.push((obj, start));
        }
        let parsed = Arc::new(ObjectStream { key, data, members });
        if let Ok(mut cache) = self.object_streams.lock() {
            if parsed.data.len() <= OBJSTM_CACHE_BYTES {
                while cache.len() >= OBJSTM_CACHE
                    || cache.iter().map(|s| s.data.len()).sum::<usize>() + parsed.data.len()
                        > OBJSTM_CACHE_BYTES
                {
                    cache.remove(0);
                }
                cache.push(Arc::clone(&parsed));
            }
        }
        Ok(parsed)
    }
}

fn clear_spans(obj: &mut Object) {
    let mut stack = vec![obj];
    while let Some(o) = stack.pop() {
        match o {
            Object::String(s) => s.span = None,
            Object::Array(items) => stack.extend(items.iter_mut()),
            Object::Dict(d) => stack.extend(d.values_mut()),
            _ => {}
        }
    }
}

fn read_header<S: Source>(source: &S, len: u64) -> Result<((u8, u8), u64)> {
    let head = read_range(source, len, 0, len.min(HEADER_WINDOW))?;
    let not_pdf = || Error::from(PdfError::new(PdfErrorKind::NotPdf));
    let at = find(&head, b"%PDF-").ok_or_else(not_pdf)?;
    let rest = &head[at + 5..];
    let number = |s: &[u8]| -> Option<(u8, usize)> {
        let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let text = std::str::from_utf8(s.get(..n)?).ok()?;
        Some((text.parse().ok()?, n))
    };
    let (major, n) = number(rest).ok_or_else(not_pdf)?;
    if rest.get(n) != Some(&b'.') {
        return Err(not_pdf());
    }
    let (minor, _) = number(&rest[n + 1..]).ok_or_else(not_pdf)?;
    Ok(((major, minor), at as u64))
}

/// Finds the final `startxref`/`%%EOF`: returns the `startxref` value, the end of the
/// `%%EOF` line, and any non-white-space bytes after it.
fn read_tail<S: Source>(source: &S, len: u64) -> Result<(u64, u64, Option<Span>)> {
    let tail_start = len.saturating_sub(TAIL_WINDOW);
    let tail = read_range(source, len, tail_start, len)?;
    let missing = || Error::from(PdfError::new(PdfErrorKind::MissingStartxref));
    let eof = rfind(&tail, b"%%EOF").ok_or_else(missing)?;
    let line_end = eof + 5 + eol_len(&tail[eof + 5..]);
    let newest_end = tail_start + line_end as u64;
    let garbage = tail[line_end..]
        .iter()
        .any(|&b| !is_whitespace(b))
        .then_some(Span {
            start: newest_end,
            end: len,
        });
    let sx = rfind(&tail[..eof], b"startxref").ok_or_else(missing)?;
    let mut lx = Lexer::new(&tail[sx + 9..eof], tail_start + sx as u64 + 9, true);
    lx.skip_plain_ws();
    let Ok(Some(Token::Integer(offset))) = lx.next_token() else {
        return Err(missing());
    };
    lx.skip_plain_ws();
    if !lx.rest().is_empty() {
        return Err(missing());
    }
    let offset = u64::try_from(offset).map_err(|_| missing())?;
    Ok((offset, newest_end, garbage))
}

/// Follows the chain from `startxref`, grouping sections into revisions: a backward `/Prev`
/// starts an earlier revision, a forward one (linearized files) stays in the same revision.
fn read_revisions<S: Source>(
    source: &S,
    len: u64,
    startxref: u64,
    newest_end: u64,
    limits: &Limits,
) -> Result<Vec<Revision>> {
    if startxref >= len {
        return Err(pdf_err(
            PdfErrorKind::InvalidXref("startxref points outside the file"),
            startxref,
        ));
    }
    let too_many = || {
        Error::from(LimitExceeded::Revisions {
            limit: limits.max_revisions,
        })
    };
    let mut groups: Vec<Vec<Section>> = vec![Vec::new()];
    let mut visited = HashSet::new();
    // Byte ranges of the sections read so far (start -> end). Sections that overlap, or two
    // tables sharing one /XRefStm, could make opening cost far more than the file's size.
    let mut claimed: BTreeMap<u64, u64> = BTreeMap::new();
    let mut total_entries = 0usize;
    let mut next = Some(startxref);
    while let Some(offset) = next {
        if !visited.insert(offset) {
            return Err(pdf_err(PdfErrorKind::InvalidPrevChain("loop"), offset));
        }
        // Forward hops stay within one revision, so bound the sections too.
        if visited.len() > limits.max_revisions.saturating_mul(2).saturating_add(2) {
            return Err(too_many());
        }
        let section = parse_section(source, len, offset, limits)?;
        let own = Span {
            start: section.offset,
            end: section.end,
        };
        for span in std::iter::once(own).chain(section.xref_stm) {
            let before = claimed.range(..=span.start).next_back();
            let after = claimed.range(span.start..).next();
            if before.is_some_and(|(_, &end)| end > span.start)
                || after.is_some_and(|(&start, _)| start < span.end)
            {
                return Err(pdf_err(
                    PdfErrorKind::InvalidPrevChain("cross-reference sections overlap"),
                    span.start,
                ));
            }
            claimed.insert(span.start, span.end);
        }
        total_entries = total_entries.saturating_add(section.entries.len());
        if total_entries > limits.max_objects {
            return Err(LimitExceeded::Objects {
                limit: limits.max_objects,
            }
            .into());
        }
        next = match section.trailer.get(b"Prev") {
            None => None,
            Some(prev) => {
                let prev = prev
                    .as_integer()
                    .and_then(|p| u64::try_from(p).ok())
                    .filter(|&p| p < len)
                    .ok_or_else(|| {
                        pdf_err(
                            PdfErrorKind::InvalidPrevChain("/Prev is not an offset in the file"),
                            offset,
                        )
                    })?;
                Some(prev)
            }
        };
        let backward = next.is_some_and(|p| p < offset);
        if let Some(group) = groups.last_mut() {
            group.push(section);
        }
        if backward {
            if groups.len() >= limits.max_revisions {
                return Err(too_many());
            }
            groups.push(Vec::new());
        }
    }
    let mut revisions = Vec::with_capacity(groups.len());
    for (i, group) in groups.into_iter().enumerate() {
        let end = if i == 0 {
            newest_end
        } else {
            let last = group.iter().max_by_key(|s| s.offset).map_or(0, |s| s.end);
            find_revision_end(source, len, last)?
        };
        // Bytes after a revision's %%EOF did not exist when it was written, so nothing it
        // lists may live there; trailing garbage in particular must stay unreferenced.
        if group.iter().any(|s| s.end > end) {
            return Err(pdf_err(
                PdfErrorKind::InvalidPrevChain("section lies beyond its revision's end"),
                end,
            ));
        }
        let mut sections = group.into_iter();
        let Some(head) = sections.next() else {
            continue;
        };
        let entries = sections.fold(head.entries, |entries, s| {
            entries.merged(&s.entries, |_| false)
        });
        let beyond = entries.iter().find_map(|(_, e)| match e {
            XrefEntry::InUse { offset, .. } if offset >= end => Some(offset),
            _ => None,
        });
        if let Some(offset) = beyond {
            return Err(pdf_err(
                PdfErrorKind::InvalidXref("entry points beyond its revision's end"),
                offset,
            ));
        }
        revisions.push(Revision {
            xref_offset: head.offset,
            xref_kind: head.kind,
            end,
            trailer: head.trailer,
            entries,
        });
    }
    revisions.reverse();
    if revisions.windows(2).any(|w| w[0].end >= w[1].end) {
        return Err(PdfError::new(PdfErrorKind::InvalidPrevChain("revisions out of order")).into());
    }
    if revisions.is_empty() {
        return Err(PdfError::new(PdfErrorKind::MissingStartxref).into());
    }
    Ok(revisions)
}

/// After a revision's last section: `startxref`, its offset, `%%EOF` and an optional EOL.
fn find_revision_end<S: Source>(source: &S, len: u64, section_end: u64) -> Result<u64> {
    let unterminated = || {
        pdf_err(
            PdfErrorKind::InvalidXref("revision not followed by startxref and %%EOF"),
            section_end,
        )
    };
    with_window(source, len, section_end, |lx| {
        lx.skip_plain_ws();
        if !lx.eat_keyword(b"startxref")? {
            return Err(unterminated());
        }
        lx.skip_plain_ws();
        if !matches!(lx.next_token()?, Some(Token::Integer(_))) {
            return Err(unterminated());
        }
        lx.skip_plain_ws();
        let rest = lx.rest();
        if rest.len() < 6 && lx.offset() + (rest.len() as u64) < len {
            return Err(lx.eof_error().into());
        }
        if !rest.starts_with(b"%%EOF") {
            return Err(unterminated());
        }
        lx.set_pos(lx.pos() + 5);
        lx.skip_eol();
        Ok(lx.offset())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Writes PDFs by hand, recording offsets.
    struct Pdf {
        buf: Vec<u8>,
        offsets: BTreeMap<u32, u64>,
    }

    impl Pdf {
        fn new() -> Self {
            Self {
                buf: b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec(),
                offsets: BTreeMap::new(),
            }
        }

        fn obj(&mut self, num: u32, body: &str) -> &mut Self {
            self.offsets.insert(num, self.buf.len() as u64);
            self.buf
                .extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
            self
        }

        fn stream(&mut self, num: u32, dict: &str, data: &[u8]) -> &mut Self {
            self.offsets.insert(num, self.buf.len() as u64);
            self.buf
                .extend_from_slice(format!("{num} 0 obj\n<<{dict}>>\nstream\n").as_bytes());
            self.buf.extend_from_slice(data);
            self.buf.extend_from_slice(b"\nendstream\nendobj\n");
            self
        }

        fn object_stream(&mut self, num: u32, members: &[(u32, &str)]) -> &mut Self {
            let mut header = String::new();
            let mut body = String::new();
            for (n, text) in members {
                header.push_str(&format!("{n} {} ", body.len()));
                body.push_str(text);
                body.push(' ');
            }
            let data = deflate(format!("{header}{body}").as_bytes());
            let dict = format!(
                "/Type/ObjStm/N {}/First {}/Filter/FlateDecode/Length {}",
                members.len(),
                header.len(),
                data.len()
            );
            self.stream(num, &dict, &data)
        }

        fn tail(&mut self, xref: u64) {
            self.buf
                .extend_from_slice(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
        }

        fn table(&mut self, nums: &[u32], trailer: &str) -> u64 {
            let xref = self.buf.len() as u64;
            let mut out = String::from("xref\n");
            let mut i = 0;
            while i < nums.len() {
                let mut j = i;
                while j + 1 < nums.len() && nums[j + 1] == nums[j] + 1 {
                    j += 1;
                }
                out.push_str(&format!("{} {}\n", nums[i], j - i + 1));
                for &n in &nums[i..=j] {
                    match self.offsets.get(&n) {
                        Some(off) if n != 0 => out.push_str(&format!("{off:010} 00000 n\r\n")),
                        _ => out.push_str("0000000000 65535 f\r\n"),
                    }
                }
                i = j + 1;
            }
            out.push_str(&format!("trailer\n<<{trailer}>>\n"));
            self.buf.extend_from_slice(out.as_bytes());
            self.tail(xref);
            xref
        }

        /// An xref stream object `num` with rows (num, type, f2, f3), PNG-Up predicted.
        fn xref_stream(&mut self, num: u32, rows: &[(u32, u8, u64, u16)], extra: &str) -> u64 {
            let xref = self.buf.len() as u64;
            let mut index = String::new();
            let mut raw = Vec::new();
            let mut prev = [0u8; 7];
            for &(n, t, f2, f3) in rows {
                index.push_str(&format!("{n} 1 "));
                let mut row = vec![t];
                row.extend_from_slice(&u32::try_from(f2).unwrap().to_be_bytes());
                row.extend_from_slice(&f3.to_be_bytes());
                raw.push(2);
                raw.extend(row.iter().zip(prev).map(|(a, b)| a.wrapping_sub(b)));
                prev.copy_from_slice(&row);
            }
            let data = deflate(&raw);
            let size = rows.iter().map(|r| r.0).max().unwrap_or(0) + 1;
            let dict = format!(
                "/Type/XRef/Size {size}/Index[{index}]/W[1 4 2]/Filter/FlateDecode/DecodeParms<</Predictor 12/Columns 7>>/Length {}{extra}",
                data.len()
            );
            self.stream(num, &dict, &data);
            self.tail(xref);
            xref
        }

        fn at(&self, num: u32) -> u64 {
            self.offsets[&num]
        }
    }

    fn classic() -> Pdf {
        let mut p = Pdf::new();
        p.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
            .obj(3, "<</Type/Page/Parent 2 0 R/Contents (hello)>>");
        p.table(&[0, 1, 2, 3], "/Size 4/Root 1 0 R");
        p
    }

    fn open(data: &[u8]) -> Result<Document<&[u8]>> {
        Document::open(data, &Limits::default())
    }

    fn pdf_kind(r: Result<impl std::fmt::Debug>) -> PdfErrorKind {
        match r {
            Err(Error::Pdf(e)) => e.kind,
            other => panic!("expected a PDF error, got {other:?}"),
        }
    }

    #[test]
    fn classic_table() {
        let p = classic();
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.version(), (1, 7));
        assert_eq!(doc.revisions().len(), 1);
        let rev = &doc.revisions()[0];
        assert_eq!(rev.xref_kind, XrefKind::Table);
        assert_eq!(rev.end, p.buf.len() as u64);
        assert_eq!(doc.pages().unwrap(), vec![ObjRef::new(3, 0)]);
        assert_eq!(doc.max_object_number(), 3);
        assert!(!doc.is_encrypted());
        assert_eq!(doc.trailing_garbage(), None);
        let page = doc.get(ObjRef::new(3, 0)).unwrap().unwrap();
        let s = page
            .as_dict()
            .unwrap()
            .get(b"Contents")
            .unwrap()
            .as_string()
            .unwrap();
        let span = s.span.unwrap();
        assert_eq!(doc.read_range(span.start, span.end).unwrap(), b"(hello)");
        let whole = doc.object_span(ObjRef::new(3, 0)).unwrap().unwrap();
        let bytes = doc.read_range(whole.start, whole.end).unwrap();
        assert!(bytes.starts_with(b"3 0 obj") && bytes.ends_with(b"endobj"));
        assert_eq!(doc.get(ObjRef::new(9, 0)).unwrap(), None);
        assert_eq!(doc.get(ObjRef::new(3, 1)).unwrap(), None);
        assert_eq!(doc.get(ObjRef::new(0, 65535)).unwrap(), None);
        assert_eq!(
            doc.resolve(&Object::Reference(ObjRef::new(1, 0)))
                .unwrap()
                .as_dict()
                .unwrap()
                .name(b"Type"),
            Some(&b"Catalog"[..])
        );
    }

    #[test]
    fn incremental_update_keeps_revisions() {
        let mut p = classic();
        let first_end = p.buf.len() as u64;
        let prev = p.offsets.len();
        assert_eq!(prev, 3);
        let old_xref = {
            let doc = open(&p.buf).unwrap();
            doc.revisions()[0].xref_offset
        };
        p.obj(3, "<</Type/Page/Parent 2 0 R/Contents (changed)>>")
            .obj(4, "<</Producer (x)>>");
        p.table(&[3, 4], &format!("/Size 5/Root 1 0 R/Prev {old_xref}"));
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.revisions().len(), 2);
        assert_eq!(doc.revisions()[0].end, first_end);
        assert_eq!(doc.revisions()[1].end, p.buf.len() as u64);
        assert_eq!(
            doc.changed_objects(1),
            vec![ObjRef::new(3, 0), ObjRef::new(4, 0)]
        );
        let contents = |o: Object| o.as_dict().unwrap().get(b"Contents").unwrap().clone();
        let old = doc.get_in_revision(ObjRef::new(3, 0), 0).unwrap().unwrap();
        let new = doc.get(ObjRef::new(3, 0)).unwrap().unwrap();
        assert_eq!(contents(old).as_string().unwrap().bytes, b"hello");
        assert_eq!(contents(new).as_string().unwrap().bytes, b"changed");
        assert_eq!(doc.get_in_revision(ObjRef::new(4, 0), 0).unwrap(), None);
        assert!(doc.get_in_revision(ObjRef::new(4, 0), 2).is_err());
    }

    #[test]
    fn many_revisions_look_up_the_newest_entry_through_the_merged_view() {
        let mut p = classic();
        for i in 0..12u32 {
            let prev = {
                let doc = open(&p.buf).unwrap();
                doc.revisions().last().unwrap().xref_offset
            };
            let added = 4 + i;
            p.obj(
                3,
                &format!("<</Type/Page/Parent 2 0 R/Contents (rev {i})>>"),
            )
            .obj(added, "<</Producer (x)>>");
            p.table(
                &[3, added],
                &format!("/Size {}/Root 1 0 R/Prev {prev}", added + 1),
            );
        }
        let doc = open(&p.buf).unwrap();
        assert!(doc.revisions().len() > WALKED_REVISIONS);
        for num in 0..20 {
            let walked = doc
                .revisions()
                .iter()
                .rev()
                .find_map(|r| r.entries.get(num));
            assert_eq!(doc.entry(num), walked, "object {num}");
        }
        let page = doc.get(ObjRef::new(3, 0)).unwrap().unwrap();
        let contents = page.as_dict().unwrap().get(b"Contents").unwrap().clone();
        assert_eq!(contents.as_string().unwrap().bytes, b"rev 11");
        assert!(doc.get(ObjRef::new(15, 0)).unwrap().is_some());
    }

    #[test]
    fn xref_stream_with_object_stream_and_indirect_length() {
        let mut p = Pdf::new();
        p.object_stream(
            4,
            &[
                (1, "<</Type/Catalog/Pages 2 0 R>>"),
                (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
                (
                    3,
                    "<</Type/Page/Parent 2 0 R/Contents 6 0 R/S (in stream)>>",
                ),
                (7, "5"),
            ],
        );
        p.stream(6, "/Length 7 0 R", b"q Q\n\n");
        let rows = [
            (0, 0, 0, 65535),
            (1, 2, 4, 0),
            (2, 2, 4, 1),
            (3, 2, 4, 2),
            (4, 1, p.at(4), 0),
            (6, 1, p.at(6), 0),
            (7, 2, 4, 3),
        ];
        let at = p.buf.len() as u64;
        let mut rows = rows.to_vec();
        rows.push((8, 1, at, 0));
        p.xref_stream(8, &rows, "/Root 1 0 R");
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.revisions()[0].xref_kind, XrefKind::Stream);
        assert_eq!(doc.pages().unwrap(), vec![ObjRef::new(3, 0)]);
        let page = doc.get(ObjRef::new(3, 0)).unwrap().unwrap();
        let s = page
            .as_dict()
            .unwrap()
            .get(b"S")
            .unwrap()
            .as_string()
            .unwrap();
        assert_eq!(s.bytes, b"in stream");
        assert_eq!(s.span, None);
        let content = doc.get(ObjRef::new(6, 0)).unwrap().unwrap();
        let stream = content.as_stream().unwrap();
        assert_eq!(stream.data, b"q Q\n\n");
        assert_eq!(doc.decode_stream(stream).unwrap(), b"q Q\n\n");
        assert_eq!(doc.object_span(ObjRef::new(3, 0)).unwrap(), None);
        assert_eq!(doc.get(ObjRef::new(3, 1)).unwrap(), None);
    }

    #[test]
    fn hybrid_reference_file() {
        let mut p = Pdf::new();
        p.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>");
        p.object_stream(4, &[(3, "<</Type/Page/Parent 2 0 R>>")]);
        let stm_at = p.buf.len() as u64;
        p.xref_stream(5, &[(3, 2, 4, 0), (5, 1, stm_at, 0)], "");
        // The table lists object 3 as free; the stream supplies it.
        p.offsets.remove(&3);
        p.table(
            &[0, 1, 2, 3, 4],
            &format!("/Size 6/Root 1 0 R/XRefStm {stm_at}"),
        );
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.revisions().len(), 1);
        assert_eq!(doc.revisions()[0].xref_kind, XrefKind::Hybrid);
        assert_eq!(doc.pages().unwrap(), vec![ObjRef::new(3, 0)]);

        // A later table reusing the same /XRefStm would make it count twice.
        let table_at = doc.revisions()[0].xref_offset;
        p.obj(6, "null");
        p.table(
            &[6],
            &format!("/Size 7/Root 1 0 R/XRefStm {stm_at}/Prev {table_at}"),
        );
        assert_eq!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidPrevChain("cross-reference sections overlap")
        );
    }

    #[test]
    fn linearized_forward_prev_is_one_revision() {
        // Body first, then a first-page section placed before it, as a linearizer does.
        let mut body = Pdf::new();
        body.buf.clear();
        body.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[3 0 R]/Count 1>>")
            .obj(3, "<</Type/Page/Parent 2 0 R>>");
        let header = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let first_len = |prev: u64| {
            format!(
                "xref\n1 1\n{:010} 00000 n\r\ntrailer\n<</Size 4/Root 1 0 R/Prev {prev:010}>>\nstartxref\n0\n%%EOF\n",
                0
            )
            .len() as u64
        };
        let base = header.len() as u64 + first_len(0);
        let mut p = Pdf::new();
        p.buf = header;
        let first_at = p.buf.len() as u64;
        // The main table follows the body.
        let main_at = base + body.buf.len() as u64;
        p.buf.extend_from_slice(
            format!(
                "xref\n1 1\n{:010} 00000 n\r\ntrailer\n<</Size 4/Root 1 0 R/Prev {main_at:010}>>\nstartxref\n0\n%%EOF\n",
                base + body.at(1)
            )
            .as_bytes(),
        );
        assert_eq!(p.buf.len() as u64, base);
        p.buf.extend_from_slice(&body.buf);
        for (n, off) in &body.offsets {
            p.offsets.insert(*n, off + base);
        }
        p.offsets.remove(&1);
        let xref = p.buf.len() as u64;
        assert_eq!(xref, main_at);
        let mut out = String::from("xref\n0 4\n0000000000 65535 f\r\n");
        out.push_str("0000000000 65535 f\r\n");
        for n in 2..4 {
            out.push_str(&format!("{:010} 00000 n\r\n", p.at(n)));
        }
        out.push_str("trailer\n<</Size 4>>\n");
        p.buf.extend_from_slice(out.as_bytes());
        p.tail(first_at);
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.revisions().len(), 1);
        assert_eq!(doc.revisions()[0].xref_offset, first_at);
        assert_eq!(doc.pages().unwrap(), vec![ObjRef::new(3, 0)]);

        // An update on top points back at the first-page section: a second revision.
        let first_end = p.buf.len() as u64;
        p.obj(4, "<</Info true>>");
        p.table(&[4], &format!("/Size 5/Root 1 0 R/Prev {first_at}"));
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.revisions().len(), 2);
        assert_eq!(doc.revisions()[0].end, first_end);
        assert_eq!(doc.changed_objects(1), vec![ObjRef::new(4, 0)]);
    }

    #[test]
    fn header_tail_and_garbage() {
        let mut p = classic();
        p.buf.extend_from_slice(b"\r\n  \n");
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.trailing_garbage(), None);
        p.buf.extend_from_slice(b"junk");
        let doc = open(&p.buf).unwrap();
        let g = doc.trailing_garbage().unwrap();
        assert_eq!(g.end, p.buf.len() as u64);

        assert_eq!(pdf_kind(open(b"hello")), PdfErrorKind::NotPdf);
        assert_eq!(pdf_kind(open(b"%PDF-x.y\n")), PdfErrorKind::NotPdf);
        let mut late = vec![b' '; 1100];
        late.extend_from_slice(&classic().buf);
        assert_eq!(pdf_kind(open(&late)), PdfErrorKind::NotPdf);
        assert_eq!(
            pdf_kind(open(b"%PDF-1.4\n")),
            PdfErrorKind::MissingStartxref
        );
        let huge = Limits {
            max_input_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            Document::open(&p.buf[..], &huge),
            Err(Error::Limit(LimitExceeded::InputBytes { limit: 10 }))
        ));
    }

    #[test]
    fn startxref_must_be_exact() {
        let p = classic();
        let doc = open(&p.buf).unwrap();
        let xref = doc.revisions()[0].xref_offset;
        for wrong in [xref - 1, xref + 1, 0, 10_000_000] {
            let text = p.buf.clone();
            let from = format!("startxref\n{xref}\n");
            let to = format!("startxref\n{wrong}\n");
            let pos = rfind(&text, from.as_bytes()).unwrap();
            let mut bad = text[..pos].to_vec();
            bad.extend_from_slice(to.as_bytes());
            bad.extend_from_slice(&text[pos + from.len()..]);
            assert!(open(&bad).is_err(), "startxref {wrong}");
        }
    }

    #[test]
    fn prev_loops_and_out_of_range() {
        let mut p = classic();
        let xref = p.buf.len() as u64;
        // A section whose /Prev points at itself.
        p.table(&[3], &format!("/Size 4/Root 1 0 R/Prev {xref}"));
        assert_eq!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidPrevChain("loop")
        );
        let mut p = classic();
        p.table(&[3], "/Size 4/Root 1 0 R/Prev 99999999");
        assert!(matches!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidPrevChain(_)
        ));
        // Two sections pointing at each other: backward then forward.
        let mut p = Pdf::new();
        p.obj(1, "<</Type/Catalog>>");
        let a = p.buf.len() as u64;
        let b_guess = a + 200;
        let first = format!("/Size 2/Prev {b_guess:010}");
        p.table(&[1], &first);
        while (p.buf.len() as u64) < b_guess {
            p.buf.push(b'\n');
        }
        p.table(&[1], &format!("/Size 2/Prev {a}"));
        assert!(matches!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidPrevChain(_)
        ));
    }

    #[test]
    fn hostile_objects_fail_cleanly() {
        let mut p = Pdf::new();
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        p.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, &deep)
            .stream(3, "/Length 999999999999", b"abc")
            .stream(4, "/Length -1", b"abc")
            .stream(5, "/Length 1", b"abc")
            .stream(6, "/Length 6 0 R", b"abc")
            .obj(7, "8 0 R")
            .obj(8, "7 0 R");
        p.offsets.insert(9, 5);
        p.table(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "/Size 10/Root 1 0 R");
        let doc = open(&p.buf).unwrap();
        assert!(matches!(
            doc.get(ObjRef::new(2, 0)),
            Err(Error::Limit(LimitExceeded::NestingDepth { .. }))
        ));
        for n in [3, 4, 5, 6, 9] {
            assert!(doc.get(ObjRef::new(n, 0)).is_err(), "object {n}");
        }
        assert!(matches!(
            pdf_kind(doc.resolve(&Object::Reference(ObjRef::new(7, 0)))),
            PdfErrorKind::ReferenceLoop(_)
        ));
        assert_eq!(
            pdf_kind(doc.get(ObjRef::new(9, 0))),
            PdfErrorKind::MissingObject(ObjRef::new(9, 0))
        );
        assert!(doc.pages().is_err());
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        let mut p = Pdf::new();
        p.object_stream(
            4,
            &[
                (1, "<</Type/Catalog/Pages 2 0 R>>"),
                (2, "<</Type/Pages/Kids[]/Count 0>>"),
            ],
        );
        let at = p.buf.len() as u64;
        let rows = [
            (1, 2, 4, 0),
            (2, 2, 4, 1),
            (4, 1, p.at(4), 0),
            (5, 1, at, 0),
        ];
        p.xref_stream(5, &rows, "/Root 1 0 R");
        let mut q = classic();
        let xref = open(&q.buf).unwrap().revisions()[0].xref_offset;
        q.obj(3, "<</Type/Page/Parent 2 0 R>>");
        q.table(&[3], &format!("/Size 4/Root 1 0 R/Prev {xref}"));
        for base in [p.buf, q.buf] {
            for cut in 0..base.len() {
                crate::pdf::fuzzing::fuzz_document(&base[..cut]);
            }
            let mut state = 0x2545_f491_u32;
            for _ in 0..3000 {
                let mut data = base.clone();
                for _ in 0..3 {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let i = state as usize % data.len();
                    data[i] = (state >> 24) as u8;
                }
                crate::pdf::fuzzing::fuzz_document(&data);
            }
        }
    }

    #[test]
    fn reads_from_a_file_and_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Document<std::fs::File>>();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&classic().buf).unwrap();
        let doc = Document::open(f, &Limits::default()).unwrap();
        assert_eq!(doc.pages().unwrap().len(), 1);
    }

    #[test]
    fn many_objects() {
        let mut p = Pdf::new();
        p.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[]/Count 0>>");
        for n in 3..20_000 {
            p.obj(n, "null");
        }
        let nums: Vec<u32> = (0..20_000).collect();
        p.table(&nums, "/Size 20000/Root 1 0 R");
        let doc = open(&p.buf).unwrap();
        assert_eq!(doc.max_object_number(), 19_999);
        assert_eq!(doc.get(ObjRef::new(19_999, 0)).unwrap(), Some(Object::Null));
        let few = Limits {
            max_objects: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            Document::open(&p.buf[..], &few),
            Err(Error::Limit(LimitExceeded::Objects { .. }))
        ));
    }

    fn lopdf_document() -> lopdf::Document {
        use lopdf::{Object as L, Stream as LStream, dictionary};
        let mut doc = lopdf::Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let mut kids = Vec::new();
        for i in 0..3 {
            let content = doc.add_object(LStream::new(
                dictionary! {},
                format!("BT /F1 12 Tf (page {i}) Tj ET").into_bytes(),
            ));
            let page = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content,
                "MediaBox" => vec![L::Integer(0), L::Integer(0), L::Real(595.5), L::Integer(842)],
            });
            kids.push(L::Reference(page));
        }
        doc.objects.insert(
            pages_id,
            L::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => 3 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc
    }

    #[test]
    fn reads_what_lopdf_writes() {
        let mut classic = Vec::new();
        let mut doc = lopdf_document();
        doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        doc.save_to(&mut classic).unwrap();
        let mut modern = Vec::new();
        lopdf_document().save_modern(&mut modern).unwrap();
        for (bytes, kind) in [(classic, XrefKind::Table), (modern, XrefKind::Stream)] {
            let doc = open(&bytes).unwrap();
            assert_eq!(doc.revisions()[0].xref_kind, kind);
            let pages = doc.pages().unwrap();
            assert_eq!(pages.len(), 3);
            for (i, page) in pages.into_iter().enumerate() {
                let page = doc.get(page).unwrap().unwrap();
                let contents = page.as_dict().unwrap().get(b"Contents").unwrap();
                let Object::Stream(s) = doc.resolve(contents).unwrap() else {
                    panic!("contents is not a stream")
                };
                let text = doc.decode_stream(&s).unwrap();
                assert!(
                    text.windows(6).any(|w| w == format!("page {i}").as_bytes()),
                    "{}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn nothing_may_live_after_a_revisions_end() {
        // An older revision listing an object that only a later update wrote.
        let mut p = Pdf::new();
        p.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[]/Count 0>>");
        p.offsets.insert(3, 0);
        let xref = p.table(&[0, 1, 2, 3], "/Size 4/Root 1 0 R");
        let first_end = p.buf.len();
        p.obj(3, "<</Late true>>");
        let late = p.at(3);
        p.table(&[3], &format!("/Size 4/Root 1 0 R/Prev {xref}"));
        assert!(open(&p.buf).is_ok());
        let at = rfind(&p.buf[..first_end], b"0000000000 00000 n").unwrap();
        p.buf[at..at + 10].copy_from_slice(format!("{late:010}").as_bytes());
        assert_eq!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidXref("entry points beyond its revision's end")
        );

        // A forward /Prev into bytes after the final %%EOF.
        let mut p = classic();
        let end = p.buf.len() as u64;
        let pos = rfind(&p.buf, b"/Root 1 0 R").unwrap();
        p.buf
            .splice(pos..pos, format!("/Prev {:06}", end + 13).bytes());
        let shifted_end = p.buf.len() as u64;
        assert_eq!(shifted_end, end + 12);
        p.buf.push(b'\n');
        p.buf
            .extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<<>>\n");
        assert_eq!(
            pdf_kind(open(&p.buf)),
            PdfErrorKind::InvalidPrevChain("section lies beyond its revision's end")
        );
    }

    /// Everything observable about a document, for comparing the two read paths.
    fn observe<S: Source>(doc: &Document<S>) -> String {
        let mut out = format!("{:?} {:?}\n", doc.version(), doc.trailing_garbage());
        for (i, rev) in doc.revisions().iter().enumerate() {
            out.push_str(&format!("{i}: {rev:?} {:?}\n", doc.changed_objects(i)));
        }
        out.push_str(&format!("{:?}\n", doc.pages()));
        for (num, entry) in doc.entries() {
            let generation = match entry {
                XrefEntry::InUse { generation, .. } => generation,
                _ => 0,
            };
            let r = ObjRef::new(num, generation);
            out.push_str(&format!("{r}: {:?} {:?}\n", doc.get(r), doc.object_span(r)));
        }
        out
    }

    #[test]
    fn windowed_reads_agree_with_in_memory_reads() {
        use crate::pdf::source::tests::Opaque;
        let mut big = Pdf::new();
        big.obj(1, "<</Type/Catalog/Pages 2 0 R>>")
            .obj(2, "<</Type/Pages/Kids[]/Count 0>>");
        big.obj(3, &format!("<</Big ({})>>", "x".repeat(20_000)));
        big.stream(4, "/Length 30000", &[b'y'; 30_000]);
        for n in 5..3_000 {
            big.obj(n, "[1 2 0 R 3.25]");
        }
        let nums: Vec<u32> = (0..3_000).collect();
        big.table(&nums, "/Size 3000/Root 1 0 R");
        let mut modern = Vec::new();
        lopdf_document().save_modern(&mut modern).unwrap();
        let mut garbage = classic().buf;
        garbage.extend_from_slice(b"trailing");
        for bytes in [classic().buf, big.buf, modern, garbage] {
            let in_memory = observe(&open(&bytes).unwrap());
            let limits = Limits::default();
            let windowed = observe(&Document::open(Opaque(bytes), &limits).unwrap());
            assert_eq!(in_memory, windowed);
        }
    }

    #[test]
    fn truncated_windowed_input_fails_cleanly() {
        use crate::pdf::source::tests::Opaque;
        let base = classic().buf;
        for cut in 0..base.len() {
            let data = base[..cut].to_vec();
            let in_memory = open(&data).map(|d| observe(&d)).map_err(|e| e.to_string());
            let windowed = Document::open(Opaque(data), &Limits::default())
                .map(|d| observe(&d))
                .map_err(|e| e.to_string());
            assert_eq!(in_memory, windowed, "cut {cut}");
        }
    }
}
