//! `baseline` steps: capture each golden signal of the environment (average and p95 over a
//! window) into the run, for the record and for later `slo` steps to compare with.
//!
//! Owns [`BaselineSpec`]: `window: 15m` (default) and `signals: all` (or names). The capture —
//! every signal's query, figures or why it has none — is the step's body (JSON), so it is kept in
//! the run's events, where `signals::baseline::latest` finds it again. Facts: `signals` (signals
//! with figures), `missing` (without), `window` (seconds), `json(...)`; implicitly `missing == 0`.
//! Reading the signals is `crate::signals`'.

use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::slo::{prometheus_of, target_of};
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;
use crate::signals;

/// The window when the step gives none: the M31 checklist's 15-minute dashboard.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A baseline capture step.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineSpec {
    #[serde(rename = "window_s")]
    pub window: u64,
    /// Signal names; empty for all.
    pub only: Vec<String>,
}

impl ProbeKind for BaselineSpec {
    const NAME: &'static str = "baseline";
    const KEYS: &'static [&'static str] = &["window", "signals"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["signals", "missing", "window", "duration"],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "missing",
        expr: "missing == 0",
    }];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let window = keys.duration("window")?.unwrap_or(DEFAULT_WINDOW);
        if window.as_secs() == 0 {
            return Err(AnnotationError::new(keys.line(), "`window:` must be at least 1s"));
        }
        let only = match keys.one("signals")? {
            None => Vec::new(),
            Some((s, _)) if s.trim() == "all" => Vec::new(),
            Some((s, _)) => s
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        };
        Ok(BaselineSpec {
            window: window.as_secs(),
            only,
        })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::empty()
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let which = if self.only.is_empty() {
            "every golden signal".to_owned()
        } else {
            self.only.join(", ")
        };
        format!(
            "capture {which} (avg and p95 over the last {}) from {}",
            signals::promql_duration(self.window),
            prometheus_of(env)
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let target = match target_of(ctx) {
            Ok(t) => t,
            Err(f) => return Observation::failed(f),
        };
        let list = match self.signals(&target) {
            Ok(l) => l,
            Err(f) => return Observation::failed(f),
        };
        let at = signals::now(ctx.env);
        let b = signals::baseline::capture(&target, &list, at, self.window, &CancellationToken::new()).await;
        let text = serde_json::to_string_pretty(&b).unwrap_or_default();
        ctx.streams.push(Stream::Body, text.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let captured = b.captured();
        let mut obs = Observation::default();
        let f = &mut obs.facts.scalars;
        f.insert("signals", Value::Num(captured as f64));
        f.insert("missing", Value::Num((b.signals.len() - captured) as f64));
        f.insert("window", Value::Num(self.window as f64));
        obs.facts.json = serde_json::to_value(&b).ok();
        obs
    }
}

impl BaselineSpec {
    fn signals(&self, target: &signals::Target) -> Result<Vec<signals::Signal>, Failure> {
        let fail = |m: String| Failure::new(FailureClass::SpawnError, m);
        let all = signals::for_env(target).map_err(|e| fail(e.to_string()))?;
        if all.is_empty() {
            return Err(fail(format!("environment `{}` has no signals", target.env)));
        }
        if self.only.is_empty() {
            return Ok(all);
        }
        self.only
            .iter()
            .map(|want| {
                all.iter().find(|s| s.name == *want).cloned().ok_or_else(|| {
                    let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                    fail(format!("no signal `{want}` (there is: {})", known.join(", ")))
                })
            })
            .collect()
    }
}
