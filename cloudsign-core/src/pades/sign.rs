//! `PdfSigner`: one signature, as one incremental update.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::options::{DocMdpPermissions, SignatureOptions, SignatureProfile};
use super::prepared::PreparedSignature;
use super::{SigningError, hash_source_range, hash_update_parts};
use crate::cms;
use crate::crypto::{Hasher, SignatureAlgorithm};
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::form::{self, SignatureFieldRequest};
use crate::pdf::{
    Dict, Document, IncrementalWriter, Object, PdfString, Placeholder, Source, XrefKind, XrefStyle,
    patch_placeholder,
};
use crate::signer::{Signer, ToBeSigned};
use crate::time::UnixTime;

/// Width reserved for the three ByteRange numbers after the leading 0: three u64 values of up
/// to 20 digits and two separating spaces.
const BYTE_RANGE_WIDTH: usize = 62;
/// Slack added to the size estimate of the CMS, for encodings that vary by a few bytes.
const CONTENTS_SLACK: usize = 64;

/// Signs PDF documents with one [`Signer`] at one [`SignatureProfile`].
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use cloudsign_core::pades::{PdfSigner, SignatureOptions};
/// use cloudsign_core::testkit::{TestPki, samples};
/// let pki = TestPki::generate()?;
/// let signer = pki.signer_ec.signer()?;
/// let pdf = samples::contract_pdf();
/// let signed = PdfSigner::new(&signer)
///     .options(SignatureOptions::new().reason("Agreed"))
///     .sign(&pdf)?;
/// assert!(signed.starts_with(&pdf)); // the original bytes are untouched
/// # Ok(()) }
/// ```
pub struct PdfSigner<'a> {
    signer: &'a dyn Signer,
    profile: SignatureProfile,
    options: SignatureOptions,
    limits: Limits,
}

impl std::fmt::Debug for PdfSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfSigner")
            .field("algorithm", &self.signer.algorithm())
            .field("profile", &self.profile)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The update with its placeholders, before anything is hashed.
struct Draft {
    update: Vec<u8>,
    base_len: u64,
    contents: Placeholder,
    byte_range: [u64; 4],
}

impl<'a> PdfSigner<'a> {
    /// A signer producing PAdES-B-B with default options.
    pub fn new(signer: &'a dyn Signer) -> Self {
        Self {
            signer,
            profile: SignatureProfile::default(),
            options: SignatureOptions::default(),
            limits: Limits::default(),
        }
    }

    /// The level to produce.
    #[must_use]
    pub fn profile(mut self, profile: SignatureProfile) -> Self {
        self.profile = profile;
        self
    }

    /// The signature's options.
    #[must_use]
    pub fn options(mut self, options: SignatureOptions) -> Self {
        self.options = options;
        self
    }

    /// Resource limits for reading the input.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Signs a document held in memory and returns the signed document (the input followed by
    /// one incremental update).
    ///
    /// # Errors
    /// A PDF that cannot be read or signed safely, a limit, or a signer failure.
    pub fn sign(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        let prepared = self.prepare(pdf)?;
        let signature = self.signer.sign(prepared.to_be_signed())?;
        let update = prepared.finish(&signature)?;
        let mut out = Vec::with_capacity(pdf.len() + update.bytes().len());
        out.extend_from_slice(pdf);
        out.extend_from_slice(update.bytes());
        Ok(out)
    }

    /// Prepares a signature whose value will be computed elsewhere (an HSM, another process):
    /// the signer is asked only for its certificates, algorithm and maximum signature length.
    ///
    /// # Errors
    /// As [`PdfSigner::sign`].
    pub fn prepare(&self, pdf: &[u8]) -> Result<PreparedSignature> {
        let doc = Document::open(pdf, &self.limits)?;
        let draft = self.draft(&doc)?;
        let mut hasher = Hasher::new(self.signer.algorithm().digest());
        hasher.update(pdf);
        hash_update(&draft, &mut hasher);
        self.prepared(draft, hasher.finalize())
    }

    /// Signs the file at `input` into a new file at `output`, streaming: memory use does not
    /// grow with the file. The output appears complete or not at all (written to a temporary
    /// file beside it, synced, then renamed).
    ///
    /// # Errors
    /// As [`PdfSigner::sign`], plus I/O errors; on error no output file is left behind.
    pub fn sign_file(&self, input: &Path, output: &Path) -> Result<()> {
        let doc = Document::open(File::open(input)?, &self.limits)?;
        let draft = self.draft(&doc)?;
        let tmp_path = temporary_path_beside(output);
        let result = (|| {
            let mut tmp = File::create(&tmp_path)?;
            let mut hasher = Hasher::new(self.signer.algorithm().digest());
            hash_source_range(doc.source(), 0, draft.base_len, &mut hasher, Some(&mut tmp))?;
            hash_update(&draft, &mut hasher);
            let update = self.sign_draft(draft, hasher.finalize())?;
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

    /// Signs the file at `path` by appending the update to it in place. Nothing is written
    /// unless signing succeeded; the original bytes are never rewritten.
    ///
    /// # Errors
    /// As [`PdfSigner::sign_file`]; also if the file changed length while being signed.
    pub fn sign_in_place(&self, path: &Path) -> Result<()> {
        let file = File::options().read(true).append(true).open(path)?;
        let doc = Document::open(file.try_clone()?, &self.limits)?;
        let draft = self.draft(&doc)?;
        let mut hasher = Hasher::new(self.signer.algorithm().digest());
        hash_source_range(doc.source(), 0, draft.base_len, &mut hasher, None)?;
        hash_update(&draft, &mut hasher);
        let base_len = draft.base_len;
        let update = self.sign_draft(draft, hasher.finalize())?;
        let mut file = file;
        if file.metadata()?.len() != base_len {
            return Err(SigningError::DocumentMismatch.into());
        }
        file.write_all(&update)?;
        file.sync_all()?;
        Ok(())
    }

    fn sign_draft(&self, draft: Draft, document_digest: Vec<u8>) -> Result<Vec<u8>> {
        let prepared = self.prepared(draft, document_digest)?;
        let signature = self.signer.sign(prepared.to_be_signed())?;
        Ok(prepared.finish(&signature)?.into_bytes())
    }

    fn prepared(&self, draft: Draft, document_digest: Vec<u8>) -> Result<PreparedSignature> {
        let chain = self.signer.certificate_chain();
        let signer_cert = chain.first().ok_or(SigningError::NoCertificate)?;
        let algorithm: SignatureAlgorithm = self.signer.algorithm();
        let signed_attributes =
            cms::build_signed_attributes(&document_digest, algorithm.digest(), signer_cert)?;
        let tbs = ToBeSigned::new(signed_attributes, algorithm);
        Ok(PreparedSignature::new(
            draft.update,
            draft.base_len,
            draft.contents,
            draft.byte_range,
            document_digest,
            tbs,
            chain.iter().map(|c| c.der().to_vec()).collect(),
            self.signer.max_signature_len(),
        ))
    }

    /// Builds the update with placeholders: signature dictionary, field, widget, form.
    fn draft<S: Source>(&self, doc: &Document<S>) -> Result<Draft> {
        if doc.is_encrypted() {
            return Err(crate::pdf::PdfError::new(crate::pdf::PdfErrorKind::Encrypted).into());
        }
        if doc.trailing_garbage().is_some() {
            return Err(SigningError::TrailingData.into());
        }
        let chain = self.signer.certificate_chain();
        if chain.is_empty() {
            return Err(SigningError::NoCertificate.into());
        }
        let existing = form::fields(doc)?;
        let signed_before = existing
            .iter()
            .any(|f| f.is_signature() && f.value_ref().is_some());
        if self.options.certify.is_some() && signed_before {
            return Err(SigningError::CertificationNotFirst.into());
        }
        if certification_level(doc)? == Some(DocMdpPermissions::NoChanges) {
            return Err(SigningError::CertifiedNoChanges.into());
        }

        let reserved = cms::estimate_signed_data_len(
            chain,
            self.signer.algorithm(),
            self.signer.max_signature_len(),
            self.profile.unsigned_attributes_reserve(),
        ) + CONTENTS_SLACK;

        let base_len = doc.len();
        let last = doc.revisions().last().ok_or(crate::pdf::PdfError::new(
            crate::pdf::PdfErrorKind::MissingStartxref,
        ))?;
        let style = match last.xref_kind {
            XrefKind::Stream => XrefStyle::Stream,
            _ => XrefStyle::Table,
        };
        let mut carried = Dict::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = doc.trailer().get(key) {
                carried.set(key.to_vec(), v.clone());
            }
        }
        let size_from_trailer = doc
            .trailer()
            .integer(b"Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let next_number = size_from_trailer.max(doc.max_object_number().saturating_add(1));
        let ends_with_eol = {
            let tail = doc.read_range(base_len.saturating_sub(1), base_len)?;
            matches!(tail.last(), Some(b'\n' | b'\r'))
        };
        let mut writer = IncrementalWriter::new(
            base_len,
            ends_with_eol,
            last.xref_offset,
            style,
            next_number,
            carried,
        );

        let sig_ref = writer.allocate();
        let (body, byte_range_rel, contents_rel) = self.signature_dictionary(reserved);
        let mut catalog_entries = Vec::new();
        if self.options.certify.is_some() {
            let mut perms = Dict::new();
            perms.set(b"DocMDP".to_vec(), sig_ref);
            catalog_entries.push((b"Perms".to_vec(), Object::Dict(perms)));
        }
        form::add_signature_field(
            doc,
            &mut writer,
            &SignatureFieldRequest {
                name: self.options.field_name.clone(),
                value: sig_ref,
                page_index: 0,
                rect: [0.0; 4],
                appearance: None,
                catalog_entries,
            },
        )?;
        writer.add_raw(sig_ref, body);
        let written = writer.finish();
        let body_at = *written
            .body_offsets
            .get(&sig_ref)
            .ok_or(crate::pdf::PdfError::new(crate::pdf::PdfErrorKind::Syntax(
                "writer lost the signature",
            )))?;

        // `<` of /Contents is the first excluded byte; the byte after `>` the first included.
        let gap_start = body_at + contents_rel;
        let gap_end = gap_start + 2 + 2 * reserved as u64;
        let byte_range = [0, gap_start, gap_end, written.end - gap_end];
        let mut update = written.bytes;
        let value = format!("{} {} {}", byte_range[1], byte_range[2], byte_range[3]);
        let byte_range_slot = Placeholder {
            offset: body_at + byte_range_rel,
            len: BYTE_RANGE_WIDTH as u64,
        };
        if !patch_placeholder(
            &mut update,
            base_len,
            byte_range_slot,
            value.as_bytes(),
            b' ',
        ) {
            return Err(SigningError::PlaceholderTooSmall {
                needed: value.len(),
                reserved: BYTE_RANGE_WIDTH,
            }
            .into());
        }
        let contents = Placeholder {
            offset: gap_start + 1,
            len: 2 * reserved as u64,
        };
        Ok(Draft {
            update,
            base_len,
            contents,
            byte_range,
        })
    }

    /// The signature dictionary with its placeholders, and the offsets (relative to the body)
    /// of the ByteRange numbers and of the `<` that opens `/Contents`.
    fn signature_dictionary(&self, reserved: usize) -> (Vec<u8>, u64, u64) {
        let o = &self.options;
        let mut dict = Dict::new();
        dict.set(b"Type".to_vec(), Object::name(b"Sig".to_vec()));
        dict.set(b"Filter".to_vec(), Object::name(b"Adobe.PPKLite".to_vec()));
        dict.set(
            b"SubFilter".to_vec(),
            Object::name(b"ETSI.CAdES.detached".to_vec()),
        );
        let time = o.signing_time.unwrap_or_else(UnixTime::now);
        dict.set(
            b"M".to_vec(),
            PdfString::literal(time.to_pdf_date().into_bytes()),
        );
        for (key, value) in [
            (&b"Reason"[..], &o.reason),
            (b"Location", &o.location),
            (b"ContactInfo", &o.contact_info),
        ] {
            if let Some(text) = value {
                dict.set(key.to_vec(), PdfString::text(text));
            }
        }
        if let Some(p) = o.certify {
            let mut params = Dict::new();
            params.set(b"Type".to_vec(), Object::name(b"TransformParams".to_vec()));
            params.set(b"P".to_vec(), Object::Integer(p.level()));
            params.set(b"V".to_vec(), Object::name(b"1.2".to_vec()));
            let mut reference = Dict::new();
            reference.set(b"Type".to_vec(), Object::name(b"SigRef".to_vec()));
            reference.set(
                b"TransformMethod".to_vec(),
                Object::name(b"DocMDP".to_vec()),
            );
            reference.set(b"TransformParams".to_vec(), params);
            dict.set(
                b"Reference".to_vec(),
                Object::Array(vec![Object::Dict(reference)]),
            );
        }
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
}

/// The DocMDP permissions of the document's certification signature, if it has one.
pub(crate) fn certification_level<S: Source>(
    doc: &Document<S>,
) -> Result<Option<DocMdpPermissions>> {
    let catalog = doc.catalog()?;
    let Some(perms) = catalog.get(b"Perms") else {
        return Ok(None);
    };
    let Object::Dict(perms) = doc.resolve(perms)? else {
        return Ok(None);
    };
    let Some(sig) = perms.get(b"DocMDP") else {
        return Ok(None);
    };
    let Object::Dict(sig) = doc.resolve(sig)? else {
        return Ok(None);
    };
    Ok(docmdp_of_signature(&sig, &|o| doc.resolve(o)))
}

/// The DocMDP permissions a signature dictionary declares in its `/Reference` (P defaults to 2).
pub(crate) fn docmdp_of_signature(
    sig: &Dict,
    resolve: &dyn Fn(&Object) -> Result<Object>,
) -> Option<DocMdpPermissions> {
    let references = resolve(sig.get(b"Reference")?).ok()?;
    for item in references.as_array()? {
        let Ok(Object::Dict(r)) = resolve(item) else {
            continue;
        };
        if r.name(b"TransformMethod") != Some(b"DocMDP") {
            continue;
        }
        let p = match r.get(b"TransformParams").map(resolve) {
            Some(Ok(Object::Dict(params))) => params.integer(b"P").unwrap_or(2),
            _ => 2,
        };
        return DocMdpPermissions::from_level(p).or(Some(DocMdpPermissions::NoChanges));
    }
    None
}

/// Hashes the parts of the update that the signature covers.
fn hash_update(draft: &Draft, hasher: &mut Hasher) {
    // The draft's byte range was computed from this very update, so it always fits.
    hash_update_parts(&draft.update, draft.base_len, draft.byte_range, hasher);
}

fn temporary_path_beside(output: &Path) -> PathBuf {
    let mut random = [0u8; 8];
    crate::crypto::random_bytes(&mut random);
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.{}.tmp", hex::encode(random)))
}
