//! `backup-age` steps: a gate that the newest backup in a folder is young enough (M31 §3:
//! "Production Backup Created (< 2 hours old)").
//!
//! Owns [`BackupAgeSpec`] (`dir`, default `${BACKUP_DIR}`; `max-age`, default 2 h). Only
//! finished backups count: a backup has a manifest only once it is complete. Facts: `age` (ms,
//! so `age < 2h` reads naturally), `fresh`, `file`, `size`, `backups`; implicitly
//! `fresh == true`.

use std::time::Duration;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::pg_backup::{default_dir, relative_to, render};
use super::{Ctx, Failure, FailureClass, Observation};
use crate::backup::manifest;
use crate::runbook::Step;

/// M31 §3: a backup under two hours old.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(2 * 3600);

/// A backup freshness gate.
#[derive(Debug, Clone, Serialize)]
pub struct BackupAgeSpec {
    pub dir: Option<Template>,
    #[serde(rename = "max_age_s")]
    pub max_age: u64,
}

impl ProbeKind for BackupAgeSpec {
    const NAME: &'static str = "backup-age";
    const KEYS: &'static [&'static str] = &["dir", "max-age"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["age", "fresh", "file", "size", "backups", "duration"],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "fresh",
        expr: "fresh == true",
    }];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        Ok(BackupAgeSpec {
            dir: keys.template("dir")?.map(|(t, _)| t),
            max_age: keys.duration("max-age")?.unwrap_or(DEFAULT_MAX_AGE).as_secs(),
        })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        self.dir.iter()
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let dir = self
            .dir
            .as_ref()
            .map_or_else(|| default_dir(env).display().to_string(), |d| d.describe(env));
        format!(
            "the newest finished backup in {dir} is under {}",
            super::human_duration(Duration::from_secs(self.max_age))
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let mut used = Vec::new();
        let dir = match &self.dir {
            Some(d) => match render(d, ctx.env, &mut used) {
                Ok(s) => s.into(),
                Err(f) => return Observation::failed(f),
            },
            None => default_dir(ctx.env),
        };
        let dir = relative_to(ctx.env, dir);
        let all = match manifest::list(&dir) {
            Ok(l) => l,
            Err(e) => return Observation::failed(Failure::new(e.class, e.message)),
        };
        let Some(newest) = all.first() else {
            return Observation::failed(Failure::new(
                FailureClass::Assertion,
                format!(
                    "no finished backup in {} (no *{})",
                    dir.display(),
                    manifest::SUFFIX
                ),
            ));
        };
        let age = manifest::age_secs(&newest.manifest.finished_at).unwrap_or(f64::INFINITY);
        let body = format!(
            "newest: {} (finished {}, {} old, {})\n",
            newest.artifact().display(),
            newest.manifest.finished_at,
            super::human_duration(Duration::from_secs_f64(age.clamp(0.0, 1e12))),
            crate::backup::human_bytes(newest.manifest.size_bytes)
        );
        ctx.streams.push(Stream::Body, body.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let mut obs = Observation::default();
        let f = &mut obs.facts.scalars;
        f.insert("age", Value::Num((age * 1000.0).round()));
        f.insert("fresh", Value::Bool(age < self.max_age as f64));
        f.insert("file", Value::Str(newest.artifact().display().to_string()));
        f.insert("size", Value::Num(newest.manifest.size_bytes as f64));
        f.insert("backups", Value::Num(all.len() as f64));
        obs.facts.json = serde_json::to_value(&newest.manifest).ok();
        obs
    }
}
