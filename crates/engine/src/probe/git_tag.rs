//! `git-tag` steps: read a release tag from a repository and capture it with its commit SHA.
//!
//! Owns [`GitTagSpec`]. Runs `git rev-parse` through `process` (never creates or pushes tags:
//! that stays a shell step the user runs). Facts: `tag` (the name, when it exists) and `sha`
//! (the commit the tag points at, annotated tags peeled).

use std::path::PathBuf;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::process::ProcessSpec;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;

/// A tag to look up.
#[derive(Debug, Clone, Serialize)]
pub struct GitTagSpec {
    /// The repository (default: the directory Flightdeck runs in).
    pub repo: Option<Template>,
    pub tag: Template,
}

impl ProbeKind for GitTagSpec {
    const NAME: &'static str = "git-tag";
    const KEYS: &'static [&'static str] = &["repo", "tag"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["tag", "sha", "stdout", "duration"],
        item_subjects: &[],
        headers: false,
        json: false,
        streams: &["stdout", "stderr"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "sha",
        expr: "sha exists",
    }];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let repo = keys.template("repo")?.map(|(t, _)| t);
        let (tag, _) = keys.required_template("tag")?;
        Ok(GitTagSpec { repo, tag })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        self.repo.iter().chain(std::iter::once(&self.tag))
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        format!(
            "git tag {} in {}",
            self.tag.describe(env),
            self.repo
                .as_ref()
                .map_or_else(|| ".".to_owned(), |r| r.describe(env))
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let spawn = |m: String| Observation::failed(Failure::new(FailureClass::SpawnError, m));
        let mut used = Vec::new();
        let tag = match self.tag.render(ctx.env, &mut used) {
            Ok(t) => t.trim().to_owned(),
            Err(e) => return spawn(e.to_string()),
        };
        if tag.is_empty() || tag.starts_with('-') || tag.contains(char::is_whitespace) {
            return spawn(format!("`{tag}` is not a tag name"));
        }
        let mut dir: Option<PathBuf> = ctx.env.cwd.clone();
        if let Some(r) = &self.repo {
            match r.render(ctx.env, &mut used) {
                Ok(p) => {
                    dir = Some(match &dir {
                        Some(base) => base.join(p),
                        None => PathBuf::from(p),
                    })
                }
                Err(e) => return spawn(e.to_string()),
            }
        }
        let mut git = ProcessSpec::new("git")
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("refs/tags/{tag}^{{commit}}"))
            // Never prompt, never read the user's pager settings.
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_PAGER", "cat");
        if let Some(d) = &dir {
            git = git.cwd(d);
        }
        let out = match git.output(64 * 1024, ctx.spec.deadline).await {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Observation::failed(Failure::new(FailureClass::Timeout, e.to_string()))
            }
            Err(e) => return spawn(format!("could not run git: {e}")),
        };
        ctx.streams.push(Stream::Stdout, &out.stdout).await;
        ctx.streams.push(Stream::Stderr, &out.stderr).await;
        ctx.streams.finish(Stream::Stdout).await;
        ctx.streams.finish(Stream::Stderr).await;
        let mut obs = Observation {
            exit_code: out.status.code(),
            ..Observation::default()
        };
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let is_sha = sha.len() >= 40 && sha.chars().all(|c| c.is_ascii_hexdigit());
        if out.status.success() && is_sha {
            obs.facts.scalars.insert("tag", Value::Str(tag));
            obs.facts.scalars.insert("sha", Value::Str(sha.clone()));
        }
        obs.facts.scalars.insert("stdout", Value::Str(sha));
        obs
    }
}
