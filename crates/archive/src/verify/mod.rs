//! Offline verification of an archive, from the file alone.
//!
//! Owns the checks and their report, in this order. First what verifying may cost (`limits`,
//! `tokens`): a file over the size cap is refused by its length unread (`open_file`), one not
//! ending in `%%EOF` fails from its last bytes, one with more tokens than lopdf should turn into
//! objects fails before it is parsed. Then the archive's signature (the form's first signature
//! field), read through the PDF parser (`structure`), held against the raw bytes: its ByteRange
//! covers its revision but its `/Contents` hex (`byte_range`); any co-signatures, each over
//! every earlier revision, each revision adding its signature and nothing else, and the last
//! signature reaching the end of the file, no later revision (`revisions`); the CMS signature, its signed attributes, that the container is
//! exactly what Flightdeck writes, and an optional pinned certificate (`signature`); the
//! signature field itself; the attachments, got out of the PDF within the limits
//! (`attachments`), the manifest and each attachment's sha256 (`contents`); and the embedded
//! event log's hash chain, recomputed with the store's own canonical hashing
//! (`flightdeck_engine::store::event_hash`), against the head the manifest states (`chain`).

mod attachments;
mod byte_range;
mod chain;
mod contents;
mod limits;
mod revisions;
mod signature;
mod structure;
mod tokens;

use std::path::Path;

use flightdeck_engine::store::{sha256_hex, StoredEvent};
use serde::Serialize;

use crate::record::Manifest;
use limits::Budget;

pub(crate) use attachments::plain_name;
pub use chain::{chain, ChainError};
pub use limits::{read_file, LimitError, Limits};
pub use revisions::SignatureInfo;

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
    /// The signer's certificate (DER), for `trust` to judge.
    #[serde(skip)]
    pub signer_cert_der: Option<Vec<u8>>,
    /// Every signature: the archive's (the signer above), then each co-signature.
    pub signatures: Vec<SignatureInfo>,
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

/// The checks made so far, in the order they were made.
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

/// Verify `bytes` and read back what it carries, within the default [`Limits`].
pub fn open(bytes: &[u8], pinned_cert: Option<&[u8]>) -> Opened {
    open_with(bytes, pinned_cert, &Limits::default())
}

/// Verify `bytes` and read back what it carries, within `limits`.
pub fn open_with(bytes: &[u8], pinned_cert: Option<&[u8]>, limits: &Limits) -> Opened {
    let mut checks = Checks(Vec::new());
    if bytes.len() as u64 > limits.max_file_bytes {
        let e = LimitError::FileSize {
            bytes: bytes.len() as u64,
            limit: limits.max_file_bytes,
        };
        checks.add("limits", false, e.to_string());
        return finish(checks, None, Vec::new(), None);
    }
    if !bytes.ends_with(EOF) {
        // Where the signed revision ends, as Flightdeck writes it; checked first, so trailing
        // padding or junk fails before anything is parsed or hashed.
        return not_at_eof();
    }
    if let Err(e) = tokens::within(bytes, limits.max_tokens) {
        checks.add("limits", false, e.to_string());
        return finish(checks, None, Vec::new(), None);
    }
    let doc = structure::load(bytes, limits);
    let fields = match &doc {
        Ok(doc) => structure::signature_fields(doc),
        Err(e) => Err(structure::PdfError::NotLoaded(e.to_string())),
    };
    let first = match &fields {
        Ok(f) => Ok(&f[0]),
        Err(e) => Err(e.to_string()),
    };
    let sig = byte_range::check(bytes, first.clone(), &mut checks);
    let at = checks.0.len();
    let signed = signature::check(bytes, sig.as_ref(), pinned_cert, &mut checks);
    let first_ok = sig.is_some()
        && checks.0[at..]
            .iter()
            .all(|c| c.ok || c.name == "pinned_certificate");
    let mut later = Checks(Vec::new());
    let signatures = revisions::check(
        bytes,
        fields.as_deref().unwrap_or_default(),
        first.ok().map(|field| revisions::First {
            field,
            raw: sig.as_ref(),
            checked: signed.as_ref(),
            ok: first_ok,
        }),
        limits,
        &mut later,
    );
    // `no_later_revision` right after `byte_range`, as before co-signatures; the rest after the CMS checks.
    let (eof, rest): (Vec<Check>, Vec<Check>) =
        later.0.into_iter().partition(|c| c.name == "no_later_revision");
    checks.0.splice(at..at, eof);
    checks.0.extend(rest);
    structure::check_field(&fields, &mut checks);
    let contents = match &doc {
        Err(e) => {
            checks.add("manifest", false, e.to_string());
            None
        }
        Ok(doc) => contents::read(doc, &mut Budget::new(limits), &mut checks),
    };
    finish(checks, signed, signatures, contents)
}

/// The file at `path`, verified within `limits` (`archive verify` and `show`): refused by its
/// length before it is read when over `limits.max_file_bytes`, failed from its last bytes alone
/// when it does not end as a signed archive does, else read whole and opened.
pub fn open_file(path: &Path, pinned_cert: Option<&[u8]>, limits: &Limits) -> crate::Result<Opened> {
    let len = limits::length_within(path, limits)?;
    let ends = ends_at_eof(path, len).map_err(|source| crate::Error::File {
        what: "read",
        path: path.to_path_buf(),
        source,
    })?;
    if !ends {
        // Nothing else is read: a file padded to the size cap fails at once.
        return Ok(not_at_eof());
    }
    let tail = tail_problem(path, len).map_err(|source| crate::Error::File {
        what: "read",
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(why) = tail {
        let mut checks = Checks(Vec::new());
        checks.add(
            "structure",
            false,
            format!("not a PDF revision as a signed archive ends: {why}"),
        );
        return Ok(finish(checks, None, Vec::new(), None));
    }
    Ok(open_with(&read_file(path, limits)?, pinned_cert, limits))
}

/// How every signed archive ends: the signed revision reaches the last byte.
const EOF: &[u8] = b"%%EOF";

/// The last bytes of the file at `path`, `len` bytes long, are `%%EOF`.
fn ends_at_eof(path: &Path, len: u64) -> std::io::Result<bool> {
    Ok(read_at(path, len.saturating_sub(EOF.len() as u64), EOF.len())? == EOF)
}

/// Up to `n` bytes of the file at `path` from `offset`.
fn read_at(path: &Path, offset: u64, n: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Why the file's tail is not that of a PDF revision, read from its last KiB and the 32 bytes
/// its `startxref` points at: a file padded to the size cap (or any non-PDF ending in `%%EOF`)
/// fails here, before the whole file is read. `None` when the tail holds together.
fn tail_problem(path: &Path, len: u64) -> std::io::Result<Option<String>> {
    let tail = read_at(path, len.saturating_sub(1024), 1024)?;
    let Some(at) = tail.windows(9).rposition(|w| w == b"startxref") else {
        return Ok(Some("no startxref before the final %%EOF".into()));
    };
    let digits: String = tail[at + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    let Some(offset) = digits.parse::<u64>().ok().filter(|&o| o < len) else {
        return Ok(Some(format!(
            "startxref `{digits}` is not an offset inside the file"
        )));
    };
    let head = read_at(path, offset, 32)?;
    let text = String::from_utf8_lossy(&head);
    let classic = text.starts_with("xref");
    let mut words = text.split_ascii_whitespace();
    let stream = words
        .next()
        .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
        && words
            .next()
            .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
        && words.next().is_some_and(|w| w.starts_with("obj"));
    Ok((!classic && !stream).then(|| format!("startxref {offset} points at no cross-reference section")))
}

/// The report of a file that does not end with `%%EOF`.
fn not_at_eof() -> Opened {
    let mut checks = Checks(Vec::new());
    checks.add(
        "no_later_revision",
        false,
        "the file does not end with %%EOF as a signed archive does: bytes were added after the signed revision, or it was cut",
    );
    finish(checks, None, Vec::new(), None)
}

/// The report over `checks`: `ok` only when every check holds.
fn finish(
    checks: Checks,
    signed: Option<crate::cades::Checked>,
    signatures: Vec<SignatureInfo>,
    contents: Option<Contents>,
) -> Opened {
    let ok = checks.0.iter().all(|c| c.ok);
    Opened {
        report: Report {
            ok,
            checks: checks.0,
            signer: signed.as_ref().map(|c| c.subject.clone()),
            signer_cert_sha256: signed.as_ref().map(|c| sha256_hex(&c.cert_der)),
            signer_cert_der: signed.map(|c| c.cert_der),
            signatures,
        },
        contents,
    }
}
