//! Validation of signed PDFs into a [`ValidationReport`].
//!
//! Verdicts are not errors: a broken, untrusted or modified signature yields a report whose
//! indication says so. `Err` means no report could be formed (not a PDF, a limit hit, I/O).

mod diff;
mod report;
mod revocation;
mod signature;
mod timestamp;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

pub use report::{
    CertificateSummary, Coverage, Indication, Integrity, ModificationLevel, Modifications,
    REPORT_SCHEMA_VERSION, RevocationCheck, SignatureKind, SignatureReport, SubIndication,
    TimestampReport, ValidationReport,
};

use crate::crypto::DigestAlgorithm;
use crate::error::Result;
use crate::limits::{LimitExceeded, Limits};
use crate::pades::{PrefixHasher, with_prefix_hashing};
use crate::pdf::{Document, Object, Source, dss, form};
use crate::revocation::{RevocationSource, RevocationStatus};
use crate::time::{TimeProvider, UnixTime};
use crate::x509::{Certificate, TrustStore};

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
    fetch: Option<Arc<dyn RevocationSource>>,
}

impl Validator {
    /// A validator that trusts the anchors in `trust`, validating at the current time.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            tsa_trust: None,
            at: None,
            limits: Limits::default(),
            fetch: None,
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

    /// Validate as of the time `clock` gives (a fixed clock validates "in the future").
    #[must_use]
    pub fn clock(self, clock: &dyn TimeProvider) -> Self {
        self.at_time(clock.now())
    }

    /// Resource limits for reading the input.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Fetch revocation data the document does not hold from `source`. Without one (the
    /// default) validation is offline: it uses the document's DSS alone, and a certificate
    /// whose status cannot be shown makes the result indeterminate.
    #[must_use]
    pub fn revocation_source(mut self, source: Arc<dyn RevocationSource>) -> Self {
        self.fetch = Some(source);
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
        // Nearly every signature digests with SHA-256: the leading bytes are hashed with it
        // while the document is read; a signature with another digest is hashed from the start.
        with_prefix_hashing(&source, DigestAlgorithm::Sha256, |prefix| {
            self.validate_opened(&source, prefix)
        })
    }

    fn validate_opened<S: Source + ?Sized>(
        &self,
        source: &S,
        prefix: Option<&PrefixHasher>,
    ) -> Result<ValidationReport> {
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
        let stored = dss::read(&doc)?;
        let store = revocation::Store {
            certificates: stored
                .data
                .certificates
                .iter()
                .filter_map(|der| Certificate::from_der(der).ok())
                .collect(),
            ocsp: stored.data.ocsp_responses,
            crls: stored.data.crls,
        };
        // Newest first: a valid document timestamp proves when everything before it
        // existed, and older timestamps' authorities are judged at that time.
        let mut order = Vec::with_capacity(signed.len());
        for (i, (_, sig_ref)) in signed.iter().enumerate() {
            order.push((signature::covered_revision(&doc, *sig_ref)?, i));
        }
        order.sort_by(|a, b| b.cmp(a));
        let mut proofs = Vec::new();
        let mut reports: Vec<Option<SignatureReport>> = vec![None; signed.len()];
        for (_, i) in order {
            let Some((name, sig_ref)) = signed.get(i) else {
                continue;
            };
            let context = signature::Context {
                doc: &doc,
                trust: &self.trust,
                tsa_trust: self.tsa_trust.as_ref().unwrap_or(&self.trust),
                at,
                limits: &self.limits,
                store: &store,
                fetch: self.fetch.as_deref(),
                proofs: &proofs,
                prefix,
            };
            let (report, proof) = context.check(name, *sig_ref)?;
            proofs.extend(proof);
            if let Some(slot) = reports.get_mut(i) {
                *slot = Some(report);
            }
        }
        let mut signatures: Vec<SignatureReport> = reports.into_iter().flatten().collect();
        let with_dss = revisions_with_dss(&doc);
        long_term_levels(&mut signatures, &with_dss);
        let warnings = certification_warnings(&signatures);
        Ok(ValidationReport {
            schema_version: REPORT_SCHEMA_VERSION,
            file_size: doc.len(),
            revisions: doc.revisions().len(),
            signatures,
            findings,
            warnings,
        })
    }
}

/// For each revision, whether its catalog has a `/DSS`. A revision whose catalog cannot be
/// read (the partial first section of a linearized file, say) counts as having none: this
/// only decides which level can be claimed.
fn revisions_with_dss<S: Source>(doc: &Document<S>) -> Vec<bool> {
    doc.revisions()
        .iter()
        .enumerate()
        .map(|(i, revision)| {
            revision.trailer.reference(b"Root").is_some_and(|root| {
                matches!(
                    doc.get_in_revision(root, i),
                    Ok(Some(Object::Dict(catalog))) if catalog.get(b"DSS").is_some()
                )
            })
        })
        .collect()
}

/// Raises B-T signatures to B-LT when a later revision added a DSS and the revocation
/// statuses of their paths (there must be some) all rest on it, and to B-LTA when a valid document timestamp covers
/// such a revision.
fn long_term_levels(signatures: &mut [SignatureReport], with_dss: &[bool]) {
    let archive_revisions: Vec<usize> = signatures
        .iter()
        .filter(|s| s.kind == SignatureKind::DocumentTimestamp && s.passed())
        .filter_map(|s| s.revision)
        .collect();
    for sig in signatures.iter_mut() {
        let Some(revision) = sig.revision else {
            continue;
        };
        if sig.kind != SignatureKind::Signature || sig.level.as_deref() != Some("B-T") {
            continue;
        }
        let dss_after = |r: &usize| *r > revision && with_dss.get(*r).copied().unwrap_or(false);
        // A level is a claim about evidence: a path with no revocation status to show
        // (no certificate names a source) stays B-T.
        let checks: Vec<_> = sig.revocation_checks().collect();
        let checks = !checks.is_empty()
            && checks.iter().all(|c| {
                c.origin == "DSS" && !matches!(c.status, RevocationStatus::Unknown { .. })
            });
        if !checks || !(revision + 1..with_dss.len()).any(|r| dss_after(&r)) {
            continue;
        }
        sig.level = Some("B-LT".to_owned());
        sig.evidence.push(
            "validation data for the signer's and the timestamp authority's paths is in the document's DSS".to_owned(),
        );
        if let Some(ts) = archive_revisions.iter().find(|r| dss_after(r)) {
            sig.level = Some("B-LTA".to_owned());
            sig.evidence.push(format!(
                "a valid document timestamp covers revision {ts}, which holds that validation data"
            ));
        }
    }
}

/// A warning for a certification that permits no changes followed by later revisions.
fn certification_warnings(signatures: &[SignatureReport]) -> Vec<String> {
    signatures
        .iter()
        .filter(|s| s.certification == Some(1) && s.modifications.later_revisions > 0)
        .map(|s| {
            format!(
                "{} certifies the document with no changes allowed (DocMDP P=1), yet {} later \
                 revision(s) follow; validation data and timestamps added after it count as \
                 modifications for strict readers",
                s.field, s.modifications.later_revisions
            )
        })
        .collect()
}
