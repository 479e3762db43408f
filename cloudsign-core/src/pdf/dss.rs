//! The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): validation
//! data kept in the document itself, so that signatures can be validated later without asking
//! anyone.
//!
//! ```text
//! << /Type /DSS                      % optional
//!    /Certs [ stream … ]             % DER certificates
//!    /OCSPs [ stream … ]             % DER OCSPResponse
//!    /CRLs  [ stream … ]             % DER CertificateList
//!    /VRI   << /<HEX40> << /Cert [..] /OCSP [..] /CRL [..] /TU (date) >> … >> >>   % optional
//! ```
//!
//! This layer only moves bytes: it reads what the newest DSS holds and writes a merged DSS
//! into an update, keeping every earlier entry and reusing the streams that hold it. What the
//! bytes mean is for the caller.

use std::collections::BTreeMap;

use super::document::Document;
use super::object::{Dict, ObjRef, Object, PdfString, Stream};
use super::source::Source;
use super::writer::IncrementalWriter;
use crate::error::Result;
use crate::time::UnixTime;

/// Validation data: DER certificates, OCSP responses and CRLs.
///
/// ```
/// use cloudsign_core::pdf::dss::ValidationData;
/// let mut data = ValidationData::default();
/// data.add_certificate(b"cert".to_vec());
/// data.add_certificate(b"cert".to_vec()); // kept once
/// assert_eq!(data.certificates.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationData {
    /// DER certificates.
    pub certificates: Vec<Vec<u8>>,
    /// DER `OCSPResponse`s.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// DER `CertificateList`s.
    pub crls: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Adds a certificate unless it is already there.
    pub fn add_certificate(&mut self, der: Vec<u8>) {
        push_new(&mut self.certificates, der);
    }

    /// Adds an OCSP response unless it is already there.
    pub fn add_ocsp_response(&mut self, der: Vec<u8>) {
        push_new(&mut self.ocsp_responses, der);
    }

    /// Adds a CRL unless it is already there.
    pub fn add_crl(&mut self, der: Vec<u8>) {
        push_new(&mut self.crls, der);
    }

    /// Adds everything `other` holds.
    pub fn extend(&mut self, other: Self) {
        other
            .certificates
            .into_iter()
            .for_each(|c| self.add_certificate(c));
        other
            .ocsp_responses
            .into_iter()
            .for_each(|o| self.add_ocsp_response(o));
        other.crls.into_iter().for_each(|c| self.add_crl(c));
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.ocsp_responses.is_empty() && self.crls.is_empty()
    }
}

fn push_new(list: &mut Vec<Vec<u8>>, item: Vec<u8>) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// What a document's DSS holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dss {
    /// Everything in `/Certs`, `/OCSPs` and `/CRLs`.
    pub data: ValidationData,
    /// `/VRI` entries by key (upper-case hex SHA-1 of a signature's `/Contents` bytes).
    pub vri: BTreeMap<String, ValidationData>,
}

/// Reads the DSS of the newest revision; an empty [`Dss`] when there is none. Entries that are
/// not streams are skipped: a broken entry can only leave data out, never add any.
///
/// # Errors
/// Read and decode errors of the streams it refers to.
pub fn read<S: Source>(doc: &Document<S>) -> Result<Dss> {
    let Some(dss) = dss_dict(doc)? else {
        return Ok(Dss::default());
    };
    let mut out = Dss {
        data: read_lists(doc, &dss, [b"Certs", b"OCSPs", b"CRLs"])?,
        vri: BTreeMap::new(),
    };
    if let Some(vri) = dict_at(doc, dss.get(b"VRI"))? {
        for (key, entry) in vri.iter() {
            let Some(entry) = dict_at(doc, Some(entry))? else {
                continue;
            };
            let name = String::from_utf8_lossy(key.as_bytes()).to_ascii_uppercase();
            out.vri
                .insert(name, read_lists(doc, &entry, [b"Cert", b"OCSP", b"CRL"])?);
        }
    }
    Ok(out)
}

/// Writes into `writer` a DSS that holds what the document's DSS holds plus `additions`,
/// and the `vri` entries (merged with existing ones of the same key). Items already stored
/// are referred to by their existing streams; only new items get new streams. The catalog is
/// rewritten only when it must point to a new DSS object.
///
/// # Errors
/// Read errors, and [`super::PdfErrorKind::UnexpectedType`] for a document without a catalog.
pub fn write<S: Source>(
    doc: &Document<S>,
    writer: &mut IncrementalWriter,
    additions: &ValidationData,
    vri: &BTreeMap<String, ValidationData>,
) -> Result<()> {
    write_at(doc, writer, additions, vri, None)
}

/// [`write`], also dating each VRI entry written with `/TU` (ISO 32000-2 §12.8.4.4: when
/// its validation data was gathered) when `created` is given.
///
/// # Errors
/// As [`write`].
///
/// ```
/// # fn main() -> Result<(), cloudsign_core::Error> {
/// use std::collections::BTreeMap;
/// use cloudsign_core::pdf::{Document, IncrementalWriter, dss};
/// use cloudsign_core::time::UnixTime;
/// let pdf = cloudsign_core::testkit::samples::contract_pdf();
/// let doc = Document::open(pdf.as_slice(), &Default::default())?;
/// let mut writer = IncrementalWriter::append_to(&doc)?;
/// let vri = BTreeMap::from([(dss::vri_key(b"a signature"), dss::ValidationData::default())]);
/// let created = UnixTime::from_secs(1_700_000_000);
/// dss::write_at(&doc, &mut writer, &Default::default(), &vri, Some(created))?;
/// let update = writer.finish().bytes;
/// assert!(update.windows(21).any(|w| w == b"/TU (D:20231114221320"));
/// # Ok(()) }
/// ```
pub fn write_at<S: Source>(
    doc: &Document<S>,
    writer: &mut IncrementalWriter,
    additions: &ValidationData,
    vri: &BTreeMap<String, ValidationData>,
    created: Option<UnixTime>,
) -> Result<()> {
    let existing = dss_dict(doc)?.unwrap_or_default();
    let mut stored = Stored::default();
    for (key, kind) in [
        (&b"Certs"[..], Kind::Certificate),
        (b"OCSPs", Kind::Ocsp),
        (b"CRLs", Kind::Crl),
    ] {
        for r in refs(doc, existing.get(key))? {
            if let Some(bytes) = stream_bytes(doc, r)? {
                stored.remember(kind, bytes, r);
            }
        }
    }
    stored.refs_for(writer, additions);
    let mut vri_dict = dict_at(doc, existing.get(b"VRI"))?.unwrap_or_default();
    for (key, data) in vri {
        let mut entry = dict_at(doc, vri_dict.get(key.as_bytes()))?.unwrap_or_default();
        let [certs, ocsps, crls] = stored.refs_for(writer, data);
        for (name, list) in [(&b"Cert"[..], certs), (b"OCSP", ocsps), (b"CRL", crls)] {
            let mut merged = refs(doc, entry.get(name))?;
            for r in list {
                if !merged.contains(&r) {
                    merged.push(r);
                }
            }
            if !merged.is_empty() {
                entry.set(name.to_vec(), reference_array(&merged));
            }
        }
        entry.set(b"Type".to_vec(), Object::name(b"VRI".to_vec()));
        if let Some(time) = created {
            entry.set(
                b"TU".to_vec(),
                PdfString::literal(time.to_pdf_date().into_bytes()),
            );
        }
        vri_dict.set(key.as_bytes().to_vec(), Object::Dict(entry));
    }

    let mut dss = Dict::new();
    dss.set(b"Type".to_vec(), Object::name(b"DSS".to_vec()));
    for (key, list) in [(&b"Certs"[..], 0), (b"OCSPs", 1), (b"CRLs", 2)] {
        if !stored.order[list].is_empty() {
            dss.set(key.to_vec(), reference_array(&stored.order[list]));
        }
    }
    if !vri_dict.is_empty() {
        dss.set(b"VRI".to_vec(), Object::Dict(vri_dict));
    }

    let catalog_ref = doc
        .trailer()
        .reference(b"Root")
        .ok_or(super::PdfError::new(super::PdfErrorKind::UnexpectedType(
            "trailer /Root is not a reference",
        )))?;
    let mut catalog = doc.catalog()?;
    match catalog.get(b"DSS") {
        Some(Object::Reference(r)) => writer.add(*r, Object::Dict(dss)),
        _ => {
            let r = writer.allocate();
            writer.add(r, Object::Dict(dss));
            catalog.set(b"DSS".to_vec(), r);
            writer.add(catalog_ref, Object::Dict(catalog));
        }
    }
    Ok(())
}

/// The upper-case hex SHA-1 of a signature's `/Contents` bytes, the key of its VRI entry.
/// SHA-1 is an identifier here, as the standard defines it, not a signature algorithm.
///
/// ```
/// assert_eq!(
///     cloudsign_core::pdf::dss::vri_key(b"abc"),
///     "A9993E364706816ABA3E25717850C26C9CD0D89D"
/// );
/// ```
pub fn vri_key(contents: &[u8]) -> String {
    use sha1::Digest as _;
    hex::encode_upper(sha1::Sha1::digest(contents))
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Certificate,
    Ocsp,
    Crl,
}

/// Streams already present or written in this update, by content.
#[derive(Default)]
struct Stored {
    order: [Vec<ObjRef>; 3],
    by_content: BTreeMap<(Kind, Vec<u8>), ObjRef>,
}

impl Stored {
    fn remember(&mut self, kind: Kind, bytes: Vec<u8>, r: ObjRef) {
        if self.by_content.insert((kind, bytes), r).is_none() {
            self.order[kind as usize].push(r);
        }
    }

    /// References to the streams holding each item of `data`, writing a stream for each item
    /// not stored yet.
    fn refs_for(
        &mut self,
        writer: &mut IncrementalWriter,
        data: &ValidationData,
    ) -> [Vec<ObjRef>; 3] {
        let mut picked: [Vec<ObjRef>; 3] = Default::default();
        for (kind, items) in [
            (Kind::Certificate, &data.certificates),
            (Kind::Ocsp, &data.ocsp_responses),
            (Kind::Crl, &data.crls),
        ] {
            for item in items {
                let r = match self.by_content.get(&(kind, item.clone())) {
                    Some(r) => *r,
                    None => {
                        let r = writer.allocate();
                        writer.add(
                            r,
                            Object::Stream(Stream {
                                dict: Dict::new(),
                                data: item.clone(),
                                data_span: None,
                            }),
                        );
                        self.remember(kind, item.clone(), r);
                        r
                    }
                };
                if !picked[kind as usize].contains(&r) {
                    picked[kind as usize].push(r);
                }
            }
        }
        picked
    }
}

fn reference_array(refs: &[ObjRef]) -> Object {
    Object::Array(refs.iter().copied().map(Object::Reference).collect())
}

fn dss_dict<S: Source>(doc: &Document<S>) -> Result<Option<Dict>> {
    let catalog = doc.catalog()?;
    dict_at(doc, catalog.get(b"DSS"))
}

fn dict_at<S: Source>(doc: &Document<S>, value: Option<&Object>) -> Result<Option<Dict>> {
    Ok(match value {
        Some(v) => match doc.resolve(v)? {
            Object::Dict(d) => Some(d),
            _ => None,
        },
        None => None,
    })
}

/// The references of an array (direct or indirect); anything else yields none.
fn refs<S: Source>(doc: &Document<S>, value: Option<&Object>) -> Result<Vec<ObjRef>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    Ok(match doc.resolve(value)? {
        Object::Array(items) => items.iter().filter_map(Object::as_reference).collect(),
        _ => Vec::new(),
    })
}

fn stream_bytes<S: Source>(doc: &Document<S>, r: ObjRef) -> Result<Option<Vec<u8>>> {
    match doc.get(r)? {
        Some(Object::Stream(s)) => Ok(Some(doc.decode_stream(&s)?)),
        _ => Ok(None),
    }
}

fn read_lists<S: Source>(
    doc: &Document<S>,
    dict: &Dict,
    keys: [&[u8]; 3],
) -> Result<ValidationData> {
    let mut lists: [Vec<Vec<u8>>; 3] = Default::default();
    for (list, key) in lists.iter_mut().zip(keys) {
        for r in refs(doc, dict.get(key))? {
            if let Some(bytes) = stream_bytes(doc, r)? {
                push_new(list, bytes);
            }
        }
    }
    let [certificates, ocsp_responses, crls] = lists;
    Ok(ValidationData {
        certificates,
        ocsp_responses,
        crls,
    })
}
