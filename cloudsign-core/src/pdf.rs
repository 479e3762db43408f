//! A strict PDF layer with no knowledge of signatures: lexer, objects with byte spans, cross-
//! reference sections, the list of revisions, and an append-only incremental writer.

pub mod document;
mod error;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
mod lexer;
pub mod object;
mod parser;
pub mod source;
pub mod xref;

pub use document::{Document, Revision};
pub use error::{PdfError, PdfErrorKind};
pub use object::{Dict, Name, ObjRef, Object, PdfString, Real, Span, Stream, StringFormat};
pub use source::Source;
pub use xref::{XrefEntry, XrefKind};
