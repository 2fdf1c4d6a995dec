//! `flightdeck archive export | verify | show | import-identity`: the signed PDF of a run.
//!
//! Owns argument handling and output; the archive itself belongs to `flightdeck_archive`. The
//! signing key and certificate live in the OS keyring (made on first export, or imported).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use flightdeck_archive::identity::{self, IdentityStore};
use flightdeck_archive::{KeyringIdentityStore, PemPair, Report, SignerChoice};
use flightdeck_engine::run::StepStatus;
use flightdeck_engine::secrets::Keyring;
use time::OffsetDateTime;

use crate::exit::Failed;
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCmd {
    /// Export a run as a signed PDF/A-3b archive.
    Export {
        run: String,
        /// The PDF to write.
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
        /// The certificate's name on first use [default: the run's release manager].
        #[arg(long, value_name = "NAME")]
        signer_name: Option<String>,
        /// The certificate's organisation on first use.
        #[arg(long, value_name = "ORG")]
        signer_org: Option<String>,
    },
    /// Check an archive offline: signature over the whole file, event chain, every attachment.
    Verify {
        file: PathBuf,
        /// Require this signer certificate (PEM or DER).
        #[arg(long, value_name = "PEM")]
        cert: Option<PathBuf>,
    },
    /// The verification, then the run read-only as the archive recorded it.
    Show {
        file: PathBuf,
        #[arg(long, value_name = "PEM")]
        cert: Option<PathBuf>,
    },
    /// Sign archives with your organisation's own key and certificate (PEM) from now on.
    ImportIdentity {
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        #[arg(long, value_name = "CERT.pem")]
        cert: PathBuf,
    },
}

pub fn run(ctx: &Ctx, cmd: ArchiveCmd) -> anyhow::Result<()> {
    match cmd {
        ArchiveCmd::Export {
            run,
            output,
            signer_name,
            signer_org,
        } => {
            let choice = SignerChoice {
                name: signer_name,
                organisation: signer_org,
            };
            export(ctx, &run, &output, &choice)
        }
        ArchiveCmd::Verify { file, cert } => {
            let (report, _) = open(&file, cert.as_ref())?;
            if ctx.json {
                crate::render::json(&report)?;
            } else {
                crate::render::print(&checks_text(&report))?;
            }
            verdict(&report, &file)
        }
        ArchiveCmd::Show { file, cert } => show(ctx, &file, cert.as_ref()),
        ArchiveCmd::ImportIdentity { key, cert } => import_identity(&key, &cert),
    }
}

/// `archive export`: sign the run into `output`, written atomically.
fn export(ctx: &Ctx, run: &str, output: &Path, choice: &SignerChoice) -> anyhow::Result<()> {
    // Relative to where the command runs; checked before any work is done.
    let output =
        std::path::absolute(output).with_context(|| format!("cannot resolve {}", output.display()))?;
    flightdeck_archive::check_target(&output)?;
    let store = crate::store_path::open(ctx)?;
    // The run first: a mistyped id is "not found" even where the keyring is locked.
    store.resolve_run(run)?;
    let ids = KeyringIdentityStore::new(Keyring::open()?);
    let opts = flightdeck_archive::ExportOpts {
        now: OffsetDateTime::now_utc(),
    };
    // Progress on stderr, a line per stage, so stdout stays the result alone.
    let json = ctx.json;
    let mut stage = |i: usize| {
        if !json {
            let what = flightdeck_archive::EXPORT_STAGES
                .get(i)
                .copied()
                .unwrap_or("working");
            let _ = writeln!(std::io::stderr(), "  {what}…");
        }
    };
    let exported = flightdeck_archive::export_run(&store, run, &ids, choice, &opts, &mut stage)?;
    let pdf = exported.pdf;
    flightdeck_archive::write_archive(&output, &pdf)?;
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "file": output, "bytes": pdf.len(), "signer": exported.signer, "verified": exported.report.ok,
        }));
    }
    crate::render::print(&format!(
        "wrote {} ({} KiB), signed by {}\n",
        output.display(),
        pdf.len() / 1024,
        exported.signer
    ))
}

/// `archive show`: the verification, then the run as the archive recorded it.
fn show(ctx: &Ctx, file: &Path, cert: Option<&PathBuf>) -> anyhow::Result<()> {
    let (report, contents) = open(file, cert)?;
    let rebuilt = contents.as_ref().map(flightdeck_archive::rebuild).transpose()?;
    if ctx.json {
        crate::render::json(&serde_json::json!({
            "verification": report,
            "run": rebuilt.as_ref().map(|(_, state)| state),
        }))?;
    } else {
        let mut text = checks_text(&report);
        if let Some((_, s)) = &rebuilt {
            text.push('\n');
            text.push_str(&run_text(s));
        }
        crate::render::print(&text)?;
    }
    verdict(&report, file)
}

/// `archive import-identity`: the organisation's key and certificate into the keyring.
fn import_identity(key: &Path, cert: &Path) -> anyhow::Result<()> {
    let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
    let pair = PemPair {
        key_pem: read(key)?,
        cert_pem: read(cert)?,
    };
    let ids = KeyringIdentityStore::new(Keyring::open()?);
    let identity = identity::import(&ids as &dyn IdentityStore, pair)?;
    crate::render::print(&format!("archives are now signed as {}\n", identity.subject()))
}

fn open(
    file: &Path,
    cert: Option<&PathBuf>,
) -> anyhow::Result<(Report, Option<flightdeck_archive::Contents>)> {
    let pinned = match cert {
        Some(p) => {
            let raw = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(identity::parse_certificate(&raw)?)
        }
        None => None,
    };
    let opened = flightdeck_archive::open_file(file, pinned.as_deref(), &Default::default())?;
    Ok((opened.report, opened.contents))
}

fn verdict(report: &Report, file: &std::path::Path) -> anyhow::Result<()> {
    if report.ok {
        return Ok(());
    }
    let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    Err(Failed::Verify(format!(
        "{}: archive does not verify ({} failed)",
        file.display(),
        failed.join(", ")
    ))
    .into())
}

fn checks_text(report: &Report) -> String {
    let mut text = String::new();
    for c in &report.checks {
        text.push_str(&format!(
            "{} {:<20} {}\n",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        ));
    }
    if let Some(s) = &report.signer {
        text.push_str(&format!("signer: {s}\n"));
    }
    if let Some(h) = &report.signer_cert_sha256 {
        text.push_str(&format!("signer certificate sha256: {h}\n"));
    }
    text.push_str(if report.ok {
        "archive verified\n"
    } else {
        "ARCHIVE DOES NOT VERIFY\n"
    });
    text
}

fn run_text(s: &flightdeck_engine::run::RunState) -> String {
    let mut text = format!(
        "run {} · {} · release {} · env {}\ncreated {} by {}\n",
        s.run_id,
        s.runbook_title.as_deref().unwrap_or(&s.runbook_name),
        s.release,
        s.env,
        s.created_at,
        s.created_by
    );
    for m in s.metadata.iter().filter(|m| m.value.is_some()) {
        text.push_str(&format!(
            "  {}: {}\n",
            m.label,
            m.value.as_deref().unwrap_or_default()
        ));
    }
    let checked = s.items.iter().filter(|i| i.checked).count();
    let passed = s.steps.iter().filter(|x| x.status == StepStatus::Passed).count();
    let failed = s.steps.iter().filter(|x| x.status == StepStatus::Failed).count();
    text.push_str(&format!(
        "items {checked}/{} checked · steps {passed} passed, {failed} failed of {}\n",
        s.items.len(),
        s.steps.len()
    ));
    for so in &s.signoffs {
        match &so.recorded {
            Some(r) => text.push_str(&format!("  sign-off {}: {} at {}\n", so.name, r.by, r.at)),
            None => text.push_str(&format!("  sign-off {}: not recorded\n", so.name)),
        }
    }
    match &s.decision {
        Some(d) => {
            text.push_str(&format!(
                "decision {} by {} at {}: {}\n",
                d.decision.as_str().to_uppercase(),
                d.maker,
                d.at,
                d.rationale
            ));
            if let Some(o) = &d.override_reason {
                text.push_str(&format!("  override: {o}\n"));
            }
        }
        None => text.push_str("no decision recorded\n"),
    }
    text.push_str(&format!(
        "{} events, head {}\n",
        s.event_count,
        s.head_hash.as_deref().unwrap_or("-")
    ));
    text
}
