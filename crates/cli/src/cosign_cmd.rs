//! `flightdeck archive cosign FILE.pdf`: the decision maker adds their own signature to an
//! archive the release manager signed.
//!
//! Owns the command's arguments and output: which keyring identity signs (`--identity`, made on
//! first use for `--signer-name` or the run's decision maker), where the result goes (`-o`, else
//! FILE itself, replaced atomically by the longer file), and what is said. What may be co-signed
//! and the incremental update are `flightdeck_archive::cosign`'s.

use std::path::PathBuf;

use anyhow::Context;
use flightdeck_archive::identity::{self, IdentityStore};
use flightdeck_archive::{CosignOpts, KeyringIdentityStore, Limits, Subject};
use flightdeck_engine::secrets::Keyring;
use time::OffsetDateTime;

use crate::render::out;
use crate::Ctx;

/// `archive cosign`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CosignArgs {
    /// The signed archive (or watch report) to co-sign.
    file: PathBuf,
    /// Which signing identity of this keyring signs [default: this machine's own].
    #[arg(long, value_name = "NAME")]
    identity: Option<String>,
    /// Write the co-signed file here [default: replace FILE].
    #[arg(short, long, value_name = "OUT.pdf")]
    output: Option<PathBuf>,
    /// Why you sign, written as the signature's /Reason (e.g. "GO approved").
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// The certificate's name when the identity is made here [default: the run's Rollback
    /// Decision Maker, else whoever recorded the decision].
    #[arg(long, value_name = "NAME")]
    signer_name: Option<String>,
    /// The certificate's organisation when the identity is made here.
    #[arg(long, value_name = "ORG")]
    signer_org: Option<String>,
}

pub fn run(ctx: &Ctx, args: CosignArgs) -> anyhow::Result<()> {
    let input =
        std::path::absolute(&args.file).with_context(|| format!("cannot resolve {}", args.file.display()))?;
    let output = match &args.output {
        Some(o) => std::path::absolute(o).with_context(|| format!("cannot resolve {}", o.display()))?,
        None => input.clone(),
    };
    // Checked before the keyring is asked for anything.
    flightdeck_archive::check_target(&output)?;
    let pdf = flightdeck_archive::read_file(&input, &Limits::default())?;
    let ids = KeyringIdentityStore::named(Keyring::open()?, args.identity.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let made = ids.load()?.is_none();
    let signer = match ids.load()? {
        Some(pair) => flightdeck_archive::Identity::from_pem(&pair)?,
        None => identity::obtain(&ids as &dyn IdentityStore, &new_subject(&pdf, &args)?, now)?,
    };
    let cosigned = flightdeck_archive::cosign(
        &pdf,
        &signer,
        &CosignOpts {
            now,
            reason: args.reason.clone(),
        },
    )?;
    flightdeck_archive::write_archive(&output, &cosigned.pdf)?;
    let sigs = &cosigned.report.signatures;
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "file": output, "bytes": cosigned.pdf.len(), "signer": cosigned.signer,
            "index": cosigned.index, "identity": args.identity, "new_identity": made,
            "signatures": sigs, "verified": cosigned.report.ok,
        }));
    }
    let mut text = String::new();
    out!(
        text,
        "co-signed {} as signature {} of {}, by {}",
        crate::render::esc(&output.display().to_string()),
        cosigned.index,
        sigs.len(),
        crate::render::esc(&cosigned.signer)
    );
    for s in sigs {
        out!(text, "  {}", crate::archive_cmd::signature_line(s));
    }
    if made {
        let fp = sigs
            .last()
            .and_then(|s| s.cert_sha256.clone())
            .unwrap_or_default();
        out!(text, "This identity was made now, with a new certificate.");
        out!(text, "{}", flightdeck_archive::trust::how_to_trust(&fp));
    }
    crate::render::print(&text)
}

/// Who a new identity names: `--signer-name`, else the archived run's Rollback Decision Maker,
/// else whoever recorded its decision.
fn new_subject(pdf: &[u8], args: &CosignArgs) -> anyhow::Result<Subject> {
    let from_run = || {
        let contents = flightdeck_archive::open(pdf, None).contents?;
        let (_, state) = flightdeck_archive::rebuild(&contents).ok()?;
        state
            .meta("rollback-decision-maker")
            .and_then(|m| m.value.clone())
            .or_else(|| state.decision.as_ref().map(|d| d.maker.clone()))
    };
    let name = args
        .signer_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(from_run)
        .ok_or_else(|| {
            flightdeck_archive::Error::Identity(
                "no signing identity here yet and the archive names no decision maker: give --signer-name NAME".into(),
            )
        })?;
    Ok(Subject {
        name,
        organisation: args.signer_org.clone().filter(|o| !o.trim().is_empty()),
    })
}
