//! Entry points for fuzz targets; not part of the supported API.

use super::document::Document;
use super::object::{ObjRef, Object};
use super::xref::XrefEntry;
use crate::limits::Limits;

/// Opens `data` as a document and touches everything reachable, ignoring errors. Any panic,
/// hang or unbounded allocation here is a bug.
pub fn fuzz_document(data: &[u8]) {
    let limits = Limits {
        max_decompressed_bytes: 16 * 1024 * 1024,
        max_objects: 100_000,
        ..Limits::default()
    };
    let Ok(doc) = Document::open(data, &limits) else {
        return;
    };
    let _ = (
        doc.trailer(),
        doc.version(),
        doc.is_encrypted(),
        doc.trailing_garbage(),
    );
    let _ = doc.max_object_number();
    for (i, rev) in doc.revisions().iter().enumerate() {
        let _ = (rev.end, rev.xref_kind);
        for r in doc.changed_objects(i).into_iter().take(1_000) {
            let _ = doc.get_in_revision(r, i);
        }
    }
    let _ = doc.catalog();
    let _ = doc.pages();
    let refs: Vec<ObjRef> = doc
        .entries()
        .take(10_000)
        .map(|(num, e)| match e {
            XrefEntry::InUse { generation, .. } => ObjRef::new(num, generation),
            _ => ObjRef::new(num, 0),
        })
        .collect();
    for r in refs {
        let _ = doc.object_span(r);
        if let Ok(Some(obj)) = doc.get(r) {
            let _ = doc.resolve(&obj);
            if let Object::Stream(s) = &obj {
                let _ = doc.decode_stream(s);
            }
        }
    }
}
