//! The checks of one signature, in the order EN 319 102-1 builds a verdict: format, integrity,
//! identification of the signing certificate, certification path, then what changed after.

use super::diff;
use super::report::{
    CertificateSummary, Coverage, Indication, Integrity, ModificationLevel, Modifications,
    RevocationCheck, SignatureKind, SignatureReport, SubIndication, time_text,
};
use super::revocation::{PathRevocation, Store, check_path};
use super::timestamp::{CheckedToken, check_token};
use crate::cms::{self, SignedDataView};
use crate::crypto::{CryptoError, DigestAlgorithm};
use crate::error::Result;
use crate::limits::Limits;
use crate::pades::{
    self, PARALLEL_HASH_THRESHOLD, PrefixHasher, SIGNATURE_TIME_STAMP, hash_prefix,
    hash_source_range,
};
use crate::parallel;
use crate::pdf::object::same_object;
use crate::pdf::{Dict, Document, ObjRef, Object, Source, StringFormat};
use crate::revocation::RevocationSource;
use crate::time::UnixTime;
use crate::x509::{self, Certificate, PathFailure, TrustStore};

pub(super) struct Context<'a, S: Source> {
    pub(super) doc: &'a Document<S>,
    pub(super) trust: &'a TrustStore,
    pub(super) tsa_trust: &'a TrustStore,
    pub(super) at: UnixTime,
    pub(super) limits: &'a Limits,
    pub(super) store: &'a Store,
    pub(super) fetch: Option<&'a dyn RevocationSource>,
    /// What the document timestamps judged so far prove.
    pub(super) proofs: &'a [ProofOfExistence],
    /// The document's leading bytes, hashed in the background since it was opened.
    pub(super) prefix: Option<&'a PrefixHasher>,
}

/// A valid document timestamp's proof: every byte of the revisions before `revision`
/// (signatures and their timestamp tokens included) existed at `time`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ProofOfExistence {
    /// The revision the document timestamp ends.
    pub(super) revision: usize,
    /// Its genTime.
    pub(super) time: UnixTime,
}

/// Digest of the bytes `byte_range` covers, resuming from `prefix` where it can.
fn covered_digest<S: Source>(
    source: &S,
    prefix: Option<&PrefixHasher>,
    alg: DigestAlgorithm,
    [_, b, c, d]: [u64; 4],
) -> Result<Vec<u8>> {
    let mut hasher = hash_prefix(source, prefix, alg, b)?;
    hash_source_range(source, c, c.saturating_add(d), &mut hasher)?;
    Ok(hasher.finalize())
}

/// The first decisive problem found; later checks still fill in the report.
#[derive(Default)]
struct Verdict {
    failure: Option<(Indication, SubIndication)>,
    /// For a document timestamp, the time its token proves.
    proves: Option<UnixTime>,
}

impl Verdict {
    fn fail(&mut self, indication: Indication, sub: SubIndication) {
        if self.failure.is_none() {
            self.failure = Some((indication, sub));
        }
    }

    /// Takes on the failure of checks recorded apart, after those recorded here.
    fn then(&mut self, later: &Self) {
        if let Some((indication, sub)) = later.failure {
            self.fail(indication, sub);
        }
    }
}

/// The revision whose end the signature value at `sig_ref` covers, if it is well formed
/// enough to tell.
pub(super) fn covered_revision<S: Source>(
    doc: &Document<S>,
    sig_ref: ObjRef,
) -> Result<Option<usize>> {
    let Some(Object::Dict(sig)) = doc.get(sig_ref)? else {
        return Ok(None);
    };
    let end = byte_range_of(&sig, doc)?.and_then(|[_, _, c, d]| c.checked_add(d));
    Ok(doc.revisions().iter().position(|r| Some(r.end) == end))
}

impl<S: Source> Context<'_, S> {
    /// The report on the signature or document timestamp at `sig_ref`, and for a valid
    /// document timestamp, what it proves.
    pub(super) fn check(
        &self,
        field: &str,
        sig_ref: ObjRef,
    ) -> Result<(SignatureReport, Option<ProofOfExistence>)> {
        let mut report = SignatureReport {
            field: field.to_owned(),
            kind: SignatureKind::Signature,
            indication: Indication::Failed,
            sub_indication: None,
            sub_filter: None,
            level: None,
            byte_range: None,
            revision: None,
            coverage: Coverage::Unclear,
            integrity: Integrity::default(),
            digest_algorithm: None,
            signature_algorithm: None,
            signer: None,
            chain: Vec::new(),
            validation_time: time_text(self.at),
            claimed_signing_time: None,
            proven_time: None,
            timestamps: Vec::new(),
            certification: None,
            modifications: Modifications {
                later_revisions: 0,
                level: ModificationLevel::None,
                disallowed: Vec::new(),
            },
            revocation: Vec::new(),
            evidence: Vec::new(),
            findings: Vec::new(),
        };
        let mut verdict = Verdict {
            failure: None,
            proves: None,
        };
        self.check_into(sig_ref, &mut report, &mut verdict)?;
        match verdict.failure {
            None => {
                report.indication = Indication::Passed;
                report.sub_indication = None;
            }
            Some((indication, sub)) => {
                report.indication = indication;
                report.sub_indication = Some(sub);
            }
        }
        let proof = match (report.indication, report.revision, verdict.proves) {
            (Indication::Passed, Some(revision), Some(time)) => {
                Some(ProofOfExistence { revision, time })
            }
            _ => None,
        };
        Ok((report, proof))
    }

    fn check_into(
        &self,
        sig_ref: ObjRef,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> Result<()> {
        let doc = self.doc;
        let Some(Object::Dict(newest)) = doc.get(sig_ref)? else {
            report
                .findings
                .push(format!("the signature value {sig_ref} is not a dictionary"));
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
            return Ok(());
        };
        let Some(byte_range) = byte_range_of(&newest, doc)? else {
            report
                .findings
                .push("/ByteRange is missing or not four non-negative integers".into());
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
            return Ok(());
        };
        report.byte_range = Some(byte_range);
        let [a, b, c, d] = byte_range;
        let covered_end = c.checked_add(d);
        let revision = doc
            .revisions()
            .iter()
            .position(|r| Some(r.end) == covered_end);
        let Some(revision) = revision else {
            report
                .findings
                .push("the signed range does not end at the end of a revision".into());
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
            return Ok(());
        };
        report.revision = Some(revision);
        report.coverage = if covered_end == Some(doc.len()) {
            Coverage::EntireFile
        } else {
            Coverage::EntireRevision
        };

        // Judge the dictionary as it was when signed; a later redefinition is a modification.
        let Some(Object::Dict(sig)) = doc.get_in_revision(sig_ref, revision)? else {
            report
                .findings
                .push("the signature dictionary is not part of the signed revision".into());
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
            return Ok(());
        };
        if !same_object(&Object::Dict(sig.clone()), &Object::Dict(newest)) {
            report
                .findings
                .push("the signature dictionary was redefined after signing".into());
            verdict.fail(Indication::Failed, SubIndication::DisallowedModification);
        }
        report.sub_filter = sig
            .name(b"SubFilter")
            .map(|s| String::from_utf8_lossy(s).into_owned());
        report.claimed_signing_time = sig
            .get(b"M")
            .and_then(Object::as_string)
            .map(|s| String::from_utf8_lossy(&s.bytes).into_owned());
        let resolve = |o: &Object| doc.resolve(o);
        report.certification = pades::docmdp_of_signature(&sig, &resolve).map(|p| p.level());

        let contents = sig.get(b"Contents").and_then(Object::as_string);
        let shape_ok = match contents {
            Some(s) => {
                let span_ok = s.span.is_some_and(|span| span.start == b && span.end == c);
                if !span_ok {
                    report
                        .findings
                        .push("the /ByteRange gap is not exactly the /Contents string".into());
                }
                if s.format != StringFormat::Hex {
                    report
                        .findings
                        .push("/Contents is not a hexadecimal string".into());
                }
                a == 0 && b < c && span_ok && s.format == StringFormat::Hex
            }
            None => {
                report.findings.push("/Contents is missing".into());
                false
            }
        };
        if a != 0 {
            report
                .findings
                .push("/ByteRange does not start at offset 0".into());
        }
        report.integrity.byte_range_ok = shape_ok;
        if !shape_ok {
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
            return Ok(());
        }
        let contents = contents.map(|s| s.bytes.clone()).unwrap_or_default();

        match report.sub_filter.as_deref() {
            Some("ETSI.CAdES.detached" | "adbe.pkcs7.detached") => {}
            Some("ETSI.RFC3161") => {
                report.kind = SignatureKind::DocumentTimestamp;
                self.check_document_timestamp(&contents, byte_range, revision, report, verdict)?;
                return self.check_modifications(revision, report, verdict);
            }
            other => {
                report.findings.push(format!(
                    "unsupported /SubFilter {}",
                    other.unwrap_or("(none)")
                ));
                verdict.fail(Indication::Failed, SubIndication::FormatFailure);
                return Ok(());
            }
        }
        let cms = match cms::parse_signed_data(&contents) {
            Ok(cms) => cms,
            Err(e) => {
                report
                    .findings
                    .push(format!("the signature container is not valid CMS: {e}"));
                verdict.fail(Indication::Failed, SubIndication::FormatFailure);
                return Ok(());
            }
        };
        self.check_cms(&cms, byte_range, revision, report, verdict)?;
        self.check_modifications(revision, report, verdict)
    }

    fn check_modifications(
        &self,
        revision: usize,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> Result<()> {
        let doc = self.doc;
        let certification = report
            .certification
            .and_then(pades::DocMdpPermissions::from_level);
        report.modifications = diff::analyse(doc, revision, certification)?;
        if report.modifications.level == ModificationLevel::Disallowed {
            report.findings.push(
                "the document was modified after this signature in a way it does not permit".into(),
            );
            verdict.fail(Indication::Failed, SubIndication::DisallowedModification);
        } else if report.modifications.later_revisions > 0 {
            report.findings.push(format!(
                "{} later revision(s) only add signatures and form bookkeeping",
                report.modifications.later_revisions
            ));
        }
        Ok(())
    }

    /// A document timestamp: the token must be over the covered bytes.
    fn check_document_timestamp(
        &self,
        contents: &[u8],
        byte_range: [u64; 4],
        revision: usize,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> Result<()> {
        let imprint =
            |alg: DigestAlgorithm| covered_digest(self.doc.source(), self.prefix, alg, byte_range);
        let checked = self.check_token(contents, &imprint, revision, report)?;
        report.validation_time = time_text(checked.path_time);
        verdict.proves = checked.proven_time;
        if let Some(t) = checked.proven_time {
            report.evidence.push(format!(
                "document timestamp proves the covered revision existed at {}",
                time_text(t)
            ));
        }
        if let Some(t) = checked.revocation_time {
            let revocation = self.revocation_of(&checked.path, t, report, verdict);
            report.revocation = revocation.checks;
        }
        let token = checked.report;
        report.integrity.digest_ok = token.imprint_ok;
        report.integrity.signature_ok = token.signature_ok;
        report.signer = token.tsa.clone();
        report.chain = token.chain.clone();
        report.proven_time = checked.proven_time.map(time_text);
        report.findings.extend(token.findings.iter().cloned());
        match (token.imprint_ok, token.signature_ok, token.indication) {
            (false, _, _) => verdict.fail(Indication::Failed, SubIndication::HashFailure),
            (true, false, _) => verdict.fail(Indication::Failed, SubIndication::SigCryptoFailure),
            (true, true, Indication::Passed) => {}
            (true, true, _) => verdict.fail(
                Indication::Indeterminate,
                path_sub_indication(checked.path_failure.as_ref()),
            ),
        }
        report.timestamps.push(token);
        Ok(())
    }

    fn check_cms(
        &self,
        cms: &SignedDataView,
        [_, b, c, d]: [u64; 4],
        revision: usize,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> Result<()> {
        report.signature_algorithm = Some(cms.signature_algorithm_name());
        let digest_algorithm = match cms.digest_algorithm() {
            Ok(alg) => alg,
            Err(e) => {
                report
                    .findings
                    .push(format!("digest algorithm not acceptable: {e}"));
                let sub = match e {
                    CryptoError::Forbidden(_) => SubIndication::CryptoConstraintsFailure,
                    _ => SubIndication::FormatFailure,
                };
                verdict.fail(Indication::Indeterminate, sub);
                return Ok(());
            }
        };
        report.digest_algorithm = Some(digest_algorithm.name().to_owned());
        if !cms.content_type_is_data() {
            report
                .findings
                .push("the content-type attribute is not id-data".into());
            verdict.fail(Indication::Failed, SubIndication::FormatFailure);
        }
        // Hashing the covered bytes is most of the work on a large file and needs nothing
        // else, so it runs beside the checks of the signer; its outcome is recorded first, as
        // if it had run first.
        let source = self.doc.source();
        let prefix = self.prefix;
        let range = [0, b, c, d];
        let findings_before = report.findings.len();
        let mut signer_verdict = Verdict::default();
        let hash_beside = b.saturating_add(d) >= PARALLEL_HASH_THRESHOLD;
        let (digest, checked) = parallel::join_if(
            hash_beside,
            || covered_digest(source, prefix, digest_algorithm, range),
            || self.check_signer(cms, revision, report, &mut signer_verdict, !hash_beside),
        );
        let digest = digest?;
        report.integrity.digest_ok = cms.message_digest() == Some(digest.as_slice());
        if !report.integrity.digest_ok {
            report.findings.insert(
                findings_before,
                "the signed bytes do not match the message digest: the document was altered".into(),
            );
            verdict.fail(Indication::Failed, SubIndication::HashFailure);
        }
        verdict.then(&signer_verdict);
        checked
    }

    /// The checks of the signer: signature value, signing-certificate binding, level,
    /// signature timestamps, certificate path and revocation. With a core to spare, the
    /// signature value (a public-key operation that needs nothing else) is checked beside the
    /// rest; its outcome is recorded first, as if it had run first.
    fn check_signer(
        &self,
        cms: &SignedDataView,
        revision: usize,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
        value_beside: bool,
    ) -> Result<()> {
        let Some(signer) = cms.signer_certificate() else {
            report
                .findings
                .push("the signer's certificate is not in the signature".into());
            verdict.fail(
                Indication::Indeterminate,
                SubIndication::NoSigningCertificateFound,
            );
            return Ok(());
        };
        report.signer = Some(CertificateSummary::from(signer));
        let findings_before = report.findings.len();
        let mut others = Verdict::default();
        let (value, checked) = parallel::join_if(
            value_beside,
            || cms.verify_signature(signer),
            || self.check_signer_certificate(cms, signer, revision, report, &mut others),
        );
        match value {
            Ok(()) => report.integrity.signature_ok = true,
            Err(e) => {
                report.findings.insert(
                    findings_before,
                    format!("the signature value does not verify: {e}"),
                );
                let sub = match e {
                    CryptoError::Forbidden(_) => SubIndication::CryptoConstraintsFailure,
                    _ => SubIndication::SigCryptoFailure,
                };
                verdict.fail(Indication::Failed, sub);
            }
        }
        verdict.then(&others);
        checked
    }

    /// The signer's certificate: signing-certificate binding, level, signature timestamps,
    /// certificate path and revocation.
    fn check_signer_certificate(
        &self,
        cms: &SignedDataView,
        signer: &Certificate,
        revision: usize,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> Result<()> {
        report.integrity.signing_certificate_ok = cms.ess_signing_certificate_matches(signer);
        match report.integrity.signing_certificate_ok {
            Some(true) => {}
            Some(false) => {
                report
                    .findings
                    .push("the signing-certificate attribute names another certificate".into());
                verdict.fail(
                    Indication::Indeterminate,
                    SubIndication::NoSigningCertificateFound,
                );
            }
            None => report
                .findings
                .push("no signing-certificate attribute: not a PAdES baseline signature".into()),
        }
        report.level = match (
            report.sub_filter.as_deref(),
            report.integrity.signing_certificate_ok,
            cms.has_signing_time(),
        ) {
            (Some("ETSI.CAdES.detached"), Some(true), false) => Some("B-B".to_owned()),
            _ => None,
        };
        if cms.has_signing_time() && report.sub_filter.as_deref() == Some("ETSI.CAdES.detached") {
            report.findings.push(
                "a CMS signing-time attribute is present, which PAdES baseline forbids".into(),
            );
        }

        // A valid signature timestamp proves when the signature existed: the level rises to
        // B-T and the signer's path is judged at that time.
        let mut proven_time = None;
        for (oid, token) in cms.unsigned_attributes() {
            if oid != SIGNATURE_TIME_STAMP {
                continue;
            }
            let imprint = |alg: DigestAlgorithm| Ok(alg.digest(cms.signature()));
            let mut checked = self.check_token(&token, &imprint, revision, report)?;
            if let Some(t) = checked.revocation_time {
                let revocation = self.revocation_of(&checked.path, t, report, verdict);
                checked.report.revocation = revocation.checks;
            }
            if checked.proven_time.is_none() {
                report
                    .findings
                    .push("a signature timestamp does not check out".into());
                let sub = match checked.path_failure {
                    Some(PathFailure::Expired { .. }) => SubIndication::OutOfBoundsNoPoe,
                    _ => SubIndication::TimestampFailure,
                };
                verdict.fail(Indication::Indeterminate, sub);
            }
            proven_time = proven_time.or(checked.proven_time);
            report.timestamps.push(checked.report);
        }
        if let Some(t) = proven_time {
            report.proven_time = Some(time_text(t));
            if report.level.is_some() {
                report.level = Some("B-T".to_owned());
            }
        }
        let path_time = proven_time.unwrap_or(self.at);
        report.validation_time = time_text(path_time);

        match proven_time {
            Some(t) => report.evidence.push(format!(
                "signature timestamp proves the signature existed at {}; the signer's path is judged then",
                time_text(t)
            )),
            None => report.evidence.push(format!(
                "no proof of time: the signer's path is judged at the validation time {}",
                time_text(path_time)
            )),
        }
        let mut candidates = cms.certificates().to_vec();
        candidates.extend_from_slice(&self.store.certificates);
        match x509::validate_path(signer, &candidates, self.trust, path_time, self.limits) {
            Ok(path) => {
                report.chain = path
                    .certificates
                    .iter()
                    .map(CertificateSummary::from)
                    .collect();
                let revocation = self.revocation_of(&path.certificates, path_time, report, verdict);
                report.revocation = revocation.checks;
            }
            Err(failure) => {
                report.findings.push(format!("certificate path: {failure}"));
                verdict.fail(
                    Indication::Indeterminate,
                    path_sub_indication(Some(&failure)),
                );
            }
        }
        if let Err(reason) = x509::check_signing_key_usage(signer) {
            report
                .findings
                .push(format!("the signer's certificate may not sign: {reason}"));
            verdict.fail(
                Indication::Indeterminate,
                SubIndication::ChainConstraintsFailure,
            );
        }
        Ok(())
    }
}

impl<S: Source> Context<'_, S> {
    /// A timestamp token of a signature or document timestamp ending `revision`, checked
    /// against the TSA trust store with the DSS certificates as path candidates. The
    /// authority's path, and its revocation, are judged at the earliest time a later valid
    /// document timestamp proves the token existed (past signature validation, ETSI EN
    /// 319 102-1): an authority certificate that expired or was revoked since does not
    /// matter. Without such proof the path is judged at the validation time and revocation
    /// at genTime.
    fn check_token(
        &self,
        der: &[u8],
        imprint_of: &dyn Fn(DigestAlgorithm) -> Result<Vec<u8>>,
        revision: usize,
        report: &mut SignatureReport,
    ) -> Result<CheckedToken> {
        let proof = self
            .proofs
            .iter()
            .filter(|p| p.revision > revision)
            .map(|p| p.time)
            .min()
            .filter(|t| *t < self.at);
        if let Some(t) = proof {
            report.evidence.push(format!(
                "a later document timestamp proves the timestamp token existed at {}; the \
                 authority's path is judged then",
                time_text(t)
            ));
        }
        let mut checked = check_token(
            der,
            imprint_of,
            &self.store.certificates,
            self.tsa_trust,
            proof.unwrap_or(self.at),
            self.limits,
        )?;
        if checked.proven_time.is_some() && proof.is_some() {
            checked.revocation_time = proof;
        }
        Ok(checked)
    }

    /// Revocation of `path` at `time`, recorded in `report` and `verdict`.
    fn revocation_of(
        &self,
        path: &[Certificate],
        time: UnixTime,
        report: &mut SignatureReport,
        verdict: &mut Verdict,
    ) -> PathRevocation {
        let result = check_path(path, time, self.store, self.fetch);
        if let Some(revoked) = &result.revoked {
            report.findings.push(revoked.clone());
            verdict.fail(Indication::Failed, SubIndication::Revoked);
        }
        if let Some(unknown) = &result.unknown {
            report.findings.push(unknown.clone());
            verdict.fail(Indication::Indeterminate, SubIndication::TryLater);
        }
        report.evidence.extend(result.checks.iter().map(describe));
        result
    }
}

/// The sub-indication for a certificate path that did not validate.
fn path_sub_indication(failure: Option<&PathFailure>) -> SubIndication {
    match failure {
        Some(PathFailure::Expired { .. }) => SubIndication::OutOfBoundsNoPoe,
        Some(PathFailure::NotYetValid { .. }) => SubIndication::NotYetValid,
        Some(PathFailure::NoPathToTrustAnchor | PathFailure::BudgetExhausted) | None => {
            SubIndication::NoCertificateChainFound
        }
        Some(_) => SubIndication::ChainConstraintsFailure,
    }
}

fn describe(check: &RevocationCheck) -> String {
    use crate::revocation::{EvidenceSource, RevocationStatus};
    let source = |s: &EvidenceSource| match s {
        EvidenceSource::Ocsp {
            produced_at,
            responder,
        } => format!(
            "OCSP response by {responder} produced at {}",
            time_text(*produced_at)
        ),
        EvidenceSource::Crl {
            this_update,
            issuer,
        } => format!("CRL by {issuer} of {}", time_text(*this_update)),
    };
    let status = match &check.status {
        RevocationStatus::Good { source: s } => format!("not revoked per {}", source(s)),
        RevocationStatus::Revoked {
            revoked_at,
            source: s,
            ..
        } => format!("revoked at {} per {}", time_text(*revoked_at), source(s)),
        RevocationStatus::Unknown { .. } => "status unknown".to_owned(),
    };
    format!(
        "{} at {}: {status} ({})",
        check.certificate, check.time, check.origin
    )
}

/// `/ByteRange` as four non-negative integers.
fn byte_range_of<S: Source>(sig: &Dict, doc: &Document<S>) -> Result<Option<[u64; 4]>> {
    let Some(value) = sig.get(b"ByteRange") else {
        return Ok(None);
    };
    let value = doc.resolve(value)?;
    let Some(items) = value.as_array() else {
        return Ok(None);
    };
    let numbers: Vec<u64> = items
        .iter()
        .filter_map(Object::as_integer)
        .filter_map(|i| u64::try_from(i).ok())
        .collect();
    Ok(<[u64; 4]>::try_from(numbers.as_slice())
        .ok()
        .filter(|_| items.len() == 4))
}
