//! `flightdeck backup run | list | drill`: a backup of an environment's database, the backups
//! in a folder, and a restore drill into a scratch database on a target environment.
//!
//! Owns the arguments and the progress lines; the backup and the drill are the engine's
//! `pg-backup` and `pg-restore` steps (`flightdeck_engine::backup::request`), run alone or, with
//! `--run RUN`, recorded into a run as its runbook's step of that kind. Exit 8 when it fails.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context as _;
use flightdeck_engine::backup::{self, manifest, BackupReq, DrillReq};
use flightdeck_engine::probe::{self, ProbeEnv, ProbeEvent, Spec};
use flightdeck_engine::run::{self, StepRun};
use flightdeck_engine::store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::render::out;
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum BackupCmd {
    /// Back up ENV's database (BACKUP_DATABASE_URL, else DATABASE_URL; password: its secret
    /// DB_PASSWORD) with pg_dump, into a folder with a manifest beside the dump.
    Run {
        env: String,
        /// pg_dump --jobs N into a folder (--format=directory); without it one custom-format file.
        #[arg(long)]
        jobs: Option<u32>,
        /// The backups folder [default: ENV's BACKUP_DIR, else the data folder's backups/ENV].
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        rec: Record,
    },
    /// The backups in a folder (or ENV's), newest first.
    List {
        /// A backups folder.
        dir: Option<PathBuf>,
        /// ENV's folder (its BACKUP_DIR, else the data folder's backups/ENV).
        #[arg(long, conflicts_with = "dir")]
        env: Option<String>,
    },
    /// Restore BACKUP (a manifest, a dump, or a folder: its newest) into a scratch database on
    /// the target environment's server, check every table's rows, time the RTO; then drop it.
    Drill {
        backup: String,
        /// The environment restored into (RESTORE_TARGET_URL, else DATABASE_URL); never the source.
        #[arg(long)]
        target_env: String,
        /// Keep the scratch database afterwards.
        #[arg(long)]
        keep: bool,
        /// pg_restore --jobs N.
        #[arg(long)]
        jobs: Option<u32>,
        #[command(flatten)]
        rec: Record,
    },
}

/// Recording into a run, and variables.
#[derive(Debug, clap::Args)]
pub struct Record {
    /// Record it into this run, as its runbook's step of the same kind (its fields are filled).
    #[arg(long, value_name = "RUN")]
    run: Option<String>,
    /// Who runs it (kept in the run's events; with --run).
    #[arg(long, value_name = "NAME", requires = "run")]
    by: Option<String>,
    /// A variable over the environment's (repeatable): DATABASE_URL, BACKUP_DIR, PG_BIN, ...
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = crate::args::var)]
    vars: Vec<String>,
}

pub fn run(ctx: &Ctx, cmd: BackupCmd) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    match cmd {
        BackupCmd::Run { env, jobs, dir, rec } => {
            let penv = env_with(&store, &env, &rec.vars)?;
            let req = BackupReq {
                env,
                dir: dir.map(|d| d.display().to_string()),
                jobs,
                run: rec.run.clone(),
            };
            let spec = backup::request::backup_spec(&req, &penv)?;
            execute(ctx, store, spec, penv, &rec)
        }
        BackupCmd::Drill {
            backup,
            target_env,
            keep,
            jobs,
            rec,
        } => {
            let penv = env_with(&store, &target_env, &rec.vars)?;
            let req = DrillReq {
                backup,
                target_env,
                keep,
                jobs,
                run: rec.run.clone(),
            };
            let spec = backup::request::drill_spec(&req, &penv)?;
            execute(ctx, store, spec, penv, &rec)
        }
        BackupCmd::List { dir, env } => {
            let dir = match (dir, env) {
                (Some(d), _) => d,
                (None, Some(env)) => {
                    let penv = crate::env_cmd::probe_env(&store, &env)?;
                    penv.vars
                        .get("BACKUP_DIR")
                        .map(PathBuf::from)
                        .unwrap_or_else(|| backup::request::default_dir(&env))
                }
                (None, None) => anyhow::bail!("name a folder, or an environment with --env ENV"),
            };
            list(ctx, &dir)
        }
    }
}

fn env_with(store: &Store, env: &str, vars: &[String]) -> anyhow::Result<ProbeEnv> {
    let mut penv = crate::env_cmd::probe_env(store, env)?;
    for v in vars {
        let (k, val) = v
            .split_once('=')
            .with_context(|| format!("--var `{v}` is not NAME=VALUE"))?;
        penv.vars.insert(k.trim().to_string(), val.to_string());
    }
    Ok(penv)
}

/// Runs the step, alone or into a run, printing its progress; Ctrl-C cancels it.
fn execute(ctx: &Ctx, store: Store, spec: Spec, penv: ProbeEnv, rec: &Record) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    let store = Mutex::new(store);
    let json = ctx.json;
    let cancel = CancellationToken::new();
    let result: anyhow::Result<StepRun> = rt.block_on(async {
        let watcher = crate::interrupt::cancel_on_ctrl_c(cancel.clone());
        let (tx, mut rx) = mpsc::channel::<(String, ProbeEvent)>(256);
        let progress = async move {
            while let Some((_, ev)) = rx.recv().await {
                let line = match ev {
                    ProbeEvent::Started { what, .. } => format!("▶ {what}"),
                    ProbeEvent::Progress { message, .. } => format!("  {message}"),
                    ProbeEvent::Output { .. } => continue,
                };
                if !json {
                    let _ = writeln!(std::io::stderr(), "{}", crate::render::esc(&line));
                }
            }
        };
        let work = async {
            match &rec.run {
                Some(run_ref) => {
                    let by = crate::who::actor(ctx, rec.by.clone())?;
                    Ok(run::run_as_step(&store, &by, run_ref, spec, &penv, tx, cancel.clone()).await?)
                }
                None => {
                    let (ptx, mut prx) = mpsc::channel(64);
                    let forward = async {
                        while let Some(ev) = prx.recv().await {
                            let _ = tx.send((String::new(), ev)).await;
                        }
                        drop(tx);
                    };
                    let (result, ()) =
                        tokio::join!(probe::execute(&spec, &penv, ptx, cancel.clone()), forward);
                    Ok(StepRun {
                        step: spec.kind.name().to_owned(),
                        result,
                        rejected: Vec::new(),
                    })
                }
            }
        };
        let (r, ()) = tokio::join!(work, progress);
        watcher.abort();
        r
    });
    if rec.run.is_some() {
        crate::run_cmd::warn_if_unkeyed(&store.lock().unwrap_or_else(|p| p.into_inner()));
    }
    crate::step_cmd::report(ctx, &[result?])
}

fn list(ctx: &Ctx, dir: &std::path::Path) -> anyhow::Result<()> {
    let all = manifest::list(dir)?;
    if ctx.json {
        let out: Vec<_> = all
            .iter()
            .map(|f| serde_json::json!({"manifest": f.path, "artifact": f.artifact(), "backup": f.manifest}))
            .collect();
        return crate::render::json(&out);
    }
    let mut text = String::new();
    if all.is_empty() {
        out!(text, "no backups in {}", dir.display());
    }
    for f in &all {
        let m = &f.manifest;
        out!(
            text,
            "{}  {}  {}  {} tables  {}@{}:{} (PostgreSQL {})  sha256 {}",
            m.finished_at,
            f.artifact().display(),
            backup::human_bytes(m.size_bytes),
            m.tables.len(),
            m.source.database,
            m.source.host,
            m.source.port,
            m.source.server.version,
            &m.sha256[..m.sha256.len().min(12)]
        );
    }
    crate::render::print(&text)
}
