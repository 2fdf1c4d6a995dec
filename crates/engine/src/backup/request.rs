//! Backups and drills asked for by name of an environment (the CLI's `backup run ENV`, `backup
//! drill BACKUP --target-env ENV`, and later the window): the request types, and the probe
//! [`Spec`] each becomes, so a backup run from the command line is exactly a `pg-backup` step
//! (same progress, cancel, redaction, result) and can be recorded into a run as its step.
//!
//! An environment names its database with `BACKUP_DATABASE_URL` (else `DATABASE_URL`), a drill's
//! target with `RESTORE_TARGET_URL` (else `DATABASE_URL`), the password as its secret
//! `DB_PASSWORD` (the OS keyring, read by the step itself), the backups folder with `BACKUP_DIR`, and the tools' folder
//! with `PG_BIN`.

use std::path::PathBuf;

use serde::Deserialize;

use super::Error;
use crate::probe::{ProbeEnv, Spec};

/// `flightdeck backup run ENV [--jobs N] [-o DIR] [--run RUN]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupReq {
    pub env: String,
    /// The backups folder (default: `BACKUP_DIR`, else the data folder's `backups/ENV`).
    #[serde(default)]
    pub dir: Option<String>,
    /// `pg_dump --jobs N` into a folder (`--format=directory`); none: one custom-format file.
    #[serde(default)]
    pub jobs: Option<u32>,
    /// Record it into this run, as its runbook's `pg-backup` step.
    #[serde(default)]
    pub run: Option<String>,
}

/// `flightdeck backup drill BACKUP --target-env ENV [--keep] [--run RUN]`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DrillReq {
    /// A manifest, an artifact or a backups folder (its newest backup).
    pub backup: String,
    pub target_env: String,
    #[serde(default)]
    pub keep: bool,
    #[serde(default)]
    pub jobs: Option<u32>,
    #[serde(default)]
    pub run: Option<String>,
}

/// The backups folder of `env` when nothing names one: the data folder's `backups/ENV`.
pub fn default_dir(env: &str) -> PathBuf {
    crate::store::default_path()
        .and_then(|p| p.parent().map(|d| d.join("backups").join(env)))
        .unwrap_or_else(|| PathBuf::from("backups").join(env))
}

/// The first of `names` the environment defines.
fn var_of(penv: &ProbeEnv, env: &str, names: &[&str]) -> Result<&'static str, Error> {
    for n in names {
        if penv.vars.contains_key(*n) {
            return Ok(names_static(n));
        }
    }
    Err(Error::spawn(format!(
        "environment `{env}` has no {}: flightdeck env set-var {env} {} postgres://USER@HOST:5432/DB",
        names.join(" or "),
        names.last().copied().unwrap_or("DATABASE_URL")
    )))
}

fn names_static(n: &str) -> &'static str {
    match n {
        "BACKUP_DATABASE_URL" => "BACKUP_DATABASE_URL",
        "RESTORE_TARGET_URL" => "RESTORE_TARGET_URL",
        _ => "DATABASE_URL",
    }
}

/// The `pg-backup` step `req` asks for, over the environment `penv`.
pub fn backup_spec(req: &BackupReq, penv: &ProbeEnv) -> Result<Spec, Error> {
    let url = var_of(penv, &req.env, &["BACKUP_DATABASE_URL", "DATABASE_URL"])?;
    let dir = match (&req.dir, penv.vars.get("BACKUP_DIR")) {
        (Some(d), _) => literal(d),
        (None, Some(_)) => "${BACKUP_DIR}".to_owned(),
        (None, None) => literal(&default_dir(&req.env).display().to_string()),
    };
    let format = match req.jobs {
        Some(j) if j > 1 => format!("format: directory\njobs: {j}\n"),
        _ => String::new(),
    };
    let body = format!(
        "pg-backup\nurl: ${{{url}}}\ndir: {dir}\n{format}capture: Backup File <- file\ncapture: Size <- size_gb"
    );
    one_step(&body)
}

/// The `pg-restore` drill `req` asks for, over the target environment `penv`.
pub fn drill_spec(req: &DrillReq, penv: &ProbeEnv) -> Result<Spec, Error> {
    let url = var_of(penv, &req.target_env, &["RESTORE_TARGET_URL", "DATABASE_URL"])?;
    let jobs = req.jobs.unwrap_or(2).max(1);
    let body = format!(
        "pg-restore\nbackup: {}\nurl: ${{{url}}}\njobs: {jobs}\nkeep: {}\ncapture: Result <- verdict\ncapture: RTO Achieved <- rto_minutes",
        literal(&req.backup),
        req.keep
    );
    one_step(&body)
}

/// A value written into an annotation as it is (`${` escaped).
fn literal(s: &str) -> String {
    s.replace("${", "$${")
}

fn one_step(body: &str) -> Result<Spec, Error> {
    let md = format!(
        "<!-- flightdeck: {body}\n-->\n```bash\n# {}\n```\n",
        body.lines().next().unwrap_or("")
    );
    let rb = crate::runbook::parse("backup.md", md.as_bytes()).map_err(|e| Error::spawn(e.to_string()))?;
    let step = rb
        .steps
        .first()
        .ok_or_else(|| Error::spawn("no step was read from the backup request"))?;
    Spec::from_step(step)
        .map_err(|e| Error::spawn(e.to_string()))?
        .ok_or_else(|| Error::spawn("the backup request read as a manual step"))
}
