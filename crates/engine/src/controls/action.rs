//! One change to a flag or a breaker: preview (from → to, the environment, the inverse), then
//! apply (the preview's "from" checked again, production confirmed, the change made, the state
//! read back) into a [`ControlRecord`] that says exactly what happened.
//!
//! Nothing here claims a change it did not see: a failed call, an error answer or a timeout is
//! `failed` with the error and the state read afterwards; a change that was sent but does not
//! read back as asked is `failed` too. Recording the record into a run is `run::record_control`.

use serde::{Deserialize, Serialize};

use super::adapter::{AdapterKind, Controls, EnvTarget};
use super::{BreakerAction, ControlError, ControlIntent, ControlOutcome, ControlRecord, Setting, Target};

/// A change, as the CLI and the app ask for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ControlReq {
    /// The environment (`sandbox`, `production`, …).
    pub env: String,
    pub target: Target,
    /// The flags adapter (`None`: the environment's `FLAGS_ADAPTER`, else `http`).
    #[serde(default)]
    pub adapter: Option<AdapterKind>,
    /// Why: required, kept in the event.
    pub reason: String,
    /// The "from" the user saw in the preview: when the control no longer holds it, nothing
    /// is sent and the attempt is `refused`.
    #[serde(default)]
    pub expect_from: Option<Setting>,
    /// The user confirmed a change on a production environment (the CLI's `--yes`, the app's
    /// dialog naming the environment).
    #[serde(default)]
    pub confirmed: bool,
    /// A run to record the attempt into (an id or a unique prefix).
    #[serde(default)]
    pub run: Option<String>,
    /// The deadline of each call to the target, in milliseconds (`None`: 5 s).
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// For a breaker: read it again this long after the change (its open interval); a state
    /// that drifted back on its own makes the attempt `failed`.
    #[serde(default)]
    pub recheck_ms: Option<u64>,
}

/// What a change would do, before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    pub env: String,
    pub production: bool,
    pub adapter: AdapterKind,
    pub target: Target,
    pub from: Setting,
    pub to: Setting,
    pub inverse: Target,
    /// Applying needs `confirmed` (the environment is production).
    pub needs_confirmation: bool,
}

/// The adapter a target goes through: breakers always through the HTTP admin API.
fn adapter_for(
    t: &EnvTarget,
    target: &Target,
    kind: Option<AdapterKind>,
) -> Result<super::Adapter, ControlError> {
    match target {
        Target::Flag { .. } => t.flags_adapter(kind),
        Target::Breaker { .. } => Ok(super::Adapter::Http(t.http()?)),
    }
}

/// The control's state now.
pub async fn read(adapter: &super::Adapter, target: &Target) -> Result<Setting, ControlError> {
    Ok(match target {
        Target::Flag { key, .. } => Setting::of_flag(&adapter.flag(key).await?),
        Target::Breaker { provider, .. } => Setting::of_breaker(&adapter.breaker(provider).await?),
    })
}

/// What `target` sets, from `from`, and what undoes it.
fn plan(target: &Target, from: &Setting) -> Result<(Setting, Target), ControlError> {
    match (target, from) {
        (
            Target::Flag {
                key,
                enabled,
                rollout,
            },
            Setting::Flag {
                enabled: fe,
                rollout: fr,
            },
        ) => {
            if let Some(p) = rollout {
                if *p > 100 {
                    return Err(ControlError::Invalid(format!("rollout {p}% is not 0 to 100")));
                }
            }
            let to = Setting::Flag {
                enabled: *enabled,
                rollout: rollout.unwrap_or(*fr),
            };
            let inverse = Target::Flag {
                key: key.clone(),
                enabled: *fe,
                rollout: Some(*fr),
            };
            Ok((to, inverse))
        }
        (Target::Breaker { provider, action }, Setting::Breaker { state }) => {
            let to = Setting::Breaker {
                state: action.state().to_string(),
            };
            let back = if state == "open" {
                BreakerAction::Trip
            } else {
                BreakerAction::Reset
            };
            let inverse = Target::Breaker {
                provider: provider.clone(),
                action: back,
            };
            Ok((to, inverse))
        }
        _ => Err(ControlError::Invalid(
            "the target and its state do not match".into(),
        )),
    }
}

/// Reads the control and says what `req` would do. Sends no change.
pub async fn preview(
    t: &EnvTarget,
    target: &Target,
    kind: Option<AdapterKind>,
) -> Result<Preview, ControlError> {
    let adapter = adapter_for(t, target, kind)?;
    let from = read(&adapter, target).await.map_err(|e| redact_err(t, e))?;
    let (to, inverse) = plan(target, &from)?;
    Ok(Preview {
        env: t.name.clone(),
        production: t.production,
        adapter: adapter.kind(),
        target: target.clone(),
        from,
        to,
        inverse,
        needs_confirmation: t.production,
    })
}

/// Where an attempt is noted before anything is sent (the run's log): an error stops the
/// attempt there, nothing sent, so no change is made that could not be recorded.
pub type OnIntent<'a> = &'a mut (dyn FnMut(&ControlIntent) -> Result<(), ControlError> + Send);

/// Makes the change `req` asks for and reads it back. `Err` only when nothing was attempted
/// (no reason, production unconfirmed, an unknown flag or provider, the state unreadable);
/// every attempt is an `Ok` record, whose outcome says how it went. Nothing notes the attempt
/// before it is sent: [`apply_noted`] does.
pub async fn apply(
    t: &EnvTarget,
    req: &ControlReq,
    step: Option<&str>,
) -> Result<ControlRecord, ControlError> {
    apply_noted(t, req, step, &mut |_| Ok(())).await
}

/// [`apply`], with `intent` given the attempt (its id, from, to, inverse) after the state is
/// read and checked and before anything is sent; the record it answers carries the same id.
pub async fn apply_noted(
    t: &EnvTarget,
    req: &ControlReq,
    step: Option<&str>,
    intent: OnIntent<'_>,
) -> Result<ControlRecord, ControlError> {
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(ControlError::Invalid("a reason is required (--reason)".into()));
    }
    if t.production && !req.confirmed {
        return Err(ControlError::NeedsConfirmation { env: t.name.clone() });
    }
    let adapter = adapter_for(t, &req.target, req.adapter)?;
    if adapter.kind() == AdapterKind::Ofrep {
        return Err(ControlError::ReadOnly {
            adapter: "ofrep",
            what: "set a flag (OFREP only evaluates)",
        });
    }
    let from = match read(&adapter, &req.target).await {
        Ok(f) => f,
        // Not an attempt: the user named something that is not there.
        Err(e @ (ControlError::UnknownFlag { .. } | ControlError::UnknownProvider { .. })) => return Err(e),
        // The target could not be read (down, an error answer, no answer in time): recorded as
        // a failed attempt, with nothing sent and nothing claimed.
        Err(e) => return Ok(unreadable(t, req, &adapter, step, &e)),
    };
    let mut record = refused(t, req, &adapter, step, from.clone())?;
    if let Some(expected) = &req.expect_from {
        if *expected != from {
            let e = ControlError::Changed {
                what: format!("{} in {}", what_of(&req.target), t.name),
                preview: expected.to_string(),
                now: from.to_string(),
            };
            record.error = Some(e.to_string());
            return Ok(record);
        }
    }
    record.attempt = Some(uuid::Uuid::now_v7().to_string());
    intent(&intent_of(&record, &from))?;
    let sent = send(&adapter, &req.target, &from, &record.to).await;
    // Read back whatever happened: a failure is recorded with the state it left.
    let back = read(&adapter, &req.target).await;
    settle(t, &mut record, sent, back);
    if let (Target::Breaker { .. }, Some(ms), ControlOutcome::Applied) =
        (&req.target, req.recheck_ms, record.outcome)
    {
        recheck(
            t,
            &adapter,
            req,
            &mut record,
            std::time::Duration::from_millis(ms),
        )
        .await;
    }
    Ok(record)
}

/// The record of an attempt from `from`, before it is made (`refused`, nothing sent, until
/// `settle` says otherwise).
fn refused(
    t: &EnvTarget,
    req: &ControlReq,
    adapter: &super::Adapter,
    step: Option<&str>,
    from: Setting,
) -> Result<ControlRecord, ControlError> {
    let (to, inverse) = plan(&req.target, &from)?;
    Ok(ControlRecord {
        env: t.name.clone(),
        adapter: adapter.kind().as_str().to_string(),
        target: req.target.clone(),
        reason: req.reason.trim().to_string(),
        from: Some(from.clone()),
        to,
        inverse: Some(inverse),
        outcome: ControlOutcome::Refused,
        error: None,
        read_back: Some(from),
        verified: false,
        step: step.map(str::to_string),
        revert: None,
        confirmed_on: (t.production && req.confirmed).then(|| t.name.clone()),
        read_again: None,
        attempt: None,
    })
}

/// The attempt `record` is about to make, as its `control_attempted` event says it.
fn intent_of(record: &ControlRecord, from: &Setting) -> ControlIntent {
    ControlIntent {
        attempt: record.attempt.clone().unwrap_or_default(),
        env: record.env.clone(),
        adapter: record.adapter.clone(),
        target: record.target.clone(),
        reason: record.reason.clone(),
        from: from.clone(),
        to: record.to.clone(),
        inverse: record.inverse.clone().unwrap_or_else(|| record.target.clone()),
        step: record.step.clone(),
        confirmed_on: record.confirmed_on.clone(),
    }
}

/// Reads the breaker again after `wait`; drifted back from what was set, the attempt failed.
async fn recheck(
    t: &EnvTarget,
    adapter: &super::Adapter,
    req: &ControlReq,
    record: &mut ControlRecord,
    wait: std::time::Duration,
) {
    tokio::time::sleep(wait).await;
    match read(adapter, &req.target).await {
        Ok(again) if again == record.to => record.read_again = Some(again),
        Ok(again) => {
            record.error = Some(format!(
                "read back as {}, but {again} after {}: it drifted back on its own",
                record.to,
                crate::probe::human_duration(wait)
            ));
            record.read_again = Some(again);
            record.outcome = ControlOutcome::Failed;
            record.verified = false;
        }
        Err(e) => {
            record.error = Some(t.redact(&format!(
                "reading it again after {} failed: {e}",
                crate::probe::human_duration(wait)
            )));
            record.outcome = ControlOutcome::Failed;
            record.verified = false;
        }
    }
}

/// Sends the change `from` → `to`.
async fn send(
    adapter: &super::Adapter,
    target: &Target,
    from: &Setting,
    to: &Setting,
) -> Result<(), ControlError> {
    match (target, from, to) {
        (
            Target::Flag { key, .. },
            Setting::Flag { enabled, rollout },
            Setting::Flag {
                enabled: te,
                rollout: tr,
            },
        ) => {
            let before = super::FlagState {
                key: key.clone(),
                enabled: *enabled,
                rollout: *rollout,
            };
            adapter.set_flag(key, *te, *tr, &before).await
        }
        (Target::Breaker { provider, action }, Setting::Breaker { state }, _) => {
            adapter.act(provider, *action, state).await
        }
        _ => Err(ControlError::Invalid(
            "the target and its state do not match".into(),
        )),
    }
}

/// The outcome from what sending said and what was read back: `applied` only when the read-back
/// is what was asked.
fn settle(
    t: &EnvTarget,
    record: &mut ControlRecord,
    sent: Result<(), ControlError>,
    back: Result<Setting, ControlError>,
) {
    record.read_back = back.as_ref().ok().cloned();
    let to = &record.to;
    let (outcome, error) = match (sent, back) {
        (Err(e @ ControlError::Changed { .. }), _) => (ControlOutcome::Refused, Some(e.to_string())),
        (Err(e), back) => {
            let mut msg = e.to_string();
            if let Err(b) = back {
                msg.push_str(&format!("; reading it back failed too: {b}"));
            }
            (ControlOutcome::Failed, Some(msg))
        }
        (Ok(()), Ok(b)) if &b == to => (ControlOutcome::Applied, None),
        (Ok(()), Ok(b)) => (
            ControlOutcome::Failed,
            Some(format!("the change was accepted but reads back as {b}, not {to}")),
        ),
        (Ok(()), Err(b)) => (
            ControlOutcome::Failed,
            Some(format!("the change was accepted but could not be read back: {b}")),
        ),
    };
    record.outcome = outcome;
    record.verified = outcome == ControlOutcome::Applied;
    record.error = error.map(|e| t.redact(&e));
}

/// The record of an attempt whose "from" could not be read: failed, nothing sent.
fn unreadable(
    t: &EnvTarget,
    req: &ControlReq,
    adapter: &super::Adapter,
    step: Option<&str>,
    e: &ControlError,
) -> ControlRecord {
    let to = match &req.target {
        Target::Flag { enabled, rollout, .. } => Setting::Flag {
            enabled: *enabled,
            rollout: rollout.unwrap_or(if *enabled { 100 } else { 0 }),
        },
        Target::Breaker { action, .. } => Setting::Breaker {
            state: action.state().to_string(),
        },
    };
    ControlRecord {
        env: t.name.clone(),
        adapter: adapter.kind().as_str().to_string(),
        target: req.target.clone(),
        reason: req.reason.trim().to_string(),
        from: None,
        to,
        inverse: None,
        outcome: ControlOutcome::Failed,
        error: Some(t.redact(&format!(
            "the state before could not be read, nothing was sent: {e}"
        ))),
        read_back: None,
        verified: false,
        step: step.map(str::to_string),
        revert: None,
        confirmed_on: (t.production && req.confirmed).then(|| t.name.clone()),
        read_again: None,
        attempt: None,
    }
}

fn what_of(target: &Target) -> String {
    match target {
        Target::Flag { key, .. } => format!("flag {key}"),
        Target::Breaker { provider, .. } => format!("breaker {provider}"),
    }
}

/// An error with the environment's secrets masked (messages may quote a URL).
fn redact_err(t: &EnvTarget, e: ControlError) -> ControlError {
    match e {
        ControlError::Transport { what, message } => ControlError::Transport {
            what,
            message: t.redact(&message),
        },
        ControlError::Sql { what, message } => ControlError::Sql {
            what,
            message: t.redact(&message),
        },
        other => other,
    }
}
