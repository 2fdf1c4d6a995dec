//! `pg-backup` steps: a real `pg_dump` into a backups folder, with a sidecar manifest.
//!
//! Owns [`PgBackupSpec`] (`url`, `password`, `dir`, `format`, `jobs`, `bin`) and turning
//! [`crate::backup::dump::backup`] into facts: `file`, `size` (bytes), `size_mb`, `size_gb`,
//! `sha256`, `tables`, `toc_entries`, `rate` (MB/s), `finished` (RFC 3339), `json(...)` over the manifest (the step's
//! body). Progress (bytes, rate, elapsed) streams as probe progress. The password
//! (`password: ${secret:NAME}`, else the environment's secret `DB_PASSWORD`) reaches `pg_dump`
//! only through its environment.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::ProbeKind;
use super::output::Stream;
use super::{Ctx, Failure, Observation, MAX_DEADLINE};
use crate::backup::{self, dump, DumpOpts, Format, PgConn, Progress, ProgressTx};
use crate::runbook::Step;

/// A backup step.
#[derive(Debug, Clone, Serialize)]
pub struct PgBackupSpec {
    /// `postgres://user@host:port/db` of the source.
    pub url: Template,
    /// `${secret:NAME}`: the password, from the OS keyring.
    pub password: Option<Template>,
    /// The backups folder (default `${BACKUP_DIR}`, else `backups`).
    pub dir: Option<Template>,
    pub format: Format,
    pub jobs: u32,
    /// Where `pg_dump` is (default `${PG_BIN}` when set).
    pub bin: Option<Template>,
}

impl ProbeKind for PgBackupSpec {
    const NAME: &'static str = "pg-backup";
    const KEYS: &'static [&'static str] = &["url", "password", "dir", "format", "jobs", "bin"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &[
            "file",
            "size",
            "size_mb",
            "size_gb",
            "sha256",
            "tables",
            "toc_entries",
            "rate",
            "finished",
            "duration",
        ],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let (url, _) = keys.required_template("url")?;
        let format = match keys.one("format")? {
            None => Format::Custom,
            Some((f, line)) => Format::parse(&f).ok_or_else(|| {
                AnnotationError::new(line, format!("`format: {f}` must be custom or directory"))
            })?,
        };
        let jobs = match keys.number::<u32>("jobs")? {
            None => 1,
            Some((j, line)) if j == 0 || j > 64 => {
                return Err(AnnotationError::new(line, format!("`jobs: {j}` must be 1 to 64")))
            }
            Some((j, line)) if j > 1 && format == Format::Custom => return Err(AnnotationError::new(
                line,
                "`jobs:` above 1 needs `format: directory` (pg_dump dumps in parallel only into a folder)",
            )),
            Some((j, _)) => j,
        };
        Ok(PgBackupSpec {
            url,
            password: keys.template("password")?.map(|(t, _)| t),
            dir: keys.template("dir")?.map(|(t, _)| t),
            format,
            jobs,
            bin: keys.template("bin")?.map(|(t, _)| t),
        })
    }

    fn default_deadline(&self) -> Duration {
        MAX_DEADLINE
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.password.iter())
            .chain(self.dir.iter())
            .chain(self.bin.iter())
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let dir = self
            .dir
            .as_ref()
            .map_or_else(|| default_dir(env).display().to_string(), |d| d.describe(env));
        let how = match self.format {
            Format::Custom => "--format=custom".to_owned(),
            Format::Directory => format!("--format=directory --jobs={}", self.jobs),
        };
        format!(
            "pg_dump {how} of {} into {dir} (password from the environment, never the command line)",
            backup::conn::redact_url(&self.url.describe(env))
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let opts = match self.opts(ctx) {
            Ok(o) => o,
            Err(f) => return Observation::failed(f),
        };
        let r = with_progress(ctx, |p| async move { dump::backup(&opts, &p).await }).await;
        let (path, m) = match r {
            Ok(x) => x,
            Err(e) => return Observation::failed(Failure::new(e.class, e.message)),
        };
        let text = serde_json::to_string_pretty(&m).unwrap_or_default();
        ctx.streams.push(Stream::Body, text.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let file = path.with_file_name(&m.artifact);
        let mut obs = Observation::default();
        let f = &mut obs.facts.scalars;
        let size = m.size_bytes as f64;
        f.insert("file", Value::Str(file.display().to_string()));
        f.insert("size", Value::Num(size));
        f.insert("size_mb", Value::Num(round2(size / 1e6)));
        f.insert("size_gb", Value::Num(round2(size / 1e9)));
        f.insert("sha256", Value::Str(m.sha256.clone()));
        f.insert("finished", Value::Str(m.finished_at.clone()));
        f.insert("tables", Value::Num(m.tables.len() as f64));
        f.insert("toc_entries", Value::Num(m.toc_entries as f64));
        let secs = (m.duration_ms as f64 / 1000.0).max(0.001);
        f.insert("rate", Value::Num(round2(size / 1e6 / secs)));
        obs.facts.json = serde_json::to_value(&m).ok();
        obs
    }
}

impl PgBackupSpec {
    fn opts(&self, ctx: &Ctx<'_>) -> Result<DumpOpts, Failure> {
        let mut used = Vec::new();
        let url = render_for(&self.url, ctx.env, &mut used, "no database to back up")?;
        let password = match &self.password {
            Some(p) => Some(render(p, ctx.env, &mut used)?),
            None => default_password(ctx.env)?,
        };
        let dir = match &self.dir {
            Some(d) => PathBuf::from(render_for(d, ctx.env, &mut used, "no backups folder")?),
            None => default_dir(ctx.env),
        };
        let dir = relative_to(ctx.env, dir);
        Ok(DumpOpts {
            conn: PgConn::parse(&url, password).map_err(|e| Failure::new(e.class, e.message))?,
            dir,
            format: self.format,
            jobs: self.jobs,
            bin: bin_of(self.bin.as_ref(), ctx.env, &mut used)?,
            connect_timeout: ctx.spec.connect_timeout,
        })
    }
}

/// Without `password:`, the environment's secret `DB_PASSWORD` when it has one (from the OS
/// keyring; every secret of the environment is redacted from what is recorded).
pub(crate) fn default_password(env: &ProbeEnv) -> Result<Option<String>, Failure> {
    env.secrets.secret(DEFAULT_PASSWORD_SECRET).map_err(|e| {
        Failure::new(
            super::FailureClass::SpawnError,
            format!("secret {DEFAULT_PASSWORD_SECRET}: {e}"),
        )
    })
}

/// The secret a backup or drill uses when its step names no `password:`.
pub const DEFAULT_PASSWORD_SECRET: &str = "DB_PASSWORD";

/// `${BACKUP_DIR}`, else `backups`.
pub(crate) fn default_dir(env: &ProbeEnv) -> PathBuf {
    PathBuf::from(env.vars.get("BACKUP_DIR").map_or("backups", String::as_str))
}

/// A relative path is relative to `ProbeEnv::cwd` when a caller sets one, else to the directory
/// Flightdeck runs in.
pub(crate) fn relative_to(env: &ProbeEnv, p: PathBuf) -> PathBuf {
    match &env.cwd {
        Some(base) if p.is_relative() => base.join(p),
        _ => p,
    }
}

/// `bin:`, else `${PG_BIN}`, else none (the usual places).
pub(crate) fn bin_of(
    t: Option<&Template>,
    env: &ProbeEnv,
    used: &mut Vec<String>,
) -> Result<Option<PathBuf>, Failure> {
    match t {
        Some(t) => Ok(Some(PathBuf::from(render(t, env, used)?))),
        None => Ok(env.vars.get("PG_BIN").map(PathBuf::from)),
    }
}

/// Renders a connection URL or a folder; a variable the environment does not define is "the
/// environment has `lack`", naming the variable and how to give it one (for the sandbox: its
/// Postgres mode, since its default SQLite database is nothing `pg_dump` can back up).
pub(crate) fn render_for(
    t: &Template,
    env: &ProbeEnv,
    used: &mut Vec<String>,
    lack: &str,
) -> Result<String, Failure> {
    t.render(env, used).map_err(|e| match e {
        super::env::EnvError::UnknownVar(var) => {
            let name = env.vars.get("FLIGHTDECK_ENV").map_or("ENV", String::as_str);
            let example = if var.ends_with("_DIR") {
                "/path/to/backups"
            } else {
                "postgres://USER@HOST:PORT/DB"
            };
            let mut m = format!(
                "the environment `{name}` has {lack}: ${{{var}}} is not set \
                 (`flightdeck env set-var {name} {var} {example}`, or `--var {var}=...`)"
            );
            if name == "sandbox" && !var.ends_with("_DIR") {
                m.push_str(
                    "; the sandbox keeps its data in SQLite unless it runs in its Postgres mode \
                     (`flightdeck sandbox --db postgres://...`, as `make demo` starts it)",
                );
            }
            Failure::new(super::FailureClass::SpawnError, m)
        }
        e => Failure::new(super::FailureClass::SpawnError, e.to_string()),
    })
}

pub(crate) fn render(t: &Template, env: &ProbeEnv, used: &mut Vec<String>) -> Result<String, Failure> {
    t.render(env, used)
        .map_err(|e| Failure::new(super::FailureClass::SpawnError, e.to_string()))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Runs `work` with a progress sender whose updates become the probe's progress events.
pub(crate) async fn with_progress<F, Fut, T>(ctx: &Ctx<'_>, work: F) -> T
where
    F: FnOnce(ProgressTx) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (tx, mut rx) = mpsc::channel::<Progress>(16);
    let work = work(ProgressTx::new(tx));
    let forward = async {
        while let Some(p) = rx.recv().await {
            ctx.backup_progress(p).await;
        }
    };
    let (r, ()) = tokio::join!(work, forward);
    r
}
