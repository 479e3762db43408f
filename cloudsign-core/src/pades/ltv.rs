//! Long-term validation data (ETSI EN 319 142-1 §5.4, PAdES B-LT and B-LTA): which
//! certificates a document's signatures and timestamps rest on, and the incremental update
//! that stores validation data in the document's DSS.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use super::options::certification_level;
use super::{DocMdpPermissions, DocumentTimestamper, SigningError};
use crate::cms;
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::dss::{self, ValidationData};
use crate::pdf::{Document, IncrementalWriter, Object, Source, form};
use crate::revocation::{
    Evidence, OcspResponse, RevocationSource, RevocationStatus, check_revocation, complete_chain,
    gather_at,
};
use crate::time::{TimeProvider, UnixTime};
use crate::tsp::{TimeStamper, TimestampToken};
use crate::x509::{Certificate, TrustStore};

/// Longest issuer chain followed when completing a certificate's path.
const MAX_CHAIN: usize = 8;

/// Adds long-term validation data to signed documents: an incremental update whose DSS holds
/// the certificates, OCSP responses and CRLs that show the signers' and timestamp
/// authorities' certificates were valid, then (with a timestamper) a document timestamp over
/// it, which makes B-LT signatures B-LTA and can be repeated to keep an archive alive.
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use cloudsign_core::pades::{LtvUpdater, PdfSigner, SignatureProfile};
/// use cloudsign_core::revocation::NoFetch;
/// use cloudsign_core::testkit::{TestPki, samples};
/// let pki = TestPki::generate()?; // no revocation URLs in these certificates
/// let tsa = pki.authority()?;
/// let signed = PdfSigner::new(&pki.signer_ec.signer()?)
///     .profile(SignatureProfile::BaselineT { timestamper: &tsa })
///     .sign(&samples::contract_pdf())?;
/// let archived = LtvUpdater::new(&NoFetch).timestamper(&tsa).add(&signed)?;
/// let renewed = LtvUpdater::new(&NoFetch).timestamper(&tsa).extend(&archived)?;
/// assert!(renewed.starts_with(&archived));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LtvUpdater<'a> {
    revocation: &'a dyn RevocationSource,
    timestamper: Option<&'a dyn TimeStamper>,
    vri: bool,
    extra: ValidationData,
    anchors: Vec<Certificate>,
    clock: Option<&'a dyn TimeProvider>,
    limits: Limits,
}

/// Which signatures get validation data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Every signature and document timestamp.
    All,
    /// The signature or timestamp covering the most bytes (the one just added).
    Newest,
    /// The newest document timestamp.
    NewestTimestamp,
}

impl<'a> LtvUpdater<'a> {
    /// An updater that asks `revocation` for OCSP responses, CRLs and missing issuers.
    pub fn new(revocation: &'a dyn RevocationSource) -> Self {
        Self {
            revocation,
            timestamper: None,
            vri: false,
            extra: ValidationData::default(),
            anchors: Vec::new(),
            clock: None,
            limits: Limits::default(),
        }
    }

    /// Add a document timestamp from `timestamper` after the validation data.
    #[must_use]
    pub fn timestamper(mut self, timestamper: &'a dyn TimeStamper) -> Self {
        self.timestamper = Some(timestamper);
        self
    }

    /// Also write `/VRI` entries: which data belongs to which signature, dated with `/TU`
    /// (optional in PAdES).
    #[must_use]
    pub fn vri(mut self, on: bool) -> Self {
        self.vri = on;
        self
    }

    /// Validation data to store as well, had some other way: for example the CRL of a CA
    /// whose certificate names no distribution point, or certificates of another chain.
    #[must_use]
    pub fn extra(mut self, data: ValidationData) -> Self {
        self.extra = data;
        self
    }

    /// Certificates to complete chains with, usually the validators' trust anchors: the top
    /// intermediate CA's status can only be gathered with its issuer at hand, and a
    /// signature rarely carries the root. (Without them, issuers come from the document and
    /// from AIA caIssuers.)
    ///
    /// ```
    /// # fn main() -> Result<(), cloudsign_core::Error> {
    /// use cloudsign_core::pades::LtvUpdater;
    /// use cloudsign_core::revocation::NoFetch;
    /// use cloudsign_core::x509::TrustStore;
    /// let pki = cloudsign_core::testkit::TestPki::generate()?;
    /// let mut trust = TrustStore::new();
    /// trust.add(pki.root.certificate.clone());
    /// let updater = LtvUpdater::new(&NoFetch).trust_anchors(&trust);
    /// # let _ = updater;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn trust_anchors(mut self, trust: &TrustStore) -> Self {
        self.anchors = trust.anchors().to_vec();
        self
    }

    /// The clock that decides whether fetched revocation data is current (default: the
    /// system clock).
    #[must_use]
    pub fn clock(mut self, clock: &'a dyn TimeProvider) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Resource limits for reading the input.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds validation data for every signature and timestamp of `pdf` (and a document
    /// timestamp when a timestamper is set).
    ///
    /// # Errors
    /// A document that cannot be read or updated, revocation data that cannot be had for a
    /// certificate that names where to get it, or a timestamp failure. Nothing is returned
    /// half-done.
    pub fn add(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        self.update(pdf, Scope::All)
    }

    /// Renews an archive: validation data for the newest document timestamp, then a fresh
    /// document timestamp over everything.
    ///
    /// # Errors
    /// As [`LtvUpdater::add`]; [`SigningError::NothingToExtend`] when the document has no
    /// document timestamp, [`SigningError::TimestampRequired`] without a timestamper.
    pub fn extend(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        if self.timestamper.is_none() {
            return Err(SigningError::TimestampRequired.into());
        }
        self.update(pdf, Scope::NewestTimestamp)
    }

    /// [`LtvUpdater::add`] from file to file; the output appears complete or not at all.
    ///
    /// # Errors
    /// As [`LtvUpdater::add`], plus I/O.
    pub fn add_file(&self, input: &Path, output: &Path) -> Result<()> {
        write_atomically(output, &self.add(&std::fs::read(input)?)?)
    }

    /// [`LtvUpdater::extend`] from file to file; the output appears complete or not at all.
    ///
    /// # Errors
    /// As [`LtvUpdater::extend`], plus I/O.
    pub fn extend_file(&self, input: &Path, output: &Path) -> Result<()> {
        write_atomically(output, &self.extend(&std::fs::read(input)?)?)
    }

    /// What a reader should know before `pdf` is updated: a certification signature that
    /// permits no changes (DocMDP P=1) is followed by validation data and timestamps that
    /// strict readers count as modifications.
    ///
    /// # Errors
    /// A document that cannot be read.
    pub fn warnings(&self, pdf: &[u8]) -> Result<Vec<String>> {
        let doc = Document::open(pdf, &self.limits)?;
        Ok(match certification_level(&doc)? {
            Some(DocMdpPermissions::NoChanges) => vec![
                "the document is certified with no changes allowed (DocMDP P=1): strict readers \
                 treat validation data and timestamps added later as modifications"
                    .to_owned(),
            ],
            _ => Vec::new(),
        })
    }

    /// Adds validation data for the signature just made (the one covering the most bytes).
    pub(crate) fn add_for_newest(&self, pdf: &[u8]) -> Result<Vec<u8>> {
        self.update(pdf, Scope::Newest)
    }

    fn update(&self, pdf: &[u8], scope: Scope) -> Result<Vec<u8>> {
        let doc = Document::open(pdf, &self.limits)?;
        let all = signatures(&doc)?;
        let chosen: Vec<&Signed> = match scope {
            Scope::All => all.iter().collect(),
            Scope::Newest => all
                .iter()
                .max_by_key(|s| s.covered_end)
                .into_iter()
                .collect(),
            Scope::NewestTimestamp => all
                .iter()
                .filter(|s| s.is_document_timestamp)
                .max_by_key(|s| s.covered_end)
                .into_iter()
                .collect(),
        };
        if chosen.is_empty() {
            return Err(match scope {
                Scope::NewestTimestamp => SigningError::NothingToExtend,
                _ => SigningError::NoSignature,
            }
            .into());
        }
        let mut known: Vec<Certificate> = Vec::new();
        for der in dss::read(&doc)?.data.certificates {
            if let Ok(cert) = Certificate::from_der(&der) {
                known.push(cert);
            }
        }
        for signed in &all {
            known.extend(signed.certificates.iter().cloned());
        }
        known.extend(self.anchors.iter().cloned());
        drop(doc);
        let mut data = self.extra.clone();
        let mut vri = BTreeMap::new();
        for signed in chosen {
            let gathered = self.gather(signed, &known)?;
            if self.vri {
                vri.insert(signed.vri_key.clone(), gathered.clone());
            }
            data.extend(gathered);
        }
        let with_dss = append_dss(pdf, &data, &vri, self.now(), &self.limits)?;
        match self.timestamper {
            Some(stamper) => DocumentTimestamper::new(stamper)
                .limits(self.limits.clone())
                .timestamp(&with_dss),
            None => Ok(with_dss),
        }
    }

    /// The updater's clock, or the system's.
    fn now(&self) -> UnixTime {
        self.clock.map_or_else(UnixTime::now, |c| c.now())
    }

    /// The chain of each leaf of `signed`, with revocation data for every certificate in it
    /// that names where such data is published.
    fn gather(&self, signed: &Signed, known: &[Certificate]) -> Result<ValidationData> {
        let now = self.now();
        let mut data = ValidationData::default();
        for leaf in &signed.leaves {
            let chain = complete_chain(self.revocation, leaf, known, MAX_CHAIN)?;
            data.add_certificate(leaf.der().to_vec());
            let mut cert = leaf;
            for issuer in &chain {
                data.add_certificate(issuer.der().to_vec());
                // Data the caller gave speaks first: what it already shows is not fetched.
                if names_revocation_source(cert) && !shows_status(&self.extra, cert, issuer, now) {
                    let found = gather_at(self.revocation, cert, issuer, now)?;
                    for der in found.ocsp {
                        // The responder's own certificate, so the response verifies offline.
                        if let Ok(response) = OcspResponse::parse(&der) {
                            for c in response.certificates() {
                                data.add_certificate(c.der().to_vec());
                            }
                        }
                        data.add_ocsp_response(der);
                    }
                    found.crls.into_iter().for_each(|c| data.add_crl(c));
                }
                cert = issuer;
            }
        }
        Ok(data)
    }
}

/// A B-LT signature must show its signer's status: a certificate that names no OCSP
/// responder or CRL distribution point needs `evidence` for it (from its `issuer`), current
/// at `now`.
///
/// # Errors
/// [`SigningError::NoRevocationSource`] otherwise.
pub(crate) fn check_signer_status(
    signer: &Certificate,
    issuer: Option<&Certificate>,
    evidence: &ValidationData,
    now: UnixTime,
) -> Result<()> {
    if names_revocation_source(signer)
        || issuer.is_some_and(|issuer| shows_status(evidence, signer, issuer, now))
    {
        Ok(())
    } else {
        Err(SigningError::NoRevocationSource {
            certificate: signer.subject(),
        }
        .into())
    }
}

/// Whether `data` holds revocation evidence on `cert` from `issuer` current at `now`
/// (good or revoked: either is a status).
fn shows_status(
    data: &ValidationData,
    cert: &Certificate,
    issuer: &Certificate,
    now: UnixTime,
) -> bool {
    let certificates: Vec<Certificate> = data
        .certificates
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .collect();
    let evidence = Evidence {
        ocsp: &data.ocsp_responses,
        crls: &data.crls,
        certificates: &certificates,
    };
    !matches!(
        check_revocation(cert, issuer, &evidence, now),
        RevocationStatus::Unknown { .. }
    )
}

/// Whether `cert` says where its revocation status is published (AIA OCSP or CRL
/// distribution points); for any other certificate no status can be had.
pub(crate) fn names_revocation_source(cert: &Certificate) -> bool {
    !cert.ocsp_urls().is_empty() || !cert.crl_urls().is_empty()
}

/// Writes `bytes` to a temporary file beside `output`, syncs it and renames it into place.
pub(crate) fn write_atomically(output: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = super::update::temporary_path_beside(output);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, output)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(result?)
}

/// One signature or document timestamp of a document, as far as validation data goes.
#[derive(Clone, Debug)]
pub(crate) struct Signed {
    /// The key of its VRI entry.
    pub(crate) vri_key: String,
    /// Whether it is a document timestamp.
    pub(crate) is_document_timestamp: bool,
    /// Where the bytes it covers end (`/ByteRange` c + d).
    pub(crate) covered_end: u64,
    /// The certificates whose status must be shown: the signer's (or the timestamp
    /// authority's) and those of its signature timestamps' authorities.
    pub(crate) leaves: Vec<Certificate>,
    /// Every certificate the signature and its tokens carry.
    pub(crate) certificates: Vec<Certificate>,
}

/// The signatures and document timestamps of `doc`, in field order. Values that cannot be
/// parsed are skipped: they can be given no validation data, and the validator reports them.
pub(crate) fn signatures<S: Source>(doc: &Document<S>) -> Result<Vec<Signed>> {
    let mut out = Vec::new();
    for field in form::fields(doc)? {
        let Some(value) = field.value_ref().filter(|_| field.is_signature()) else {
            continue;
        };
        let Some(Object::Dict(sig)) = doc.get(value)? else {
            continue;
        };
        let Some(contents) = sig.get(b"Contents").and_then(Object::as_string) else {
            continue;
        };
        let contents = &contents.bytes;
        let vri_key = dss::vri_key(contents);
        let covered_end = sig
            .get(b"ByteRange")
            .and_then(Object::as_array)
            .and_then(|r| Some((r.get(2)?.as_integer()?, r.get(3)?.as_integer()?)))
            .and_then(|(c, d)| u64::try_from(c.checked_add(d)?).ok())
            .unwrap_or(0);
        if sig.name(b"SubFilter") == Some(b"ETSI.RFC3161") {
            let Ok(token) = TimestampToken::from_der(contents) else {
                continue;
            };
            out.push(Signed {
                vri_key,
                is_document_timestamp: true,
                covered_end,
                leaves: token.signer_certificate().cloned().into_iter().collect(),
                certificates: token.certificates().to_vec(),
            });
            continue;
        }
        let Ok(view) = cms::parse_signed_data(contents) else {
            continue;
        };
        let mut signed = Signed {
            vri_key,
            is_document_timestamp: false,
            covered_end,
            leaves: view.signer_certificate().cloned().into_iter().collect(),
            certificates: view.certificates().to_vec(),
        };
        for (oid, der) in view.unsigned_attributes() {
            if oid != SIGNATURE_TIME_STAMP {
                continue;
            }
            if let Ok(token) = TimestampToken::from_der(&der) {
                signed.leaves.extend(token.signer_certificate().cloned());
                signed
                    .certificates
                    .extend(token.certificates().iter().cloned());
            }
        }
        out.push(signed);
    }
    Ok(out)
}

/// OID of the CAdES signature-time-stamp unsigned attribute (RFC 3161 Appendix A).
pub(crate) const SIGNATURE_TIME_STAMP: &str = "1.2.840.113549.1.9.16.2.14";

/// `pdf` followed by one incremental update whose DSS holds what the document's DSS held
/// plus `data`, with `vri` entries dated `created`.
pub(crate) fn append_dss(
    pdf: &[u8],
    data: &ValidationData,
    vri: &BTreeMap<String, ValidationData>,
    created: UnixTime,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let doc = Document::open(pdf, limits)?;
    if doc.trailing_garbage().is_some() {
        return Err(SigningError::TrailingData.into());
    }
    let mut writer = IncrementalWriter::append_to(&doc)?;
    dss::write_at(&doc, &mut writer, data, vri, Some(created))?;
    let update = writer.finish();
    let mut out = Vec::with_capacity(pdf.len() + update.bytes.len());
    out.extend_from_slice(pdf);
    out.extend_from_slice(&update.bytes);
    Ok(out)
}
