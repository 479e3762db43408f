//! Validation of signed PDFs into a [`ValidationReport`].
//!
//! Verdicts are not errors: a broken, untrusted or modified signature yields a report whose
//! indication says so. `Err` means no report could be formed (not a PDF, a limit hit, I/O).

mod diff;
mod report;
mod signature;
mod timestamp;

use std::fs::File;
use std::path::Path;

pub use report::{
    CertificateSummary, Coverage, Indication, Integrity, ModificationLevel, Modifications,
    REPORT_SCHEMA_VERSION, SignatureKind, SignatureReport, SubIndication, TimestampReport,
    ValidationReport,
};

use crate::error::Result;
use crate::limits::{LimitExceeded, Limits};
use crate::pdf::{Document, Source, form};
use crate::time::UnixTime;
use crate::x509::TrustStore;

/// Validates PDF signatures against a trust store.
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use cloudsign_core::{PdfSigner, Validator};
/// use cloudsign_core::testkit::{TestPki, samples};
/// use cloudsign_core::x509::TrustStore;
/// let pki = TestPki::generate()?;
/// let signed = PdfSigner::new(&pki.signer_rsa.signer()?).sign(&samples::contract_pdf())?;
///
/// let mut trust = TrustStore::new();
/// trust.add(pki.root.certificate.clone());
/// let report = Validator::new(trust).validate_pdf(&signed)?;
/// assert!(report.passed());
/// assert_eq!(report.signatures[0].level.as_deref(), Some("B-B"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Validator {
    trust: TrustStore,
    tsa_trust: Option<TrustStore>,
    at: Option<UnixTime>,
    limits: Limits,
}

impl Validator {
    /// A validator that trusts the anchors in `trust`, validating at the current time.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            tsa_trust: None,
            at: None,
            limits: Limits::default(),
        }
    }

    /// Trust anchors for timestamp authorities (default: the signers' trust store).
    #[must_use]
    pub fn tsa_trust(mut self, trust: TrustStore) -> Self {
        self.tsa_trust = Some(trust);
        self
    }

    /// Validate as of `time` instead of now.
    #[must_use]
    pub fn at_time(mut self, time: UnixTime) -> Self {
        self.at = Some(time);
        self
    }

    /// Resource limits for reading the input.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Validates a document in memory.
    ///
    /// # Errors
    /// When no report can be formed: not a PDF, unreadable structure, a limit.
    pub fn validate_pdf(&self, pdf: &[u8]) -> Result<ValidationReport> {
        self.validate_source(pdf)
    }

    /// Validates the file at `path`, reading only what it needs (memory does not grow with
    /// the file).
    ///
    /// # Errors
    /// As [`Validator::validate_pdf`], plus I/O.
    pub fn validate_file(&self, path: &Path) -> Result<ValidationReport> {
        self.validate_source(File::open(path)?)
    }

    /// Validates a document from any [`Source`].
    ///
    /// # Errors
    /// As [`Validator::validate_pdf`].
    pub fn validate_source<S: Source>(&self, source: S) -> Result<ValidationReport> {
        let doc = Document::open(source, &self.limits)?;
        let at = self.at.unwrap_or_else(UnixTime::now);
        let mut findings = Vec::new();
        if let Some(span) = doc.trailing_garbage() {
            findings.push(format!(
                "{} bytes follow the last %%EOF (offset {}); they are not covered by any revision",
                span.len(),
                span.start
            ));
        }
        let fields: Vec<_> = form::fields(&doc)?
            .into_iter()
            .filter(form::FieldInfo::is_signature)
            .collect();
        let signed: Vec<_> = fields
            .iter()
            .filter_map(|f| f.value_ref().map(|v| (f.name.clone(), v)))
            .collect();
        if signed.len() > self.limits.max_signatures {
            return Err(LimitExceeded::Signatures {
                limit: self.limits.max_signatures,
            }
            .into());
        }
        if signed.is_empty() {
            findings.push("the document has no signatures".to_owned());
        }
        let context = signature::Context {
            doc: &doc,
            trust: &self.trust,
            tsa_trust: self.tsa_trust.as_ref().unwrap_or(&self.trust),
            at,
            limits: &self.limits,
        };
        let signatures = signed
            .iter()
            .map(|(name, sig_ref)| context.check(name, *sig_ref))
            .collect::<Result<Vec<_>>>()?;
        Ok(ValidationReport {
            schema_version: REPORT_SCHEMA_VERSION,
            file_size: doc.len(),
            revisions: doc.revisions().len(),
            signatures,
            findings,
        })
    }
}
