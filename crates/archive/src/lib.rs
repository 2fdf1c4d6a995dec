//! Flightdeck's archive: a finished run sealed as a signed PDF/A-3b, and its offline check.
//!
//! `export` gathers the run from the store (`record`) with its golden signals (`signals`), draws the document (`render`, `layout`,
//! `chart`, `timeline`), embeds the event log, the runbook source and the evidence, and signs the whole
//! file by incremental update (`sign`, `cades`: PAdES B-B, ECDSA P-256); `cosign` adds a further
//! signature (the decision maker's) by one more incremental update. `verify` checks a file
//! alone, offline; `open` also hands back what it carries so `rebuild` can fold the run again.
//! Keys and certificates come through `identity`; where they are kept is not this crate's
//! business. The run's data and its hashing belong to `flightdeck_engine`.

mod cades;
mod chart;
pub mod cosign;
mod error;
mod file;
pub mod identity;
mod layout;
pub mod pem;
pub mod record;
mod render;
pub mod sign;
pub mod signals;
mod timeline;
pub mod trust;
pub mod verify;
pub mod watch_report;

use flightdeck_engine::run::{fold, RunState};
use flightdeck_engine::runbook::{self, Runbook};
use flightdeck_engine::store::Store;
use time::OffsetDateTime;

pub use cosign::{cosign, CosignOpts, Cosigned};
pub use error::{Error, Result};
pub use file::{check_target, write_archive};
pub use identity::{Identity, IdentityStore, KeyringIdentityStore, MemoryIdentityStore, PemPair, Subject};
pub use record::{Manifest, Record};
pub use timeline::parse_t0;
pub use trust::{review, review_file, Anchors, Authenticity, CosignerTrust, Reviewed, TrustFile, Verdict};
pub use verify::{
    open, open_file, open_with, read_file, verify, Check, Contents, LimitError, Limits, Opened, Report,
    SignatureInfo,
};
pub use watch_report::{export_watch_report, WatchReport, REPORT_FORMAT};

/// How to export.
#[derive(Debug, Clone)]
pub struct ExportOpts {
    /// The export's time: the signature's `/M`, the manifest's `exported_at`, the files' dates.
    pub now: OffsetDateTime,
}

/// The signed archive of `run_ref`.
pub fn export(store: &Store, run_ref: &str, signer: &Identity, opts: &ExportOpts) -> Result<Vec<u8>> {
    let record = Record::gather(store, run_ref, opts.now)?;
    let who = signer.subject();
    let pdf = render::render(&record, &who, opts.now)?;
    let reason = format!(
        "Flightdeck archive {} of run {} (release {})",
        record.manifest.archive_id, record.manifest.run_id, record.manifest.release
    );
    sign::sign(pdf, signer, opts.now, &reason, sign::ARCHIVE_FIELD)
}

/// Who signs when no identity is kept yet: the certificate made on first export names them.
#[derive(Debug, Clone, Default)]
pub struct SignerChoice {
    /// Default: the run's release manager, else whoever created the run.
    pub name: Option<String>,
    pub organisation: Option<String>,
}

/// A written-out archive, checked once more against the identity that signed it.
#[derive(Debug, Clone)]
pub struct Exported {
    pub pdf: Vec<u8>,
    pub signer: String,
    pub report: Report,
}

/// The stages `export_run` reports, in order.
pub const EXPORT_STAGES: [&str; 4] = [
    "reading the run",
    "opening the signing identity",
    "drawing and signing the document",
    "verifying the signed file",
];

/// Export `run_ref` signed by the identity kept in `ids` (made for `choice` on first use),
/// then verify the result against that identity, as a reviewer would (default [`Limits`]): an
/// archive that does not verify is an error, never a file. `stage(i)` is called as each of
/// [`EXPORT_STAGES`] begins. The CLI's `archive export` and the app's button both come here.
pub fn export_run(
    store: &Store,
    run_ref: &str,
    ids: &dyn IdentityStore,
    choice: &SignerChoice,
    opts: &ExportOpts,
    stage: &mut dyn FnMut(usize),
) -> Result<Exported> {
    stage(0);
    let loaded = flightdeck_engine::run::load(store, run_ref)?;
    let name = choice
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| loaded.state.meta("release-manager").and_then(|m| m.value.clone()))
        .unwrap_or_else(|| loaded.state.created_by.clone());
    let subject = Subject {
        name,
        organisation: choice.organisation.clone().filter(|o| !o.trim().is_empty()),
    };
    stage(1);
    let signer = identity::obtain(ids, &subject, opts.now)?;
    stage(2);
    let pdf = export(store, &loaded.record.id, &signer, opts)?;
    stage(3);
    let report = verified(verify(&pdf, Some(signer.certificate_der())))?;
    Ok(Exported {
        pdf,
        signer: signer.subject(),
        report,
    })
}

/// `report` when it holds; else the error that says which checks failed and why.
pub(crate) fn verified(report: Report) -> Result<Report> {
    if report.ok {
        return Ok(report);
    }
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    Err(Error::ExportDoesNotVerify(failed.join("; ")))
}

/// The run as it stood when archived, folded again from the embedded runbook and event log.
pub fn rebuild(contents: &Contents) -> Result<(Runbook, RunState)> {
    let book = runbook::parse(
        &contents.manifest.runbook_name,
        contents.runbook_source.as_bytes(),
    )
    .map_err(|e| Error::NotAnArchive(format!("the embedded runbook does not import: {e}")))?;
    let state = fold(&book, &contents.events);
    Ok((book, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_engine::{ErrorKind, HasKind};

    #[test]
    fn an_export_that_does_not_verify_is_an_error_naming_the_failed_checks() {
        // What `export_run` would hand on if its own file failed: here, bytes that are no PDF.
        let e = verified(verify(b"%PDF-1.7 not an archive %%EOF", None)).expect_err("does not verify");
        assert_eq!(
            e.kind(),
            ErrorKind::Internal,
            "our own file failing is our failure"
        );
        let text = e.to_string();
        assert!(
            text.contains("does not verify")
                && text.contains("byte_range:")
                && text.contains("nothing was written"),
            "the error says it failed, which check and that no file was left: {text}"
        );
    }
}
