//! Document timestamps (ISO 32000-2 §12.8.5, ETSI EN 319 142-1 §5.4): an RFC 3161 token over
//! the whole document, in a signature field of type `/DocTimeStamp`.

use std::path::Path;

use super::update::{self, Draft, DraftRequest, UpdateMaker};
use crate::crypto::DigestAlgorithm;
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::{Dict, Document, Object, Source};
use crate::tsp::{self, TimeStamper, TimestampRequest};

/// Slack over the authority's announced maximum token size.
const CONTENTS_SLACK: usize = 64;

/// Adds document timestamps.
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use cloudsign_core::pades::DocumentTimestamper;
/// use cloudsign_core::testkit::{TestPki, samples};
/// let pki = TestPki::generate()?;
/// let tsa = pki.authority()?; // an in-process authority; use HttpTimeStamper for a real one
/// let pdf = samples::contract_pdf();
/// let stamped = DocumentTimestamper::new(&tsa).timestamp(&pdf)?;
/// assert!(stamped.starts_with(&pdf));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DocumentTimestamper<'a> {
    stamper: &'a dyn TimeStamper,
    digest: DigestAlgorithm,
    field_name: Option<String>,
    limits: Limits,
}

impl<'a> DocumentTimestamper<'a> {
    /// A document timestamper using `stamper`, SHA-256, and a new field `SignatureN`.
    pub fn new(stamper: &'a dyn TimeStamper) -> Self {
        Self {
            stamper,
            digest: DigestAlgorithm::Sha256,
            field_name: None,
            limits: Limits::default(),
        }
    }

    /// The digest algorithm of the message imprint.
    #[must_use]
    pub fn digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// The field that holds the timestamp.
    #[must_use]
    pub fn field_name(mut self, name: impl Into<String>) -> Self {
        self.field_name = Some(name.into());
        self
    }

    /// Resource limits for reading the input.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Timestamps a document in memory; returns it with the timestamp appended.
    ///
    /// # Errors
    /// A PDF that cannot be read or changed safely, a limit, or a timestamp failure.
    pub fn timestamp(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        update::make_in_memory(self, pdf, &self.limits)
    }

    /// Timestamps the file at `input` into a new file at `output`, streaming; on error no
    /// output is left behind.
    ///
    /// # Errors
    /// As [`DocumentTimestamper::timestamp`], plus I/O.
    pub fn timestamp_file(&self, input: &Path, output: &Path) -> Result<()> {
        update::make_file(self, input, output, &self.limits)
    }

    /// Appends a document timestamp to the file at `path`.
    ///
    /// # Errors
    /// As [`DocumentTimestamper::timestamp_file`].
    pub fn timestamp_in_place(&self, path: &Path) -> Result<()> {
        update::make_in_place(self, path, &self.limits)
    }
}

impl UpdateMaker for DocumentTimestamper<'_> {
    fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    fn draft<S: Source>(&self, doc: &Document<S>) -> Result<Draft> {
        let mut dict = Dict::new();
        dict.set(b"Type".to_vec(), Object::name(b"DocTimeStamp".to_vec()));
        dict.set(b"Filter".to_vec(), Object::name(b"Adobe.PPKLite".to_vec()));
        dict.set(
            b"SubFilter".to_vec(),
            Object::name(b"ETSI.RFC3161".to_vec()),
        );
        update::draft_update(
            doc,
            DraftRequest {
                dictionary: dict,
                reserved: self.stamper.max_token_len() + CONTENTS_SLACK,
                field_name: self.field_name.clone(),
                certify: None,
            },
        )
    }

    fn complete(&self, draft: Draft, document_digest: Vec<u8>) -> Result<Vec<u8>> {
        let token = tsp::timestamp(
            self.stamper,
            &TimestampRequest::new(self.digest, document_digest),
        )?;
        draft.fill(token.der())
    }
}
