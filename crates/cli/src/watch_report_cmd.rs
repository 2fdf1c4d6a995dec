//! `flightdeck watch report RUN --archive ARCHIVE.pdf -o REPORT.pdf` and
//! `flightdeck archive verify ARCHIVE.pdf --watch-report REPORT.pdf`: the D0–D7 watch report, a
//! second signed PDF that names the archive it follows (`flightdeck_archive::watch_report`).
//!
//! Owns argument handling and output; making, signing and checking the report are the archive
//! crate's.

use std::path::Path;

use anyhow::Context;
use flightdeck_archive::watch_report::{self, ReviewedPair};
use flightdeck_archive::{KeyringIdentityStore, SignerChoice, Verdict};
use flightdeck_engine::secrets::Keyring;
use time::OffsetDateTime;

use crate::exit::Failed;
use crate::render::out;
use crate::Ctx;

/// `watch report`: sign the run's watch report, tied to `archive`, into `output`.
pub fn report(
    ctx: &Ctx,
    run: &str,
    archive: &Path,
    output: &Path,
    choice: &SignerChoice,
) -> anyhow::Result<()> {
    let output =
        std::path::absolute(output).with_context(|| format!("cannot resolve {}", output.display()))?;
    flightdeck_archive::check_target(&output)?;
    let store = crate::store_path::open(ctx)?;
    store.resolve_run(run)?;
    let bytes = flightdeck_archive::read_file(archive, &flightdeck_archive::Limits::default())
        .map_err(|e| anyhow::anyhow!(e))
        .with_context(|| format!("the archive {}", archive.display()))?;
    let ids = KeyringIdentityStore::new(Keyring::open()?);
    let opts = flightdeck_archive::ExportOpts {
        now: OffsetDateTime::now_utc(),
    };
    let exported = watch_report::export_watch_report(&store, run, &bytes, &ids, choice, &opts)
        .with_context(|| format!("the watch report of run {run} tied to {}", archive.display()))?;
    flightdeck_archive::write_archive(&output, &exported.pdf)?;
    let fingerprint = exported.report.signer_cert_sha256.clone().unwrap_or_default();
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "file": output, "bytes": exported.pdf.len(), "signer": exported.signer,
            "signer_cert_sha256": fingerprint, "verified": exported.report.ok,
        }));
    }
    let mut text = String::new();
    out!(
        text,
        "wrote {} ({} KiB), signed by {}",
        output.display(),
        exported.pdf.len() / 1024,
        exported.signer
    );
    out!(text, "signer certificate sha256: {fingerprint}");
    out!(
        text,
        "verify it with its archive: flightdeck archive verify {} --watch-report {}",
        archive.display(),
        output.display()
    );
    crate::render::print(&text)
}

/// `archive verify ARCHIVE --watch-report REPORT`: both files, then the tie.
pub fn verify_pair(
    ctx: &Ctx,
    archive: &Path,
    report: &Path,
    anchors: &flightdeck_archive::Anchors,
) -> anyhow::Result<()> {
    let pair = watch_report::review_pair(archive, report, anchors, &flightdeck_archive::Limits::default())?;
    if ctx.json {
        crate::render::json(&pair)?;
    } else {
        crate::render::print(&pair_text(&pair, archive, report))?;
    }
    let what = |p: &Path| crate::render::esc(&p.display().to_string()).into_owned();
    let (a, r) = (what(archive), what(report));
    match pair.verdict {
        Verdict::Verified => Ok(()),
        Verdict::IntactUnauthenticated => Err(Failed::Unauthenticated(format!(
            "{a} and its watch report {r}: intact and tied, but a signer is not authenticated (see above)"
        ))
        .into()),
        Verdict::Failed => {
            let failed: Vec<String> = pair
                .archive
                .report
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("archive {}", c.name))
                .chain(
                    pair.watch_report
                        .report
                        .checks
                        .iter()
                        .filter(|c| !c.ok)
                        .map(|c| format!("report {}", c.name)),
                )
                .chain(pair.tie.iter().filter(|c| !c.ok).map(|c| c.detail.clone()))
                .chain(rejected("archive", &pair.archive))
                .chain(rejected("report", &pair.watch_report))
                .collect();
            Err(Failed::Verify(format!(
                "{a} with watch report {r}: does not verify ({})",
                crate::render::esc(&failed.join("; "))
            ))
            .into())
        }
    }
}

fn rejected(which: &str, r: &flightdeck_archive::Reviewed) -> Option<String> {
    matches!(r.authenticity, flightdeck_archive::Authenticity::Rejected { .. })
        .then(|| format!("{which} signer rejected"))
}

fn pair_text(p: &ReviewedPair, archive: &Path, report: &Path) -> String {
    let mut text = String::new();
    out!(text, "archive {}", archive.display());
    text.push_str(&crate::archive_cmd::checks_text(&p.archive));
    out!(text, "");
    out!(text, "watch report {}", report.display());
    text.push_str(&crate::archive_cmd::checks_text(&p.watch_report));
    out!(text, "");
    for c in &p.tie {
        out!(
            text,
            "{} {:<24} {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    out!(
        text,
        "{}",
        match p.verdict {
            Verdict::Verified => "archive and watch report verified",
            Verdict::IntactUnauthenticated =>
                "archive and watch report intact and tied, a signer not authenticated",
            Verdict::Failed => "ARCHIVE AND WATCH REPORT DO NOT VERIFY TOGETHER",
        }
    );
    text
}
