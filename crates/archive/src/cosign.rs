//! Co-signing an archive: the decision maker adds their own signature, with their own key, to an
//! archive the release manager exported and signed (`flightdeck archive cosign`, the window's
//! Co-sign).
//!
//! Owns what is checked before a signature is added (the file verifies as a Flightdeck archive,
//! whoever signed it so far; the identity has not signed it yet: one signature per identity,
//! a second by the same certificate would add nothing and is refused), the new field's name and
//! the check of the result (it verifies, and its last signature is this identity's). The
//! incremental update itself is `sign::add_signature`, the same code that signs an export.

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::sign;
use crate::verify::{self, Report};

/// How to co-sign.
#[derive(Debug, Clone)]
pub struct CosignOpts {
    /// The signature's `/M`.
    pub now: OffsetDateTime,
    /// Written as the signature dictionary's `/Reason` when given.
    pub reason: Option<String>,
}

/// An archive with one more signature, checked.
#[derive(Debug, Clone)]
pub struct Cosigned {
    pub pdf: Vec<u8>,
    /// The new signature's signer (certificate subject).
    pub signer: String,
    /// Its place among the file's signatures (2 for the first co-signature).
    pub index: usize,
    /// The verification of the co-signed file.
    pub report: Report,
}

/// The checks that fail when a file is no Flightdeck archive at all (rather than an altered one).
const NOT_AN_ARCHIVE: [&str; 4] = ["limits", "structure", "signature_field", "manifest"];

/// `pdf` with a further signature by `signer`: refused when `pdf` does not verify as a
/// Flightdeck archive (or watch report), or when `signer`'s certificate already signed it.
pub fn cosign(pdf: &[u8], signer: &Identity, opts: &CosignOpts) -> Result<Cosigned> {
    let before = verify::verify(pdf, None);
    refuse_unless_intact(&before)?;
    let ours = signer.certificate_der();
    if let Some(s) = before
        .signatures
        .iter()
        .find(|s| s.cert_der.as_deref() == Some(ours))
    {
        return Err(Error::AlreadySigned(format!(
            "{} already signed this file (signature {} of {}, field \"{}\"); one signature per identity: \
             co-sign with another identity (--identity NAME)",
            s.signer.as_deref().unwrap_or("this identity"),
            s.index,
            before.signatures.len(),
            s.field
        )));
    }
    let index = before.signatures.len() + 1;
    let out = sign::add_signature(
        pdf.to_vec(),
        signer,
        opts.now,
        opts.reason.as_deref().filter(|r| !r.trim().is_empty()),
        &sign::cosign_field(index),
    )?;
    let report = verify::verify(&out, None);
    let last_is_ours = report
        .signatures
        .last()
        .is_some_and(|s| s.index == index && s.cert_der.as_deref() == Some(ours));
    if !report.ok || !last_is_ours {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(Error::ExportDoesNotVerify(format!(
            "the co-signed file: {}",
            if failed.is_empty() {
                "its last signature is not the new one".into()
            } else {
                failed.join("; ")
            }
        )));
    }
    Ok(Cosigned {
        pdf: out,
        signer: signer.subject(),
        index,
        report,
    })
}

/// `report` is that of an intact Flightdeck archive; else why it cannot be co-signed.
fn refuse_unless_intact(report: &Report) -> Result<()> {
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let foreign = report.signatures.is_empty()
        || report
            .checks
            .iter()
            .any(|c| !c.ok && NOT_AN_ARCHIVE.contains(&c.name));
    if foreign {
        return Err(Error::NotAnArchive(format!(
            "it cannot be co-signed ({})",
            failed.join("; ")
        )));
    }
    Err(Error::CosignRefused(format!(
        "the file does not verify, and a co-signature would vouch for it: {}",
        failed.join("; ")
    )))
}
