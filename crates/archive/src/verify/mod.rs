//! Offline verification of an archive, from the file alone.
//!
//! Owns the checks and their report, in this order: the ByteRange shape and gap and that the
//! signature reaches the end of the file (no later revision), read from the raw bytes
//! (`byte_range`); the CMS signature, its signed attributes and an optional pinned certificate
//! (`signature`); the signature field, through a PDF parser (`structure`); the manifest and each
//! attachment's sha256 (`contents`); and the embedded event log's hash chain, recomputed with the
//! store's own canonical hashing (`flightdeck_engine::store::event_hash`), against the head the
//! manifest states (`chain`).

mod byte_range;
mod chain;
mod contents;
mod signature;
mod structure;

use flightdeck_engine::store::{sha256_hex, StoredEvent};
use serde::Serialize;

use crate::record::Manifest;

pub use chain::{chain, ChainError};

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

/// Verify `bytes` and read back what it carries.
pub fn open(bytes: &[u8], pinned_cert: Option<&[u8]>) -> Opened {
    let mut checks = Checks(Vec::new());

    // The signature, from the raw bytes: nothing here depends on a PDF parser's leniency.
    let sig = byte_range::check(bytes, &mut checks);
    let signed = signature::check(bytes, sig.as_ref(), pinned_cert, &mut checks);

    // The document's structure and attachments, through a PDF parser.
    let contents = match structure::load(bytes) {
        Err(e) => {
            checks.add("signature_field", false, e.to_string());
            checks.add("manifest", false, e.to_string());
            None
        }
        Ok(doc) => {
            structure::check_field(&doc, sig.as_ref(), &mut checks);
            contents::read(&doc, &mut checks)
        }
    };
    let ok = checks.0.iter().all(|c| c.ok);
    Opened {
        report: Report {
            ok,
            checks: checks.0,
            signer: signed.as_ref().map(|c| c.subject.clone()),
            signer_cert_sha256: signed.as_ref().map(|c| sha256_hex(&c.cert_der)),
            signer_cert_der: signed.map(|c| c.cert_der),
        },
        contents,
    }
}
