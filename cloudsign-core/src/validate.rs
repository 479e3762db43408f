//! Validation of signed PDFs into a structured report.

/// Validates PDFs.
#[derive(Debug)]
pub struct Validator;
/// The result of validating a PDF.
#[derive(Debug)]
pub struct ValidationReport;
