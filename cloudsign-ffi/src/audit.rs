//! The audit log: a hash-chained JSON Lines file with RFC 3161-timestamped checkpoints, written
//! by `cs_audit_log_*` and verified by `cs_audit_verify`.

use std::ffi::{CString, c_char};
use std::fs::File;
use std::io::BufReader;

use cloudsign_core::audit::{
    self, AuditError, AuditLog, AuditReport, CheckpointPolicy, FsyncPolicy, JsonLinesFile,
};
use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::time::SystemClock;
use cloudsign_core::x509::TrustStore;

use crate::cs_bytes;
use crate::error::{Failure, boundary, cs_error, cs_status, guard};
use crate::ffi;
use crate::verify::trust_store;

impl From<AuditError> for Failure {
    fn from(e: AuditError) -> Self {
        cloudsign_core::Error::from(e).into()
    }
}

/// The anchors checkpoints are verified against: the PEM certificates given, or none at all
/// for an empty input (then a log with checkpoints does not verify).
fn tsa_trust(pem: *const u8, pem_len: usize) -> Result<TrustStore, Failure> {
    let pem = ffi::bytes(pem, pem_len, "tsa_trust_pem")?;
    if pem.is_empty() {
        return Ok(TrustStore::new());
    }
    trust_store(pem)
}

/// The outcome of a successful `cs_audit_verify`. Strings it returns stay valid until
/// `cs_audit_report_free`.
#[derive(Debug)]
pub struct cs_audit_report {
    inner: AuditReport,
    head_hash: CString,
    json: CString,
}

/// Verifies the audit log segment at `path`: every record's hash and its link to the one
/// before, the sequence, and each checkpoint's timestamp against the PEM certificates in
/// `tsa_trust_pem` (NULL with length 0: no anchors, so a log with checkpoints does not verify).
/// A modified, deleted, inserted or reordered record, a checkpoint that does not verify and a
/// torn last line are `CS_ERR_AUDIT`; an unreadable file is `CS_ERR_AUDIT` too.
///
/// Cutting records off the tail after the last checkpoint cannot be seen in the file alone:
/// `cs_audit_report_unanchored_records` says how many are exposed, and
/// `cs_audit_report_contains_head` checks a head hash kept elsewhere.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_verify(
    path: *const c_char,
    tsa_trust_pem: *const u8,
    tsa_trust_pem_len: usize,
    out: *mut *mut cs_audit_report,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let path = ffi::text(path, "path")?;
        let trust = tsa_trust(tsa_trust_pem, tsa_trust_pem_len)?;
        let report = audit::verify_log(path, &trust)?;
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::new(cs_status::CS_ERR_AUDIT, e.to_string()))?;
        let text = |s: String| {
            CString::new(s).map_err(|_| Failure::new(cs_status::CS_ERR_AUDIT, "a NUL byte"))
        };
        out.set(cs_audit_report {
            head_hash: text(report.head_hash.clone())?,
            json: text(json)?,
            inner: report,
        });
        Ok(())
    })
}

impl cs_audit_report {
    fn count(report: *const Self, pick: fn(&AuditReport) -> u64) -> u64 {
        guard(0, || {
            ffi::handle(report, "report").map_or(0, |r| pick(&r.inner))
        })
    }
}

/// Records in the segment, genesis and checkpoints included; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_records(report: *const cs_audit_report) -> u64 {
    cs_audit_report::count(report, |r| r.records)
}

/// Checkpoints verified (a sealed segment's genesis token counts); 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_checkpoints(report: *const cs_audit_report) -> u64 {
    cs_audit_report::count(report, |r| r.checkpoints)
}

/// Records after the last checkpoint: their removal could not be detected from the file;
/// 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_unanchored_records(report: *const cs_audit_report) -> u64 {
    cs_audit_report::count(report, |r| r.unanchored_records)
}

/// The hash (hex) of the last record; an empty string for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_head_hash(report: *const cs_audit_report) -> *const c_char {
    guard(c"".as_ptr(), || {
        ffi::handle(report, "report").map_or(c"".as_ptr(), |r| r.head_hash.as_ptr())
    })
}

/// Whether `hash` (a head or checkpoint hash kept outside the log) is a record of this log; if
/// not, the log was truncated before it or rewritten. False for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_contains_head(
    report: *const cs_audit_report,
    hash: *const c_char,
) -> bool {
    guard(false, || {
        let (Ok(report), Ok(hash)) = (ffi::handle(report, "report"), ffi::text(hash, "hash"))
        else {
            return false;
        };
        report.inner.contains_head(hash)
    })
}

/// The whole report as JSON (records, checkpoints, the last checkpoint's sequence number and
/// time, unanchored records, head hash, the previous segment's head); an empty string for
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_json(report: *const cs_audit_report) -> *const c_char {
    guard(c"".as_ptr(), || {
        ffi::handle(report, "report").map_or(c"".as_ptr(), |r| r.json.as_ptr())
    })
}

/// Frees a report and every string it lent out; NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_report_free(report: *mut cs_audit_report) {
    guard((), || ffi::free_handle(report));
}

/// An audit log open for appending. Made by `cs_audit_log_open`, closed by
/// `cs_audit_log_free`.
#[derive(Debug)]
pub struct cs_audit_log {
    // None once a seal failed: the segment was handed over and cannot be written again.
    inner: Option<AuditLog<JsonLinesFile>>,
}

impl cs_audit_log {
    fn writer<'a>(log: *mut Self) -> Result<&'a mut AuditLog<JsonLinesFile>, Failure> {
        ffi::handle_mut(log, "log")?
            .inner
            .as_mut()
            .ok_or_else(Self::closed)
    }

    fn closed() -> Failure {
        Failure::new(
            cs_status::CS_ERR_AUDIT,
            "the log is closed: sealing it failed",
        )
    }
}

/// Opens the audit log at `path` for appending.
///
/// A missing or empty file is started with a genesis record. An existing log is verified
/// first, as `cs_audit_verify` does with `tsa_trust_pem`, and continued after its head: a
/// broken log, or one whose last line was torn by a crash, is `CS_ERR_AUDIT` and nothing is
/// written.
///
/// Checkpoints are timestamped by the RFC 3161 authority at `tsa_url`; one is taken after every
/// `checkpoint_every_records` entries and, checked on append, when `checkpoint_every_secs` have
/// passed since the last (0 turns a trigger off). Checkpoints and the genesis record are synced
/// to disk.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_open(
    path: *const c_char,
    tsa_url: *const c_char,
    tsa_trust_pem: *const u8,
    tsa_trust_pem_len: usize,
    checkpoint_every_records: u64,
    checkpoint_every_secs: u64,
    out: *mut *mut cs_audit_log,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let path = ffi::text(path, "path")?;
        let stamper = Box::new(HttpTimeStamper::new(ffi::text(tsa_url, "tsa_url")?)?);
        let trust = tsa_trust(tsa_trust_pem, tsa_trust_pem_len)?;
        let mut policy = CheckpointPolicy::default();
        policy.every_records = Some(checkpoint_every_records).filter(|&n| n > 0);
        policy.every_secs = Some(checkpoint_every_secs).filter(|&n| n > 0);
        let existing = match File::open(path) {
            Ok(file) if file.metadata()?.len() > 0 => Some(BufReader::new(file)),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let sink = JsonLinesFile::open(path, FsyncPolicy::default())?;
        let clock = Box::new(SystemClock);
        let inner = match existing {
            Some(records) => AuditLog::resume(sink, records, &trust, clock, stamper, policy)?,
            None => AuditLog::create(sink, clock, stamper, policy)?,
        };
        out.set(cs_audit_log { inner: Some(inner) });
        Ok(())
    })
}

/// Appends an event: who acted (`actor`), what was done (`action`, e.g. `"token.issue"`), to
/// what (`subject`), and `details_json`, any JSON value (NULL: none). Takes a checkpoint
/// afterwards when one is due; if that fails the call is `CS_ERR_AUDIT`, though the event itself
/// was written. Details that are not JSON are `CS_ERR_INVALID_ARGUMENT` and nothing is written.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_append(
    log: *mut cs_audit_log,
    actor: *const c_char,
    action: *const c_char,
    subject: *const c_char,
    details_json: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let log = cs_audit_log::writer(log)?;
        let actor = ffi::text(actor, "actor")?;
        let action = ffi::text(action, "action")?;
        let subject = ffi::text(subject, "subject")?;
        let details = match ffi::optional_text(details_json, "details_json")? {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| Failure::invalid(format!("details_json is not JSON: {e}")))?,
            None => serde_json::Value::Null,
        };
        log.append(actor, action, subject, details)?;
        Ok(())
    })
}

/// Timestamps the current head and appends the checkpoint record now, for example before
/// closing, so that no record is left unanchored.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_checkpoint(
    log: *mut cs_audit_log,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        cs_audit_log::writer(log)?.checkpoint()?;
        Ok(())
    })
}

/// `*out` receives the hash (hex) of the last record written, to keep outside the log and
/// check later with `cs_audit_report_contains_head`.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_head(
    log: *const cs_audit_log,
    out: *mut *mut cs_bytes,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let out = ffi::Out::new(out, "out")?;
        let log = ffi::handle(log, "log")?.inner.as_ref();
        out.set(cs_bytes::text(log.ok_or_else(cs_audit_log::closed)?.head()));
        Ok(())
    })
}

/// Ends the segment with a checkpoint and continues the log in a new file at `next_path`, whose
/// first record links to this segment's final hash and carries the seal's timestamp: the
/// sealed file can then be archived or deleted and the new one still verifies on its own
/// (`cs_audit_report_json` names the link as `previous_segment_head`). `log` writes to the new
/// file afterwards. If sealing fails (`CS_ERR_AUDIT`; an empty file may be left at
/// `next_path`), `log` is closed: open the log again.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_seal(
    log: *mut cs_audit_log,
    next_path: *const c_char,
    err: *mut *mut cs_error,
) -> cs_status {
    boundary(err, || {
        let next_path = ffi::text(next_path, "next_path")?;
        let handle = ffi::handle_mut(log, "log")?;
        let next = JsonLinesFile::open(next_path, FsyncPolicy::default())?;
        let current = handle.inner.take().ok_or_else(cs_audit_log::closed)?;
        handle.inner = Some(current.seal(next)?);
        Ok(())
    })
}

/// Closes the log; NULL is ignored. Records after the last checkpoint stay unanchored: call
/// `cs_audit_log_checkpoint` first to anchor them.
#[unsafe(no_mangle)]
pub extern "C" fn cs_audit_log_free(log: *mut cs_audit_log) {
    guard((), || ffi::free_handle(log));
}
