//! Verification: a validator with its trust anchors, and the report as accessors and JSON.

use std::ffi::{CString, c_char};
use std::sync::Arc;

use cloudsign_core::http::HttpRevocationSource;
use cloudsign_core::time::UnixTime;
use cloudsign_core::validate::{Indication, SignatureReport};
use cloudsign_core::x509::{CertificateError, TrustStore};
use cloudsign_core::{Limits, ValidationReport, Validator};

use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;

/// Every check passed.
pub const CS_INDICATION_PASSED: u32 = 1;
/// The checks could not conclude (for example no path to a trust anchor).
pub const CS_INDICATION_INDETERMINATE: u32 = 2;
/// A check failed: the signature is not valid.
pub const CS_INDICATION_FAILED: u32 = 3;

/// Validates signed PDFs against trust anchors. Made by `cs_validator_new`, freed by
/// `cs_validator_free`.
#[derive(Debug)]
pub struct cs_validator {
    trust: TrustStore,
    tsa_trust: Option<TrustStore>,
    fetch_revocation: bool,
    at: Option<UnixTime>,
    limits: Limits,
}

impl cs_validator {
    /// The core validator these settings describe.
    fn validator(&self) -> Validator {
        let mut validator = Validator::new(self.trust.clone());
        if let Some(tsa) = &self.tsa_trust {
            validator = validator.tsa_trust(tsa.clone());
        }
        if self.fetch_revocation {
            validator = validator.revocation_source(Arc::new(HttpRevocationSource::new()));
        }
        if let Some(at) = self.at {
            validator = validator.at_time(at);
        }
        validator.limits(self.limits.clone())
    }
}

/// The anchors in PEM text; none at all is a caller's mistake, not an empty trust list.
pub(crate) fn trust_store(pem: &[u8]) -> Result<TrustStore, Failure> {
    let store = TrustStore::from_pem(pem)?;
    if store.anchors().is_empty() {
        return Err(cloudsign_core::Error::from(CertificateError::NoPemCertificate).into());
    }
    Ok(store)
}

/// A validator trusting the PEM certificates in `trust_pem` as signing trust anchors (and as
/// timestamp authority anchors unless `cs_validator_set_tsa_trust` says otherwise).
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_new(
    trust_pem: *const u8,
    trust_pem_len: usize,
    out: *mut *mut cs_validator,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let trust = trust_store(ffi::bytes(trust_pem, trust_pem_len, "trust_pem")?)?;
        out.set(cs_validator {
            trust,
            tsa_trust: None,
            fetch_revocation: false,
            at: None,
            limits: Limits::default(),
        });
        Ok(())
    })
}

/// Trusts the PEM certificates in `trust_pem` as the anchors for timestamp authorities.
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_set_tsa_trust(
    validator: *mut cs_validator,
    trust_pem: *const u8,
    trust_pem_len: usize,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let validator = ffi::handle_mut(validator, "validator")?;
        let trust = trust_store(ffi::bytes(trust_pem, trust_pem_len, "trust_pem")?)?;
        validator.tsa_trust = Some(trust);
        Ok(())
    })
}

/// Whether to fetch revocation data the document does not hold (OCSP, CRLs, issuer
/// certificates) over HTTP from the addresses the certificates name. Off by default: the
/// validation is offline and rests on the document's DSS alone, and a certificate whose status
/// cannot be shown makes the result indeterminate.
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_set_fetch_revocation(
    validator: *mut cs_validator,
    fetch: bool,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        ffi::handle_mut(validator, "validator")?.fetch_revocation = fetch;
        Ok(())
    })
}

/// Validates every signature and document timestamp in `pdf`. A bad signature is a report
/// that did not pass, not an error; an error means no report could be made (not a PDF, a
/// limit hit).
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_validate(
    validator: *const cs_validator,
    pdf: *const u8,
    pdf_len: usize,
    out: *mut *mut cs_report,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let pdf = ffi::bytes(pdf, pdf_len, "pdf")?;
        report_into(out, validator, |v| v.validate_pdf(pdf))
    })
}

/// Validates the file at `path` as `cs_validator_validate` does, reading it in bounded pieces:
/// memory use does not grow with the file.
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_validate_file(
    validator: *const cs_validator,
    path: *const c_char,
    out: *mut *mut cs_report,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let path = std::path::Path::new(ffi::text(path, "path")?);
        report_into(out, validator, |v| v.validate_file(path))
    })
}

/// Runs `validate` with the validator `validator` describes and stores its report in `*out`.
fn report_into(
    out: *mut *mut cs_report,
    validator: *const cs_validator,
    validate: impl FnOnce(&Validator) -> cloudsign_core::error::Result<ValidationReport>,
) -> Result<(), Failure> {
    let out = ffi::Out::new(out, "out")?;
    let validator = ffi::handle(validator, "validator")?.validator();
    out.set(cs_report::new(validate(&validator)?)?);
    Ok(())
}

/// Sets the resource limit `name` for the documents validated (as `cs_sign_options_set_limit`).
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_set_limit(
    validator: *mut cs_validator,
    name: *const c_char,
    value: u64,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let validator = ffi::handle_mut(validator, "validator")?;
        crate::limits::set(&mut validator.limits, name, value)
    })
}

/// Judges at `unix_seconds` (seconds since 1970-01-01 UTC) instead of now: the time a
/// signature without a timestamp is checked at, and the latest a proof of time may be.
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_set_time(
    validator: *mut cs_validator,
    unix_seconds: u64,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        ffi::handle_mut(validator, "validator")?.at = Some(UnixTime::from_secs(unix_seconds));
        Ok(())
    })
}

/// Frees a validator; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_validator_free(validator: *mut cs_validator) {
    guard((), || ffi::free_handle(validator));
}

/// A validation report. Strings it returns stay valid until `cs_report_free`.
#[derive(Debug)]
pub struct cs_report {
    passed: bool,
    json: CString,
    signatures: Vec<SignatureStrings>,
}

/// One signature's facts, kept as C strings so accessors can lend them out.
#[derive(Debug)]
struct SignatureStrings {
    indication: u32,
    field: CString,
    sub_indication: Option<CString>,
    signer_subject: Option<CString>,
    level: Option<CString>,
    claimed_time: Option<CString>,
    proven_time: Option<CString>,
}

fn c_string(s: String) -> Result<CString, Failure> {
    CString::new(s).map_err(|_| Failure::new(cs_status::CS_ERR_PDF, "text with a NUL byte"))
}

fn c_opt(s: Option<String>) -> Result<Option<CString>, Failure> {
    s.map(c_string).transpose()
}

impl SignatureStrings {
    fn new(sig: &SignatureReport) -> Result<Self, Failure> {
        let indication = match sig.indication {
            Indication::Passed => CS_INDICATION_PASSED,
            Indication::Indeterminate => CS_INDICATION_INDETERMINATE,
            Indication::Failed => CS_INDICATION_FAILED,
        };
        // The JSON spelling (e.g. HASH_FAILURE), the same names as in the report's JSON.
        let sub_indication = sig
            .sub_indication
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned));
        Ok(Self {
            indication,
            field: c_string(sig.field.clone())?,
            sub_indication: c_opt(sub_indication)?,
            signer_subject: c_opt(sig.signer.as_ref().map(|s| s.subject.clone()))?,
            level: c_opt(sig.level.clone())?,
            claimed_time: c_opt(sig.claimed_signing_time.clone())?,
            proven_time: c_opt(sig.proven_time.clone())?,
        })
    }
}

impl cs_report {
    fn new(report: ValidationReport) -> Result<Self, Failure> {
        Ok(Self {
            passed: report.passed(),
            json: c_string(report.to_json())?,
            signatures: report
                .signatures
                .iter()
                .map(SignatureStrings::new)
                .collect::<Result<_, _>>()?,
        })
    }

    fn string_of(
        report: *const Self,
        index: usize,
        pick: impl FnOnce(&SignatureStrings) -> Option<&CString>,
    ) -> *const c_char {
        guard(std::ptr::null(), || {
            ffi::handle(report, "report")
                .ok()
                .and_then(|r| r.signatures.get(index))
                .and_then(pick)
                .map_or(std::ptr::null(), |s| s.as_ptr())
        })
    }
}

/// True when there is at least one signature and every one passed; false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_passed(report: *const cs_report) -> bool {
    guard(false, || {
        ffi::handle(report, "report").is_ok_and(|r| r.passed)
    })
}

/// The number of signatures and document timestamps; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_signature_count(report: *const cs_report) -> usize {
    guard(0, || {
        ffi::handle(report, "report").map_or(0, |r| r.signatures.len())
    })
}

/// Signature `index`'s indication: `CS_INDICATION_PASSED`, `_INDETERMINATE` or `_FAILED`;
/// 0 when there is no such signature.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_indication(report: *const cs_report, index: usize) -> u32 {
    guard(0, || {
        ffi::handle(report, "report")
            .ok()
            .and_then(|r| r.signatures.get(index))
            .map_or(0, |s| s.indication)
    })
}

/// Signature `index`'s sub-indication (ETSI EN 319 102-1, e.g. `"HASH_FAILURE"`); NULL when
/// it has none or there is no such signature.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_sub_indication(
    report: *const cs_report,
    index: usize,
) -> *const c_char {
    cs_report::string_of(report, index, |s| s.sub_indication.as_ref())
}

/// Signature `index`'s field name; NULL when there is no such signature.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_field(report: *const cs_report, index: usize) -> *const c_char {
    cs_report::string_of(report, index, |s| Some(&s.field))
}

/// The subject of signature `index`'s signer certificate; NULL if unknown.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_signer_subject(
    report: *const cs_report,
    index: usize,
) -> *const c_char {
    cs_report::string_of(report, index, |s| s.signer_subject.as_ref())
}

/// The PAdES level detected for signature `index` (e.g. `"B-T"`); NULL if none.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_level(report: *const cs_report, index: usize) -> *const c_char {
    cs_report::string_of(report, index, |s| s.level.as_ref())
}

/// The signing time claimed by signature `index`: its `/M` PDF date as written (e.g.
/// `D:20231114221320Z`); NULL if none.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_claimed_time(report: *const cs_report, index: usize) -> *const c_char {
    cs_report::string_of(report, index, |s| s.claimed_time.as_ref())
}

/// The time signature `index` is proven to have existed by a valid signature timestamp
/// (RFC 3339); NULL without one.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_proven_time(report: *const cs_report, index: usize) -> *const c_char {
    cs_report::string_of(report, index, |s| s.proven_time.as_ref())
}

/// The whole report as JSON (with a schema version); an empty string for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_json(report: *const cs_report) -> *const c_char {
    guard(c"".as_ptr(), || {
        ffi::handle(report, "report").map_or(c"".as_ptr(), |r| r.json.as_ptr())
    })
}

/// Frees a report and every string it lent out; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_report_free(report: *mut cs_report) {
    guard((), || ffi::free_handle(report));
}
