//! What changed after a signature: each later revision's objects compared with their previous
//! version. Signing adds a signature dictionary, a field and widget, and rewrites the form,
//! the page's annotation list and perhaps the catalog; anything beyond that (or beyond what a
//! certification signature permits) is reported as a disallowed modification.

use super::report::{ModificationLevel, Modifications};
use crate::error::Result;
use crate::pades::DocMdpPermissions;
use crate::pdf::object::same_object;
use crate::pdf::{Dict, Document, ObjRef, Object, Source};

/// Catalog entries that signing and long-term validation may add or change. Writers commonly
/// refresh the XMP metadata (modification date, producer) and raise /Version when they sign.
const CATALOG_KEYS: &[&[u8]] = &[b"AcroForm", b"DSS", b"Extensions", b"Metadata", b"Version"];
/// Entries of a document security store (ISO 32000-2 §12.8.4.3).
const DSS_KEYS: &[&[u8]] = &[b"Type", b"Certs", b"OCSPs", b"CRLs", b"VRI"];
/// Form-dictionary entries that signing may add or change.
const ACROFORM_KEYS: &[&[u8]] = &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"];
/// Entries a signature field may gain when it is filled.
const FILLED_FIELD_KEYS: &[&[u8]] = &[b"V", b"AP", b"F"];

/// Compares every revision after `signed_revision` with the one before it.
pub(crate) fn analyse<S: Source>(
    doc: &Document<S>,
    signed_revision: usize,
    certification: Option<DocMdpPermissions>,
) -> Result<Modifications> {
    let total = doc.revisions().len();
    let later_revisions = total.saturating_sub(signed_revision + 1);
    let mut disallowed = Vec::new();
    for k in signed_revision + 1..total {
        let view = RevisionPair {
            doc,
            before: k - 1,
            after: k,
        };
        for r in doc.changed_objects(k) {
            if let Some(problem) = view.classify(r, certification)? {
                disallowed.push(format!("revision {k}: {problem}"));
            }
        }
    }
    let level = match (later_revisions, disallowed.is_empty()) {
        (0, _) => ModificationLevel::None,
        (_, true) => ModificationLevel::SignaturesOnly,
        (_, false) => ModificationLevel::Disallowed,
    };
    Ok(Modifications {
        later_revisions,
        level,
        disallowed,
    })
}

struct RevisionPair<'d, S: Source> {
    doc: &'d Document<S>,
    before: usize,
    after: usize,
}

impl<S: Source> RevisionPair<'_, S> {
    fn get(&self, r: ObjRef, revision: usize) -> Result<Option<Object>> {
        self.doc.get_in_revision(r, revision)
    }

    fn resolve(&self, o: &Object, revision: usize) -> Result<Option<Object>> {
        match o {
            Object::Reference(r) => self.get(*r, revision),
            other => Ok(Some(other.clone())),
        }
    }

    fn catalog_ref(&self, revision: usize) -> Option<ObjRef> {
        self.doc
            .revisions()
            .get(revision)
            .and_then(|rev| rev.trailer.reference(b"Root"))
    }

    /// `None` when the change is one that signing makes; otherwise what is wrong with it.
    fn classify(
        &self,
        r: ObjRef,
        certification: Option<DocMdpPermissions>,
    ) -> Result<Option<String>> {
        let old = self.get(r, self.before)?;
        let new = self.get(r, self.after)?;
        let (old, new) = match (old, new) {
            // A new object changes nothing by itself; what references it is checked.
            (None, _) => return Ok(None),
            (Some(_), None) => return Ok(Some(format!("object {r} was deleted"))),
            (Some(old), Some(new)) => (old, new),
        };
        if same_object(&old, &new) {
            return Ok(None);
        }
        let no_changes = certification == Some(DocMdpPermissions::NoChanges);
        if Some(r) == self.catalog_ref(self.before) {
            let keys: &[&[u8]] = if no_changes {
                &[b"DSS", b"Extensions"]
            } else {
                CATALOG_KEYS
            };
            return Ok(self
                .check_dict_keys(&old, &new, keys, r, "document catalog")
                .err());
        }
        if self.is_dss(r)? {
            // Validation data only grows what a validator may use; the signature still
            // judges the bytes it covers.
            return Ok(match new.as_dict() {
                Some(d) if d.iter().all(|(k, _)| DSS_KEYS.contains(&k.as_bytes())) => None,
                _ => Some(format!("DSS {r} changed into something else")),
            });
        }
        if no_changes {
            return Ok(Some(format!(
                "object {r} changed, but the certification permits no changes"
            )));
        }
        if self.is_metadata(r, &old)? {
            return Ok(None);
        }
        if let (Some(old_d), Some(new_d)) = (old.as_dict(), new.as_dict()) {
            if old_d.name(b"Type") == Some(b"Page") {
                return self.check_page(old_d, new_d, r);
            }
            if self.is_acroform(r)? {
                return self.check_acroform(old_d, new_d, r);
            }
            if self.is_signature_field(old_d)?
                && old_d.get(b"V").is_none_or(|v| matches!(v, Object::Null))
            {
                return Ok(self
                    .check_dict_keys(&old, &new, FILLED_FIELD_KEYS, r, "signature field")
                    .err());
            }
        }
        if let (Object::Array(old_a), Object::Array(new_a)) = (&old, &new) {
            return self.check_grown_by_signatures(old_a, new_a, r);
        }
        Ok(Some(format!("object {r} was modified")))
    }

    fn check_dict_keys(
        &self,
        old: &Object,
        new: &Object,
        allowed: &[&[u8]],
        r: ObjRef,
        what: &str,
    ) -> Result<(), String> {
        let same_data = match (old, new) {
            (Object::Stream(a), Object::Stream(b)) => a.data == b.data,
            (Object::Dict(_), Object::Dict(_)) => true,
            _ => false,
        };
        let (Some(old), Some(new), true) = (old.as_dict(), new.as_dict(), same_data) else {
            return Err(format!("{what} {r} changed type or content"));
        };
        let changed = changed_keys(old, new);
        match changed.iter().find(|k| !allowed.contains(&k.as_slice())) {
            None => Ok(()),
            Some(k) => Err(format!(
                "{what} {r}: /{} changed",
                String::from_utf8_lossy(k)
            )),
        }
    }

    fn check_page(&self, old: &Dict, new: &Dict, r: ObjRef) -> Result<Option<String>> {
        let changed = changed_keys(old, new);
        if changed.iter().any(|k| k.as_slice() != b"Annots") {
            let keys: Vec<String> = changed
                .iter()
                .map(|k| format!("/{}", String::from_utf8_lossy(k)))
                .collect();
            return Ok(Some(format!("page {r} modified ({})", keys.join(", "))));
        }
        match (
            self.list(old, b"Annots", self.before)?,
            self.list(new, b"Annots", self.after)?,
        ) {
            (Some(o), Some(n)) => self.check_grown_by_signatures(&o, &n, r),
            _ => Ok(Some(format!("page {r}: annotations replaced"))),
        }
    }

    /// `dict[key]` as an array in `revision` (empty when absent, `None` when not an array).
    fn list(&self, dict: &Dict, key: &[u8], revision: usize) -> Result<Option<Vec<Object>>> {
        match dict.get(key) {
            None => Ok(Some(Vec::new())),
            Some(value) => match self.resolve(value, revision)? {
                Some(Object::Array(items)) => Ok(Some(items)),
                _ => Ok(None),
            },
        }
    }

    fn check_acroform(&self, old: &Dict, new: &Dict, r: ObjRef) -> Result<Option<String>> {
        let changed = changed_keys(old, new);
        if let Some(k) = changed
            .iter()
            .find(|k| !ACROFORM_KEYS.contains(&k.as_slice()))
        {
            return Ok(Some(format!(
                "form {r}: /{} changed",
                String::from_utf8_lossy(k)
            )));
        }
        match (
            self.list(old, b"Fields", self.before)?,
            self.list(new, b"Fields", self.after)?,
        ) {
            (Some(o), Some(n)) => self.check_grown_by_signatures(&o, &n, r),
            _ => Ok(Some(format!("form {r}: fields replaced"))),
        }
    }

    /// An array (annotations, fields) may only keep all it had and gain signature fields.
    fn check_grown_by_signatures(
        &self,
        old: &[Object],
        new: &[Object],
        r: ObjRef,
    ) -> Result<Option<String>> {
        for item in old {
            if !new.iter().any(|n| same_object(n, item)) {
                return Ok(Some(format!("object {r}: an entry was removed")));
            }
        }
        for item in new {
            if old.iter().any(|o| same_object(o, item)) {
                continue;
            }
            let added = match item {
                Object::Reference(a) => self.get(*a, self.after)?,
                other => Some(other.clone()),
            };
            let is_sig = match added.as_ref().and_then(Object::as_dict) {
                Some(d) => self.is_signature_field(d)?,
                None => false,
            };
            if !is_sig {
                return Ok(Some(format!(
                    "object {r}: an entry other than a signature field was added"
                )));
            }
        }
        Ok(None)
    }

    fn is_signature_field(&self, d: &Dict) -> Result<bool> {
        if d.name(b"FT") == Some(b"Sig") {
            return Ok(true);
        }
        // A widget whose parent field is a signature field.
        if d.name(b"Subtype") == Some(b"Widget") {
            if let Some(Object::Reference(p)) = d.get(b"Parent") {
                if let Some(Object::Dict(parent)) = self.get(*p, self.after)? {
                    return Ok(parent.name(b"FT") == Some(b"Sig"));
                }
            }
        }
        Ok(false)
    }

    /// The document information dictionary or an XMP metadata stream: descriptive data that
    /// writers refresh on every save and that no viewer renders as page content.
    fn is_metadata(&self, r: ObjRef, old: &Object) -> Result<bool> {
        if let Object::Stream(s) = old {
            if s.dict.name(b"Type") == Some(b"Metadata") && s.dict.name(b"Subtype") == Some(b"XML")
            {
                return Ok(true);
            }
        }
        let info = |revision: usize| {
            self.doc
                .revisions()
                .get(revision)
                .and_then(|rev| rev.trailer.reference(b"Info"))
        };
        Ok(info(self.before) == Some(r) || info(self.after) == Some(r))
    }

    /// Whether `r` is the document security store in the revision before.
    fn is_dss(&self, r: ObjRef) -> Result<bool> {
        let Some(cat_ref) = self.catalog_ref(self.before) else {
            return Ok(false);
        };
        Ok(match self.get(cat_ref, self.before)? {
            Some(Object::Dict(cat)) => cat.reference(b"DSS") == Some(r),
            _ => false,
        })
    }

    fn is_acroform(&self, r: ObjRef) -> Result<bool> {
        for revision in [self.before, self.after] {
            let Some(cat_ref) = self.catalog_ref(revision) else {
                continue;
            };
            if let Some(Object::Dict(cat)) = self.get(cat_ref, revision)? {
                if cat.reference(b"AcroForm") == Some(r) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// Keys whose values differ between two dictionaries (present in one only, or unequal).
fn changed_keys(old: &Dict, new: &Dict) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for (k, v) in old.iter() {
        if new.get(k.as_bytes()).is_none_or(|w| !same_object(v, w)) {
            keys.push(k.as_bytes().to_vec());
        }
    }
    for (k, _) in new.iter() {
        if old.get(k.as_bytes()).is_none() {
            keys.push(k.as_bytes().to_vec());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}
