//! The PDF object model (ISO 32000-1 §7.3), exact enough to round-trip what it parsed.
//!
//! Reals keep their original text and strings remember whether they were literal or hex, so
//! that an object copied from an earlier revision is written back byte-for-byte equivalent.

use std::fmt::Write as _;

/// A half-open byte range `[start, end)` of the input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u64,
    /// Offset one past the last byte.
    pub end: u64,
}

impl Span {
    /// Length in bytes.
    pub const fn len(self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span is empty.
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

/// An indirect reference `num gen R`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjRef {
    /// Object number.
    pub num: u32,
    /// Generation number.
    pub generation: u16,
}

impl ObjRef {
    /// The reference `num gen R`.
    pub const fn new(num: u32, generation: u16) -> Self {
        Self { num, generation }
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} R", self.num, self.generation)
    }
}

/// A name object, stored decoded (without the slash, `#xx` escapes resolved).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(pub Vec<u8>);

impl Name {
    /// A name from its decoded bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The decoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// How a string was (or will be) spelled in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringFormat {
    /// `<48656C6C6F>`
    Hex,
    /// `(Hello)`
    Literal,
}

/// A string object: decoded bytes, its spelling, and where it stood in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfString {
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// Literal or hex.
    pub format: StringFormat,
    /// Where the whole token (delimiters included) stood in the input, if parsed from one.
    pub span: Option<Span>,
}

impl PdfString {
    /// A literal string.
    pub fn literal(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            format: StringFormat::Literal,
            span: None,
        }
    }

    /// A hex string.
    pub fn hex(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            format: StringFormat::Hex,
            span: None,
        }
    }

    /// A text string (ISO 32000-1 §7.9.2.2): printable ASCII as a literal, anything else as
    /// UTF-16BE with a byte-order mark.
    ///
    /// ```
    /// use cloudsign_core::pdf::PdfString;
    /// assert_eq!(PdfString::text("Paris").bytes, b"Paris");
    /// assert_eq!(PdfString::text("Zürich").to_text(), "Zürich");
    /// ```
    pub fn text(text: &str) -> Self {
        if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
            return Self::literal(text.as_bytes().to_vec());
        }
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Self::hex(bytes)
    }

    /// Decodes a text string: UTF-16BE with BOM, UTF-8 with BOM, otherwise bytes as Latin-1
    /// (a close enough reading of PDFDocEncoding for display).
    pub fn to_text(&self) -> String {
        match self.bytes.as_slice() {
            [0xFE, 0xFF, rest @ ..] => {
                let units: Vec<u16> = rest
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
            bytes => bytes.iter().map(|&b| char::from(b)).collect(),
        }
    }
}

/// A real number, kept as the exact text it was written with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Real(String);

impl Real {
    /// A real from its textual form as found in a file. The caller (the lexer) has checked
    /// that it is a valid PDF real.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// A real with at most six decimals, written without exponent.
    pub fn from_f64(value: f64) -> Self {
        let mut s = format!("{value:.6}");
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
        if s == "-0" {
            s = "0".into();
        }
        Self(s)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numeric value (0.0 if the text is not a number, which the lexer never produces).
    pub fn value(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }
}

/// Structural equality that ignores where things stood in the input (spans), so that an
/// object can be compared across revisions.
pub fn same_object(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::String(x), Object::String(y)) => x.bytes == y.bytes,
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_object(p, q))
        }
        (Object::Dict(x), Object::Dict(y)) => same_dict(x, y),
        (Object::Stream(x), Object::Stream(y)) => same_dict(&x.dict, &y.dict) && x.data == y.data,
        (Object::Real(x), Object::Real(y)) => x == y || x.value() == y.value(),
        _ => a == b,
    }
}

/// [`same_object`] for dictionaries: same keys, same values, order ignored.
pub fn same_dict(a: &Dict, b: &Dict) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(k, v)| b.get(k.as_bytes()).is_some_and(|w| same_object(v, w)))
}

/// A dictionary: keys in their original order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Dict {
    entries: Vec<(Name, Object)>,
}

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key`, if present. Where a malformed dictionary repeats a key, the last
    /// one wins (as most readers do).
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k.0 == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present more than once (a sign of a crafted file).
    pub fn has_duplicate_keys(&self) -> bool {
        let mut keys: Vec<&[u8]> = self.entries.iter().map(|(k, _)| k.as_bytes()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }

    /// Sets `key` to `value`, replacing an existing entry in place or appending.
    pub fn set(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Object>) {
        let key = Name(key.into());
        let value = value.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }

    /// Appends an entry without looking for an existing one (used by the parser, which must
    /// keep duplicates to report them).
    pub fn push(&mut self, key: Name, value: Object) {
        self.entries.push((key, value));
    }

    /// Removes every entry for `key`, returning the last value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let mut removed = None;
        self.entries.retain_mut(|(k, v)| {
            if k.0 == key {
                removed = Some(std::mem::replace(v, Object::Null));
                false
            } else {
                true
            }
        });
        removed
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Object)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The values in order, mutably (keys stay fixed).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Object> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `/key` as a name.
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        self.get(key).and_then(Object::as_name)
    }

    /// `/key` as an integer.
    pub fn integer(&self, key: &[u8]) -> Option<i64> {
        self.get(key).and_then(Object::as_integer)
    }

    /// `/key` as a reference.
    pub fn reference(&self, key: &[u8]) -> Option<ObjRef> {
        self.get(key).and_then(Object::as_reference)
    }
}

/// A stream: its dictionary and its still-encoded data.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// The stream dictionary.
    pub dict: Dict,
    /// The raw (encoded) bytes between `stream` EOL and `endstream`.
    pub data: Vec<u8>,
    /// Where the raw data stood in the input, if parsed from one.
    pub data_span: Option<Span>,
}

/// Any PDF object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A real, exact text kept.
    Real(Real),
    /// A string.
    String(PdfString),
    /// A name.
    Name(Name),
    /// An array.
    Array(Vec<Self>),
    /// A dictionary.
    Dict(Dict),
    /// A stream (only as the direct value of an indirect object).
    Stream(Stream),
    /// An indirect reference.
    Reference(ObjRef),
}

impl Object {
    /// A name object.
    pub fn name(bytes: impl Into<Vec<u8>>) -> Self {
        Self::Name(Name(bytes.into()))
    }

    /// As a name, if it is one.
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Self::Name(n) => Some(n.as_bytes()),
            _ => None,
        }
    }

    /// As an integer, if it is one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// As a number (integer or real).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)] // PDF coordinates are far below 2^53
            Self::Integer(i) => Some(*i as f64),
            Self::Real(r) => Some(r.value()),
            _ => None,
        }
    }

    /// As a reference, if it is one.
    pub fn as_reference(&self) -> Option<ObjRef> {
        match self {
            Self::Reference(r) => Some(*r),
            _ => None,
        }
    }

    /// As a dictionary (a stream's dictionary counts).
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(d) => Some(d),
            Self::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// As an array.
    pub fn as_array(&self) -> Option<&[Self]> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }

    /// As a string.
    pub fn as_string(&self) -> Option<&PdfString> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// As a stream.
    pub fn as_stream(&self) -> Option<&Stream> {
        match self {
            Self::Stream(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the PDF serialisation of this object to `out`. Streams are written with their
    /// raw data and a `/Length` equal to it.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Bool(true) => out.extend_from_slice(b"true"),
            Self::Bool(false) => out.extend_from_slice(b"false"),
            Self::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Self::Real(r) => out.extend_from_slice(r.as_str().as_bytes()),
            Self::String(s) => write_string(s, out),
            Self::Name(n) => write_name(n, out),
            Self::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Self::Dict(d) => write_dict(d, out),
            Self::Stream(s) => {
                let mut dict = s.dict.clone();
                let len = i64::try_from(s.data.len()).unwrap_or(i64::MAX);
                dict.set(b"Length".to_vec(), Self::Integer(len));
                write_dict(&dict, out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(&s.data);
                out.extend_from_slice(b"\nendstream");
            }
            Self::Reference(r) => {
                out.extend_from_slice(format!("{} {} R", r.num, r.generation).as_bytes());
            }
        }
    }

    /// The serialisation as a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

impl From<bool> for Object {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<i64> for Object {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}

impl From<ObjRef> for Object {
    fn from(v: ObjRef) -> Self {
        Self::Reference(v)
    }
}

impl From<Dict> for Object {
    fn from(v: Dict) -> Self {
        Self::Dict(v)
    }
}

impl From<Name> for Object {
    fn from(v: Name) -> Self {
        Self::Name(v)
    }
}

impl From<PdfString> for Object {
    fn from(v: PdfString) -> Self {
        Self::String(v)
    }
}

impl From<Vec<Self>> for Object {
    fn from(v: Vec<Self>) -> Self {
        Self::Array(v)
    }
}

fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(k, out);
        out.push(b' ');
        v.write_to(out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(n: &Name, out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n.as_bytes() {
        let regular = b.is_ascii_graphic() && !is_delimiter(b) && b != b'#';
        if regular {
            out.push(b);
        } else {
            let mut s = String::new();
            let _ = write!(s, "#{b:02X}");
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn write_string(s: &PdfString, out: &mut Vec<u8>) {
    match s.format {
        StringFormat::Hex => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(&s.bytes).as_bytes());
            out.push(b'>');
        }
        StringFormat::Literal => {
            out.push(b'(');
            for &b in &s.bytes {
                match b {
                    b'(' | b')' | b'\\' => {
                        out.push(b'\\');
                        out.push(b);
                    }
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
            out.push(b')');
        }
    }
}

/// PDF delimiter characters (ISO 32000-1 §7.2.2, Table 2).
pub const fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// PDF white-space characters (ISO 32000-1 §7.2.2, Table 1).
pub const fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_nested_objects() {
        let mut d = Dict::new();
        d.set(b"Type".to_vec(), Object::name(b"Sig".to_vec()));
        d.set(
            b"N".to_vec(),
            Object::Array(vec![Object::Integer(1), Object::Real(Real::from_f64(0.5))]),
        );
        d.set(b"S".to_vec(), PdfString::literal(b"a(b)\\".to_vec()));
        d.set(b"H".to_vec(), PdfString::hex(vec![0xAB, 0x01]));
        d.set(b"A B".to_vec(), ObjRef::new(3, 0));
        assert_eq!(
            d.clone().into_object_bytes(),
            b"<</Type /Sig/N [1 0.5]/S (a\\(b\\)\\\\)/H <AB01>/A#20B 3 0 R>>".to_vec()
        );
    }

    #[test]
    fn real_from_f64_trims() {
        assert_eq!(Real::from_f64(12.0).as_str(), "12");
        assert_eq!(Real::from_f64(-0.25).as_str(), "-0.25");
        assert_eq!(Real::from_f64(-0.0000001).as_str(), "0");
    }

    impl Dict {
        fn into_object_bytes(self) -> Vec<u8> {
            Object::Dict(self).to_bytes()
        }
    }
}
