//! The archive read through a PDF parser (lopdf): the file loaded, the form's one signature field
//! (check `signature_field`: it holds the signature the raw bytes hold), and every embedded file
//! by name, decompressed.
//!
//! Owns walking the PDF's objects and what goes wrong there (`PdfError`). What the embedded files
//! must say is `contents`'s.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object};

use super::byte_range::RawSignature;
use super::Checks;

/// What in the PDF's objects is missing or not what an archive has.
#[derive(Debug, thiserror::Error)]
pub(super) enum PdfError {
    #[error("the PDF parser gave up on this file")]
    ParserGaveUp,
    #[error("not a readable PDF ({0})")]
    Unreadable(lopdf::Error),
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
    #[error("{0} signature fields, expected exactly 1")]
    SignatureFields(usize),
    #[error("the signature field has no value")]
    NoValue,
    #[error("the signature is not ETSI.CAdES.detached")]
    NotCades,
    #[error("the signature has no ByteRange")]
    NoByteRange,
    #[error("the ByteRange is not four integers")]
    ByteRangeNotFour,
    #[error("the signature has no Contents string")]
    NoContents,
    #[error("no /Names in the catalog")]
    NoNames,
    #[error("no embedded files")]
    NoEmbeddedFiles,
    #[error("the embedded files tree does not end")]
    EndlessTree,
    #[error("an embedded file's name is not a string")]
    NameNotAString,
    #[error("{0}: no /EF")]
    NoEf(String),
    #[error("{0}: no /EF /F")]
    NoEfFile(String),
    #[error("{0}: not a stream")]
    NotAStream(String),
    #[error("{name}: does not decompress ({source})")]
    Decompress { name: String, source: lopdf::Error },
    #[error("{0} is embedded twice")]
    EmbeddedTwice(String),
}

/// `bytes` as a PDF document; a parser panic on a hostile file is a failed load, not a crash.
pub(super) fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    std::panic::catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| PdfError::ParserGaveUp)?
        .map_err(PdfError::Unreadable)
}

/// `signature_field`: the form's only signature field holds the ByteRange and Contents that
/// `sig` was read from.
pub(super) fn check_field(doc: &Document, sig: Option<&RawSignature>, checks: &mut Checks) {
    match (sig, signature_field(doc)) {
        (Some(s), Ok((range, contents))) => {
            let same_range = range == [0, s.a as i64, s.b as i64, s.c as i64];
            let same_contents = contents == s.raw;
            checks.add(
                "signature_field",
                same_range && same_contents,
                if same_range && same_contents {
                    "the form's only signature field holds this signature".to_string()
                } else {
                    "the signature field's ByteRange or Contents is not the one checked".to_string()
                },
            );
        }
        (None, Ok(_)) => {
            checks.add(
                "signature_field",
                false,
                "the signature field's value could not be checked",
            );
        }
        (_, Err(e)) => {
            checks.add("signature_field", false, e.to_string());
        }
    }
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Object, PdfError> {
    doc.dereference(obj)
        .map(|(_, o)| o)
        .map_err(PdfError::BrokenReference)
}

fn dict<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Dictionary, PdfError> {
    deref(doc, obj)?.as_dict().map_err(|_| PdfError::NotADictionary)
}

/// The one signature field's ByteRange and Contents.
fn signature_field(doc: &Document) -> Result<([i64; 4], Vec<u8>), PdfError> {
    let catalog = doc.catalog().map_err(PdfError::NoCatalog)?;
    let form = catalog.get(b"AcroForm").map_err(|_| PdfError::NoForm)?;
    let fields = dict(doc, form)?
        .get(b"Fields")
        .map_err(|_| PdfError::NoFields)
        .and_then(|f| deref(doc, f))?
        .as_array()
        .map_err(|_| PdfError::FieldsNotAnArray)?;
    let sigs: Vec<&Dictionary> = fields
        .iter()
        .filter_map(|f| dict(doc, f).ok())
        .filter(|d| d.get(b"FT").and_then(Object::as_name).is_ok_and(|n| n == b"Sig"))
        .collect();
    let [field] = sigs.as_slice() else {
        return Err(PdfError::SignatureFields(sigs.len()));
    };
    let v = dict(doc, field.get(b"V").map_err(|_| PdfError::NoValue)?)?;
    let sub = v.get(b"SubFilter").and_then(Object::as_name).unwrap_or_default();
    if sub != b"ETSI.CAdES.detached" {
        return Err(PdfError::NotCades);
    }
    let range = v
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| PdfError::NoByteRange)?;
    let nums: Vec<i64> = range.iter().filter_map(|o| o.as_i64().ok()).collect();
    let nums: [i64; 4] = nums.try_into().map_err(|_| PdfError::ByteRangeNotFour)?;
    let contents = match v.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err(PdfError::NoContents),
    };
    Ok((nums, contents))
}

/// Every embedded file by name (name tree under /Names /EmbeddedFiles), decompressed.
pub(super) fn attachments(doc: &Document) -> Result<BTreeMap<String, Vec<u8>>, PdfError> {
    let catalog = doc.catalog().map_err(PdfError::NoCatalog)?;
    let names = dict(doc, catalog.get(b"Names").map_err(|_| PdfError::NoNames)?)?;
    let root = dict(
        doc,
        names
            .get(b"EmbeddedFiles")
            .map_err(|_| PdfError::NoEmbeddedFiles)?,
    )?;
    let mut out = BTreeMap::new();
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            return Err(PdfError::EndlessTree);
        }
        if let Ok(kids) = node.get(b"Kids").and_then(Object::as_array) {
            for k in kids {
                stack.push(dict(doc, k)?);
            }
        }
        if let Ok(pairs) = node.get(b"Names").and_then(Object::as_array) {
            for pair in pairs.chunks(2) {
                let [name, spec] = pair else { continue };
                let (name, data) = embedded_file(doc, name, spec)?;
                if out.insert(name.clone(), data).is_some() {
                    return Err(PdfError::EmbeddedTwice(name));
                }
            }
        }
    }
    Ok(out)
}

/// One entry of the name tree: the file's name and its bytes, decompressed.
fn embedded_file(doc: &Document, name: &Object, spec: &Object) -> Result<(String, Vec<u8>), PdfError> {
    let name = match deref(doc, name)? {
        Object::String(s, _) => String::from_utf8_lossy(s).to_string(),
        _ => return Err(PdfError::NameNotAString),
    };
    let spec = dict(doc, spec)?;
    let ef = dict(doc, spec.get(b"EF").map_err(|_| PdfError::NoEf(name.clone()))?)?;
    let stream = deref(doc, ef.get(b"F").map_err(|_| PdfError::NoEfFile(name.clone()))?)?
        .as_stream()
        .map_err(|_| PdfError::NotAStream(name.clone()))?;
    let data = if stream.dict.has(b"Filter") {
        match stream.decompressed_content() {
            Ok(data) => data,
            Err(source) => return Err(PdfError::Decompress { name, source }),
        }
    } else {
        stream.content.clone()
    };
    Ok((name, data))
}
