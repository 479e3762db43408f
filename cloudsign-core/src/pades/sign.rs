//! `PdfSigner`: one signature, as one incremental update.

use std::io::Write as _;
use std::path::Path;

use super::SigningError;
use super::ltv::{LtvUpdater, check_signer_status, write_atomically};
use super::options::{SignatureOptions, SignatureProfile};
use super::prepared::PreparedSignature;
use super::update::{self, Draft, DraftRequest, UpdateMaker};
use crate::cms;
use crate::crypto::DigestAlgorithm;
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::dss::ValidationData;
use crate::pdf::{Dict, Document, Object, PdfString, Source};
use crate::revocation::complete_chain;
use crate::signer::{Signer, ToBeSigned};
use crate::time::UnixTime;
use crate::x509::TrustStore;

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
    profile: SignatureProfile<'a>,
    options: SignatureOptions,
    limits: Limits,
    anchors: TrustStore,
    validation_data: ValidationData,
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

impl<'a> PdfSigner<'a> {
    /// A signer producing PAdES-B-B with default options.
    pub fn new(signer: &'a dyn Signer) -> Self {
        Self {
            signer,
            profile: SignatureProfile::default(),
            options: SignatureOptions::default(),
            limits: Limits::default(),
            anchors: TrustStore::new(),
            validation_data: ValidationData::default(),
        }
    }

    /// The level to produce.
    #[must_use]
    pub fn profile(mut self, profile: SignatureProfile<'a>) -> Self {
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

    /// At B-LT and B-LTA, certificates to complete the signer's and the timestamp
    /// authority's chains with, usually the validators' trust anchors: with the root at hand
    /// the top intermediate CA's status is gathered too.
    #[must_use]
    pub fn trust_anchors(mut self, trust: &TrustStore) -> Self {
        self.anchors = trust.clone();
        self
    }

    /// At B-LT and B-LTA, validation data to store besides what is fetched: certificates,
    /// OCSP responses and CRLs had some other way. A signer whose certificate names no OCSP
    /// responder or CRL distribution point must be given its status here, or signing at
    /// those levels fails with [`SigningError::NoRevocationSource`].
    ///
    /// ```
    /// # fn main() -> Result<(), cloudsign_core::Error> {
    /// use cloudsign_core::pades::{PdfSigner, SignatureProfile, SigningError};
    /// use cloudsign_core::pdf::dss::ValidationData;
    /// use cloudsign_core::revocation::{CrlIssuer, NoFetch};
    /// use cloudsign_core::testkit::{TestPki, samples};
    /// let pki = TestPki::generate()?; // its certificates name no revocation service
    /// let tsa = pki.authority()?;
    /// let signer = pki.signer_ec.signer()?;
    /// let profile = SignatureProfile::BaselineLt { timestamper: &tsa, revocation: &NoFetch };
    /// let refused = PdfSigner::new(&signer).profile(profile).sign(&samples::contract_pdf());
    /// assert!(matches!(
    ///     refused,
    ///     Err(cloudsign_core::Error::Signing(SigningError::NoRevocationSource { .. }))
    /// ));
    /// // The CA's CRL, had some other way, shows the signer's status.
    /// let mut evidence = ValidationData::default();
    /// evidence.add_crl(CrlIssuer::new(pki.intermediate.signer()?)?.issue()?);
    /// let signed = PdfSigner::new(&signer)
    ///     .profile(profile)
    ///     .validation_data(evidence)
    ///     .sign(&samples::contract_pdf())?;
    /// # let _ = signed;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn validation_data(mut self, data: ValidationData) -> Self {
        self.validation_data = data;
        self
    }

    /// Signs a document held in memory and returns the signed document (the input followed by
    /// one incremental update).
    ///
    /// # Errors
    /// A PDF that cannot be read or signed safely, a limit, a signer or timestamp failure.
    pub fn sign(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        self.check_long_term_possible()?;
        let signed = update::make_in_memory(self, pdf, &self.limits)?;
        self.long_term(signed)
    }

    /// At B-LT and B-LTA, refuses before anything is signed when the signer's status could
    /// never be shown.
    fn check_long_term_possible(&self) -> Result<()> {
        let Some(revocation) = self.profile.revocation() else {
            return Ok(());
        };
        let chain = self.signer.certificate_chain();
        let Some((leaf, issuers)) = chain.split_first() else {
            return Err(SigningError::NoCertificate.into());
        };
        let mut known = issuers.to_vec();
        known.extend(self.anchors.anchors().iter().cloned());
        let issuer = complete_chain(revocation, leaf, &known, 1)?;
        check_signer_status(leaf, issuer.first(), &self.validation_data, UnixTime::now())
    }

    /// At B-LT and B-LTA, the validation data (and archive timestamp) after the signature.
    fn long_term(&self, signed: Vec<u8>) -> Result<Vec<u8>> {
        let Some(revocation) = self.profile.revocation() else {
            return Ok(signed);
        };
        let mut updater = LtvUpdater::new(revocation)
            .vri(self.options.vri)
            .trust_anchors(&self.anchors)
            .extra(self.validation_data.clone())
            .limits(self.limits.clone());
        if let (SignatureProfile::BaselineLta { .. }, Some(t)) =
            (self.profile, self.profile.timestamper())
        {
            updater = updater.timestamper(t);
        }
        updater.add_for_newest(&signed)
    }

    /// Prepares a signature whose value will be computed elsewhere (an HSM, another process):
    /// the signer is asked only for its certificates, algorithm and maximum signature length.
    /// At level B-T the prepared signature must be finished with
    /// [`PreparedSignature::finish_timestamped`].
    ///
    /// # Errors
    /// As [`PdfSigner::sign`].
    pub fn prepare(&self, pdf: &[u8]) -> Result<PreparedSignature> {
        let (draft, digest) = update::draft_and_digest(self, pdf, &self.limits)?;
        self.prepared(draft, digest)
    }

    /// Signs the file at `input` into a new file at `output`, streaming: memory use does not
    /// grow with the file. The output appears complete or not at all (written to a temporary
    /// file beside it, synced, then renamed).
    ///
    /// # Errors
    /// As [`PdfSigner::sign`], plus I/O errors; on error no output file is left behind.
    ///
    /// At B-LT and B-LTA the document is read into memory: the validation data depends on the
    /// finished signature.
    pub fn sign_file(&self, input: &Path, output: &Path) -> Result<()> {
        if self.profile.revocation().is_some() {
            return write_atomically(output, &self.sign(&std::fs::read(input)?)?);
        }
        update::make_file(self, input, output, &self.limits)
    }

    /// Signs the file at `path` by appending the update to it in place. Nothing is written
    /// unless signing succeeded; the original bytes are never rewritten.
    ///
    /// # Errors
    /// As [`PdfSigner::sign_file`]; also if the file changed length while being signed.
    pub fn sign_in_place(&self, path: &Path) -> Result<()> {
        if self.profile.revocation().is_some() {
            let original = std::fs::read(path)?;
            let signed = self.sign(&original)?;
            let mut file = std::fs::File::options().append(true).open(path)?;
            if file.metadata()?.len() != original.len() as u64 {
                return Err(SigningError::DocumentMismatch.into());
            }
            file.write_all(signed.get(original.len()..).unwrap_or_default())?;
            file.sync_all()?;
            return Ok(());
        }
        update::make_in_place(self, path, &self.limits)
    }

    fn prepared(&self, draft: Draft, document_digest: Vec<u8>) -> Result<PreparedSignature> {
        let chain = self.signer.certificate_chain();
        let signer_cert = chain.first().ok_or(SigningError::NoCertificate)?;
        let algorithm = self.signer.algorithm();
        let signed_attributes =
            cms::build_signed_attributes(&document_digest, algorithm.digest(), signer_cert)?;
        let tbs = ToBeSigned::new(signed_attributes, algorithm);
        Ok(PreparedSignature::new(
            draft,
            document_digest,
            tbs,
            chain.iter().map(|c| c.der().to_vec()).collect(),
            self.signer.max_signature_len(),
            self.profile.timestamper().is_some(),
        ))
    }

    /// The signature dictionary without its placeholders.
    fn signature_dictionary(&self) -> Dict {
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
        dict
    }
}

impl UpdateMaker for PdfSigner<'_> {
    fn digest_algorithm(&self) -> DigestAlgorithm {
        self.signer.algorithm().digest()
    }

    fn draft<S: Source>(&self, doc: &Document<S>) -> Result<Draft> {
        let chain = self.signer.certificate_chain();
        if chain.is_empty() {
            return Err(SigningError::NoCertificate.into());
        }
        let reserved = cms::estimate_signed_data_len(
            chain,
            self.signer.algorithm(),
            self.signer.max_signature_len(),
            self.profile.unsigned_attributes_reserve(),
        ) + CONTENTS_SLACK;
        update::draft_update(
            doc,
            DraftRequest {
                dictionary: self.signature_dictionary(),
                reserved,
                field_name: self.options.field_name.clone(),
                certify: self.options.certify,
            },
        )
    }

    fn complete(&self, draft: Draft, document_digest: Vec<u8>) -> Result<Vec<u8>> {
        let prepared = self.prepared(draft, document_digest)?;
        let signature = self.signer.sign(prepared.to_be_signed())?;
        let update = match self.profile.timestamper() {
            Some(stamper) => prepared.finish_timestamped(&signature, stamper)?,
            None => prepared.finish(&signature)?,
        };
        Ok(update.into_bytes())
    }
}
