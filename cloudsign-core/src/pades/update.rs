//! The update pipeline shared by signatures and document timestamps: draft an incremental
//! update whose value dictionary has fixed-width `/ByteRange` and `/Contents` placeholders,
//! hash every byte except the `/Contents` gap, then fill the gap. The same steps serve data in
//! memory, a new file, or an append in place.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::options::{DocMdpPermissions, certification_level};
use super::{SigningError, hash_prefix, hash_update_parts, with_prefix_hashing};
use crate::crypto::{DigestAlgorithm, Hasher};
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::form::{self, SignatureFieldRequest};
use crate::pdf::{
    Dict, Document, IncrementalWriter, Object, PdfError, PdfErrorKind, Placeholder, Source,
    patch_placeholder,
};

/// Width reserved for the three ByteRange numbers after the leading 0: three u64 values of up
/// to 20 digits and two separating spaces.
const BYTE_RANGE_WIDTH: usize = 62;

/// What to draft: the value dictionary (without `/ByteRange` and `/Contents`), how many bytes
/// its `/Contents` must hold, and where it goes.
pub(crate) struct DraftRequest {
    pub(crate) dictionary: Dict,
    pub(crate) reserved: usize,
    pub(crate) field_name: Option<String>,
    pub(crate) certify: Option<DocMdpPermissions>,
}

/// An update with its placeholders, ByteRange already written.
pub(crate) struct Draft {
    pub(crate) update: Vec<u8>,
    pub(crate) base_len: u64,
    pub(crate) contents: Placeholder,
    pub(crate) byte_range: [u64; 4],
}

impl Draft {
    /// Writes `der` into the `/Contents` placeholder and returns the finished update.
    pub(crate) fn fill(mut self, der: &[u8]) -> Result<Vec<u8>> {
        fill_contents(&mut self.update, self.base_len, self.contents, der)?;
        Ok(self.update)
    }
}

/// Writes `der` as hex into the `/Contents` placeholder of `update` (zero-padded).
pub(crate) fn fill_contents(
    update: &mut [u8],
    base_len: u64,
    contents: Placeholder,
    der: &[u8],
) -> Result<()> {
    let hex = hex::encode_upper(der);
    if patch_placeholder(update, base_len, contents, hex.as_bytes(), b'0') {
        Ok(())
    } else {
        Err(SigningError::PlaceholderTooSmall {
            needed: der.len(),
            reserved: usize::try_from(contents.len / 2).unwrap_or(0),
        }
        .into())
    }
}

/// Something that turns a document into one signed incremental update.
pub(crate) trait UpdateMaker: Sync {
    /// The digest over the covered bytes.
    fn digest_algorithm(&self) -> DigestAlgorithm;
    /// The update with placeholders.
    fn draft<S: Source>(&self, doc: &Document<S>) -> Result<Draft>;
    /// The finished update, given the digest of the covered bytes.
    fn complete(&self, draft: Draft, document_digest: Vec<u8>) -> Result<Vec<u8>>;
}

/// The draft and the digest of the covered bytes: all of the document, then the update's
/// parts outside the `/Contents` gap. From 8 MiB the document is hashed on this thread while
/// a second one opens it and drafts the update.
pub(crate) fn draft_and_digest<M: UpdateMaker, S: Source + ?Sized>(
    maker: &M,
    source: &S,
    limits: &Limits,
) -> Result<(Draft, Vec<u8>)> {
    let algorithm = maker.digest_algorithm();
    with_prefix_hashing(source, algorithm, |prefix| {
        let doc = Document::open(source, limits)?;
        let draft = maker.draft(&doc)?;
        let mut hasher = hash_prefix(source, prefix, algorithm, draft.base_len)?;
        hash_draft(&draft, &mut hasher);
        Ok((draft, hasher.finalize()))
    })
}

/// The document in memory followed by its finished update.
pub(crate) fn make_in_memory<M: UpdateMaker>(
    maker: &M,
    pdf: &[u8],
    limits: &Limits,
) -> Result<Vec<u8>> {
    let (draft, digest) = draft_and_digest(maker, pdf, limits)?;
    let update = maker.complete(draft, digest)?;
    let mut out = Vec::with_capacity(pdf.len() + update.len());
    out.extend_from_slice(pdf);
    out.extend_from_slice(&update);
    Ok(out)
}

/// Streams `input` into a new file `output` with the update appended. The output appears
/// complete or not at all (temporary file beside it, synced, renamed).
///
/// The input is copied by the kernel and flushed to disk on a second thread from the start,
/// so the copy and its write-back overlap parsing, hashing and signing (and, from 8 MiB, the
/// hashing overlaps the parsing; see [`draft_and_digest`]). Should the input change
/// meanwhile (its length or modification time), nothing is written.
pub(crate) fn make_file<M: UpdateMaker>(
    maker: &M,
    input: &Path,
    output: &Path,
    limits: &Limits,
) -> Result<()> {
    let file = File::open(input)?;
    let before = Fingerprint::of(&file)?;
    if before.len > limits.max_input_bytes {
        return Err(crate::limits::LimitExceeded::InputBytes {
            limit: limits.max_input_bytes,
        }
        .into());
    }
    let copy_from = file.try_clone()?;
    let watched = file.try_clone()?;
    let tmp_path = temporary_path_beside(output);
    let result = (|| {
        let mut tmp = File::create(&tmp_path)?;
        let update = std::thread::scope(|scope| {
            let copier = scope.spawn(|| copy_prefix(copy_from, &tmp, before.len));
            let update = draft_and_digest(maker, &file, limits)
                .and_then(|(draft, digest)| maker.complete(draft, digest));
            let copied = copier
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let update = update?;
            copied?;
            Ok::<_, crate::Error>(update)
        })?;
        if Fingerprint::of(&watched)? != before {
            return Err(SigningError::DocumentMismatch.into());
        }
        tmp.write_all(&update)?;
        tmp.sync_all()?;
        drop(tmp);
        std::fs::rename(&tmp_path, output)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

/// Copies the first `len` bytes of `input` to the start of `output` (in the kernel where the
/// system can) and flushes them to disk.
fn copy_prefix(mut input: File, mut output: &File, len: u64) -> std::io::Result<()> {
    input.seek(SeekFrom::Start(0))?;
    let copied = std::io::copy(&mut input.take(len), &mut output)?;
    if copied != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    output.sync_data()
}

/// What tells that a file changed while it was being signed.
#[derive(PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Fingerprint {
    fn of(file: &File) -> std::io::Result<Self> {
        let meta = file.metadata()?;
        Ok(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// Appends the update to the file at `path`; nothing is written unless it is complete.
pub(crate) fn make_in_place<M: UpdateMaker>(maker: &M, path: &Path, limits: &Limits) -> Result<()> {
    let mut file = File::options().read(true).append(true).open(path)?;
    let (draft, digest) = draft_and_digest(maker, &file, limits)?;
    let base_len = draft.base_len;
    let update = maker.complete(draft, digest)?;
    if file.metadata()?.len() != base_len {
        return Err(SigningError::DocumentMismatch.into());
    }
    file.write_all(&update)?;
    file.sync_all()?;
    Ok(())
}

fn hash_draft(draft: &Draft, hasher: &mut Hasher) {
    // The draft's byte range was computed from this very update, so it always fits.
    hash_update_parts(&draft.update, draft.base_len, draft.byte_range, hasher);
}

pub(crate) fn temporary_path_beside(output: &Path) -> PathBuf {
    let mut random = [0u8; 8];
    crate::crypto::random_bytes(&mut random);
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.{}.tmp", hex::encode(random)))
}

/// Builds the update: value dictionary with placeholders, field and widget, form bookkeeping.
pub(crate) fn draft_update<S: Source>(doc: &Document<S>, request: DraftRequest) -> Result<Draft> {
    if doc.is_encrypted() {
        return Err(PdfError::new(PdfErrorKind::Encrypted).into());
    }
    if doc.trailing_garbage().is_some() {
        return Err(SigningError::TrailingData.into());
    }
    let existing = form::fields(doc)?;
    let signed_before = existing
        .iter()
        .any(|f| f.is_signature() && f.value_ref().is_some());
    if request.certify.is_some() && signed_before {
        return Err(SigningError::CertificationNotFirst.into());
    }
    if certification_level(doc)? == Some(DocMdpPermissions::NoChanges) {
        return Err(SigningError::CertifiedNoChanges.into());
    }

    let base_len = doc.len();
    let mut writer = IncrementalWriter::append_to(doc)?;

    let value_ref = writer.allocate();
    let (body, byte_range_rel, contents_rel) =
        value_dictionary(request.dictionary, request.reserved);
    let mut catalog_entries = Vec::new();
    if request.certify.is_some() {
        let mut perms = Dict::new();
        perms.set(b"DocMDP".to_vec(), value_ref);
        catalog_entries.push((b"Perms".to_vec(), Object::Dict(perms)));
    }
    form::add_signature_field(
        doc,
        &mut writer,
        &SignatureFieldRequest {
            name: request.field_name,
            value: value_ref,
            page_index: 0,
            rect: [0.0; 4],
            appearance: None,
            catalog_entries,
        },
    )?;
    writer.add_raw(value_ref, body);
    let written = writer.finish();
    let body_at =
        *written
            .body_offsets
            .get(&value_ref)
            .ok_or(PdfError::new(PdfErrorKind::Syntax(
                "writer lost the signature",
            )))?;

    // `<` of /Contents is the first excluded byte; the byte after `>` the first included.
    let reserved = request.reserved as u64;
    let gap_start = body_at + contents_rel;
    let gap_end = gap_start + 2 + 2 * reserved;
    let byte_range = [0, gap_start, gap_end, written.end - gap_end];
    let mut update = written.bytes;
    let value = format!("{} {} {}", byte_range[1], byte_range[2], byte_range[3]);
    let slot = Placeholder {
        offset: body_at + byte_range_rel,
        len: BYTE_RANGE_WIDTH as u64,
    };
    if !patch_placeholder(&mut update, base_len, slot, value.as_bytes(), b' ') {
        return Err(SigningError::PlaceholderTooSmall {
            needed: value.len(),
            reserved: BYTE_RANGE_WIDTH,
        }
        .into());
    }
    let contents = Placeholder {
        offset: gap_start + 1,
        len: 2 * reserved,
    };
    Ok(Draft {
        update,
        base_len,
        contents,
        byte_range,
    })
}

/// The value dictionary with its placeholders, and the offsets (relative to the body) of the
/// ByteRange numbers and of the `<` that opens `/Contents`.
fn value_dictionary(dict: Dict, reserved: usize) -> (Vec<u8>, u64, u64) {
    let mut body = Object::Dict(dict).to_bytes();
    // Reopen the dictionary to append the two placeholder entries.
    body.truncate(body.len() - 2);
    body.extend_from_slice(b"/ByteRange [0 ");
    let byte_range_rel = body.len() as u64;
    body.extend(std::iter::repeat_n(b' ', BYTE_RANGE_WIDTH));
    body.extend_from_slice(b"]/Contents ");
    let contents_rel = body.len() as u64;
    body.push(b'<');
    body.extend(std::iter::repeat_n(b'0', 2 * reserved));
    body.extend_from_slice(b">>>");
    (body, byte_range_rel, contents_rel)
}
