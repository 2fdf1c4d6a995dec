//! `flightdeck archive export | cosign | verify | show | cert | import-identity | trust`: the
//! signed PDF of a run (`cosign` lives in `cosign_cmd`).
//!
//! Owns argument handling and output; the archive itself belongs to `flightdeck_archive`. The
//! signing key and certificate live in the OS keyring (made on first export, or imported). A
//! verification reports integrity (the file is exactly what was signed) and authenticity (by
//! someone the reviewer trusts: `--cert`, the trusted signers kept in the config folder, or
//! `--ca`) apart; `exit` gives "intact, signer not authenticated" its own code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use flightdeck_archive::identity::{self, IdentityStore};
use flightdeck_archive::trust::{self, TrustFile};
use flightdeck_archive::{Anchors, KeyringIdentityStore, PemPair, Reviewed, SignerChoice, Verdict};
use flightdeck_engine::secrets::Keyring;
use flightdeck_engine::store::{format_time, sha256_hex};
use time::OffsetDateTime;

use crate::exit::Failed;
use crate::render::out;
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCmd {
    /// Export a run as a signed PDF/A-3b archive.
    Export {
        run: String,
        /// The PDF to write.
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
        /// The certificate's name when this export makes the signing identity [default: the run's
        /// release manager]; ignored (with a warning) once one exists: `archive new-identity`.
        #[arg(long, value_name = "NAME")]
        signer_name: Option<String>,
        /// The certificate's organisation when this export makes the signing identity; ignored
        /// (with a warning) once one exists.
        #[arg(long, value_name = "ORG")]
        signer_org: Option<String>,
        /// Which signing identity of this keyring [default: this machine's own].
        #[arg(long, value_name = "NAME")]
        identity: Option<String>,
    },
    /// Add your own signature (the decision maker's) to a signed archive, with your own key from
    /// your keyring, as a further incremental update: every earlier signature stays valid.
    Cosign(crate::cosign_cmd::CosignArgs),
    /// Check an archive offline: integrity (signature over the whole file, event chain, every
    /// attachment) and authenticity (a signer you trust).
    Verify {
        file: PathBuf,
        #[command(flatten)]
        anchors: AnchorArgs,
        /// Also verify this D0–D7 watch report (`watch report`): its own signature and contents,
        /// and that it names this archive (id and bytes) and continues its event log.
        #[arg(long, value_name = "REPORT.pdf")]
        watch_report: Option<PathBuf>,
    },
    /// The verification, then the run read-only as the archive recorded it.
    Show {
        file: PathBuf,
        #[command(flatten)]
        anchors: AnchorArgs,
    },
    /// This machine's signing certificate (PEM), for reviewers to trust: `archive trust add`.
    Cert {
        /// Write it to FILE instead of printing it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Which signing identity of this keyring [default: this machine's own].
        #[arg(long, value_name = "NAME")]
        identity: Option<String>,
    },
    /// Make a new self-signed signing identity (key and certificate, kept in the OS keyring) in
    /// place of this machine's current one; archives signed before keep their signer.
    NewIdentity {
        /// The certificate's name (its CN).
        #[arg(long, value_name = "NAME")]
        signer_name: String,
        /// The certificate's organisation (its O).
        #[arg(long, value_name = "ORG")]
        signer_org: Option<String>,
    },
    /// Sign archives with your organisation's own key and certificate (PEM) from now on.
    ImportIdentity {
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        #[arg(long, value_name = "CERT.pem")]
        cert: PathBuf,
        /// Which signing identity of this keyring [default: this machine's own].
        #[arg(long, value_name = "NAME")]
        identity: Option<String>,
    },
    /// The signers whose archives you trust (kept in the config folder).
    #[command(subcommand)]
    Trust(TrustCmd),
}

/// What a verification trusts besides the trusted-signers list.
#[derive(Debug, clap::Args)]
pub struct AnchorArgs {
    /// Require this signer certificate (PEM, text around it allowed, or DER).
    #[arg(long, value_name = "PEM")]
    cert: Option<PathBuf>,
    /// Trust signers whose certificate this organisation CA issued (PEM or DER).
    #[arg(long, value_name = "CA.pem")]
    ca: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TrustCmd {
    /// Trust the signer whose certificate this is (compare its sha256 with them first).
    Add {
        /// The signer's certificate (PEM, text around it allowed, or DER).
        cert: PathBuf,
        /// What to call them [default: the certificate's common name].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Every trusted signer, with fingerprint and subject.
    List,
    /// Stop trusting a signer, by name or fingerprint prefix (8 hex digits at least).
    Rm { signer: String },
}

pub fn run(ctx: &Ctx, cmd: ArchiveCmd) -> anyhow::Result<()> {
    match cmd {
        ArchiveCmd::Export {
            run,
            output,
            signer_name,
            signer_org,
            identity,
        } => {
            let choice = SignerChoice {
                name: signer_name,
                organisation: signer_org,
            };
            export(ctx, &run, &output, &choice, identity.as_deref())
        }
        ArchiveCmd::Verify {
            file,
            anchors,
            watch_report: Some(report),
        } => crate::watch_report_cmd::verify_pair(ctx, &file, &report, &anchors_of(ctx, &anchors)?),
        ArchiveCmd::Verify { file, anchors, .. } => {
            let reviewed = review(ctx, &file, &anchors)?;
            if ctx.json {
                crate::render::json(&reviewed)?;
            } else {
                crate::render::print(&checks_text(&reviewed))?;
            }
            verdict(&reviewed, &file)
        }
        ArchiveCmd::Show { file, anchors } => show(ctx, &file, &anchors),
        ArchiveCmd::Cosign(args) => crate::cosign_cmd::run(ctx, args),
        ArchiveCmd::Cert { output, identity } => cert(ctx, output.as_deref(), identity.as_deref()),
        ArchiveCmd::ImportIdentity { key, cert, identity } => {
            import_identity(ctx, &key, &cert, identity.as_deref())
        }
        ArchiveCmd::NewIdentity {
            signer_name,
            signer_org,
        } => crate::archive_signer::new_identity(ctx, &signer_name, signer_org.as_deref()),
        ArchiveCmd::Trust(cmd) => trust_cmd(ctx, cmd),
    }
}

/// `archive export`: sign the run into `output`, written atomically.
fn export(
    ctx: &Ctx,
    run: &str,
    output: &Path,
    choice: &SignerChoice,
    identity: Option<&str>,
) -> anyhow::Result<()> {
    // Relative to where the command runs; checked before any work is done.
    let output =
        std::path::absolute(output).with_context(|| format!("cannot resolve {}", output.display()))?;
    flightdeck_archive::check_target(&output)?;
    let store = crate::store_path::open(ctx)?;
    // The run first: a mistyped id is "not found" even where the keyring is locked.
    store.resolve_run(run)?;
    let ids = KeyringIdentityStore::named(Keyring::open()?, identity)?;
    let first_signature = ids.load()?.is_none();
    let choice = &crate::archive_signer::who_signs(ctx, &store, run, &ids, choice)?;
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
            eprintln!("  {what}…");
        }
    };
    // export_run checks the signed file against its signer and is an error when it fails:
    // nothing is written then.
    let exported = flightdeck_archive::export_run(&store, run, &ids, choice, &opts, &mut stage)?;
    let pdf = exported.pdf;
    flightdeck_archive::write_archive(&output, &pdf)?;
    let fingerprint = exported.report.signer_cert_sha256.clone().unwrap_or_default();
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "file": output, "bytes": pdf.len(), "signer": exported.signer,
            "signer_cert_sha256": fingerprint, "verified": exported.report.ok,
            "first_signature": first_signature,
        }));
    }
    let mut text = String::new();
    out!(
        text,
        "wrote {} ({} KiB), signed by {}",
        output.display(),
        pdf.len() / 1024,
        exported.signer
    );
    out!(text, "signer certificate sha256: {fingerprint}");
    if first_signature {
        out!(
            text,
            "This is the first archive signed on this machine, with a new certificate."
        );
        out!(text, "{}", trust::how_to_trust(&fingerprint));
    }
    crate::render::print(&text)
}

/// `archive show`: the verification, then the run as the archive recorded it.
fn show(ctx: &Ctx, file: &Path, anchors: &AnchorArgs) -> anyhow::Result<()> {
    let reviewed = review(ctx, file, anchors)?;
    let rebuilt = reviewed
        .contents
        .as_ref()
        .map(flightdeck_archive::rebuild)
        .transpose()?;
    if ctx.json {
        let run = rebuilt
            .as_ref()
            .map(|(_, state)| crate::json_out::run_state(state))
            .transpose()?;
        crate::render::json(&serde_json::json!({"verification": reviewed, "run": run}))?;
    } else {
        let mut text = checks_text(&reviewed);
        if let Some((_, s)) = &rebuilt {
            text.push('\n');
            text.push_str(&run_text(s));
        }
        crate::render::print(&text)?;
    }
    verdict(&reviewed, file)
}

/// `archive cert`: this machine's signing certificate, PEM.
fn cert(ctx: &Ctx, output: Option<&Path>, identity: Option<&str>) -> anyhow::Result<()> {
    let ids = KeyringIdentityStore::named(Keyring::open()?, identity)?;
    let pair = ids.load()?.ok_or_else(|| {
        flightdeck_archive::Error::TrustNotFound(
            "no signing identity on this machine yet: the first `archive export` makes one \
             (or bring your organisation's with `archive import-identity`)"
                .into(),
        )
    })?;
    let der = identity::parse_certificate(pair.cert_pem.as_bytes())?;
    let fingerprint = sha256_hex(&der);
    if let Some(path) = output {
        std::fs::write(path, &pair.cert_pem).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "certificate": pair.cert_pem, "sha256": fingerprint, "file": output,
        }));
    }
    match output {
        Some(path) => crate::render::print(&format!("wrote {} (sha256 {fingerprint})\n", path.display())),
        None => crate::render::print(&pair.cert_pem),
    }
}

/// `archive import-identity`: the organisation's key and certificate into the keyring.
fn import_identity(ctx: &Ctx, key: &Path, cert: &Path, identity: Option<&str>) -> anyhow::Result<()> {
    let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
    let pair = PemPair {
        key_pem: read(key)?,
        cert_pem: read(cert)?,
    };
    let ids = KeyringIdentityStore::named(Keyring::open()?, identity)?;
    let identity = identity::import(&ids as &dyn IdentityStore, pair)?;
    if ctx.json {
        return crate::render::json(&serde_json::json!({"signer": identity.subject()}));
    }
    let mut text = String::new();
    out!(text, "archives are now signed as {}", identity.subject());
    crate::render::print(&text)
}

/// The trusted-signers list in the config folder.
fn trust_file(ctx: &Ctx) -> anyhow::Result<TrustFile> {
    let dir = ctx.config_dir().ok_or_else(|| {
        anyhow::anyhow!(flightdeck_archive::Error::Trust(
            "no home directory for the config folder; pass --config-dir DIR".into()
        ))
    })?;
    Ok(TrustFile::in_dir(&dir))
}

/// `archive trust add | list | rm`.
fn trust_cmd(ctx: &Ctx, cmd: TrustCmd) -> anyhow::Result<()> {
    let file = trust_file(ctx)?;
    let mut text = String::new();
    match cmd {
        TrustCmd::Add { cert, name } => {
            let bytes = std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let added = file.add(&bytes, name.as_deref(), &format_time(OffsetDateTime::now_utc()))?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({
                    "signer": added.signer, "already": added.already,
                }));
            }
            let s = &added.signer;
            if added.already {
                out!(
                    text,
                    "already trusted as \"{}\" (sha256 {})",
                    s.name,
                    s.fingerprint
                );
            } else {
                out!(text, "trusted \"{}\": {}", s.name, s.subject);
                out!(text, "  sha256 {}", s.fingerprint);
            }
        }
        TrustCmd::List => {
            let signers = file.load()?;
            if ctx.json {
                return crate::render::json(&signers);
            }
            if signers.is_empty() {
                out!(
                    text,
                    "no trusted signers yet (add one with `flightdeck archive trust add CERT`)"
                );
            }
            for s in &signers {
                out!(text, "{}", s.name);
                out!(text, "  subject {}", s.subject);
                out!(text, "  sha256  {}", s.fingerprint);
                out!(text, "  added   {}", s.added_at);
            }
        }
        TrustCmd::Rm { signer } => {
            let removed = file.remove(&signer)?;
            if ctx.json {
                return crate::render::json(&removed);
            }
            out!(
                text,
                "no longer trusted: \"{}\" (sha256 {})",
                removed.name,
                removed.fingerprint
            );
        }
    }
    crate::render::print(&text)
}

/// Read and check `file` against what the reviewer trusts.
fn review(ctx: &Ctx, file: &Path, args: &AnchorArgs) -> anyhow::Result<Reviewed> {
    Ok(flightdeck_archive::review_file(
        file,
        &anchors_of(ctx, args)?,
        &flightdeck_archive::Limits::default(),
    )?)
}

/// What the reviewer trusts: `--cert`, `--ca` and the trusted signers.
fn anchors_of(ctx: &Ctx, args: &AnchorArgs) -> anyhow::Result<Anchors> {
    let cert = |p: &PathBuf| -> anyhow::Result<Vec<u8>> {
        let raw = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        identity::parse_certificate(&raw).with_context(|| p.display().to_string())
    };
    let signers = match ctx.config_dir() {
        Some(dir) => TrustFile::in_dir(&dir).load()?,
        None => Vec::new(),
    };
    Ok(Anchors {
        pinned: args.cert.as_ref().map(cert).transpose()?,
        signers,
        ca: args.ca.as_ref().map(cert).transpose()?,
    })
}

fn verdict(reviewed: &Reviewed, file: &Path) -> anyhow::Result<()> {
    let file = crate::render::esc(&file.display().to_string()).into_owned();
    match reviewed.verdict {
        Verdict::Verified => Ok(()),
        Verdict::IntactUnauthenticated => Err(Failed::Unauthenticated(format!(
            "{file}: archive intact, but its signer is not authenticated (see above to trust it)"
        ))
        .into()),
        Verdict::Failed => {
            let mut failed: Vec<&str> = reviewed
                .report
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| c.name)
                .collect();
            if matches!(
                reviewed.authenticity,
                flightdeck_archive::Authenticity::Rejected { .. }
            ) {
                failed.push("signer rejected");
            }
            if reviewed
                .cosigners
                .iter()
                .any(|c| matches!(c.authenticity, flightdeck_archive::Authenticity::Rejected { .. }))
            {
                failed.push("co-signer rejected");
            }
            Err(Failed::Verify(format!("{file}: archive does not verify ({})", failed.join(", "))).into())
        }
    }
}

/// Every check, then integrity, the signer and authenticity, then the verdict.
pub(crate) fn checks_text(r: &Reviewed) -> String {
    let report = &r.report;
    let mut text = String::new();
    for c in &report.checks {
        out!(
            text,
            "{} {:<20} {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    let failed = report.checks.iter().filter(|c| !c.ok).count();
    if report.ok {
        out!(text, "integrity: intact (the file is exactly what was signed)");
    } else {
        out!(
            text,
            "integrity: FAILED ({failed} of {} checks)",
            report.checks.len()
        );
    }
    if let Some(s) = &report.signer {
        out!(text, "signer: {s}");
    }
    if report.signatures.len() > 1 {
        out!(text, "signatures: {}", report.signatures.len());
        for s in &report.signatures {
            out!(text, "  {}", signature_line(s));
            if let Some(c) = r.cosigners.iter().find(|c| c.index == s.index) {
                out!(
                    text,
                    "     co-signer {}",
                    crate::render::esc(&c.authenticity.text())
                );
            }
        }
    }
    if let Some(h) = &report.signer_cert_sha256 {
        out!(text, "signer certificate sha256: {h}");
    }
    out!(text, "authenticity: {}", r.authenticity.text());
    if r.verdict == Verdict::IntactUnauthenticated {
        out!(
            text,
            "  Anyone can make a certificate with any name. Compare the sha256 above with the signer's \
             over another channel, then `flightdeck archive trust add CERT --name NAME` (their \
             certificate: `flightdeck archive cert` on their machine); or pass --cert or --ca."
        );
    }
    out!(text, "{}", r.verdict.text());
    text
}

/// One signature for a person: its place, its signer, when, why, and whether it holds.
pub(crate) fn signature_line(s: &flightdeck_archive::SignatureInfo) -> String {
    let who = s.signer.as_deref().unwrap_or("(unreadable signer)");
    let mut line = format!(
        "{}. {} {}",
        s.index,
        if s.ok { "ok  " } else { "FAIL" },
        crate::render::esc(who)
    );
    if let Some(at) = &s.signed_at {
        line.push_str(&format!(" at {}", crate::render::esc(at)));
    }
    if let Some(r) = &s.reason {
        line.push_str(&format!(", reason \"{}\"", crate::render::esc(r)));
    }
    line.push_str(&format!(" (field \"{}\")", crate::render::esc(&s.field)));
    line
}

/// The run as the archive recorded it, drawn as `run show` draws a run.
fn run_text(s: &flightdeck_engine::run::RunState) -> String {
    // The same view as `run show`: items, fields, steps, sign-offs (overrides, what was open),
    // the decision, notes.
    crate::render::run_state(s)
}
