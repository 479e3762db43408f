//! An append-only, hash-chained audit log with RFC 3161-timestamped checkpoints.
//!
//! Each record is one JSON line:
//!
//! ```text
//! {"seq":N,"time":T,"kind":"entry"|"checkpoint"|"genesis","actor":…,"action":…,"subject":…,
//!  "details":{…},"prev_hash":hex,"hash":hex,"timestamp":base64 DER TimeStampToken|null}
//! ```
//!
//! `hash` is SHA-256 over a length-prefixed canonical encoding of every other field
//! (`details` as JSON with sorted keys), including `prev_hash`, the previous record's `hash`.
//! A checkpoint record carries a timestamp token whose message imprint is the chain head it
//! follows (`prev_hash`), so a trusted authority vouches that the log up to there existed at the
//! token's time.
//!
//! # What verification detects, and what it cannot
//!
//! [`verify_log`] detects a modified record (its hash no longer matches), a deleted, inserted
//! or reordered record (a sequence gap or a broken `prev_hash` link), a forged or re-targeted
//! checkpoint (token signature, TSA path to the trust store, imprint), and a torn last line.
//!
//! Truncation of the tail leaves a shorter log that is itself well formed. Records after the
//! last checkpoint can be cut without trace; cutting further back removes checkpoints too, and
//! what remains still verifies. Only something outside the file can reveal that: the
//! [`AuditReport`] states how many records are not covered by a checkpoint and when the last
//! checkpoint was made, so an auditor who knows the checkpoint interval can flag a log whose
//! last checkpoint is too old, and anyone who kept a checkpoint (or a head hash) from earlier
//! can check that the log still reaches it ([`AuditReport::contains_head`]).
//!
//! # Retention
//!
//! [`AuditLog::seal`] ends a segment with a checkpoint and starts the next one with a genesis
//! record whose `prev_hash` is the sealed segment's final hash and which carries that
//! checkpoint's token; old segments can then be archived or deleted and the new one still
//! verifies on its own ([`AuditReport::previous_segment_head`] names the link).
//!
//! # Reopening
//!
//! [`AuditLog::resume`] continues an existing segment after a restart: it verifies what is
//! there first (chain, hashes, checkpoints) and appends after its head. A torn last line is
//! refused with [`AuditError::TornTail`] rather than chained over; removing it is an explicit
//! step ([`JsonLinesFile::repair_torn_tail`]) that hands back the bytes it cut.

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::DigestAlgorithm;
use crate::limits::Limits;
use crate::time::{TimeProvider, UnixTime};
use crate::tsp::{self, TimeStamper, TimestampRequest, TimestampToken};
use crate::x509::{self, TrustStore};

/// Longest accepted line, so that a hostile log cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The audit log could not be written, or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The chain is broken at record `seq` (modified, deleted, inserted or reordered).
    #[error("audit chain broken at record {seq}: {reason}")]
    Broken {
        /// The sequence number expected at the break.
        seq: u64,
        /// What does not match.
        reason: String,
    },
    /// A checkpoint's timestamp does not verify, is not trusted, or covers another head.
    #[error("audit checkpoint at record {seq} does not verify: {reason}")]
    Checkpoint {
        /// The checkpoint's sequence number.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// Writing or reading the log failed.
    #[error("audit log I/O: {0}")]
    Io(String),
    /// A line is not a record.
    #[error("audit log line {line} is malformed: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
    /// A checkpoint timestamp could not be obtained.
    #[error("audit checkpoint could not be timestamped: {0}")]
    Timestamp(String),
    /// The last line has no newline: a write was torn by a crash, or the file was cut. Nothing
    /// may be appended after it until it is removed ([`JsonLinesFile::repair_torn_tail`]).
    #[error("audit log line {line} is incomplete (torn write or truncation)")]
    TornTail {
        /// 1-based number of the incomplete line.
        line: u64,
    },
}

impl From<io::Error> for AuditError {
    fn from(e: io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RecordKind {
    /// A checkpoint: a timestamp over the chain head.
    Checkpoint,
    /// An audited event.
    Entry,
    /// The first record of a segment.
    Genesis,
}

impl RecordKind {
    const fn name(self) -> &'static str {
        match self {
            Self::Checkpoint => "checkpoint",
            Self::Entry => "entry",
            Self::Genesis => "genesis",
        }
    }
}

/// One record of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Position in the segment, from 0.
    pub seq: u64,
    /// When it was written (seconds since the epoch).
    pub time: u64,
    /// What it is.
    pub kind: RecordKind,
    /// Who acted (operator, service, recipient).
    pub actor: String,
    /// What was done (`"token.issue"`, `"contract.sign"`).
    pub action: String,
    /// What it was done to.
    pub subject: String,
    /// Free-form details.
    pub details: Value,
    /// The previous record's hash (hex); 64 zeros for the very first segment's genesis.
    pub prev_hash: String,
    /// This record's hash (hex).
    pub hash: String,
    /// Checkpoints and sealed genesis records: the DER timestamp token, base64.
    pub timestamp: Option<String>,
}

impl AuditRecord {
    fn compute_hash(&self) -> [u8; 32] {
        let mut enc = Vec::with_capacity(256);
        enc.extend_from_slice(b"cloudsign-audit-v1");
        enc.extend_from_slice(&self.seq.to_be_bytes());
        enc.extend_from_slice(&self.time.to_be_bytes());
        let details = canonical_json(&self.details);
        let token = self.timestamp.as_deref().unwrap_or("");
        for field in [
            self.kind.name(),
            &self.actor,
            &self.action,
            &self.subject,
            &details,
            &self.prev_hash,
            token,
        ] {
            enc.extend_from_slice(&(field.len() as u64).to_be_bytes());
            enc.extend_from_slice(field.as_bytes());
        }
        let d = DigestAlgorithm::Sha256.digest(&enc);
        let mut out = [0u8; 32];
        out.copy_from_slice(&d);
        out
    }
}

// JSON with object keys sorted and no insignificant whitespace, independent of how the
// details were built or which serde_json features are enabled elsewhere in the build.
fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String(k.clone()),
                        map.get(k).map_or_else(String::new, canonical_json)
                    )
                })
                .collect();
            format!("{{{}}}", body.join(","))
        }
        Value::Array(items) => {
            let body: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", body.join(","))
        }
        other => other.to_string(),
    }
}

/// Where records go: one call per complete line.
pub trait AuditSink: Send + fmt::Debug {
    /// Appends one line (without the newline).
    ///
    /// # Errors
    /// The underlying I/O error.
    fn append_line(&mut self, line: &[u8], durable: bool) -> io::Result<()>;
}

/// When a [`JsonLinesFile`] forces data to disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// After every record: nothing acknowledged is lost in a crash.
    EveryRecord,
    /// After checkpoints and seals only (the default): a crash can lose the unanchored tail,
    /// which verification could not vouch for anyway.
    #[default]
    OnCheckpoint,
    /// Never; the operating system decides.
    Never,
}

/// A JSON Lines file opened for appending.
#[derive(Debug)]
pub struct JsonLinesFile {
    file: File,
    fsync: FsyncPolicy,
}

impl JsonLinesFile {
    /// Opens `path` for appending, creating it if needed.
    ///
    /// # Errors
    /// [`AuditError::Io`].
    pub fn open(path: impl AsRef<Path>, fsync: FsyncPolicy) -> Result<Self, AuditError> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Self { file, fsync })
    }

    /// Cuts an incomplete last line (one without a newline) from the log at `path` and
    /// returns the bytes removed, or `None` if the file ends with a complete line. Only a
    /// record that was never completely written is removed; the cut is synced to disk.
    ///
    /// ```
    /// use cloudsign_core::audit::JsonLinesFile;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("audit.jsonl");
    /// std::fs::write(&path, b"{\"seq\":0}\n{\"seq\":1,\"ti")?;
    /// assert_eq!(JsonLinesFile::repair_torn_tail(&path)?, Some(b"{\"seq\":1,\"ti".to_vec()));
    /// assert_eq!(std::fs::read(&path)?, b"{\"seq\":0}\n");
    /// assert_eq!(JsonLinesFile::repair_torn_tail(&path)?, None);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AuditError::Io`], or [`AuditError::Malformed`] if the last line is longer than
    /// [`MAX_LINE_BYTES`] (then it is no torn record of ours, and nothing is cut).
    pub fn repair_torn_tail(path: impl AsRef<Path>) -> Result<Option<Vec<u8>>, AuditError> {
        let mut file = File::options().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        // A torn record is shorter than the longest line, so its start lies within that window.
        let window = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        if tail.last().is_none_or(|&b| b == b'\n') {
            return Ok(None);
        }
        let keep = match tail.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if start == 0 => 0,
            None => {
                return Err(AuditError::Malformed {
                    line: 0,
                    reason: "last line too long to be a torn record".into(),
                });
            }
        };
        let cut = tail.split_off(keep);
        file.set_len(start + u64::try_from(keep).unwrap_or(u64::MAX))?;
        file.sync_all()?;
        Ok(Some(cut))
    }
}

impl AuditSink for JsonLinesFile {
    fn append_line(&mut self, line: &[u8], durable: bool) -> io::Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        // One write per line so that concurrent readers never see half a record.
        self.file.write_all(&buf)?;
        match self.fsync {
            FsyncPolicy::EveryRecord => self.file.sync_data(),
            FsyncPolicy::OnCheckpoint if durable => self.file.sync_data(),
            _ => Ok(()),
        }
    }
}

/// When checkpoints are taken automatically. `None` disables a trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointPolicy {
    /// After this many records since the last checkpoint.
    pub every_records: Option<u64>,
    /// When this many seconds have passed since the last checkpoint (checked on append).
    pub every_secs: Option<u64>,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            every_records: Some(1000),
            every_secs: Some(3600),
        }
    }
}

/// The writing side of a log segment.
pub struct AuditLog<S: AuditSink> {
    sink: S,
    clock: Box<dyn TimeProvider>,
    stamper: Box<dyn TimeStamper>,
    policy: CheckpointPolicy,
    next_seq: u64,
    head: String,
    since_checkpoint: u64,
    last_checkpoint: UnixTime,
}

impl<S: AuditSink> fmt::Debug for AuditLog<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("next_seq", &self.next_seq)
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl<S: AuditSink> AuditLog<S> {
    /// Starts a new log in `sink` (which should be empty) with a genesis record.
    ///
    /// # Errors
    /// [`AuditError::Io`].
    pub fn create(
        sink: S,
        clock: Box<dyn TimeProvider>,
        stamper: Box<dyn TimeStamper>,
        policy: CheckpointPolicy,
    ) -> Result<Self, AuditError> {
        let now = clock.now();
        let mut log = Self {
            sink,
            clock,
            stamper,
            policy,
            next_seq: 0,
            head: ZERO_HASH.to_owned(),
            since_checkpoint: 0,
            last_checkpoint: now,
        };
        log.write(
            RecordKind::Genesis,
            "cloudsign",
            "log.start",
            "",
            Value::Null,
            None,
        )?;
        Ok(log)
    }

    /// Continues the segment whose records `existing` reads, appending to `sink` (the same
    /// log opened for appending). The existing records are verified first, checkpoints
    /// against `tsa_trust`, so that nothing is chained onto a broken or torn log; the
    /// checkpoint policy carries on from the last checkpoint found.
    ///
    /// ```
    /// use std::io::BufReader;
    /// use cloudsign_core::audit::{self, AuditLog, CheckpointPolicy, FsyncPolicy, JsonLinesFile};
    /// use cloudsign_core::testkit::TestPki;
    /// use cloudsign_core::time::SystemClock;
    /// use cloudsign_core::x509::TrustStore;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let pki = TestPki::generate()?;
    /// let mut trust = TrustStore::new();
    /// trust.add(pki.root.certificate.clone());
    /// let path = dir.path().join("audit.jsonl");
    /// let sink = JsonLinesFile::open(&path, FsyncPolicy::default())?;
    /// let (clock, tsa) = (Box::new(SystemClock), Box::new(pki.authority()?));
    /// let mut log = AuditLog::create(sink, clock, tsa, CheckpointPolicy::default())?;
    /// log.append("operator", "token.issue", "contract-1", serde_json::Value::Null)?;
    /// drop(log);
    ///
    /// // After a restart:
    /// let existing = BufReader::new(std::fs::File::open(&path)?);
    /// let sink = JsonLinesFile::open(&path, FsyncPolicy::default())?;
    /// let mut log = AuditLog::resume(
    ///     sink, existing, &trust, Box::new(SystemClock), Box::new(pki.authority()?),
    ///     CheckpointPolicy::default(),
    /// )?;
    /// let rec = log.append("operator", "token.revoke", "contract-1", serde_json::Value::Null)?;
    /// assert_eq!(rec.seq, 2);
    /// assert_eq!(audit::verify_log(&path, &trust)?.records, 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`verify_reader`] for the existing records ([`AuditError::TornTail`] for a torn last
    /// line, [`AuditError::Malformed`] for an empty one: start that with [`create`](Self::create)).
    pub fn resume(
        sink: S,
        existing: impl BufRead,
        tsa_trust: &TrustStore,
        clock: Box<dyn TimeProvider>,
        stamper: Box<dyn TimeStamper>,
        policy: CheckpointPolicy,
    ) -> Result<Self, AuditError> {
        let report = verify_reader(existing, tsa_trust)?;
        Ok(Self {
            sink,
            clock,
            stamper,
            policy,
            next_seq: report.records,
            head: report.head_hash,
            since_checkpoint: report.entries_since_anchor,
            last_checkpoint: UnixTime::from_secs(report.anchor_written),
        })
    }

    /// The hash of the last record written.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Appends an event; takes a checkpoint afterwards if the policy says so.
    ///
    /// # Errors
    /// [`AuditError::Io`], or [`AuditError::Timestamp`] if a due checkpoint fails (the event
    /// itself is written).
    pub fn append(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        details: Value,
    ) -> Result<AuditRecord, AuditError> {
        let rec = self.write(RecordKind::Entry, actor, action, subject, details, None)?;
        self.since_checkpoint += 1;
        let now = self.clock.now();
        let by_count = self
            .policy
            .every_records
            .is_some_and(|n| self.since_checkpoint >= n);
        let by_time = self
            .policy
            .every_secs
            .is_some_and(|s| now.as_secs() >= self.last_checkpoint.as_secs().saturating_add(s));
        if by_count || by_time {
            self.checkpoint()?;
        }
        Ok(rec)
    }

    /// Timestamps the current head and appends the checkpoint record.
    ///
    /// # Errors
    /// [`AuditError::Timestamp`] or [`AuditError::Io`].
    pub fn checkpoint(&mut self) -> Result<AuditRecord, AuditError> {
        let token = self.stamp_head()?;
        let rec = self.write(
            RecordKind::Checkpoint,
            "cloudsign",
            "log.checkpoint",
            "",
            Value::Null,
            Some(token),
        )?;
        self.since_checkpoint = 0;
        self.last_checkpoint = self.clock.now();
        Ok(rec)
    }

    /// Ends this segment with a checkpoint and starts a new one in `next`, whose genesis
    /// record links to this segment's final hash and carries the seal's timestamp.
    ///
    /// # Errors
    /// [`AuditError::Timestamp`] or [`AuditError::Io`].
    pub fn seal<T: AuditSink>(mut self, next: T) -> Result<AuditLog<T>, AuditError> {
        self.checkpoint()?;
        let token = self.stamp_head()?;
        let mut log = AuditLog {
            sink: next,
            clock: self.clock,
            stamper: self.stamper,
            policy: self.policy,
            next_seq: 0,
            head: self.head,
            since_checkpoint: 0,
            last_checkpoint: self.last_checkpoint,
        };
        log.write(
            RecordKind::Genesis,
            "cloudsign",
            "log.continue",
            "",
            Value::Null,
            Some(token),
        )?;
        Ok(log)
    }

    fn stamp_head(&self) -> Result<String, AuditError> {
        let imprint = hex::decode(&self.head).map_err(|e| AuditError::Timestamp(e.to_string()))?;
        let req = TimestampRequest::new(DigestAlgorithm::Sha256, imprint);
        let token = tsp::timestamp(self.stamper.as_ref(), &req)
            .map_err(|e| AuditError::Timestamp(e.to_string()))?;
        Ok(data_encoding::BASE64.encode(token.der()))
    }

    fn write(
        &mut self,
        kind: RecordKind,
        actor: &str,
        action: &str,
        subject: &str,
        details: Value,
        timestamp: Option<String>,
    ) -> Result<AuditRecord, AuditError> {
        let mut rec = AuditRecord {
            seq: self.next_seq,
            time: self.clock.now().as_secs(),
            kind,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            details,
            prev_hash: self.head.clone(),
            hash: String::new(),
            timestamp,
        };
        rec.hash = hex::encode(rec.compute_hash());
        let line = serde_json::to_vec(&rec).map_err(|e| AuditError::Io(e.to_string()))?;
        self.sink.append_line(&line, kind != RecordKind::Entry)?;
        self.next_seq += 1;
        self.head.clone_from(&rec.hash);
        Ok(rec)
    }
}

/// The outcome of a successful [`verify_log`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AuditReport {
    /// Records in the segment, genesis and checkpoints included.
    pub records: u64,
    /// Checkpoints verified (a sealed segment's genesis token counts).
    pub checkpoints: u64,
    /// Sequence number of the last checkpoint, if any.
    pub last_checkpoint_seq: Option<u64>,
    /// Time of the last checkpoint according to its timestamp authority.
    pub last_checkpoint_time: Option<UnixTime>,
    /// Records after the last checkpoint: their removal could not be detected from the file.
    pub unanchored_records: u64,
    /// The hash of the last record.
    pub head_hash: String,
    /// For a segment started by a seal: the final hash of the sealed segment.
    pub previous_segment_head: Option<String>,
    /// Every record hash in order, to check an externally kept head against.
    #[serde(skip)]
    hashes: Vec<String>,
    // Where a resumed writer's checkpoint policy carries on: entries after the last
    // checkpoint (or genesis), and that record's writing time by the writer's clock.
    #[serde(skip)]
    entries_since_anchor: u64,
    #[serde(skip)]
    anchor_written: u64,
}

impl AuditReport {
    /// Whether `hash` (an externally kept head or checkpoint) is a record of this log: if
    /// not, the log was truncated before it or rewritten.
    pub fn contains_head(&self, hash: &str) -> bool {
        self.hashes.iter().any(|h| h == hash)
    }

    /// A caveat to print with the report.
    pub fn truncation_note(&self) -> String {
        format!(
            "{} record(s) after the last checkpoint are not anchored: truncation of the tail \
             cannot be detected from the file alone; compare with an externally kept head or \
             the expected checkpoint interval",
            self.unanchored_records
        )
    }
}

/// Verifies a log segment from a file.
///
/// # Errors
/// As [`verify_reader`].
pub fn verify_log(
    path: impl AsRef<Path>,
    tsa_trust: &TrustStore,
) -> Result<AuditReport, AuditError> {
    verify_reader(io::BufReader::new(File::open(path)?), tsa_trust)
}

/// Verifies a log segment: chain, sequence, hashes and every checkpoint against `tsa_trust`.
///
/// # Errors
/// [`AuditError::Malformed`], [`AuditError::Broken`] or [`AuditError::Checkpoint`] at the
/// first problem, [`AuditError::Io`] if reading fails.
pub fn verify_reader(
    mut reader: impl BufRead,
    tsa_trust: &TrustStore,
) -> Result<AuditReport, AuditError> {
    let mut report = AuditReport {
        records: 0,
        checkpoints: 0,
        last_checkpoint_seq: None,
        last_checkpoint_time: None,
        unanchored_records: 0,
        head_hash: String::new(),
        previous_segment_head: None,
        hashes: Vec::new(),
        entries_since_anchor: 0,
        anchor_written: 0,
    };
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let n = Read::by_ref(&mut reader)
            .take(u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let malformed = |reason: String| AuditError::Malformed {
            line: line_no,
            reason,
        };
        if line.last() != Some(&b'\n') {
            if line.len() > MAX_LINE_BYTES {
                return Err(malformed("line too long".into()));
            }
            return Err(AuditError::TornTail { line: line_no });
        }
        let rec: AuditRecord = serde_json::from_slice(&line[..line.len() - 1])
            .map_err(|e| malformed(e.to_string()))?;
        let seq = report.records;
        let broken = |reason: &str| AuditError::Broken {
            seq,
            reason: reason.to_owned(),
        };
        if rec.seq != seq {
            return Err(broken(&format!(
                "found record {} (deleted, inserted or reordered)",
                rec.seq
            )));
        }
        if seq == 0 {
            if rec.kind != RecordKind::Genesis {
                return Err(broken("the first record is not a genesis record"));
            }
            if rec.prev_hash != ZERO_HASH {
                report.previous_segment_head = Some(rec.prev_hash.clone());
            }
        } else {
            if rec.kind == RecordKind::Genesis {
                return Err(broken("a genesis record inside the segment"));
            }
            if rec.prev_hash != report.head_hash {
                return Err(broken("prev_hash does not link to the previous record"));
            }
        }
        if hex::encode(rec.compute_hash()) != rec.hash {
            return Err(broken("record hash does not match its contents (modified)"));
        }
        if let Some(token) = &rec.timestamp {
            let at = check_timestamp(token, &rec.prev_hash, tsa_trust)
                .map_err(|reason| AuditError::Checkpoint { seq, reason })?;
            if report.last_checkpoint_time.is_some_and(|t| at < t) {
                return Err(AuditError::Checkpoint {
                    seq,
                    reason: "checkpoint time goes backwards".into(),
                });
            }
            report.checkpoints += 1;
            report.last_checkpoint_seq = Some(seq);
            report.last_checkpoint_time = Some(at);
            report.unanchored_records = 0;
        } else if rec.kind == RecordKind::Checkpoint {
            return Err(AuditError::Checkpoint {
                seq,
                reason: "checkpoint without a timestamp".into(),
            });
        } else {
            report.unanchored_records += 1;
        }
        if rec.kind == RecordKind::Entry {
            report.entries_since_anchor += 1;
        } else {
            report.entries_since_anchor = 0;
            report.anchor_written = rec.time;
        }
        report.records += 1;
        report.head_hash.clone_from(&rec.hash);
        report.hashes.push(rec.hash);
    }
    if report.records == 0 {
        return Err(AuditError::Malformed {
            line: 0,
            reason: "empty log (no genesis record)".into(),
        });
    }
    Ok(report)
}

fn check_timestamp(b64: &str, head: &str, trust: &TrustStore) -> Result<UnixTime, String> {
    let der = data_encoding::BASE64
        .decode(b64.as_bytes())
        .map_err(|e| format!("token is not base64: {e}"))?;
    let token = TimestampToken::from_der(&der).map_err(|e| e.to_string())?;
    let cert = token.verify().map_err(|e| e.to_string())?;
    let at = token.gen_time();
    x509::validate_path(cert, token.certificates(), trust, at, &Limits::default())
        .map_err(|e| format!("timestamp authority not trusted: {e}"))?;
    let head = hex::decode(head).map_err(|_| "prev_hash is not hex".to_owned())?;
    if !token.matches_imprint(DigestAlgorithm::Sha256, &head) {
        return Err("the timestamp covers another chain head".into());
    }
    Ok(at)
}

/// The hash (hex) a record must carry, from its other fields; for tools that re-check or
/// rebuild a chain (and tests that play the attacker).
pub fn record_hash_hex(record: &AuditRecord) -> String {
    hex::encode(record.compute_hash())
}
