//! The object parser: tokens to [`Object`]s, with an explicit stack instead of recursion so
//! that hostile nesting costs a bounded amount of memory and no stack.

use super::error::{PdfError, PdfErrorKind};
use super::lexer::{Lexer, Token};
use super::object::{Dict, Name, ObjRef, Object, Real};
use crate::error::{Error, Result};
use crate::limits::LimitExceeded;

/// An indirect object as found at the start of a window.
#[derive(Debug)]
pub(crate) enum Indirect {
    /// `n g obj <object> endobj`; `end` is just past `endobj`.
    Object {
        id: ObjRef,
        object: Object,
        end: u64,
    },
    /// `n g obj <<dict>> stream EOL`: the data starts at `data_start`, and its length is the
    /// document's to resolve.
    StreamStart {
        id: ObjRef,
        dict: Dict,
        data_start: u64,
    },
}

enum Frame {
    Array(Vec<Object>),
    Dict(Dict, Option<Name>),
}

/// Parses one direct object at the cursor.
pub(crate) fn parse_object(lx: &mut Lexer<'_>, max_depth: usize) -> Result<Object> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let start = lx.offset();
        let tok = lx.expect_token()?;
        let value = match tok {
            Token::ArrayOpen | Token::DictOpen => {
                if stack.len() >= max_depth {
                    return Err(LimitExceeded::NestingDepth { limit: max_depth }.into());
                }
                stack.push(if tok == Token::ArrayOpen {
                    Frame::Array(Vec::new())
                } else {
                    Frame::Dict(Dict::new(), None)
                });
                continue;
            }
            Token::ArrayClose => match stack.pop() {
                Some(Frame::Array(items)) => Object::Array(items),
                _ => return Err(syntax("unexpected ']'", start)),
            },
            Token::DictClose => match stack.pop() {
                Some(Frame::Dict(d, None)) => Object::Dict(d),
                Some(Frame::Dict(_, Some(_))) => {
                    return Err(syntax("dictionary key without value", start));
                }
                _ => return Err(syntax("unexpected '>>'", start)),
            },
            Token::Integer(i) => integer_or_reference(lx, i)?,
            Token::Real(text) => Object::Real(Real::from_text(text)),
            Token::String(s) => Object::String(s),
            Token::Name(n) => {
                if let Some(Frame::Dict(_, key @ None)) = stack.last_mut() {
                    *key = Some(n);
                    continue;
                }
                Object::Name(n)
            }
            Token::Keyword(b"true") => Object::Bool(true),
            Token::Keyword(b"false") => Object::Bool(false),
            Token::Keyword(b"null") => Object::Null,
            Token::Keyword(_) => return Err(syntax("unexpected keyword", start)),
        };
        match stack.last_mut() {
            None => return Ok(value),
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Dict(d, key)) => match key.take() {
                Some(k) => d.push(k, value),
                None => return Err(syntax("dictionary key is not a name", start)),
            },
        }
    }
}

/// After an integer, looks ahead for `g R`; restores the cursor if it is not a reference.
fn integer_or_reference(lx: &mut Lexer<'_>, num: i64) -> Result<Object> {
    if let Ok(num) = u32::try_from(num) {
        if let Some(generation) = lx.plain_reference_tail() {
            return Ok(Object::Reference(ObjRef::new(num, generation)));
        }
    }
    let save = lx.pos();
    if let (Ok(num), Some(Token::Integer(g))) = (u32::try_from(num), lx.next_token()?) {
        if let Ok(generation) = u16::try_from(g) {
            if let Some(Token::Keyword(b"R")) = lx.next_token()? {
                return Ok(Object::Reference(ObjRef::new(num, generation)));
            }
        }
    }
    lx.set_pos(save);
    Ok(Object::Integer(num))
}

/// Parses `n g obj` at the cursor.
pub(crate) fn parse_object_header(lx: &mut Lexer<'_>) -> Result<ObjRef> {
    let start = lx.offset();
    let bad = || syntax("expected 'n g obj'", start);
    let Token::Integer(num) = lx.expect_token()? else {
        return Err(bad());
    };
    let Token::Integer(generation) = lx.expect_token()? else {
        return Err(bad());
    };
    if !lx.eat_keyword_after_ws(b"obj")? {
        return Err(bad());
    }
    match (u32::try_from(num), u16::try_from(generation)) {
        (Ok(num), Ok(generation)) => Ok(ObjRef::new(num, generation)),
        _ => Err(bad()),
    }
}

/// Parses an indirect object starting exactly at the cursor.
pub(crate) fn parse_indirect(lx: &mut Lexer<'_>, max_depth: usize) -> Result<Indirect> {
    let id = parse_object_header(lx)?;
    let object = parse_object(lx, max_depth)?;
    lx.skip_ws();
    if lx.eat_keyword(b"endobj")? {
        return Ok(Indirect::Object {
            id,
            object,
            end: lx.offset(),
        });
    }
    if lx.eat_keyword(b"stream")? {
        let Object::Dict(dict) = object else {
            return Err(syntax("stream without a dictionary", lx.offset()));
        };
        // `stream` is followed by CRLF or LF, never CR alone (§7.3.8.1).
        match lx.rest() {
            [b'\r', b'\n', ..] => lx.set_pos(lx.pos() + 2),
            [b'\n', ..] => lx.set_pos(lx.pos() + 1),
            [] | [b'\r'] => return Err(lx.eof_error().into()),
            _ => {
                return Err(syntax(
                    "'stream' not followed by an end of line",
                    lx.offset(),
                ));
            }
        }
        return Ok(Indirect::StreamStart {
            id,
            dict,
            data_start: lx.offset(),
        });
    }
    Err(syntax("expected 'endobj' or 'stream'", lx.offset()))
}

/// Checks what follows stream data: an optional EOL, `endstream`, then `endobj`. Returns the
/// offset just past `endobj`.
pub(crate) fn parse_stream_end(lx: &mut Lexer<'_>) -> Result<u64> {
    lx.skip_eol();
    if !lx.eat_keyword(b"endstream")? {
        return Err(syntax(
            "stream data not followed by 'endstream'",
            lx.offset(),
        ));
    }
    lx.skip_ws();
    if !lx.eat_keyword(b"endobj")? {
        return Err(syntax("expected 'endobj' after 'endstream'", lx.offset()));
    }
    Ok(lx.offset())
}

fn syntax(what: &'static str, offset: u64) -> Error {
    PdfError::at(PdfErrorKind::Syntax(what), offset).into()
}

impl Lexer<'_> {
    /// Skips white space and comments, then [`Lexer::eat_keyword`].
    pub(crate) fn eat_keyword_after_ws(&mut self, word: &[u8]) -> Result<bool, PdfError> {
        self.skip_ws();
        if self.rest().is_empty() {
            return Err(self.eof_error());
        }
        self.eat_keyword(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::{PdfString, Span, StringFormat};

    fn obj(src: &[u8]) -> Object {
        parse_object(&mut Lexer::new(src, 0, true), 64).unwrap()
    }

    #[test]
    fn nested_objects_and_references() {
        let o = obj(b"<</A [1 2 0 R 3.50 (x) <41>] /B << /C null /D true >> /E 5 0 R /F 7>>");
        let d = o.as_dict().unwrap();
        let a = d.get(b"A").unwrap().as_array().unwrap();
        assert_eq!(a[0], Object::Integer(1));
        assert_eq!(a[1], Object::Reference(ObjRef::new(2, 0)));
        assert_eq!(a[2], Object::Real(Real::from_text("3.50")));
        assert_eq!(a[4].as_string().unwrap().format, StringFormat::Hex);
        assert_eq!(d.reference(b"E"), Some(ObjRef::new(5, 0)));
        assert_eq!(d.integer(b"F"), Some(7));
        assert_eq!(
            d.get(b"B").unwrap().as_dict().unwrap().get(b"D"),
            Some(&Object::Bool(true))
        );
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let o = obj(b"<</A 1 /A 2>>");
        let d = o.as_dict().unwrap();
        assert!(d.has_duplicate_keys());
        assert_eq!(d.integer(b"A"), Some(2));
    }

    #[test]
    fn malformed_objects_are_errors() {
        for src in [
            &b"<</A>>"[..],
            b"<<1 2>>",
            b"[1 2",
            b"]",
            b">>",
            b"<</A 1]",
            b"foo",
            b"{",
            b"<</A (unterminated>>",
        ] {
            assert!(
                parse_object(&mut Lexer::new(src, 0, true), 64).is_err(),
                "{src:?}"
            );
        }
    }

    #[test]
    fn nesting_is_limited_without_recursion() {
        let deep = vec![b'['; 1_000_000];
        let err = parse_object(&mut Lexer::new(&deep, 0, true), 64).unwrap_err();
        assert!(matches!(
            err,
            Error::Limit(LimitExceeded::NestingDepth { limit: 64 })
        ));
        let ok = b"[[[[1]]]]";
        assert!(parse_object(&mut Lexer::new(ok, 0, true), 4).is_ok());
        assert!(parse_object(&mut Lexer::new(ok, 0, true), 3).is_err());
    }

    #[test]
    fn indirect_objects_and_streams() {
        let src = b"12 0 obj\n<</S (ab)>>\nendobj\n";
        let mut lx = Lexer::new(src, 1000, true);
        let Indirect::Object { id, object, end } = parse_indirect(&mut lx, 64).unwrap() else {
            panic!()
        };
        assert_eq!(id, ObjRef::new(12, 0));
        assert_eq!(end, 1000 + 27);
        let s: &PdfString = object
            .as_dict()
            .unwrap()
            .get(b"S")
            .unwrap()
            .as_string()
            .unwrap();
        assert_eq!(
            s.span,
            Some(Span {
                start: 1014,
                end: 1018
            })
        );

        let src = b"3 1 obj <</Length 3>> stream\r\nabc\nendstream endobj";
        let mut lx = Lexer::new(src, 0, true);
        let Indirect::StreamStart { id, data_start, .. } = parse_indirect(&mut lx, 64).unwrap()
        else {
            panic!()
        };
        assert_eq!(id, ObjRef::new(3, 1));
        assert_eq!(data_start, 30);
        let mut tail = Lexer::new(&src[33..], 33, true);
        assert_eq!(parse_stream_end(&mut tail).unwrap(), src.len() as u64);

        for bad in [
            &b"3 0 obj <<>> stream\rabc"[..],
            b"3 0 obj 1",
            b"3 0 obj 1 endobjx",
            b"3 obj 1 endobj",
            b"3 0 R",
            b"[1] stream\n",
            b"3 0 obj [1] stream\n",
        ] {
            assert!(
                parse_indirect(&mut Lexer::new(bad, 0, true), 64).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn truncated_window_asks_for_more() {
        let src = b"12 0 obj\n<</S (ab)>>\nendobj\n";
        for cut in 1..src.len() - 1 {
            let err = parse_indirect(&mut Lexer::new(&src[..cut], 0, false), 64).unwrap_err();
            assert!(
                matches!(&err, Error::Pdf(e) if e.kind == PdfErrorKind::UnexpectedEof),
                "cut {cut}: {err:?}"
            );
        }
    }
}
