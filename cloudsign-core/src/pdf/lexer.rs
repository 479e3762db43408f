//! A strict tokenizer over a window of the input (ISO 32000-1 §7.2, §7.3).
//!
//! The window may stop before the end of the file. A token that runs into the end of a window
//! that is not the end of the file is reported as [`PdfErrorKind::UnexpectedEof`], so that the
//! caller can retry with a larger window instead of accepting a truncated token.

use super::error::{PdfError, PdfErrorKind};
use super::object::{Name, PdfString, Span, StringFormat, is_delimiter, is_whitespace};

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token<'a> {
    Integer(i64),
    /// The exact text of a real.
    Real(&'a str),
    String(PdfString),
    Name(Name),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// A run of regular characters that is not a number: `true`, `obj`, `R`, …
    Keyword(&'a [u8]),
}

/// A cursor over `data`, which starts at absolute file offset `base`.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    /// Whether the end of `data` is the end of the file.
    complete: bool,
}

type LexResult<T> = Result<T, PdfError>;

impl<'a> Lexer<'a> {
    pub(crate) const fn new(data: &'a [u8], base: u64, complete: bool) -> Self {
        Self {
            data,
            pos: 0,
            base,
            complete,
        }
    }

    /// Absolute offset of the cursor.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// Whether the end of the window is the end of the file.
    pub(crate) const fn is_complete(&self) -> bool {
        self.complete
    }

    pub(crate) const fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) const fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn eof_error(&self) -> PdfError {
        PdfError::at(PdfErrorKind::UnexpectedEof, self.offset())
    }

    fn syntax(&self, what: &'static str) -> PdfError {
        PdfError::at(PdfErrorKind::Syntax(what), self.offset())
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips white space only (comments are significant, e.g. `%%EOF`).
    pub(crate) fn skip_plain_ws(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
    }

    /// Consumes one end-of-line marker (`\r\n`, `\n` or `\r`) if present.
    pub(crate) fn skip_eol(&mut self) -> bool {
        match self.peek() {
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
                true
            }
            Some(b'\n') => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Whether the rest starts with `word` followed by a delimiter, white space or the end of
    /// the file; consumes it if so.
    pub(crate) fn eat_keyword(&mut self, word: &[u8]) -> LexResult<bool> {
        let rest = self.rest();
        if rest.len() < word.len() {
            if !self.complete && word.starts_with(rest) {
                return Err(self.eof_error());
            }
            return Ok(false);
        }
        if &rest[..word.len()] != word {
            return Ok(false);
        }
        match rest.get(word.len()) {
            Some(&b) if !is_whitespace(b) && !is_delimiter(b) => Ok(false),
            None if !self.complete => Err(self.eof_error()),
            _ => {
                self.pos += word.len();
                Ok(true)
            }
        }
    }

    /// After an object number, consumes ` generation R` when it stands there in its plainest
    /// form (white space, at most five digits, white space, `R`, then a delimiter or white
    /// space) and returns the generation. Anything else (comments, signs, the end of the
    /// window) returns `None` without moving, for the general tokenizer to decide: this only
    /// spares page trees with thousands of `n 0 R` entries the full token machinery.
    pub(crate) fn plain_reference_tail(&mut self) -> Option<u16> {
        let rest = self.rest();
        let gen_start = rest
            .iter()
            .position(|&b| !is_whitespace(b))
            .filter(|&n| n > 0)?;
        let after_gen = rest.get(gen_start..)?;
        let digits = after_gen.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=5).contains(&digits) {
            return None;
        }
        let generation = after_gen
            .get(..digits)?
            .iter()
            .try_fold(0u32, |acc, &b| Some(acc * 10 + u32::from(b - b'0')))
            .and_then(|g| u16::try_from(g).ok())?;
        let after_digits = after_gen.get(digits..)?;
        let r_at = after_digits
            .iter()
            .position(|&b| !is_whitespace(b))
            .filter(|&n| n > 0)?;
        match after_digits.get(r_at..r_at + 2)? {
            [b'R', next] if is_whitespace(*next) || is_delimiter(*next) => {
                self.pos += gen_start + digits + r_at + 1;
                Some(generation)
            }
            _ => None,
        }
    }

    /// The next token, or `None` at the end of the (complete) input.
    pub(crate) fn next_token(&mut self) -> LexResult<Option<Token<'a>>> {
        self.skip_ws();
        let Some(b) = self.peek() else {
            return if self.complete {
                Ok(None)
            } else {
                Err(self.eof_error())
            };
        };
        let tok = match b {
            b'[' => {
                self.pos += 1;
                Token::ArrayOpen
            }
            b']' => {
                self.pos += 1;
                Token::ArrayClose
            }
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Token::DictOpen
                } else if self.pos + 1 >= self.data.len() && !self.complete {
                    return Err(self.eof_error());
                } else {
                    Token::String(self.hex_string()?)
                }
            }
            b'>' => {
                if self.data.get(self.pos + 1) == Some(&b'>') {
                    self.pos += 2;
                    Token::DictClose
                } else if self.pos + 1 >= self.data.len() && !self.complete {
                    return Err(self.eof_error());
                } else {
                    return Err(self.syntax("unexpected '>'"));
                }
            }
            b'(' => Token::String(self.literal_string()?),
            b'/' => Token::Name(self.name()?),
            b')' | b'{' | b'}' => return Err(self.syntax("unexpected delimiter")),
            _ => self.regular()?,
        };
        Ok(Some(tok))
    }

    /// The next token, treating the end of input as an error.
    pub(crate) fn expect_token(&mut self) -> LexResult<Token<'a>> {
        self.next_token()?.ok_or_else(|| self.eof_error())
    }

    /// A run of regular characters: a number or a keyword.
    fn regular(&mut self) -> LexResult<Token<'a>> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == self.data.len() && !self.complete {
            self.pos = start;
            return Err(self.eof_error());
        }
        let text = &self.data[start..self.pos];
        match classify_number(text) {
            NumberKind::Integer => parse_integer(text)
                .map(Token::Integer)
                .ok_or_else(|| self.syntax("integer out of range")),
            NumberKind::Real => {
                let s = std::str::from_utf8(text).map_err(|_| self.syntax("bad number"))?;
                Ok(Token::Real(s))
            }
            NumberKind::Malformed => Err(PdfError::at(
                PdfErrorKind::Syntax("malformed number"),
                self.base.saturating_add(start as u64),
            )),
            NumberKind::NotNumber => Ok(Token::Keyword(text)),
        }
    }

    fn name(&mut self) -> LexResult<Name> {
        self.pos += 1; // the slash
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            if b == b'#' {
                let (Some(h), Some(l)) = (
                    self.data.get(self.pos + 1).copied(),
                    self.data.get(self.pos + 2).copied(),
                ) else {
                    if self.complete {
                        return Err(self.syntax("truncated #xx in name"));
                    }
                    return Err(self.eof_error());
                };
                match (hex_value(h), hex_value(l)) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(self.syntax("bad #xx escape in name")),
                }
                self.pos += 3;
            } else {
                out.push(b);
                self.pos += 1;
            }
        }
        if self.pos == self.data.len() && !self.complete {
            return Err(self.eof_error());
        }
        Ok(Name(out))
    }

    fn hex_string(&mut self) -> LexResult<PdfString> {
        let start = self.offset();
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.eof_error());
            };
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if is_whitespace(b) {
                continue;
            }
            let Some(v) = hex_value(b) else {
                return Err(self.syntax("bad character in hex string"));
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        // An odd final digit is followed by an implied 0 (§7.3.4.3).
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(PdfString {
            bytes: out,
            format: StringFormat::Hex,
            span: Some(Span {
                start,
                end: self.offset(),
            }),
        })
    }

    fn literal_string(&mut self) -> LexResult<PdfString> {
        let start = self.offset();
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth: usize = 1;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.eof_error());
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => self.escape(&mut out)?,
                b'\r' => {
                    // An unescaped end of line of any kind reads as a single LF (§7.3.4.2).
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(b),
            }
        }
        Ok(PdfString {
            bytes: out,
            format: StringFormat::Literal,
            span: Some(Span {
                start,
                end: self.offset(),
            }),
        })
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> LexResult<()> {
        let Some(b) = self.peek() else {
            return Err(self.eof_error());
        };
        self.pos += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0C),
            b'(' | b')' | b'\\' => out.push(b),
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                // High-order overflow is ignored (§7.3.4.2).
                out.push((value & 0xFF) as u8);
            }
            // An unknown escape is the character itself; the backslash is ignored.
            _ => out.push(b),
        }
        Ok(())
    }
}

enum NumberKind {
    Integer,
    Real,
    Malformed,
    NotNumber,
}

/// PDF numbers: `[+-]?digits` or `[+-]?digits?.digits?` with at least one digit. Anything
/// that starts like a number but is not one is malformed rather than a keyword, so that
/// `1.2.3` or `--4` are rejected instead of silently read differently from other readers.
/// The value of an optional sign and ASCII digits (as [`classify_number`] found them), or
/// `None` when it does not fit an `i64`.
fn parse_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    // Accumulating downwards reaches i64::MIN, whose magnitude i64::MAX cannot hold.
    let magnitude = digits.iter().try_fold(0i64, |acc, &b| {
        acc.checked_mul(10)?
            .checked_sub(i64::from(b.wrapping_sub(b'0')))
    })?;
    if negative {
        Some(magnitude)
    } else {
        magnitude.checked_neg()
    }
}

fn classify_number(text: &[u8]) -> NumberKind {
    let Some(&first) = text.first() else {
        return NumberKind::NotNumber;
    };
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return NumberKind::NotNumber;
    }
    let body = if matches!(first, b'+' | b'-') {
        &text[1..]
    } else {
        text
    };
    let mut digits = 0usize;
    let mut dots = 0usize;
    for &b in body {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return NumberKind::Malformed,
        }
    }
    match (digits, dots) {
        (0, _) => NumberKind::Malformed,
        (_, 0) => NumberKind::Integer,
        (_, 1) => NumberKind::Real,
        _ => NumberKind::Malformed,
    }
}

pub(crate) const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &[u8]) -> Vec<Token<'_>> {
        let mut lx = Lexer::new(src, 0, true);
        let mut out = Vec::new();
        while let Some(t) = lx.next_token().unwrap() {
            out.push(t);
        }
        out
    }

    fn string(src: &[u8]) -> Vec<u8> {
        match tokens(src).remove(0) {
            Token::String(s) => s.bytes,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn numbers_and_keywords() {
        assert_eq!(
            tokens(b"12 -3 +4 0.5 -.25 4. true R"),
            vec![
                Token::Integer(12),
                Token::Integer(-3),
                Token::Integer(4),
                Token::Real("0.5"),
                Token::Real("-.25"),
                Token::Real("4."),
                Token::Keyword(b"true"),
                Token::Keyword(b"R"),
            ]
        );
        for bad in [&b"1.2.3"[..], b"--4", b"-", b"99999999999999999999", b"12a"] {
            let mut lx = Lexer::new(bad, 0, true);
            assert!(lx.next_token().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn literal_strings() {
        assert_eq!(string(b"(a(b)c)"), b"a(b)c");
        assert_eq!(
            string(b"(\\n\\r\\t\\b\\f\\(\\)\\\\)"),
            b"\n\r\t\x08\x0C()\\"
        );
        assert_eq!(string(b"(\\101\\7\\0531)"), b"A\x07+1");
        assert_eq!(string(b"(\\501)"), b"A");
        assert_eq!(string(b"(a\\\r\nb\\\nc)"), b"abc");
        assert_eq!(string(b"(a\r\nb\rc)"), b"a\nb\nc");
        assert_eq!(string(b"(\\q)"), b"q");
    }

    #[test]
    fn hex_strings_and_names() {
        assert_eq!(string(b"<48 65 6c6C6F>"), b"Hello");
        assert_eq!(string(b"<901FA>"), [0x90, 0x1F, 0xA0]);
        assert_eq!(
            tokens(b"/A#20B/C/"),
            vec![
                Token::Name(Name::new(*b"A B")),
                Token::Name(Name::new(*b"C")),
                Token::Name(Name::new(Vec::new()))
            ]
        );
        assert!(Lexer::new(b"<12G>", 0, true).next_token().is_err());
        assert!(Lexer::new(b"/A#4", 0, true).next_token().is_err());
    }

    #[test]
    fn spans_are_absolute() {
        let mut lx = Lexer::new(b"  (ab) <00>", 100, true);
        let Some(Token::String(s)) = lx.next_token().unwrap() else {
            panic!()
        };
        assert_eq!(
            s.span,
            Some(Span {
                start: 102,
                end: 106
            })
        );
        let Some(Token::String(s)) = lx.next_token().unwrap() else {
            panic!()
        };
        assert_eq!(
            s.span,
            Some(Span {
                start: 107,
                end: 111
            })
        );
    }

    #[test]
    fn window_end_is_eof_not_a_short_token() {
        for src in [
            &b"endo"[..],
            b"12",
            b"(abc",
            b"<ab",
            b"/Nam",
            b"<",
            b"% comment",
        ] {
            let err = Lexer::new(src, 0, false).next_token().unwrap_err();
            assert_eq!(err.kind, PdfErrorKind::UnexpectedEof, "{src:?}");
        }
        assert_eq!(
            Lexer::new(b"12", 0, true).next_token().unwrap(),
            Some(Token::Integer(12))
        );
    }

    #[test]
    fn integers_at_the_limits() {
        assert_eq!(parse_integer(b"0"), Some(0));
        assert_eq!(parse_integer(b"+17"), Some(17));
        assert_eq!(parse_integer(b"-0042"), Some(-42));
        assert_eq!(parse_integer(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_integer(b"9223372036854775808"), None);
        assert_eq!(parse_integer(b"-9223372036854775809"), None);
        assert_eq!(parse_integer(b"99999999999999999999999"), None);
    }

    #[test]
    fn plain_reference_tails() {
        let tail = |src: &[u8], complete| {
            let mut lx = Lexer::new(src, 0, complete);
            let generation = lx.plain_reference_tail();
            (generation, lx.pos())
        };
        assert_eq!(tail(b" 0 R ", true), (Some(0), 4));
        assert_eq!(tail(b"\n12\r\nR]", true), (Some(12), 6));
        assert_eq!(tail(b" 65535 R/", true), (Some(65535), 8));
        // Left to the general tokenizer: not a plain reference, or not decidable here.
        for src in [
            &b" 65536 R "[..],
            b" 123456 R ",
            b" 0 R",
            b" 0 Rx",
            b" 0 obj",
            b"0 R ",
            b" 0R ",
            b" +0 R ",
            b" 0 %c\nR ",
            b" ",
        ] {
            assert_eq!(
                tail(src, false),
                (None, 0),
                "{:?}",
                String::from_utf8_lossy(src)
            );
        }
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            tokens(b"% hi\n1 %x\r2"),
            vec![Token::Integer(1), Token::Integer(2)]
        );
    }
}
