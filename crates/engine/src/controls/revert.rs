//! Automatic revert: an applied change undone after a deadline, or as soon as a named check
//! fails within a window, while the process that made it (the headless CLI, the app) runs.
//!
//! [`watch`] waits, polling the caller's check once a second, and then applies the change's
//! inverse with the preview's "from" set to what the change left, so a control someone else has
//! moved meanwhile is refused (and recorded so) rather than overwritten.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::action::{apply_noted, ControlReq, OnIntent};
use super::adapter::EnvTarget;
use super::{ControlError, ControlOutcome, ControlRecord};

/// When to undo a change on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevertPolicy {
    /// Undo after this long, in milliseconds.
    #[serde(default)]
    pub after_ms: Option<u64>,
    /// Undo when this step (a check, an SLO gate) fails within `within_ms` of the change.
    #[serde(default)]
    pub if_fails: Option<String>,
    #[serde(default)]
    pub within_ms: Option<u64>,
}

impl RevertPolicy {
    pub fn is_empty(&self) -> bool {
        self.after_ms.is_none() && self.if_fails.is_none()
    }
}

/// Why a revert ran, or `None` when the window closed with nothing to undo.
pub async fn wait_for_trigger<F>(policy: &RevertPolicy, mut failed: F, poll: Duration) -> Option<String>
where
    F: FnMut() -> bool,
{
    let start = Instant::now();
    let deadline = policy.after_ms.map(Duration::from_millis);
    let window = policy
        .if_fails
        .as_ref()
        .map(|_| Duration::from_millis(policy.within_ms.unwrap_or(u64::MAX / 4)));
    loop {
        if let (Some(step), Some(w)) = (&policy.if_fails, window) {
            if start.elapsed() <= w && failed() {
                return Some(format!(
                    "check {step} failed within {}",
                    crate::probe::human_duration(w)
                ));
            }
        }
        let elapsed = start.elapsed();
        if let Some(d) = deadline {
            if elapsed >= d {
                return Some(format!("deadline of {} passed", crate::probe::human_duration(d)));
            }
        }
        let watching = window.is_some_and(|w| elapsed <= w);
        if deadline.is_none() && !watching {
            return None;
        }
        tokio::time::sleep(poll).await;
    }
}

/// Undo `done` (an applied change): its inverse, expected to find what `done` left; `intent`
/// notes the attempt before it is sent.
pub async fn revert(
    t: &EnvTarget,
    done: &ControlRecord,
    why: &str,
    confirmed: bool,
    intent: OnIntent<'_>,
) -> Result<ControlRecord, ControlError> {
    let inverse = done.inverse.clone().ok_or_else(|| {
        ControlError::Invalid("nothing to revert: the state before the change is unknown".into())
    })?;
    let req = ControlReq {
        env: t.name.clone(),
        target: inverse,
        adapter: done.adapter.parse().ok(),
        reason: format!("automatic revert ({why}) of: {}", done.reason),
        expect_from: done.read_back.clone().or_else(|| Some(done.to.clone())),
        confirmed,
        run: None,
        deadline_ms: None,
        recheck_ms: None,
    };
    let mut r = apply_noted(t, &req, done.step.as_deref(), intent).await?;
    r.revert = Some(why.to_string());
    Ok(r)
}

/// Waits for `policy`'s trigger, then reverts `done`. `None` when nothing triggered or `done`
/// was not applied.
pub async fn watch<F>(
    t: &EnvTarget,
    done: &ControlRecord,
    policy: &RevertPolicy,
    failed: F,
    confirmed: bool,
    intent: OnIntent<'_>,
) -> Option<Result<ControlRecord, ControlError>>
where
    F: FnMut() -> bool,
{
    if done.outcome != ControlOutcome::Applied || policy.is_empty() {
        return None;
    }
    let why = wait_for_trigger(policy, failed, Duration::from_millis(500)).await?;
    Some(revert(t, done, &why, confirmed, intent).await)
}
