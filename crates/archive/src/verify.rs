//! Offline verification of an archive, from the file alone.
//!
//! Owns the checks and their report: the ByteRange shape and gap, that the signature reaches
//! the end of the file (no later revision), the CMS signature and its signed attributes, an
//! optional pinned certificate, the manifest, each attachment's sha256, and the embedded event
//! log's hash chain, recomputed with the store's own canonical hashing
//! (`flightdeck_engine::store::event_hash`), against the head the manifest states.

use std::collections::BTreeMap;

use flightdeck_engine::store::{event_hash, sha256_hex, HashInput, StoredEvent, GENESIS_HASH, RUN_CREATED};
use lopdf::{Dictionary, Document, Object};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cades;
use crate::record::{Manifest, EVENTS_FILE, FORMAT, MANIFEST_FILE, RUNBOOK_FILE};

/// One named check and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    /// What was found: why it holds, or what does not.
    pub detail: String,
}

/// The outcome of `verify`: `ok` only when every check holds.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
    /// The signer's certificate subject, when the signature could be read.
    pub signer: Option<String>,
    /// sha256 of the signer's certificate (DER), to pin it next time.
    pub signer_cert_sha256: Option<String>,
}

/// What the archive carries, read back from its attachments.
#[derive(Debug, Clone)]
pub struct Contents {
    pub manifest: Manifest,
    pub events: Vec<StoredEvent>,
    pub runbook_source: String,
}

/// The report, with the embedded run when its files could be read (even if a check failed).
#[derive(Debug, Clone)]
pub struct Opened {
    pub report: Report,
    pub contents: Option<Contents>,
}

struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) -> bool {
        self.0.push(Check {
            name,
            ok,
            detail: detail.into(),
        });
        ok
    }
}

/// Verify `bytes`; with `pinned_cert` (DER), the signer must be exactly that certificate.
pub fn verify(bytes: &[u8], pinned_cert: Option<&[u8]>) -> Report {
    open(bytes, pinned_cert).report
}

/// Verify `bytes` and read back what it carries.
pub fn open(bytes: &[u8], pinned_cert: Option<&[u8]>) -> Opened {
    let mut checks = Checks(Vec::new());
    let mut signer = None;
    let mut signer_cert_sha256 = None;

    // The signature, from the raw bytes: nothing here depends on a PDF parser's leniency.
    let sig = signature_bytes(bytes);
    match &sig {
        Err(e) => {
            checks.add("byte_range", false, e.clone());
        }
        Ok(s) => {
            checks.add(
                "byte_range",
                true,
                format!("[0 {} {} {}]: everything but the /Contents hex", s.a, s.b, s.c),
            );
        }
    }
    let whole = sig.as_ref().ok().map(|s| s.b + s.c == bytes.len());
    checks.add(
        "no_later_revision",
        whole == Some(true),
        match (&sig, whole) {
            (Ok(_), Some(true)) => "the signature covers the file to its last byte".to_string(),
            (Ok(s), _) => format!(
                "the signed range ends at byte {} but the file has {} bytes: something was added or cut after signing",
                s.b + s.c,
                bytes.len()
            ),
            (Err(_), _) => "no valid ByteRange to compare with the file's length".to_string(),
        },
    );
    let checked = sig.as_ref().ok().map(|s| {
        let mut h = Sha256::new();
        h.update(&bytes[..s.a]);
        h.update(&bytes[s.b..]);
        let digest: [u8; 32] = h.finalize().into();
        cades::check(&s.cms, &digest)
    });
    match checked {
        None => {
            checks.add("cms_signature", false, "no signature to check");
            checks.add("signed_attributes", false, "no signature to check");
        }
        Some(Err(e)) => {
            checks.add("cms_signature", false, e);
            checks.add("signed_attributes", false, "the signature could not be read");
        }
        Some(Ok(c)) => {
            signer = Some(c.subject.clone());
            signer_cert_sha256 = Some(sha256_hex(&c.cert_der));
            checks.add(
                "cms_signature",
                c.signature_ok,
                if c.signature_ok {
                    format!("ECDSA P-256 / SHA-256 signature by {} holds", c.subject)
                } else {
                    "the signature does not verify under the signer's certificate".into()
                },
            );
            let attrs_ok = c.digest_ok && c.signing_cert_ok && c.content_type_ok;
            let mut bad = Vec::new();
            if !c.digest_ok {
                bad.push("message-digest differs from the digest of the signed bytes");
            }
            if !c.signing_cert_ok {
                bad.push("signing-certificate-v2 does not name the signer's certificate");
            }
            if !c.content_type_ok {
                bad.push("content-type is not id-data");
            }
            checks.add(
                "signed_attributes",
                attrs_ok,
                if attrs_ok {
                    "content-type, message-digest (sha256 of the signed bytes) and signing-certificate-v2 hold"
                        .to_string()
                } else {
                    bad.join("; ")
                },
            );
            match pinned_cert {
                None => {}
                Some(pin) => {
                    let same = pin == c.cert_der.as_slice();
                    checks.add(
                        "pinned_certificate",
                        same,
                        if same {
                            "signed with the pinned certificate".to_string()
                        } else {
                            format!("signed by {}, not by the pinned certificate", c.subject)
                        },
                    );
                }
            }
        }
    }
    if pinned_cert.is_some() && !checks.0.iter().any(|c| c.name == "pinned_certificate") {
        checks.add("pinned_certificate", false, "no signer certificate to compare");
    }

    // The document's structure and attachments, through a PDF parser.
    let parsed = std::panic::catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| "the PDF parser gave up on this file".to_string())
        .and_then(|r| r.map_err(|e| format!("not a readable PDF ({e})")));
    let contents = match parsed {
        Err(e) => {
            checks.add("signature_field", false, e.clone());
            checks.add("manifest", false, e);
            None
        }
        Ok(doc) => {
            match (&sig, signature_field(&doc)) {
                (Ok(s), Ok((range, contents))) => {
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
                (Err(_), Ok(_)) => {
                    checks.add(
                        "signature_field",
                        false,
                        "the signature field's value could not be checked",
                    );
                }
                (_, Err(e)) => {
                    checks.add("signature_field", false, e);
                }
            }
            read_contents(&doc, &mut checks)
        }
    };
    let ok = checks.0.iter().all(|c| c.ok);
    Opened {
        report: Report {
            ok,
            checks: checks.0,
            signer,
            signer_cert_sha256,
        },
        contents,
    }
}

/// The signature as the raw bytes hold it.
struct RawSignature {
    a: usize,
    b: usize,
    c: usize,
    /// The decoded /Contents, padding included.
    raw: Vec<u8>,
    /// The CMS alone.
    cms: Vec<u8>,
}

fn signature_bytes(bytes: &[u8]) -> Result<RawSignature, String> {
    let key = b"/ByteRange";
    let at = (0..bytes.len().saturating_sub(key.len()))
        .rev()
        .find(|&i| &bytes[i..i + key.len()] == key)
        .ok_or("no /ByteRange: the file is not signed")?;
    let mut i = at + key.len();
    let skip = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip(&mut i);
    if bytes.get(i) != Some(&b'[') {
        return Err("the /ByteRange is not an array".into());
    }
    i += 1;
    let mut nums = Vec::new();
    for _ in 0..4 {
        skip(&mut i);
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let n: usize = std::str::from_utf8(&bytes[start..i])
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 12)
            .and_then(|s| s.parse().ok())
            .ok_or("the /ByteRange holds something other than four non-negative integers")?;
        nums.push(n);
    }
    skip(&mut i);
    if bytes.get(i) != Some(&b']') {
        return Err("the /ByteRange does not hold exactly four numbers".into());
    }
    let (zero, a, b, c) = (nums[0], nums[1], nums[2], nums[3]);
    if zero != 0 {
        return Err(format!("the /ByteRange starts at {zero}, not 0"));
    }
    if !(a < b && b <= bytes.len() && b.checked_add(c).is_some()) {
        return Err(format!(
            "the /ByteRange [0 {a} {b} {c}] does not fit the file ({} bytes)",
            bytes.len()
        ));
    }
    if bytes[a] != b'<' || bytes[b - 1] != b'>' {
        return Err("the /ByteRange gap is not a hex string".into());
    }
    let before = &bytes[a.saturating_sub(12)..a];
    if !before.windows(9).any(|w| w == b"/Contents") {
        return Err("the /ByteRange gap is not the /Contents value".into());
    }
    let hex_text = &bytes[a + 1..b - 1];
    // Lowercase only, as written: a case change of a digit must not go unnoticed.
    if !hex_text.len().is_multiple_of(2) || !hex_text.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("the /Contents gap holds something other than lowercase hex".into());
    }
    let raw = hex::decode(hex_text).map_err(|e| format!("the /Contents hex does not decode ({e})"))?;
    let len = cades::der_len(&raw)
        .filter(|&l| l <= raw.len())
        .ok_or("the /Contents does not start with a DER structure")?;
    if raw[len..].iter().any(|&b| b != 0) {
        return Err("the /Contents carries bytes after the signature".into());
    }
    let cms = raw[..len].to_vec();
    Ok(RawSignature { a, b, c, raw, cms })
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Object, String> {
    doc.dereference(obj)
        .map(|(_, o)| o)
        .map_err(|e| format!("broken reference ({e})"))
}

fn dict<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Dictionary, String> {
    deref(doc, obj)?
        .as_dict()
        .map_err(|_| "expected a dictionary".to_string())
}

/// The one signature field's ByteRange and Contents.
fn signature_field(doc: &Document) -> Result<([i64; 4], Vec<u8>), String> {
    let catalog = doc.catalog().map_err(|e| format!("no catalog ({e})"))?;
    let form = catalog
        .get(b"AcroForm")
        .map_err(|_| "no form: the PDF is not signed".to_string())?;
    let fields = dict(doc, form)?
        .get(b"Fields")
        .map_err(|_| "the form has no fields".to_string())
        .and_then(|f| deref(doc, f))?
        .as_array()
        .map_err(|_| "the form's fields are not an array".to_string())?;
    let sigs: Vec<&Dictionary> = fields
        .iter()
        .filter_map(|f| dict(doc, f).ok())
        .filter(|d| d.get(b"FT").and_then(Object::as_name).is_ok_and(|n| n == b"Sig"))
        .collect();
    let [field] = sigs.as_slice() else {
        return Err(format!("{} signature fields, expected exactly 1", sigs.len()));
    };
    let v = dict(
        doc,
        field
            .get(b"V")
            .map_err(|_| "the signature field has no value".to_string())?,
    )?;
    let sub = v.get(b"SubFilter").and_then(Object::as_name).unwrap_or_default();
    if sub != b"ETSI.CAdES.detached" {
        return Err("the signature is not ETSI.CAdES.detached".into());
    }
    let range = v
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| "the signature has no ByteRange".to_string())?;
    let nums: Vec<i64> = range.iter().filter_map(|o| o.as_i64().ok()).collect();
    let nums: [i64; 4] = nums
        .try_into()
        .map_err(|_| "the ByteRange is not four integers".to_string())?;
    let contents = match v.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err("the signature has no Contents string".into()),
    };
    Ok((nums, contents))
}

/// Every embedded file by name (name tree under /Names /EmbeddedFiles), decompressed.
fn attachments(doc: &Document) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let catalog = doc.catalog().map_err(|e| format!("no catalog ({e})"))?;
    let names = dict(
        doc,
        catalog
            .get(b"Names")
            .map_err(|_| "no /Names in the catalog".to_string())?,
    )?;
    let root = dict(
        doc,
        names
            .get(b"EmbeddedFiles")
            .map_err(|_| "no embedded files".to_string())?,
    )?;
    let mut out = BTreeMap::new();
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            return Err("the embedded files tree does not end".into());
        }
        if let Ok(kids) = node.get(b"Kids").and_then(Object::as_array) {
            for k in kids {
                stack.push(dict(doc, k)?);
            }
        }
        if let Ok(pairs) = node.get(b"Names").and_then(Object::as_array) {
            for pair in pairs.chunks(2) {
                let [name, spec] = pair else { continue };
                let name = match deref(doc, name)? {
                    Object::String(s, _) => String::from_utf8_lossy(s).to_string(),
                    _ => return Err("an embedded file's name is not a string".into()),
                };
                let spec = dict(doc, spec)?;
                let ef = dict(doc, spec.get(b"EF").map_err(|_| format!("{name}: no /EF"))?)?;
                let stream = deref(doc, ef.get(b"F").map_err(|_| format!("{name}: no /EF /F"))?)?
                    .as_stream()
                    .map_err(|_| format!("{name}: not a stream"))?;
                let data = if stream.dict.has(b"Filter") {
                    stream
                        .decompressed_content()
                        .map_err(|e| format!("{name}: does not decompress ({e})"))?
                } else {
                    stream.content.clone()
                };
                if out.insert(name.clone(), data).is_some() {
                    return Err(format!("{name} is embedded twice"));
                }
            }
        }
    }
    Ok(out)
}

fn read_contents(doc: &Document, checks: &mut Checks) -> Option<Contents> {
    let files = match attachments(doc) {
        Ok(f) => f,
        Err(e) => {
            checks.add("manifest", false, e);
            return None;
        }
    };
    let manifest: Manifest = match files
        .get(MANIFEST_FILE)
        .ok_or_else(|| format!("no {MANIFEST_FILE} attachment"))
        .and_then(|b| serde_json::from_slice(b).map_err(|e| format!("{MANIFEST_FILE} does not parse ({e})")))
    {
        Ok(m) => m,
        Err(e) => {
            checks.add("manifest", false, e);
            return None;
        }
    };
    if !checks.add(
        "manifest",
        manifest.format == FORMAT,
        if manifest.format == FORMAT {
            format!("archive {} of run {}", manifest.archive_id, manifest.run_id)
        } else {
            format!("format `{}` is not {FORMAT}", manifest.format)
        },
    ) {
        return None;
    }

    let mut bad = Vec::new();
    for entry in &manifest.attachments {
        match files.get(&entry.name) {
            None => bad.push(format!("{} is missing", entry.name)),
            Some(data) if sha256_hex(data) != entry.sha256 => {
                bad.push(format!("{} does not hash to the stated sha256", entry.name))
            }
            Some(data) if data.len() as u64 != entry.bytes => {
                bad.push(format!("{} is not the stated size", entry.name))
            }
            Some(_) => {}
        }
    }
    for name in files.keys() {
        if name != MANIFEST_FILE && !manifest.attachments.iter().any(|e| &e.name == name) {
            bad.push(format!("{name} is embedded but not listed"));
        }
    }
    checks.add(
        "attachments",
        bad.is_empty(),
        if bad.is_empty() {
            format!(
                "{} attachments, each matching its stated sha256",
                manifest.attachments.len()
            )
        } else {
            bad.join("; ")
        },
    );

    let events: Result<Vec<StoredEvent>, String> = files
        .get(EVENTS_FILE)
        .ok_or_else(|| format!("no {EVENTS_FILE} attachment"))
        .and_then(|b| serde_json::from_slice(b).map_err(|e| format!("{EVENTS_FILE} does not parse ({e})")));
    let source = files
        .get(RUNBOOK_FILE)
        .map(|b| String::from_utf8_lossy(b).to_string());
    let (events, source) = match (events, source) {
        (Ok(e), Some(s)) => (e, s),
        (Err(e), _) => {
            checks.add("event_chain", false, e);
            checks.add("event_head", false, "no event log");
            return None;
        }
        (_, None) => {
            checks.add("event_chain", false, format!("no {RUNBOOK_FILE} attachment"));
            checks.add("event_head", false, "no runbook source");
            return None;
        }
    };
    match chain(&events, &manifest.run_id, &source) {
        Ok(()) => checks.add(
            "event_chain",
            true,
            format!("{} events, each hash and link recomputed", events.len()),
        ),
        Err(e) => checks.add("event_chain", false, e),
    };
    let head = events.last().map(|e| e.hash.as_str()).unwrap_or_default();
    let head_ok = head == manifest.head_hash && events.len() as u64 == manifest.event_count;
    checks.add(
        "event_head",
        head_ok,
        if head_ok {
            format!(
                "ends at event {} with the stated head {}",
                events.len(),
                short(head)
            )
        } else {
            format!(
                "the log ends at event {} ({}), the document states event {} ({})",
                events.len(),
                short(head),
                manifest.event_count,
                short(&manifest.head_hash)
            )
        },
    );
    Some(Contents {
        manifest,
        events,
        runbook_source: source,
    })
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// The store's chain rules over the embedded log: seq 1.., each hash recomputed, each link to
/// the previous hash, event 1 a `run_created` naming the embedded runbook source's sha256.
pub fn chain(events: &[StoredEvent], run_id: &str, source: &str) -> Result<(), String> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, e) in events.iter().enumerate() {
        let seq = i as u64 + 1;
        if e.seq != seq {
            return Err(format!(
                "event {seq} is missing (found event {} in its place)",
                e.seq
            ));
        }
        if e.run_id != run_id {
            return Err(format!("event {seq} belongs to run {}, not {run_id}", e.run_id));
        }
        let hash = event_hash(HashInput {
            run_id: &e.run_id,
            seq: e.seq,
            time: &e.time,
            actor: &e.actor,
            kind: &e.kind,
            payload: &e.payload,
            prev_hash: &e.prev_hash,
        });
        if hash != e.hash {
            return Err(format!("event {seq} was altered (hash mismatch)"));
        }
        if e.prev_hash != prev {
            return Err(format!(
                "event {seq} does not follow event {} (prev_hash mismatch)",
                seq - 1
            ));
        }
        if seq == 1 {
            let recorded = e
                .payload
                .get("runbook_sha256")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if e.kind != RUN_CREATED {
                return Err(format!("event 1 is `{}`, not `{RUN_CREATED}`", e.kind));
            }
            if recorded != sha256_hex(source.as_bytes()) {
                return Err("event 1 names another runbook source than the one embedded".into());
            }
        }
        prev = e.hash.clone();
    }
    if events.is_empty() {
        return Err("the event log is empty".into());
    }
    Ok(())
}
