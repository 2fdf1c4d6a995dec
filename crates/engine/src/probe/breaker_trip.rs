//! `breaker-trip` steps: a breaker drill — trip it, read its status (open), wait, reset it,
//! read it again (closed) — every attempt recorded in the run as a `control_action`.
//!
//! Keys: `provider:`, `hold:` (the wait before the reset, default none), `reason:`. Facts and
//! the implicit assertion as `flag-toggle`'s. It always changes the target.

use std::time::Duration;

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::Names;
use super::env::{ProbeEnv, Template};
use super::flag_toggle::{run_drill, ser_ms, DRILL_NAMES};
use super::kind::{Implicit, ProbeKind};
use super::{Ctx, Observation};
use crate::controls::{BreakerAction, Target};
use crate::runbook::Step;

#[derive(Debug, Clone, Serialize)]
pub struct BreakerTripSpec {
    pub provider: String,
    #[serde(rename = "hold_ms", serialize_with = "ser_ms")]
    pub hold: Duration,
    pub reason: String,
}

impl ProbeKind for BreakerTripSpec {
    const NAME: &'static str = "breaker-trip";
    const KEYS: &'static [&'static str] = &["provider", "hold", "reason"];
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
        let (provider, _) = keys
            .one("provider")?
            .ok_or_else(|| AnnotationError::new(line, "breaker-trip steps need `provider:`"))?;
        Ok(BreakerTripSpec {
            provider: provider.trim().to_string(),
            hold: keys.duration("hold")?.unwrap_or(Duration::ZERO),
            reason: keys
                .one("reason")?
                .map(|(r, _)| r)
                .unwrap_or_else(|| "breaker drill".into()),
        })
    }

    fn default_deadline(&self) -> Duration {
        super::NETWORK_DEADLINE * 4 + self.hold
    }

    fn describe(&self, _env: &ProbeEnv) -> String {
        format!(
            "breaker {}: trip, hold {}, reset",
            self.provider,
            super::human_duration(self.hold)
        )
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::empty()
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let target = Target::Breaker {
            provider: self.provider.clone(),
            action: BreakerAction::Trip,
        };
        run_drill(ctx, target, None, self.hold, &self.reason).await
    }
}
