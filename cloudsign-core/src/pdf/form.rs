//! Interactive-form helpers (ISO 32000-1 §12.7): list fields, and place a value into a new or
//! existing signature field through an incremental update. The PDF layer knows that a field
//! has type `/Sig`; it knows nothing of what a signature value contains.

use std::collections::HashSet;

use super::document::Document;
use super::object::{Dict, ObjRef, Object, PdfString};
use super::source::Source;
use super::writer::IncrementalWriter;
use super::{PdfError, PdfErrorKind};
use crate::error::Result;

/// Fields deeper than this are treated as a malformed (or hostile) field tree.
const MAX_FIELD_DEPTH: usize = 32;

/// A terminal form field as found in the document.
#[derive(Clone, Debug)]
pub struct FieldInfo {
    /// The field's object.
    pub reference: ObjRef,
    /// The fully qualified name (partial names joined with periods).
    pub name: String,
    /// The field type (`/FT`), inherited from ancestors when absent.
    pub field_type: Option<Vec<u8>>,
    /// The field value (`/V`), unresolved.
    pub value: Option<Object>,
    /// The field dictionary.
    pub dict: Dict,
}

impl FieldInfo {
    /// Whether this is a signature field.
    pub fn is_signature(&self) -> bool {
        self.field_type.as_deref() == Some(b"Sig")
    }

    /// The reference of the value, for a signature field that holds one.
    pub fn value_ref(&self) -> Option<ObjRef> {
        self.value.as_ref().and_then(Object::as_reference)
    }
}

/// Lists the terminal fields of the document's interactive form (empty when it has none),
/// using `get` to read objects (the newest view, or one revision's view).
///
/// # Errors
/// Fails when an object cannot be read or the field tree is malformed (a loop, too deep).
pub fn fields_with(
    catalog: &Dict,
    get: &dyn Fn(ObjRef) -> Result<Option<Object>>,
) -> Result<Vec<FieldInfo>> {
    let resolve = |o: &Object| -> Result<Option<Object>> {
        match o {
            Object::Reference(r) => get(*r),
            other => Ok(Some(other.clone())),
        }
    };
    let Some(acro) = catalog.get(b"AcroForm") else {
        return Ok(Vec::new());
    };
    let Some(Object::Dict(acro)) = resolve(acro)? else {
        return Ok(Vec::new());
    };
    let Some(fields) = acro.get(b"Fields") else {
        return Ok(Vec::new());
    };
    let Some(Object::Array(roots)) = resolve(fields)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // (reference, parent name, inherited FT, depth)
    let mut stack: Vec<(ObjRef, String, Option<Vec<u8>>, usize)> = roots
        .iter()
        .rev()
        .filter_map(Object::as_reference)
        .map(|r| (r, String::new(), None, 0))
        .collect();
    while let Some((r, parent, inherited_ft, depth)) = stack.pop() {
        if depth > MAX_FIELD_DEPTH || !seen.insert(r) {
            return Err(PdfError::new(PdfErrorKind::Syntax(
                "form field tree loops or is too deep",
            ))
            .into());
        }
        let Some(Object::Dict(dict)) = get(r)? else {
            continue;
        };
        let partial = dict
            .get(b"T")
            .and_then(Object::as_string)
            .map(PdfString::to_text);
        let name = match (&partial, parent.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent}.{p}"),
            (None, _) => parent.clone(),
        };
        let field_type = dict.name(b"FT").map(<[u8]>::to_vec).or(inherited_ft);
        let kids: Vec<ObjRef> = match dict.get(b"Kids") {
            Some(k) => match resolve(k)? {
                Some(Object::Array(a)) => a.iter().filter_map(Object::as_reference).collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut field_kids = Vec::new();
        for kid in &kids {
            if let Some(Object::Dict(k)) = get(*kid)? {
                if k.get(b"T").is_some() {
                    field_kids.push(*kid);
                }
            }
        }
        if field_kids.is_empty() {
            let value = dict.get(b"V").cloned();
            out.push(FieldInfo {
                reference: r,
                name,
                field_type,
                value,
                dict,
            });
        } else {
            for kid in field_kids.into_iter().rev() {
                stack.push((kid, name.clone(), field_type.clone(), depth + 1));
            }
        }
    }
    Ok(out)
}

/// [`fields_with`] over the newest revision of `doc`.
///
/// # Errors
/// As [`fields_with`].
pub fn fields<S: Source>(doc: &Document<S>) -> Result<Vec<FieldInfo>> {
    let catalog = doc.catalog()?;
    fields_with(&catalog, &|r| doc.get(r))
}

/// Appends `item` to the array at `dict[key]`: in place when the array is its own object
/// (written to `writer`), otherwise in `dict`, creating the entry if missing. Returns whether
/// `dict` itself changed.
fn append_to_list<S: Source>(
    doc: &Document<S>,
    writer: &mut IncrementalWriter,
    dict: &mut Dict,
    key: &[u8],
    item: ObjRef,
) -> Result<bool> {
    if let Some(Object::Reference(list_ref)) = dict.get(key) {
        let list_ref = *list_ref;
        let mut list = match doc.get(list_ref)? {
            Some(Object::Array(a)) => a,
            _ => Vec::new(),
        };
        list.push(Object::Reference(item));
        writer.add(list_ref, Object::Array(list));
        return Ok(false);
    }
    let mut list = match dict.get(key) {
        Some(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    list.push(Object::Reference(item));
    dict.set(key.to_vec(), Object::Array(list));
    Ok(true)
}

/// The `index`-th page (0-based), found by descending the page tree with each node's
/// `/Count`, so that only one path of the tree is read (a signer must not read every page of
/// an 8,000-page contract to put a widget on the first).
///
/// # Errors
/// A read error, or a page tree that loops or is deeper than allowed.
pub fn nth_page<S: Source>(doc: &Document<S>, index: usize) -> Result<Option<ObjRef>> {
    let catalog = doc.catalog()?;
    let Some(mut node) = catalog.reference(b"Pages") else {
        return Ok(None);
    };
    let mut remaining = index;
    for _ in 0..MAX_FIELD_DEPTH {
        let Some(Object::Dict(dict)) = doc.get(node)? else {
            return Ok(None);
        };
        if dict.name(b"Type") == Some(b"Page") {
            return Ok((remaining == 0).then_some(node));
        }
        let Some(Object::Array(kids)) = dict.get(b"Kids").map(|k| doc.resolve(k)).transpose()?
        else {
            return Ok(None);
        };
        let mut next = None;
        for kid in kids.iter().filter_map(Object::as_reference) {
            let Some(Object::Dict(kid_dict)) = doc.get(kid)? else {
                continue;
            };
            let count = match kid_dict.name(b"Type") {
                Some(b"Page") => 1,
                _ => kid_dict
                    .integer(b"Count")
                    .and_then(|c| usize::try_from(c).ok())
                    .unwrap_or(0),
            };
            if remaining < count {
                next = Some(kid);
                break;
            }
            remaining -= count;
        }
        match next {
            Some(kid) => node = kid,
            None => return Ok(None),
        }
    }
    Err(PdfError::new(PdfErrorKind::Syntax("page tree loops or is too deep")).into())
}

/// What to put where: a value for a signature field.
#[derive(Clone, Debug)]
pub struct SignatureFieldRequest {
    /// Field to fill or create; `None` picks the first free `SignatureN`.
    pub name: Option<String>,
    /// The value to store in the field (`/V`): the signature dictionary.
    pub value: ObjRef,
    /// Page (0-based) that gets the widget of a new field.
    pub page_index: usize,
    /// Widget rectangle of a new field; all zeros makes the signature invisible.
    pub rect: [f64; 4],
    /// Normal appearance stream of the widget, if any.
    pub appearance: Option<ObjRef>,
    /// Extra entries to set in the document catalog (e.g. `/Perms`).
    pub catalog_entries: Vec<(Vec<u8>, Object)>,
}

/// Adds to `writer` what it takes to put `request.value` into a signature field: fills an
/// existing empty signature field of that name, or creates a field with a widget on the
/// requested page (creating `/AcroForm` if missing), and sets `/SigFlags` 3. Returns the
/// field's reference.
///
/// # Errors
/// [`PdfErrorKind::FieldAlreadySigned`], [`PdfErrorKind::FieldNotSignature`],
/// [`PdfErrorKind::InvalidFieldName`], or a read error.
pub fn add_signature_field<S: Source>(
    doc: &Document<S>,
    writer: &mut IncrementalWriter,
    request: &SignatureFieldRequest,
) -> Result<ObjRef> {
    let catalog_ref =
        doc.trailer()
            .reference(b"Root")
            .ok_or(PdfError::new(PdfErrorKind::UnexpectedType(
                "trailer /Root is not a reference",
            )))?;
    let mut catalog = doc.catalog()?;
    let mut catalog_changed = false;
    let existing = fields(doc)?;

    // Where the form dictionary lives decides which object must be rewritten.
    let (acro_ref, mut acro) = match catalog.get(b"AcroForm") {
        Some(Object::Reference(r)) => match doc.get(*r)? {
            Some(Object::Dict(d)) => (Some(*r), d),
            _ => (None, Dict::new()),
        },
        Some(Object::Dict(d)) => (None, d.clone()),
        _ => (None, Dict::new()),
    };

    let name = match &request.name {
        Some(n) => {
            if n.is_empty() || (n.contains('.') && !existing.iter().any(|f| &f.name == n)) {
                return Err(PdfError::new(PdfErrorKind::InvalidFieldName(n.clone())).into());
            }
            n.clone()
        }
        None => (1..)
            .map(|i| format!("Signature{i}"))
            .find(|candidate| !existing.iter().any(|f| &f.name == candidate))
            .unwrap_or_else(|| "Signature".to_owned()),
    };

    let field_ref = if let Some(field) = existing.iter().find(|f| f.name == name) {
        if !field.is_signature() {
            return Err(PdfError::new(PdfErrorKind::FieldNotSignature(name)).into());
        }
        if field
            .value
            .as_ref()
            .is_some_and(|v| !matches!(v, Object::Null))
        {
            return Err(PdfError::new(PdfErrorKind::FieldAlreadySigned(name)).into());
        }
        let mut dict = field.dict.clone();
        dict.set(b"V".to_vec(), request.value);
        if let Some(ap) = request.appearance {
            let mut ap_dict = Dict::new();
            ap_dict.set(b"N".to_vec(), ap);
            dict.set(b"AP".to_vec(), ap_dict);
        }
        writer.add(field.reference, Object::Dict(dict));
        field.reference
    } else {
        let page_ref = nth_page(doc, request.page_index)?.ok_or(PdfError::new(
            PdfErrorKind::Unsupported("the requested page does not exist"),
        ))?;
        let field_ref = writer.allocate();
        let mut widget = Dict::new();
        widget.set(b"Type".to_vec(), Object::name(b"Annot".to_vec()));
        widget.set(b"Subtype".to_vec(), Object::name(b"Widget".to_vec()));
        widget.set(b"FT".to_vec(), Object::name(b"Sig".to_vec()));
        widget.set(b"T".to_vec(), PdfString::text(&name));
        widget.set(b"V".to_vec(), request.value);
        // Print + Locked: shown when printed, not movable in viewers.
        widget.set(b"F".to_vec(), Object::Integer(132));
        let rect = request
            .rect
            .iter()
            .map(|v| Object::Real(super::Real::from_f64(*v)))
            .collect();
        widget.set(b"Rect".to_vec(), Object::Array(rect));
        widget.set(b"P".to_vec(), page_ref);
        if let Some(ap) = request.appearance {
            let mut ap_dict = Dict::new();
            ap_dict.set(b"N".to_vec(), ap);
            widget.set(b"AP".to_vec(), ap_dict);
        }
        writer.add(field_ref, Object::Dict(widget));

        let Some(Object::Dict(mut page)) = doc.get(page_ref)? else {
            return Err(
                PdfError::new(PdfErrorKind::UnexpectedType("page is not a dictionary")).into(),
            );
        };
        if append_to_list(doc, writer, &mut page, b"Annots", field_ref)? {
            writer.add(page_ref, Object::Dict(page));
        }
        append_to_list(doc, writer, &mut acro, b"Fields", field_ref)?;
        field_ref
    };

    // SignaturesExist | AppendOnly (ISO 32000-1 Table 219).
    let flags = acro.integer(b"SigFlags").unwrap_or(0) | 3;
    acro.set(b"SigFlags".to_vec(), Object::Integer(flags));
    match acro_ref {
        Some(r) => writer.add(r, Object::Dict(acro)),
        None => {
            let r = writer.allocate();
            writer.add(r, Object::Dict(acro));
            catalog.set(b"AcroForm".to_vec(), r);
            catalog_changed = true;
        }
    }
    for (key, value) in &request.catalog_entries {
        catalog.set(key.clone(), value.clone());
        catalog_changed = true;
    }
    if catalog_changed {
        writer.add(catalog_ref, Object::Dict(catalog));
    }
    Ok(field_ref)
}
