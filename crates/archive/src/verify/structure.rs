//! The archive read through a PDF parser (lopdf): the file loaded within its `Limits`, and the
//! form's signature fields with the signature dictionaries their `/V` point at (check
//! `signature_field`), in the order they were signed: the archive's, then any co-signatures.
//! Their `/ByteRange` and `/Contents` are the signatures `verify` checks.
//!
//! Owns loading, dereferencing objects, the field and what goes wrong there (`PdfError`). What
//! the raw bytes must say about that signature is `byte_range`'s; the embedded files are
//! `attachments`'.

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use super::limits::{LimitError, Limits};
use super::Checks;

/// What in the PDF's objects is missing or not what an archive has.
#[derive(Debug, thiserror::Error)]
pub(super) enum PdfError {
    #[error("the PDF parser gave up on this file")]
    ParserGaveUp,
    #[error("not a readable PDF ({0})")]
    Unreadable(lopdf::Error),
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The document did not load: why, as its load said.
    #[error("{0}")]
    NotLoaded(String),
    #[error("broken reference ({0})")]
    BrokenReference(lopdf::Error),
    #[error("expected a dictionary")]
    NotADictionary,
    #[error("no catalog ({0})")]
    NoCatalog(lopdf::Error),
    #[error("no form: the PDF is not signed")]
    NoForm,
    #[error("the form has no fields")]
    NoFields,
    #[error("the form's fields are not an array")]
    FieldsNotAnArray,
    #[error("{0} signature fields, expected at least 1")]
    SignatureFields(usize),
    #[error("the signature field has no value")]
    NoValue,
    #[error("the signature field's value is not a reference to a signature dictionary")]
    ValueNotAReference,
    #[error("the signature dictionary is not an object of the file's cross-reference table")]
    NotInTheFile,
    #[error("the signature is not ETSI.CAdES.detached")]
    NotCades,
    #[error("the signature has no ByteRange array")]
    NoByteRange,
    #[error("the ByteRange is not four integers")]
    ByteRangeNotFour,
    #[error("the signature has no Contents string")]
    NoContents,
}

/// The signature as the signature field's dictionary states it.
#[derive(Debug, Clone)]
pub(super) struct SigField {
    /// The signature dictionary.
    pub id: ObjectId,
    /// The signature field (when the form refers to it, as Flightdeck writes it).
    pub field_id: Option<ObjectId>,
    /// The field's name (`/T`).
    pub name: String,
    /// The signature dictionary's `/M` and `/Reason`, as written.
    pub signed_at: Option<String>,
    pub reason: Option<String>,
    pub range: [i64; 4],
    /// The `/Contents` string as the parser decoded it.
    pub contents: Vec<u8>,
    /// Where the signature dictionary's object starts in the file.
    pub offset: usize,
}

/// `bytes` as a PDF document, within `limits`; a parser panic on a hostile file is a failed
/// load, not a crash.
pub(super) fn load(bytes: &[u8], limits: &Limits) -> Result<Document, PdfError> {
    let options = LoadOptions {
        // Flightdeck writes conforming files: nothing is repaired, nothing is rebuilt by
        // scanning the whole file for objects.
        strict: true,
        max_decompressed_size: Some(limits.max_attachment_bytes),
        ..LoadOptions::default()
    };
    let doc = std::panic::catch_unwind(|| Document::load_mem_with_options(bytes, options))
        .map_err(|_| PdfError::ParserGaveUp)?
        .map_err(PdfError::Unreadable)?;
    if doc.objects.len() > limits.max_objects {
        return Err(LimitError::Objects {
            count: doc.objects.len(),
            limit: limits.max_objects,
        }
        .into());
    }
    Ok(doc)
}

/// `signature_field`: each of the form's signature fields points at a CAdES signature
/// dictionary; the first (the archive's) is named.
pub(super) fn check_field(fields: &Result<Vec<SigField>, PdfError>, checks: &mut Checks) {
    match fields {
        Ok(f) => checks.add(
            "signature_field",
            true,
            match f.as_slice() {
                [one] => format!(
                    "the form's only signature field points at the signature (object {} {})",
                    one.id.0, one.id.1
                ),
                _ => format!(
                    "the form's {} signature fields each point at a signature; the archive's is object {} {}",
                    f.len(),
                    f[0].id.0,
                    f[0].id.1
                ),
            },
        ),
        Err(e) => checks.add("signature_field", false, e.to_string()),
    };
}

pub(super) fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Object, PdfError> {
    doc.dereference(obj)
        .map(|(_, o)| o)
        .map_err(PdfError::BrokenReference)
}

pub(super) fn dict<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Dictionary, PdfError> {
    deref(doc, obj)?.as_dict().map_err(|_| PdfError::NotADictionary)
}

/// Every signature field's signature dictionary, in the order the signatures were made (by
/// where their ByteRange ends): the archive's first, then each co-signature.
pub(super) fn signature_fields(doc: &Document) -> Result<Vec<SigField>, PdfError> {
    let catalog = doc.catalog().map_err(PdfError::NoCatalog)?;
    let form = catalog.get(b"AcroForm").map_err(|_| PdfError::NoForm)?;
    let fields = dict(doc, form)?
        .get(b"Fields")
        .map_err(|_| PdfError::NoFields)
        .and_then(|f| deref(doc, f))?
        .as_array()
        .map_err(|_| PdfError::FieldsNotAnArray)?;
    let mut out = Vec::new();
    for f in fields {
        let Ok(d) = dict(doc, f) else { continue };
        if d.get(b"FT").and_then(Object::as_name).is_ok_and(|n| n == b"Sig") {
            out.push(signature_dict(doc, d, f.as_reference().ok())?);
        }
    }
    if out.is_empty() {
        return Err(PdfError::SignatureFields(0));
    }
    out.sort_by_key(|f| f.range[2].saturating_add(f.range[3]));
    Ok(out)
}

/// The signature dictionary the signature field `field` (object `field_id`) points at.
fn signature_dict(
    doc: &Document,
    field: &Dictionary,
    field_id: Option<ObjectId>,
) -> Result<SigField, PdfError> {
    let id = field
        .get(b"V")
        .map_err(|_| PdfError::NoValue)?
        .as_reference()
        .map_err(|_| PdfError::ValueNotAReference)?;
    let v = doc
        .get_object(id)
        .map_err(PdfError::BrokenReference)?
        .as_dict()
        .map_err(|_| PdfError::NotADictionary)?;
    let offset = match doc.reference_table.get(id.0) {
        Some(XrefEntry::Normal { offset, generation }) if *generation == id.1 => *offset as usize,
        _ => return Err(PdfError::NotInTheFile),
    };
    let sub = v.get(b"SubFilter").and_then(Object::as_name).unwrap_or_default();
    if sub != b"ETSI.CAdES.detached" {
        return Err(PdfError::NotCades);
    }
    let range = v
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| PdfError::NoByteRange)?;
    let nums: Vec<i64> = range
        .iter()
        .map(|o| o.as_i64())
        .collect::<Result<_, _>>()
        .map_err(|_| PdfError::ByteRangeNotFour)?;
    let range: [i64; 4] = nums.try_into().map_err(|_| PdfError::ByteRangeNotFour)?;
    let contents = match v.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err(PdfError::NoContents),
    };
    let text = |d: &Dictionary, key: &[u8]| d.get(key).ok().and_then(|o| lopdf::decode_text_string(o).ok());
    Ok(SigField {
        id,
        field_id,
        name: text(field, b"T").unwrap_or_default(),
        signed_at: text(v, b"M"),
        reason: text(v, b"Reason"),
        range,
        contents,
        offset,
    })
}
