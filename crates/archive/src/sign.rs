//! The PAdES B-B signature, added to a finished PDF by an incremental update.
//!
//! Owns the update (a signature dictionary, an invisible signature field on page 1, the
//! catalog's `/AcroForm`; for a co-signature, one more field in that form), the `/ByteRange` that covers the whole file but the `/Contents`
//! hex, and filling that hex with the CMS from `cades`. The placeholders are looked for from
//! where the cross-reference table puts the signature dictionary, whose ByteRange and Contents
//! come before any text (signer name, reason), so nothing a user typed can be taken for them.
//! Nothing may be appended afterwards but a further signature (`add_signature`, by the same
//! code): `verify` refuses a file whose last signature does not reach its end.

use lopdf::{dictionary, IncrementalDocument, Object, StringFormat};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::cades;
use crate::error::{Error, Result};
use crate::identity::Identity;

/// Bytes reserved for the CMS (hex-encoded twice as long in the file).
pub const CONTENTS_LEN: usize = 8192;
/// Written where the ByteRange numbers go, then overwritten (same width) once they are known.
const PLACEHOLDER: i64 = 9_999_999_999;

fn fail(what: &str) -> impl Fn(lopdf::Error) -> Error + '_ {
    move |e| Error::Sign(format!("{what}: {e}"))
}

/// The signature field's name in an archive.
pub const ARCHIVE_FIELD: &str = "Flightdeck archive signature";
/// The signature field's name in a D0–D7 watch report.
pub const WATCH_REPORT_FIELD: &str = "Flightdeck watch report signature";

/// The signature field's name of the `n`th signature (2 and up) added by `cosign`.
pub fn cosign_field(n: usize) -> String {
    format!("Flightdeck co-signature {n}")
}

/// What the signature dictionary says besides the signature itself.
struct SigText<'a> {
    now: OffsetDateTime,
    reason: Option<&'a str>,
    field: &'a str,
}

/// `pdf` signed by `identity` at `now`, with `reason` in the signature dictionary and the field
/// named `field`: the first signature, which makes the form (a PDF that has one is refused).
pub fn sign(
    pdf: Vec<u8>,
    identity: &Identity,
    now: OffsetDateTime,
    reason: &str,
    field: &str,
) -> Result<Vec<u8>> {
    let text = SigText {
        now,
        reason: Some(reason),
        field,
    };
    append(pdf, identity, &text, |catalog, field_id| {
        if catalog.has(b"AcroForm") {
            return Err(Error::Sign(
                "the PDF already has a form; an archive is signed once (add a signature with `archive cosign`)".into(),
            ));
        }
        catalog.set(
            "AcroForm",
            dictionary! { "Fields" => vec![field_id.into()], "SigFlags" => 3 },
        );
        Ok(())
    })
}

/// `pdf`, already signed, with a further signature by `identity` in a new field `field` added by
/// one more incremental update: the new signature dictionary and field, the field appended to
/// the form's `/Fields` and to page 1's `/Annots`, nothing else. The earlier signatures are
/// untouched and stay valid (none is a certification signature: no DocMDP forbids this). No
/// check of what is signed: `cosign::cosign` is the checked way in.
pub fn add_signature(
    pdf: Vec<u8>,
    identity: &Identity,
    now: OffsetDateTime,
    reason: Option<&str>,
    field: &str,
) -> Result<Vec<u8>> {
    let text = SigText { now, reason, field };
    append(pdf, identity, &text, |catalog, field_id| {
        let form = match catalog.get_mut(b"AcroForm") {
            Ok(Object::Dictionary(form)) => form,
            Ok(_) => {
                return Err(Error::Sign(
                    "the form is not a direct dictionary in the catalog".into(),
                ))
            }
            Err(_) => return Err(Error::Sign("the PDF has no form: it is not signed yet".into())),
        };
        match form.get_mut(b"Fields") {
            Ok(Object::Array(fields)) => fields.push(field_id.into()),
            _ => return Err(Error::Sign("the form's /Fields is not a direct array".into())),
        }
        Ok(())
    })
}

/// Append one incremental update to `pdf`: a signature dictionary (placeholders), an invisible
/// signature widget on page 1 named `text.field`, page 1's `/Annots` and the catalog as `form`
/// edits it (given the catalog and the new field); then fill in the ByteRange and the CMS.
fn append(
    pdf: Vec<u8>,
    identity: &Identity,
    text: &SigText<'_>,
    form: impl FnOnce(&mut lopdf::Dictionary, lopdf::ObjectId) -> Result<()>,
) -> Result<Vec<u8>> {
    let prev = lopdf::Document::load_mem(&pdf).map_err(fail("reading the PDF to sign"))?;
    let catalog_id = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(fail("the PDF has no catalog"))?;
    let page_id = *prev
        .get_pages()
        .get(&1)
        .ok_or_else(|| Error::Sign("the PDF has no page".into()))?;
    let mut inc = IncrementalDocument::create_from(pdf, prev);
    inc.opt_clone_object_to_new_document(catalog_id)
        .map_err(fail("copying the catalog"))?;
    inc.opt_clone_object_to_new_document(page_id)
        .map_err(fail("copying page 1"))?;
    let doc = &mut inc.new_document;
    let name = identity.common_name().unwrap_or_else(|| identity.subject());
    let mut sig = dictionary! {
        "Type" => "Sig",
        "Filter" => "Adobe.PPKLite",
        "SubFilter" => "ETSI.CAdES.detached",
        "ByteRange" => vec![0.into(), PLACEHOLDER.into(), PLACEHOLDER.into(), PLACEHOLDER.into()],
        "Contents" => Object::String(vec![0u8; CONTENTS_LEN], StringFormat::Hexadecimal),
        "M" => Object::string_literal(pdf_date(text.now)),
        "Name" => Object::string_literal(name),
    };
    if let Some(reason) = text.reason {
        sig.set("Reason", Object::string_literal(reason));
    }
    let sig_id = doc.add_object(sig);
    let field_id = doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Widget",
        "FT" => "Sig",
        "T" => Object::string_literal(text.field),
        "V" => sig_id,
        "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
        // Print + Locked: PDF/A wants printable annotations; nobody should move this one.
        "F" => 132,
        "P" => page_id,
    });
    let page = doc
        .get_object_mut(page_id)
        .and_then(Object::as_dict_mut)
        .map_err(fail("page 1 is not a dictionary"))?;
    match page.get_mut(b"Annots") {
        Ok(Object::Array(annots)) => annots.push(field_id.into()),
        Ok(_) => return Err(Error::Sign("page 1's /Annots is not a direct array".into())),
        Err(_) => page.set("Annots", vec![field_id.into()]),
    }
    let catalog = doc
        .get_object_mut(catalog_id)
        .and_then(Object::as_dict_mut)
        .map_err(fail("the catalog is not a dictionary"))?;
    form(catalog, field_id)?;
    let mut out = Vec::new();
    inc.save_to(&mut out)
        .map_err(|e| Error::Sign(format!("writing the update: {e}")))?;
    let start = object_offset(&out, sig_id)?;
    fill(&mut out, start, identity)?;
    Ok(out)
}

/// Where object `id` starts in `pdf`, as its cross-reference table says.
fn object_offset(pdf: &[u8], id: lopdf::ObjectId) -> Result<usize> {
    let doc = lopdf::Document::load_mem(pdf).map_err(fail("reading the signed update back"))?;
    match doc.reference_table.get(id.0) {
        Some(lopdf::xref::XrefEntry::Normal { offset, .. }) => Ok(*offset as usize),
        _ => Err(Error::Sign(
            "the signature dictionary is not in the cross-reference table".into(),
        )),
    }
}

/// Set the ByteRange and write the CMS into the `/Contents` placeholder of the signature
/// dictionary whose object starts at `start`.
fn fill(out: &mut [u8], start: usize, identity: &Identity) -> Result<()> {
    let hex_len = CONTENTS_LEN * 2;
    let mut zeros = vec![b'<'];
    zeros.extend(std::iter::repeat_n(b'0', hex_len));
    zeros.push(b'>');
    let a =
        find(out, &zeros, start).ok_or_else(|| Error::Sign("the /Contents placeholder is missing".into()))?;
    let b = a + zeros.len();
    let len = out.len();
    let marker = PLACEHOLDER.to_string();
    let first = find(out, marker.as_bytes(), start)
        .ok_or_else(|| Error::Sign("the /ByteRange placeholder is missing".into()))?;
    let open = out[..first]
        .iter()
        .rposition(|&c| c == b'[')
        .ok_or_else(|| Error::Sign("the /ByteRange array is malformed".into()))?;
    let close = open
        + out[open..]
            .iter()
            .position(|&c| c == b']')
            .ok_or_else(|| Error::Sign("the /ByteRange array is malformed".into()))?;
    let width = close + 1 - open;
    let mut range = format!("[0 {a} {b} {}]", len - b).into_bytes();
    if range.len() > width {
        return Err(Error::Sign("the /ByteRange does not fit its placeholder".into()));
    }
    range.resize(width, b' ');
    out[open..=close].copy_from_slice(&range);

    let mut hasher = Sha256::new();
    hasher.update(&out[..a]);
    hasher.update(&out[b..]);
    let digest: [u8; 32] = hasher.finalize().into();
    let cms = cades::sign(identity, &digest).map_err(|e| Error::Sign(format!("CMS encoding: {e}")))?;
    if cms.len() > CONTENTS_LEN {
        return Err(Error::Sign(format!(
            "the signature ({} bytes) is larger than the space kept for it ({CONTENTS_LEN})",
            cms.len()
        )));
    }
    let hex = hex::encode(&cms);
    out[a + 1..a + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
