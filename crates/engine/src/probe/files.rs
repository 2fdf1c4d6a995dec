//! `files` steps: a folder and the files it must hold (M31 §13's rollback scripts), each
//! recorded with its sha256; a script among them runs only where the step names it (`run:`),
//! and never on a production environment.
//!
//! Owns [`FilesSpec`] (`dir`, `files`, `run`). Facts: `files` (present), `missing`, `exit` (the
//! script's, when one ran), `body` (`sha256  name` lines, then the script's output). Implicitly
//! `missing == 0`, and `exit == 0` when a script runs.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::pg_backup::{relative_to, render};
use super::process::ProcessSpec;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;

/// The variable a run sets to `true` on a production environment.
pub const PRODUCTION_VAR: &str = "FLIGHTDECK_PRODUCTION";

/// A folder check.
#[derive(Debug, Clone, Serialize)]
pub struct FilesSpec {
    pub dir: Template,
    /// Names relative to `dir`.
    pub files: Vec<String>,
    /// A script (one of `files`) to run with bash in `dir`.
    pub run: Option<String>,
}

impl ProbeKind for FilesSpec {
    const NAME: &'static str = "files";
    const KEYS: &'static [&'static str] = &["dir", "files", "run"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["files", "missing", "exit", "body", "duration"],
        item_subjects: &[],
        headers: false,
        json: false,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "missing",
        expr: "missing == 0",
    }];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let (dir, _) = keys.required_template("dir")?;
        let (list, line) = keys.one("files")?.ok_or_else(|| {
            AnnotationError::new(keys.line(), "files steps need `files:` (names, comma-separated)")
        })?;
        let files: Vec<String> = list
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) = files
            .iter()
            .find(|f| f.starts_with('/') || f.split('/').any(|p| p == ".."))
        {
            return Err(AnnotationError::new(
                line,
                format!("`{bad}`: files are named inside `dir:` (no leading / and no ..)"),
            ));
        }
        let run = keys.one("run")?.map(|(r, _)| r.trim().to_owned());
        if let Some(r) = &run {
            if !files.contains(r) {
                return Err(AnnotationError::new(
                    keys.line(),
                    format!("`run: {r}` must be one of the step's `files:`"),
                ));
            }
        }
        Ok(FilesSpec { dir, files, run })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.dir)
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let run = self
            .run
            .as_ref()
            .map(|r| format!(", then run {r} (never on production)"))
            .unwrap_or_default();
        format!(
            "check {} in {} and record their sha256{run}",
            self.files.join(", "),
            self.dir.describe(env)
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let mut used = Vec::new();
        let dir = match render(&self.dir, ctx.env, &mut used) {
            Ok(d) => relative_to(ctx.env, PathBuf::from(d)),
            Err(f) => return Observation::failed(f),
        };
        let mut body = String::new();
        let (mut present, mut missing) = (0u32, 0u32);
        for name in &self.files {
            let p = dir.join(name);
            match crate::backup::dump::hash_file_sync(&p) {
                Ok((size, sha)) => {
                    present += 1;
                    body.push_str(&format!("{sha}  {name}  ({size} bytes)\n"));
                }
                Err(e) => {
                    missing += 1;
                    body.push_str(&format!("MISSING  {name}  ({e})\n"));
                }
            }
        }
        let mut obs = Observation::default();
        if let Some(script) = &self.run {
            if ctx.env.vars.get(PRODUCTION_VAR).map(String::as_str) == Some("true") {
                return Observation::failed(Failure::new(
                    FailureClass::SpawnError,
                    format!("refused: {script} is not run on a production environment"),
                ));
            }
            if missing == 0 {
                let out = ProcessSpec::new("bash")
                    .arg(dir.join(script))
                    .cwd(&dir)
                    .output(1 << 20, ctx.spec.deadline.max(Duration::from_secs(1)))
                    .await;
                match out {
                    Ok(o) => {
                        let code = o.status.code().unwrap_or(-1);
                        obs.exit_code = Some(code);
                        obs.facts.scalars.insert("exit", Value::Num(f64::from(code)));
                        body.push_str(&format!("--- {script} (exit {code})\n"));
                        body.push_str(&String::from_utf8_lossy(&o.stdout));
                        body.push_str(&String::from_utf8_lossy(&o.stderr));
                        if code != 0 {
                            obs.failure = Some(Failure::new(
                                FailureClass::Assertion,
                                format!("{script} exited {code}"),
                            ));
                        }
                    }
                    Err(e) => {
                        obs.failure = Some(Failure::new(FailureClass::SpawnError, format!("{script}: {e}")))
                    }
                }
            }
        }
        ctx.streams.push(Stream::Body, body.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let f = &mut obs.facts.scalars;
        f.insert("files", Value::Num(f64::from(present)));
        f.insert("missing", Value::Num(f64::from(missing)));
        f.insert("body", Value::Str(ctx.streams.text(Stream::Body)));
        obs
    }
}
