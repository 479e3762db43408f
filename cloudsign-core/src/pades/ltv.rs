//! Long-term validation data (ETSI EN 319 142-1 §5.4, PAdES B-LT and B-LTA): which
//! certificates a document's signatures and timestamps rest on, and the incremental update
//! that stores validation data in the document's DSS.

use std::collections::BTreeMap;

use crate::cms;
use crate::error::Result;
use crate::limits::Limits;
use crate::pdf::dss::{self, ValidationData};
use crate::pdf::{Document, IncrementalWriter, Object, Source, form};
use crate::tsp::TimestampToken;
use crate::x509::Certificate;

/// One signature or document timestamp of a document, as far as validation data goes.
#[derive(Clone, Debug)]
pub(crate) struct Signed {
    /// The key of its VRI entry.
    pub(crate) vri_key: String,
    /// Whether it is a document timestamp.
    pub(crate) is_document_timestamp: bool,
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
        if sig.name(b"SubFilter") == Some(b"ETSI.RFC3161") {
            let Ok(token) = TimestampToken::from_der(contents) else {
                continue;
            };
            out.push(Signed {
                vri_key,
                is_document_timestamp: true,
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
/// plus `data`, with `vri` entries.
pub(crate) fn append_dss(
    pdf: &[u8],
    data: &ValidationData,
    vri: &BTreeMap<String, ValidationData>,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let doc = Document::open(pdf, limits)?;
    if doc.trailing_garbage().is_some() {
        return Err(super::SigningError::TrailingData.into());
    }
    let mut writer = IncrementalWriter::append_to(&doc)?;
    dss::write(&doc, &mut writer, data, vri)?;
    let update = writer.finish();
    let mut out = Vec::with_capacity(pdf.len() + update.bytes.len());
    out.extend_from_slice(pdf);
    out.extend_from_slice(&update.bytes);
    Ok(out)
}
