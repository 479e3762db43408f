//! Checking an RFC 3161 token found in a PDF: a signature timestamp (over a signature value)
//! or a document timestamp (over the covered bytes).

use super::report::{CertificateSummary, Indication, TimestampReport, time_text};
use crate::crypto::DigestAlgorithm;
use crate::error::Result;
use crate::limits::Limits;
use crate::time::UnixTime;
use crate::tsp::TimestampToken;
use crate::x509::{self, Certificate, PathFailure, TrustStore};

/// What a checked token tells: the report entry, and the proven time when it passed.
pub(super) struct CheckedToken {
    pub(super) report: TimestampReport,
    pub(super) proven_time: Option<UnixTime>,
    /// The authority's validated path, TSA first.
    pub(super) path: Vec<Certificate>,
    /// The time the path was judged at.
    pub(super) path_time: UnixTime,
    /// The time of interest for the authority's revocation: its proof of existence when a
    /// later timestamp gives one (the token's own genTime is only the authority's word),
    /// else genTime.
    pub(super) revocation_time: Option<UnixTime>,
    /// Why the path did not validate, when it did not.
    pub(super) path_failure: Option<PathFailure>,
}

/// Checks the token in `der` (trailing zero padding allowed): its signature and ESS binding,
/// the TSA certificate's purpose, the message imprint against `imprint_of(algorithm)`, and
/// the TSA's path to `trust` at time `at`.
pub(super) fn check_token(
    der: &[u8],
    imprint_of: &dyn Fn(DigestAlgorithm) -> Result<Vec<u8>>,
    extra_certificates: &[Certificate],
    trust: &TrustStore,
    at: UnixTime,
    limits: &Limits,
) -> Result<CheckedToken> {
    let mut report = TimestampReport {
        time: None,
        tsa: None,
        policy: None,
        serial: None,
        imprint_ok: false,
        signature_ok: false,
        chain: Vec::new(),
        indication: Indication::Failed,
        revocation: Vec::new(),
        findings: Vec::new(),
    };
    let token = match TimestampToken::from_der(without_padding(der)) {
        Ok(token) => token,
        Err(e) => {
            report
                .findings
                .push(format!("the timestamp token cannot be read: {e}"));
            return Ok(CheckedToken {
                report,
                proven_time: None,
                path: Vec::new(),
                path_time: at,
                revocation_time: None,
                path_failure: None,
            });
        }
    };
    report.time = Some(time_text(token.gen_time()));
    report.policy = Some(token.policy());
    report.serial = Some(token.serial_hex());
    report.tsa = token.signer_certificate().map(CertificateSummary::from);

    match token.imprint_algorithm() {
        Ok(alg) => report.imprint_ok = token.matches_imprint(alg, &imprint_of(alg)?),
        Err(e) => report
            .findings
            .push(format!("timestamp imprint algorithm not acceptable: {e}")),
    }
    if !report.imprint_ok {
        report
            .findings
            .push("the timestamp is not over this data (message imprint differs)".into());
    }
    let tsa_cert = match token.verify() {
        Ok(cert) => {
            report.signature_ok = true;
            Some(cert.clone())
        }
        Err(e) => {
            report
                .findings
                .push(format!("the timestamp token does not verify: {e}"));
            None
        }
    };
    let mut chain_ok = false;
    let mut validated = Vec::new();
    let mut path_failure = None;
    if let Some(cert) = &tsa_cert {
        let mut candidates = token.certificates().to_vec();
        candidates.extend_from_slice(extra_certificates);
        match x509::validate_path(cert, &candidates, trust, at, limits) {
            Ok(path) => {
                chain_ok = true;
                validated.clone_from(&path.certificates);
                report.chain = path
                    .certificates
                    .iter()
                    .map(CertificateSummary::from)
                    .collect();
            }
            Err(e) => {
                report
                    .findings
                    .push(format!("timestamp authority certificate path: {e}"));
                path_failure = Some(e);
            }
        }
    }
    report.indication = match (report.imprint_ok, report.signature_ok, chain_ok) {
        (true, true, true) => Indication::Passed,
        (true, true, false) => Indication::Indeterminate,
        _ => Indication::Failed,
    };
    let proven_time = (report.indication == Indication::Passed).then(|| token.gen_time());
    Ok(CheckedToken {
        report,
        proven_time,
        path: validated,
        path_time: at,
        revocation_time: proven_time,
        path_failure,
    })
}

/// The DER object at the start of `bytes`, without the zero padding a PDF `/Contents` adds.
fn without_padding(bytes: &[u8]) -> &[u8] {
    der_len(bytes).and_then(|n| bytes.get(..n)).unwrap_or(bytes)
}

/// Total length of the DER TLV at the start of `bytes`, if its header is readable.
fn der_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let count = usize::from(first & 0x7F);
    if count == 0 || count > 4 {
        return None;
    }
    let len = bytes
        .get(2..2 + count)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    len.checked_add(2 + count)
}
