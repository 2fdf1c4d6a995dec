//! `pg-restore` steps: the restore drill. A backup restored into a scratch database on a target
//! server (staging), never its source, verified against its manifest and timed against an RTO
//! objective.
//!
//! Owns [`PgRestoreSpec`] (`backup`, `url`, `password`, `scratch`, `jobs`, `smoke`,
//! `rto-objective`, `keep`, `protected`, `bin`) and turning [`crate::backup::drill::drill`]'s
//! report into facts: `rto` (ms), `rto_minutes`, `restore` (ms), `tables`, `mismatches`,
//! `smoke_failed`, `within_objective`, `scratch`, `json(...)` over the report (the step's body).
//! Implicitly `mismatches == 0`, `smoke_failed == 0` and `within_objective == true`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::pg_backup::{
    bin_of, default_dir, default_password, relative_to, render, render_for, with_progress,
};
use super::{Ctx, Failure, Observation, MAX_DEADLINE};
use crate::backup::{drill, DrillOpts, PgConn};
use crate::runbook::Step;

/// M31 §3's objective when the step names none.
pub const DEFAULT_RTO_OBJECTIVE: Duration = Duration::from_secs(15 * 60);

/// A restore drill step.
#[derive(Debug, Clone, Serialize)]
pub struct PgRestoreSpec {
    /// A manifest, an artifact or a backups folder (its newest); default `${BACKUP_DIR}`.
    pub backup: Option<Template>,
    /// The target server: `postgres://user@staging:5432/postgres` (a maintenance database).
    pub url: Template,
    pub password: Option<Template>,
    pub scratch: Option<Template>,
    pub jobs: u32,
    pub smoke: Vec<Template>,
    #[serde(rename = "rto_objective_ms", serialize_with = "ser_ms")]
    pub rto_objective: Duration,
    pub keep: bool,
    pub protected: Vec<String>,
    pub bin: Option<Template>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl ProbeKind for PgRestoreSpec {
    const NAME: &'static str = "pg-restore";
    const KEYS: &'static [&'static str] = &[
        "backup",
        "url",
        "password",
        "scratch",
        "jobs",
        "smoke",
        "rto-objective",
        "keep",
        "protected",
        "bin",
    ];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &[
            "rto",
            "rto_minutes",
            "restore",
            "tables",
            "mismatches",
            "smoke_failed",
            "within_objective",
            "scratch",
            "duration",
        ],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[
        Implicit {
            unless: "mismatches",
            expr: "mismatches == 0",
        },
        Implicit {
            unless: "smoke_failed",
            expr: "smoke_failed == 0",
        },
        Implicit {
            unless: "within_objective",
            expr: "within_objective == true",
        },
    ];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let (url, _) = keys.required_template("url")?;
        let jobs = match keys.number::<u32>("jobs")? {
            None => 1,
            Some((j, line)) if j == 0 || j > 64 => {
                return Err(AnnotationError::new(line, format!("`jobs: {j}` must be 1 to 64")))
            }
            Some((j, _)) => j,
        };
        let mut smoke = Vec::new();
        for (q, line) in keys.all("smoke") {
            smoke.push(Template::parse(q.trim()).map_err(|m| AnnotationError::new(line, m))?);
        }
        let protected = keys
            .one("protected")?
            .map(|(p, _)| {
                p.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(PgRestoreSpec {
            backup: keys.template("backup")?.map(|(t, _)| t),
            url,
            password: keys.template("password")?.map(|(t, _)| t),
            scratch: keys.template("scratch")?.map(|(t, _)| t),
            jobs,
            smoke,
            rto_objective: keys.duration("rto-objective")?.unwrap_or(DEFAULT_RTO_OBJECTIVE),
            keep: keys.bool("keep")?.unwrap_or(false),
            protected,
            bin: keys.template("bin")?.map(|(t, _)| t),
        })
    }

    fn default_deadline(&self) -> Duration {
        MAX_DEADLINE
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.backup.iter())
            .chain(self.password.iter())
            .chain(self.scratch.iter())
            .chain(self.smoke.iter())
            .chain(self.bin.iter())
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let backup = self
            .backup
            .as_ref()
            .map_or_else(|| default_dir(env).display().to_string(), |b| b.describe(env));
        format!(
            "restore drill: pg_restore --jobs={} --clean --if-exists --no-owner of {backup} into a \
             scratch database on {}, row counts against the manifest, {} smoke queries, RTO objective {}",
            self.jobs,
            crate::backup::conn::redact_url(&self.url.describe(env)),
            self.smoke.len(),
            super::human_duration(self.rto_objective)
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let opts = match self.opts(ctx) {
            Ok(o) => o,
            Err(f) => return Observation::failed(f),
        };
        let r = with_progress(ctx, |p| async move { drill::drill(&opts, &p).await }).await;
        let report = match r {
            Ok(x) => x,
            Err(e) => return Observation::failed(Failure::new(e.class, e.message)),
        };
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        ctx.streams.push(Stream::Body, text.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let mut obs = Observation::default();
        let f = &mut obs.facts.scalars;
        f.insert("rto", Value::Num(report.rto_ms as f64));
        let minutes = report.rto_ms as f64 / 60_000.0;
        f.insert("rto_minutes", Value::Num((minutes * 100.0).round() / 100.0));
        f.insert("restore", Value::Num(report.restore_ms as f64));
        f.insert("tables", Value::Num(report.tables.len() as f64));
        f.insert("mismatches", Value::Num(report.mismatches as f64));
        f.insert("smoke_failed", Value::Num(report.smoke_failed as f64));
        f.insert("within_objective", Value::Bool(report.within_objective));
        f.insert("scratch", Value::Str(report.scratch.clone()));
        obs.facts.json = serde_json::to_value(&report).ok();
        obs
    }
}

impl PgRestoreSpec {
    fn opts(&self, ctx: &Ctx<'_>) -> Result<DrillOpts, Failure> {
        let mut used = Vec::new();
        let url = render_for(&self.url, ctx.env, &mut used, "no server to restore onto")?;
        let password = match &self.password {
            Some(p) => Some(render(p, ctx.env, &mut used)?),
            None => default_password(ctx.env)?,
        };
        let backup = match &self.backup {
            Some(b) => PathBuf::from(render_for(b, ctx.env, &mut used, "no backups folder")?),
            None => default_dir(ctx.env),
        };
        let mut smoke = Vec::new();
        for q in &self.smoke {
            smoke.push(render(q, ctx.env, &mut used)?);
        }
        Ok(DrillOpts {
            backup: relative_to(ctx.env, backup),
            target: PgConn::parse(&url, password).map_err(|e| Failure::new(e.class, e.message))?,
            scratch: self
                .scratch
                .as_ref()
                .map(|s| render(s, ctx.env, &mut used))
                .transpose()?,
            jobs: self.jobs,
            smoke,
            rto_objective: self.rto_objective,
            keep: self.keep,
            protected: self.protected.clone(),
            bin: bin_of(self.bin.as_ref(), ctx.env, &mut used)?,
            connect_timeout: ctx.spec.connect_timeout,
        })
    }
}
