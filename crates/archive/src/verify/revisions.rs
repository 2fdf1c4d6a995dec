//! The revisions after the archive's signature: each co-signature (`archive cosign`) held against
//! the bytes and its CMS checked (check `cosignatures`), each revision it signs shown to add
//! that signature and nothing else (check `only_signatures_added`), and the last signature
//! reaching the file's last byte (check `no_later_revision`). Each signer is named in the
//! report's `signatures`.
//!
//! What a revision changed is found by reading the file twice, cut where the earlier signature
//! ends and where the later one does, and comparing the objects the increment wrote (their
//! cross-reference entries differ): only the new signature dictionary, its field, the form's
//! `/Fields` and page 1's `/Annots` (each grown by that field alone) may differ. Anything else
//! is named: the object, what it is (a page, a page's content stream, an embedded file), and
//! which keys of a catalog or page changed.

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, Object, ObjectId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cades::{self, Checked};

use super::byte_range::{self, RawSignature};
use super::limits::Limits;
use super::structure::{self, SigField};
use super::Checks;

/// One signature of the file, as `verify` found it: the archive's (index 1), then each
/// co-signature in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    pub index: usize,
    /// The signature field's name.
    pub field: String,
    /// The signer's certificate subject (`CN=…,O=…`), when the signature could be read.
    pub signer: Option<String>,
    /// The certificate's common name: the signer's name.
    pub name: Option<String>,
    pub cert_sha256: Option<String>,
    /// The signature dictionary's `/M` (RFC 3339 when it is a UTC PDF date, as Flightdeck
    /// writes it; else as written) and `/Reason`.
    pub signed_at: Option<String>,
    pub reason: Option<String>,
    /// Where the revision it signs ends (the bytes its ByteRange reaches), when it could be read.
    pub revision_end: Option<usize>,
    /// The signature holds over the bytes it covers (and, after the first, its revision only
    /// adds it).
    pub ok: bool,
    /// The signer's certificate (DER).
    #[serde(skip)]
    pub cert_der: Option<Vec<u8>>,
}

/// The first signature, as the caller checked it.
pub(super) struct First<'a> {
    pub field: &'a SigField,
    pub raw: Option<&'a RawSignature>,
    pub checked: Option<&'a Checked>,
    pub ok: bool,
}

/// `cosignatures` and `only_signatures_added` (when there is more than one signature) and
/// `no_later_revision`; every signature, named.
pub(super) fn check(
    bytes: &[u8],
    fields: &[SigField],
    first: Option<First<'_>>,
    limits: &Limits,
    checks: &mut Checks,
) -> Vec<SignatureInfo> {
    let Some(first) = first else {
        checks.add(
            "no_later_revision",
            false,
            "no valid ByteRange to compare with the file's length",
        );
        return Vec::new();
    };
    let mut end = first.raw.map(RawSignature::end);
    let mut out = vec![info(1, first.field, first.checked, first.ok, end)];
    if fields.len() > limits.max_signatures {
        let e = super::LimitError::Signatures {
            count: fields.len(),
            limit: limits.max_signatures,
        };
        checks.add("cosignatures", false, e.to_string());
        checks.add(
            "no_later_revision",
            false,
            "the signatures were not read: see cosignatures",
        );
        return out;
    }
    let (mut crypto, mut changes) = (Vec::new(), Vec::new());
    for (i, field) in fields.iter().enumerate().skip(1) {
        let n = i + 1;
        let (ok, checked, this_end) = cosignature(bytes, n, field, end, &mut crypto);
        let mut ok = ok;
        if let (Some(from), Some(to)) = (end, this_end) {
            let found = revision_changes(bytes, from, to, Some(field), limits);
            if !found.is_empty() {
                ok = false;
                changes.push(format!(
                    "the revision signature {n} signs (bytes {from}..{to}) {}",
                    found.join("; ")
                ));
            }
        }
        out.push(info(n, field, checked.as_ref(), ok, this_end));
        end = this_end.or(end);
    }
    if fields.len() > 1 {
        let count = fields.len() - 1;
        checks.add(
            "cosignatures",
            crypto.is_empty(),
            if crypto.is_empty() {
                format!(
                    "{count} co-signature(s), each covering every earlier revision, hold: {}",
                    names(&out[1..])
                )
            } else {
                crypto.join("; ")
            },
        );
        checks.add(
            "only_signatures_added",
            changes.is_empty(),
            if changes.is_empty() {
                "each revision after the archive's signature adds one signature and nothing else".to_string()
            } else {
                changes.join("; ")
            },
        );
    }
    later_revision(bytes, end, limits, checks);
    out
}

/// Co-signature `n` (its field `field`), read and checked after the revision that ends at
/// `prev_end`: whether it holds, what its CMS says, where it ends. Problems go to `problems`.
fn cosignature(
    bytes: &[u8],
    n: usize,
    field: &SigField,
    prev_end: Option<usize>,
    problems: &mut Vec<String>,
) -> (bool, Option<Checked>, Option<usize>) {
    let raw = match byte_range::read(bytes, field) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(format!("signature {n}: {e}"));
            return (false, None, None);
        }
    };
    if prev_end.is_none_or(|p| field.offset < p) {
        problems.push(format!(
            "signature {n}: its dictionary is not in a revision after the signature before it"
        ));
        return (false, None, None);
    }
    let mut h = Sha256::new();
    h.update(&bytes[..raw.a]);
    h.update(&bytes[raw.b..raw.end()]);
    let digest: [u8; 32] = h.finalize().into();
    let checked = match cades::check(&raw.cms, &digest) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("signature {n}: {e}"));
            return (false, None, Some(raw.end()));
        }
    };
    let mut bad = Vec::new();
    if !checked.signature_ok {
        bad.push("the signature does not verify under the signer's certificate".to_string());
    }
    if !(checked.digest_ok && checked.signing_cert_ok && checked.content_type_ok) {
        bad.push(
            "its signed attributes do not hold (message-digest, signing-certificate-v2, content-type)".into(),
        );
    }
    bad.extend(checked.departures.iter().cloned());
    let ok = bad.is_empty();
    if !ok {
        problems.push(format!(
            "signature {n} by {}: {}",
            checked.subject,
            bad.join(", ")
        ));
    }
    (ok, Some(checked), Some(raw.end()))
}

/// `no_later_revision`: the last signature reaches the file's last byte; else what the
/// unsigned revision after it changes.
fn later_revision(bytes: &[u8], end: Option<usize>, limits: &Limits, checks: &mut Checks) {
    let whole = end == Some(bytes.len());
    let detail = match end {
        Some(_) if whole => "the last signature covers the file to its last byte".to_string(),
        Some(end) if end < bytes.len() => {
            let found = revision_changes(bytes, end, bytes.len(), None, limits);
            let what = if found.is_empty() {
                String::new()
            } else {
                format!(": the unsigned revision {}", found.join("; "))
            };
            format!(
                "the signed range ends at byte {end} but the file has {} bytes: something was added or cut after signing{what}",
                bytes.len()
            )
        }
        Some(end) => format!(
            "the signed range ends at byte {end} but the file has {} bytes: something was added or cut after signing",
            bytes.len()
        ),
        None => "no valid ByteRange to compare with the file's length".to_string(),
    };
    checks.add("no_later_revision", whole, detail);
}

fn info(
    index: usize,
    field: &SigField,
    checked: Option<&Checked>,
    ok: bool,
    revision_end: Option<usize>,
) -> SignatureInfo {
    SignatureInfo {
        index,
        field: field.name.clone(),
        signer: checked.map(|c| c.subject.clone()),
        name: checked.and_then(|c| {
            <x509_cert::Certificate as der::Decode>::from_der(&c.cert_der)
                .ok()
                .and_then(|c| crate::identity::common_name(&c))
        }),
        cert_sha256: checked.map(|c| flightdeck_engine::store::sha256_hex(&c.cert_der)),
        signed_at: field.signed_at.as_deref().map(readable_date),
        reason: field.reason.clone(),
        revision_end,
        ok,
        cert_der: checked.map(|c| c.cert_der.clone()),
    }
}

/// `D:20250602101500Z` as `2025-06-02T10:15:00Z`; any other form as it is.
fn readable_date(d: &str) -> String {
    let digits = d.strip_prefix("D:").and_then(|r| r.strip_suffix('Z'));
    match digits {
        Some(n) if n.len() == 14 && n.bytes().all(|b| b.is_ascii_digit()) => format!(
            "{}-{}-{}T{}:{}:{}Z",
            &n[..4],
            &n[4..6],
            &n[6..8],
            &n[8..10],
            &n[10..12],
            &n[12..]
        ),
        _ => d.to_string(),
    }
}

fn names(sigs: &[SignatureInfo]) -> String {
    sigs.iter()
        .map(|s| format!("{} by {}", s.index, s.signer.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the update(s) between byte `from` and byte `to` change besides adding signature
/// `sig` (none for an unsigned revision), each named; empty when they add that signature alone.
pub(super) fn revision_changes(
    bytes: &[u8],
    from: usize,
    to: usize,
    sig: Option<&SigField>,
    limits: &Limits,
) -> Vec<String> {
    let load = |n: usize| structure::load(&bytes[..n], limits);
    let (old, new) = match (load(from), load(to)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) => {
            return vec![format!(
                "cannot be compared: the revision before it does not load ({e})"
            )]
        }
        (_, Err(e)) => return vec![format!("does not load on its own ({e})")],
    };
    let field_ref = sig.and_then(|s| s.field_id).map(Object::Reference);
    let mut out = Vec::new();
    for (&num, entry) in &new.reference_table.entries {
        let now = entry_key(entry);
        let before = old.reference_table.entries.get(&num).and_then(entry_key);
        if now == before {
            continue;
        }
        let id = match entry {
            XrefEntry::Normal { generation, .. } => (num, *generation),
            XrefEntry::Compressed { .. } => (num, 0),
            XrefEntry::Free | XrefEntry::UnusableFree => {
                out.push(format!("frees object {num}"));
                continue;
            }
        };
        if let Some(what) = object_change(&old, &new, id, sig, field_ref.as_ref()) {
            out.push(what);
        }
    }
    for key in [&b"Root"[..], b"Info", b"Encrypt"] {
        if old.trailer.get(key).ok() != new.trailer.get(key).ok() {
            out.push(format!("changes the trailer's /{}", String::from_utf8_lossy(key)));
        }
    }
    if sig.is_some_and(|s| s.field_id.is_none_or(|f| !new.objects.contains_key(&f))) {
        out.push("adds a signature whose field is not an object of the form".into());
    }
    out
}

/// An xref entry as something to compare: where the object is written.
fn entry_key(e: &XrefEntry) -> Option<(bool, u32, u16)> {
    match e {
        XrefEntry::Normal { offset, generation } => Some((true, *offset, *generation)),
        XrefEntry::Compressed { container, index } => Some((false, *container, *index)),
        XrefEntry::Free | XrefEntry::UnusableFree => None,
    }
}

/// What writing object `id` again changed, if it is not one of the edits a co-signature makes.
fn object_change(
    old: &Document,
    new: &Document,
    id: ObjectId,
    sig: Option<&SigField>,
    field_ref: Option<&Object>,
) -> Option<String> {
    let now = new.get_object(id).ok()?;
    let Ok(before) = old.get_object(id) else {
        let ours = sig.is_some_and(|s| s.id == id || s.field_id == Some(id));
        return (!ours).then(|| format!("adds object {} {} ({})", id.0, id.1, describe(new, id, now)));
    };
    if same(before, now) {
        return None;
    }
    let root = new.trailer.get(b"Root").and_then(Object::as_reference).ok();
    let keys = match (before.as_dict(), now.as_dict(), field_ref) {
        (Ok(b), Ok(n), Some(f)) if root == Some(id) => catalog_keys(old, new, b, n, f),
        (Ok(b), Ok(n), Some(f)) if is_page(b) => {
            dict_keys(b, n, b"Annots", |o, n| grown_by(old, new, o, n, f))
        }
        (Ok(b), Ok(n), _) => dict_keys(b, n, b"", |_, _| false),
        _ => Vec::new(),
    };
    if keys.is_empty() && (root == Some(id) || is_page_obj(before)) && field_ref.is_some() {
        return None;
    }
    let which = if keys.is_empty() {
        String::new()
    } else {
        format!(": its {}", keys.join(", "))
    };
    Some(format!(
        "changes object {} {} ({}){which}",
        id.0,
        id.1,
        describe(old, id, before)
    ))
}

/// The catalog's keys that changed other than `/AcroForm /Fields` grown by `field`.
fn catalog_keys(
    old: &Document,
    new: &Document,
    b: &Dictionary,
    n: &Dictionary,
    field: &Object,
) -> Vec<String> {
    dict_keys(b, n, b"AcroForm", |o, nw| {
        match (deref(old, o).as_dict(), deref(new, nw).as_dict()) {
            (Ok(fo), Ok(fn_)) => {
                dict_keys(fo, fn_, b"Fields", |a, z| grown_by(old, new, a, z, field)).is_empty()
            }
            _ => false,
        }
    })
    .into_iter()
    .map(|k| format!("catalog {k}"))
    .collect()
}

/// The keys whose values differ between `b` and `n` (as `/Key`), but `allowed` when `fine`
/// says its change is one a co-signature makes.
fn dict_keys(
    b: &Dictionary,
    n: &Dictionary,
    allowed: &[u8],
    fine: impl Fn(&Object, &Object) -> bool,
) -> Vec<String> {
    let mut keys: Vec<&[u8]> = b.iter().map(|(k, _)| k.as_slice()).collect();
    keys.extend(n.iter().map(|(k, _)| k.as_slice()).filter(|k| !b.has(k)));
    keys.into_iter()
        .filter(|k| match (b.get(k).ok(), n.get(k).ok()) {
            (Some(x), Some(y)) if x == y => false,
            (Some(x), Some(y)) if *k == allowed => !fine(x, y),
            (None, Some(y)) if *k == allowed && allowed == b"Annots" => !fine(&Object::Array(Vec::new()), y),
            _ => true,
        })
        .map(|k| format!("/{}", String::from_utf8_lossy(k)))
        .collect()
}

/// `now` is the array `before` with `field` appended, and nothing else.
fn grown_by(old: &Document, new: &Document, before: &Object, now: &Object, field: &Object) -> bool {
    match (deref(old, before).as_array(), deref(new, now).as_array()) {
        (Ok(b), Ok(n)) => n.len() == b.len() + 1 && n[..b.len()] == b[..] && n.last() == Some(field),
        _ => false,
    }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

/// Equal objects; a stream's position in the file does not count.
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

fn is_page(d: &Dictionary) -> bool {
    d.get(b"Type")
        .and_then(Object::as_name)
        .is_ok_and(|t| t == b"Page")
}

fn is_page_obj(o: &Object) -> bool {
    o.as_dict().is_ok_and(is_page)
}

/// What object `id` is, for a person: a page, a page's content stream, an embedded file, a
/// file specification by its name, or its `/Type`.
fn describe(doc: &Document, id: ObjectId, obj: &Object) -> String {
    for (n, page) in doc.get_pages() {
        if page == id {
            return format!("page {n}");
        }
        if doc.get_page_contents(page).contains(&id) {
            return format!("page {n}'s content stream");
        }
    }
    let d = match obj {
        Object::Stream(s) => &s.dict,
        Object::Dictionary(d) => d,
        _ => return "a value".into(),
    };
    let ty = d
        .get(b"Type")
        .and_then(Object::as_name)
        .ok()
        .map(String::from_utf8_lossy);
    match ty.as_deref() {
        Some("EmbeddedFile") => "an embedded file's data".into(),
        Some("Filespec") => {
            let name = d
                .get(b"F")
                .ok()
                .and_then(|o| lopdf::decode_text_string(o).ok())
                .unwrap_or_default();
            format!("the file specification of {name}")
        }
        Some("Catalog") => "the catalog".into(),
        Some(t) => format!("a /{t}"),
        None if matches!(obj, Object::Stream(_)) => "a stream".into(),
        None => "a dictionary".into(),
    }
}
