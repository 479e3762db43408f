//! A strict PDF layer with no knowledge of signatures: lexer, objects with byte spans, cross-
//! reference sections, the list of revisions, an append-only incremental writer, and the form
//! helpers that place a value into a signature field.

pub mod document;
pub mod dss;
mod error;
pub mod filter;
pub mod form;
#[doc(hidden)]
pub mod fuzzing;
mod lexer;
pub mod object;
mod parser;
pub mod source;
mod writer;
pub mod xref;

pub use document::{Document, Revision};
pub use error::{PdfError, PdfErrorKind};
pub use object::{Dict, Name, ObjRef, Object, PdfString, Real, Span, Stream, StringFormat};
pub use source::Source;
pub use writer::{IncrementalWriter, Placeholder, WrittenUpdate, XrefStyle, patch_placeholder};
pub use xref::{XrefEntry, XrefKind, XrefMap};
