//! A strict PDF layer with no knowledge of signatures: lexer, objects with byte spans, cross-
//! reference sections, the list of revisions, and an append-only incremental writer.

mod error;
pub mod object;

pub use error::{PdfError, PdfErrorKind};
pub use object::{Dict, Name, ObjRef, Object, PdfString, Real, Span, Stream, StringFormat};
mod writer;

pub use writer::{IncrementalWriter, Placeholder, WrittenUpdate, XrefStyle, patch_placeholder};
