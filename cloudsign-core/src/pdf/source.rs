//! Random-access input, so that large files are read piecewise instead of loaded whole.

use std::sync::Arc;

use super::error::{PdfError, PdfErrorKind};
use super::lexer::Lexer;
use super::object::Span;
use super::parser::parse_stream_end;
use crate::error::{Error, Result};

/// Bytes that can be read at any offset.
///
/// Reading past the end is an error: the PDF layer never relies on short reads.
pub trait Source: Send + Sync + std::fmt::Debug {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Whether the source is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes starting at `offset`.
    ///
    /// # Errors
    ///
    /// [`std::io::ErrorKind::UnexpectedEof`] if the range extends past the end, or any I/O
    /// error of the underlying storage.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;

    /// The whole input, when it is already in memory, so that parsing can skip copying.
    fn as_bytes(&self) -> Option<&[u8]> {
        None
    }
}

fn read_slice(data: &[u8], offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    let src = usize::try_from(offset)
        .ok()
        .and_then(|start| Some(start..start.checked_add(buf.len())?))
        .and_then(|range| data.get(range))
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
    buf.copy_from_slice(src);
    Ok(())
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        read_slice(self, offset, buf)
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        read_slice(self, offset, buf)
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// Sources behind a reference or a pointer read as what they point to.
macro_rules! forward_source {
    ($($pointer:ty),*) => {$(
        impl<T: Source + ?Sized> Source for $pointer {
            fn len(&self) -> u64 {
                (**self).len()
            }

            fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
                (**self).read_at(offset, buf)
            }

            fn as_bytes(&self) -> Option<&[u8]> {
                (**self).as_bytes()
            }
        }
    )*};
}

forward_source!(&T, Arc<T>, Box<T>);

/// A file, read with positioned reads; its length is taken once, when the document is opened
/// (a file that changes underneath a document is not supported).
#[cfg(unix)]
impl Source for std::fs::File {
    fn len(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

/// Reads `[start, end)`, which must lie within `len`.
pub(crate) fn read_range<S: Source + ?Sized>(
    src: &S,
    len: u64,
    start: u64,
    end: u64,
) -> Result<Vec<u8>> {
    if start > end || end > len {
        return Err(PdfError::at(PdfErrorKind::UnexpectedEof, start.min(len)).into());
    }
    let n = usize::try_from(end - start)
        .map_err(|_| PdfError::at(PdfErrorKind::Unsupported("range too large"), start))?;
    let mut buf = vec![0; n];
    src.read_at(start, &mut buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            PdfError::at(PdfErrorKind::UnexpectedEof, start).into()
        } else {
            Error::Io(e)
        }
    })?;
    Ok(buf)
}

const FIRST_WINDOW: u64 = 4096;

/// Runs `parse` over a window starting at `offset`, growing the window eightfold up to the
/// end of the file while the parse stops for want of bytes. Each retry parses from the start,
/// so a steep growth keeps a large object (a page tree's `/Kids` of thousands of entries) to
/// two or three parses; bytes read stay within eight times what the parse needed.
pub(crate) fn with_window<S: Source + ?Sized, T>(
    src: &S,
    len: u64,
    offset: u64,
    mut parse: impl FnMut(&mut Lexer<'_>) -> Result<T>,
) -> Result<T> {
    if offset >= len {
        return Err(PdfError::at(PdfErrorKind::UnexpectedEof, offset).into());
    }
    if let Some(rest) = src
        .as_bytes()
        .and_then(|all| all.get(usize::try_from(offset).ok()?..usize::try_from(len).ok()?))
    {
        return parse(&mut Lexer::new(rest, offset, true));
    }
    let mut size = FIRST_WINDOW;
    loop {
        let end = offset.saturating_add(size).min(len);
        let buf = read_range(src, len, offset, end)?;
        let complete = end == len;
        match parse(&mut Lexer::new(&buf, offset, complete)) {
            Err(Error::Pdf(e)) if e.kind == PdfErrorKind::UnexpectedEof && !complete => {
                // The error's offset may say how far the parse needs to see; honour it, with
                // some slack for what follows, but never grow by less than eightfold.
                let hinted = e
                    .offset
                    .map_or(0, |o| o.saturating_sub(offset).saturating_add(FIRST_WINDOW));
                size = size.saturating_mul(8).max(hinted);
            }
            other => return other,
        }
    }
}

/// Reads the `length` bytes of stream data at `data_start` and checks that an optional EOL,
/// `endstream` and `endobj` follow. Returns the data, its span and the offset past `endobj`.
pub(crate) fn read_stream_body<S: Source + ?Sized>(
    src: &S,
    len: u64,
    data_start: u64,
    length: i64,
) -> Result<(Vec<u8>, Span, u64)> {
    let past_end = || {
        PdfError::at(
            PdfErrorKind::InvalidStream("/Length runs past the end of the file"),
            data_start,
        )
    };
    let length = u64::try_from(length).map_err(|_| past_end())?;
    let data_end = data_start
        .checked_add(length)
        .filter(|&e| e <= len)
        .ok_or_else(past_end)?;
    let data = read_range(src, len, data_start, data_end)?;
    let end = with_window(src, len, data_end, parse_stream_end)?;
    Ok((
        data,
        Span {
            start: data_start,
            end: data_end,
        },
        end,
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write as _;

    /// In-memory bytes that hide [`Source::as_bytes`], to exercise the windowed path.
    #[derive(Debug)]
    pub(crate) struct Opaque(pub(crate) Vec<u8>);

    impl Source for Opaque {
        fn len(&self) -> u64 {
            self.0.len() as u64
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
            read_slice(&self.0, offset, buf)
        }
    }

    #[test]
    fn slices_and_files_read_exactly() {
        let data = b"hello world".to_vec();
        let mut buf = [0u8; 5];
        data.read_at(6, &mut buf).unwrap();
        assert_eq!(&buf, b"world");
        assert!(data.read_at(7, &mut buf).is_err());
        assert!(data.read_at(u64::MAX, &mut buf).is_err());

        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        assert_eq!(Source::len(&f), 11);
        f.read_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        assert!(f.read_at(8, &mut buf).is_err());
        let shared: Arc<[u8]> = Arc::from(&data[..]);
        assert_eq!(Source::len(&shared), 11);
    }

    #[test]
    fn window_grows_until_the_parse_completes() {
        let mut data = vec![b' '; 10_000];
        data.extend_from_slice(b"(x)");
        let is_string = |lx: &mut Lexer<'_>| -> Result<bool> {
            Ok(matches!(
                lx.expect_token()?,
                crate::pdf::lexer::Token::String(_)
            ))
        };
        let len = data.len() as u64;
        assert!(with_window(&data, len, 0, is_string).unwrap());
        assert!(with_window(&data, len, 20_000, is_string).is_err());
        let opaque = Opaque(data);
        assert!(with_window(&opaque, len, 0, is_string).unwrap());
        assert!(with_window(&opaque, len, 20_000, is_string).is_err());
        assert!(with_window(&opaque, len, len - 1, is_string).is_err());
    }
}
