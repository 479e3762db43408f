//! Errors of the PDF layer.

use super::object::ObjRef;

/// A PDF that cannot be read, or cannot be changed safely; `offset` is the byte position in the
/// input where the problem was found, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", .offset.map(|o| format!(" (at byte {o})")).unwrap_or_default())]
pub struct PdfError {
    /// What is wrong.
    pub kind: PdfErrorKind,
    /// Where in the input, if known.
    pub offset: Option<u64>,
}

impl PdfError {
    /// An error of `kind` at `offset`.
    pub const fn at(kind: PdfErrorKind, offset: u64) -> Self {
        Self {
            kind,
            offset: Some(offset),
        }
    }

    /// An error of `kind` with no position.
    pub const fn new(kind: PdfErrorKind) -> Self {
        Self { kind, offset: None }
    }
}

/// What is wrong with a PDF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfErrorKind {
    /// The input does not start with a `%PDF-` header.
    #[error("not a PDF file (no %PDF- header)")]
    NotPdf,
    /// The input ends in the middle of something.
    #[error("unexpected end of file")]
    UnexpectedEof,
    /// A token or object is malformed; the text says what was expected.
    #[error("syntax error: {0}")]
    Syntax(&'static str),
    /// No usable `startxref` / `%%EOF` at the end of the file.
    #[error("no valid startxref at the end of the file")]
    MissingStartxref,
    /// A cross-reference table or stream is malformed.
    #[error("invalid cross-reference section: {0}")]
    InvalidXref(&'static str),
    /// The `/Prev` chain loops or points outside the file.
    #[error("invalid /Prev chain: {0}")]
    InvalidPrevChain(&'static str),
    /// A referenced object is missing or not where the xref says.
    #[error("object {0} is missing or not at its cross-reference offset")]
    MissingObject(ObjRef),
    /// A chain of indirect references loops or is too long to follow.
    #[error("reference chain through {0} loops or is too long")]
    ReferenceLoop(ObjRef),
    /// An object has an unexpected type (e.g. a page that is not a dictionary).
    #[error("unexpected object type: {0}")]
    UnexpectedType(&'static str),
    /// A stream is malformed or its filter failed.
    #[error("invalid stream: {0}")]
    InvalidStream(&'static str),
    /// A stream filter this library does not decode.
    #[error("unsupported stream filter /{0}")]
    UnsupportedFilter(String),
    /// The document is encrypted; signing it would need decryption support.
    #[error("the document is encrypted, which is not supported")]
    Encrypted,
    /// The document is structurally valid but uses something not supported for signing.
    #[error("unsupported document: {0}")]
    Unsupported(&'static str),
    /// A signature field with this name exists and is already signed.
    #[error("signature field {0:?} is already signed")]
    FieldAlreadySigned(String),
    /// A field name that cannot be used (empty, or containing a period).
    #[error("invalid field name {0:?}")]
    InvalidFieldName(String),
    /// A field with this name exists but is not a signature field.
    #[error("field {0:?} exists and is not a signature field")]
    FieldNotSignature(String),
}
