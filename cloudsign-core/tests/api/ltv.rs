//! Long-term validation: the DSS written into signed documents and read back, PAdES B-LT and
//! B-LTA, renewal, and validation at the time the timestamps prove.

use std::collections::BTreeMap;

use cloudsign_core::PdfSigner;
use cloudsign_core::pdf::dss::{self, ValidationData};
use cloudsign_core::pdf::{Document, IncrementalWriter};
use cloudsign_core::testkit::samples;

use crate::common::{assert_all_passed, pki, temp_file};
use crate::oracles;

/// `pdf` with one DSS update holding `data` and `vri`.
fn with_dss(pdf: &[u8], data: &ValidationData, vri: &BTreeMap<String, ValidationData>) -> Vec<u8> {
    let doc = Document::open(pdf, &Default::default()).unwrap();
    let mut writer = IncrementalWriter::append_to(&doc).unwrap();
    dss::write(&doc, &mut writer, data, vri).unwrap();
    let mut out = pdf.to_vec();
    out.extend_from_slice(&writer.finish().bytes);
    out
}

fn read_dss(pdf: &[u8]) -> dss::Dss {
    dss::read(&Document::open(pdf, &Default::default()).unwrap()).unwrap()
}

#[test]
fn dss_updates_merge_keep_earlier_entries_and_reuse_their_streams() {
    let pki = pki();
    let signed = PdfSigner::new(&pki.pki.signer_ec.signer().unwrap())
        .sign(&samples::contract_pdf())
        .unwrap();
    let mut first = ValidationData::default();
    first.add_certificate(pki.pki.signer_ec.certificate.der().to_vec());
    first.add_certificate(pki.pki.intermediate.certificate.der().to_vec());
    first.add_crl(b"not really a CRL, bytes only at this layer".to_vec());
    let key = dss::vri_key(b"signature one");
    let vri = BTreeMap::from([(key.clone(), first.clone())]);
    let once = with_dss(&signed, &first, &vri);

    let read = read_dss(&once);
    assert_eq!(read.data, first);
    assert_eq!(read.vri[&key], first);

    // A second update adds an OCSP response and a certificate already stored.
    let mut second = ValidationData::default();
    second.add_certificate(pki.pki.intermediate.certificate.der().to_vec());
    second.add_certificate(pki.pki.root.certificate.der().to_vec());
    second.add_ocsp_response(b"an OCSP response".to_vec());
    let twice = with_dss(&once, &second, &BTreeMap::new());
    let read = read_dss(&twice);
    let mut merged = first.clone();
    merged.extend(second);
    assert_eq!(read.data, merged);
    assert_eq!(read.vri[&key], first, "the earlier VRI entry is kept");

    // Only the two new items got new streams: the update rewrites the DSS dictionary and adds
    // exactly two objects.
    let doc = Document::open(twice.as_slice(), &Default::default()).unwrap();
    let last = doc.revisions().len() - 1;
    assert_eq!(doc.changed_objects(last).len(), 3);

    // Signatures stay valid and the file stays well formed.
    assert_all_passed(&pki.validate(&twice), "signature after two DSS updates");
    let (_dir, path) = temp_file("dss.pdf", &twice);
    if oracles::require_tool("qpdf") {
        let o = oracles::qpdf_check(&path);
        assert!(o.ok, "{}", o.output);
    }
}
