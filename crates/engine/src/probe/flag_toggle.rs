//! `flag-toggle` steps: a flag rollback drill — set a flag, read it back, wait, set it back,
//! read it back again — every attempt recorded in the run as a `control_action`.
//!
//! Keys: `flag:` (the key), `to: on|off`, `rollout:` (0–100, optional), `hold:` (the wait
//! before the revert, default none), `adapter:` (`http`, `sql`), `reason:` (default "rollback
//! drill"). Facts: `applied`, `reverted`, `restored` (booleans); the implicit assertion is
//! `restored == true`. It always changes the target.

use std::time::Duration;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::controls::{drill, AdapterKind, Target};
use crate::runbook::Step;

#[derive(Debug, Clone, Serialize)]
pub struct FlagToggleSpec {
    pub flag: String,
    pub enabled: bool,
    pub rollout: Option<u8>,
    #[serde(rename = "hold_ms", serialize_with = "ser_ms")]
    pub hold: Duration,
    pub adapter: Option<AdapterKind>,
    pub reason: String,
}

pub(crate) fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) const DRILL_NAMES: Names<'static> = Names {
    kind: "drill",
    subjects: &["applied", "reverted", "restored", "body", "duration"],
    item_subjects: &[],
    headers: false,
    json: false,
    streams: &["body"],
    captures: &[],
};

pub(crate) fn adapter_key(keys: &mut Keys) -> Result<Option<AdapterKind>, AnnotationError> {
    match keys.one("adapter")? {
        None => Ok(None),
        Some((a, line)) => a
            .parse()
            .map(Some)
            .map_err(|e: crate::controls::ControlError| AnnotationError::new(line, e.to_string())),
    }
}

impl ProbeKind for FlagToggleSpec {
    const NAME: &'static str = "flag-toggle";
    const KEYS: &'static [&'static str] = &["flag", "to", "rollout", "hold", "adapter", "reason"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        ..DRILL_NAMES
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "restored",
        expr: "restored == true",
    }];
    const CHANGES_TARGET: bool = true;

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let line = keys.line();
        let (flag, _) = keys
            .one("flag")?
            .ok_or_else(|| AnnotationError::new(line, "flag-toggle steps need `flag:` (the flag key)"))?;
        let (to, to_line) = keys
            .one("to")?
            .ok_or_else(|| AnnotationError::new(line, "flag-toggle steps need `to: on` or `to: off`"))?;
        let enabled = match to.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "enabled" => true,
            "off" | "false" | "disabled" => false,
            other => {
                return Err(AnnotationError::new(
                    to_line,
                    format!("`to: {other}` is neither on nor off"),
                ))
            }
        };
        let rollout = match keys.number::<u8>("rollout")? {
            Some((p, l)) if p > 100 => return Err(AnnotationError::new(l, "`rollout` is 0 to 100")),
            r => r.map(|(p, _)| p),
        };
        Ok(FlagToggleSpec {
            flag: flag.trim().to_string(),
            enabled,
            rollout,
            hold: keys.duration("hold")?.unwrap_or(Duration::ZERO),
            adapter: adapter_key(keys)?,
            reason: keys
                .one("reason")?
                .map(|(r, _)| r)
                .unwrap_or_else(|| "rollback drill".into()),
        })
    }

    fn default_deadline(&self) -> Duration {
        super::NETWORK_DEADLINE * 4 + self.hold
    }

    fn describe(&self, _env: &ProbeEnv) -> String {
        format!(
            "flag {} {}{}, hold {}, then back",
            self.flag,
            if self.enabled { "on" } else { "off" },
            self.rollout.map(|p| format!(" ({p}%)")).unwrap_or_default(),
            super::human_duration(self.hold)
        )
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::empty()
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let target = Target::Flag {
            key: self.flag.clone(),
            enabled: self.enabled,
            rollout: self.rollout,
        };
        run_drill(ctx, target, self.adapter, self.hold, &self.reason).await
    }
}

/// Runs a drill and turns it into an observation (shared with `breaker-trip`).
pub(crate) async fn run_drill(
    ctx: &Ctx<'_>,
    target: Target,
    adapter: Option<AdapterKind>,
    hold: Duration,
    reason: &str,
) -> Observation {
    let (t, sink) = match drill::target_of(ctx.env) {
        Ok(x) => x,
        Err(m) => return Observation::failed(Failure::new(FailureClass::SpawnError, m)),
    };
    let d = drill::drill(&t, &sink, &ctx.spec.step, target, adapter, hold, reason).await;
    let mut body = d.lines.join("\n");
    body.push('\n');
    ctx.streams.push(Stream::Body, body.as_bytes()).await;
    ctx.streams.finish(Stream::Body).await;
    let mut obs = Observation::default();
    obs.facts.scalars.insert("applied", Value::Bool(d.applied));
    obs.facts.scalars.insert("reverted", Value::Bool(d.reverted));
    obs.facts.scalars.insert("restored", Value::Bool(d.restored));
    obs.facts
        .scalars
        .insert("body", Value::Str(ctx.streams.text(Stream::Body)));
    obs
}
