//! What the control step kinds share: the environment a step acts on (from the run's
//! [`ControlSink`]), and the rollback drill — act, verify, wait, revert, verify again — each
//! attempt sent to the run as it happens.

use std::time::Duration;

use super::action::{apply_noted, ControlReq};
use super::adapter::{AdapterKind, EnvTarget};
use super::revert::revert;
use super::{ControlOutcome, ControlRecord, Target};
use crate::probe::{ControlNote, ControlSink, ProbeEnv};

/// The environment of the run the step belongs to, or why the step cannot act.
pub(crate) fn target_of(env: &ProbeEnv) -> Result<(EnvTarget, ControlSink), String> {
    let sink = env
        .controls
        .clone()
        .ok_or("control steps run inside a run (`flightdeck run step`), which records every attempt")?;
    Ok((EnvTarget::new(&sink.env, sink.production, env.clone()), sink))
}

/// How a drill went.
#[derive(Debug, Default)]
pub(crate) struct Drilled {
    pub lines: Vec<String>,
    pub applied: bool,
    pub reverted: bool,
    /// The state after the revert is the state before the change.
    pub restored: bool,
}

fn line(r: &ControlRecord, what: &str) -> String {
    let from = r
        .from
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".into());
    let back = r
        .read_back
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "unreadable".into());
    let outcome = match r.outcome {
        ControlOutcome::Applied => "applied",
        ControlOutcome::Failed => "FAILED",
        ControlOutcome::Refused => "REFUSED",
    };
    let err = r.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
    format!(
        "{what}: {} {from} → {}: {outcome}, read back {back}{err}",
        r.target.describe(),
        r.to
    )
}

/// Act, verify, wait `hold`, revert, verify again. Every attempt goes to `sink` when it is made.
/// Production runs only get here confirmed (`run::run_steps` refuses otherwise).
pub(crate) async fn drill(
    t: &EnvTarget,
    sink: &ControlSink,
    step: &str,
    target: Target,
    adapter: Option<AdapterKind>,
    hold: Duration,
    reason: &str,
) -> Drilled {
    let mut out = Drilled::default();
    let req = ControlReq {
        env: t.name.clone(),
        target,
        adapter,
        reason: reason.to_string(),
        expect_from: None,
        confirmed: true,
        run: None,
        deadline_ms: None,
        recheck_ms: None,
    };
    let mut note = |i: &super::ControlIntent| {
        let _ = sink.tx.send(ControlNote::Intent(Box::new(i.clone())));
        Ok(())
    };
    let first = match apply_noted(t, &req, Some(step), &mut note).await {
        Ok(r) => r,
        Err(e) => {
            out.lines.push(format!(
                "act: {}: {}",
                req.target.describe(),
                t.redact(&e.to_string())
            ));
            return out;
        }
    };
    let _ = sink.tx.send(ControlNote::Action(Box::new(first.clone())));
    out.lines.push(line(&first, "act"));
    out.applied = first.outcome == ControlOutcome::Applied;
    // A failure that still moved the control (an error after the write) is undone too.
    let moved = first.read_back.is_some() && first.read_back != first.from;
    if !out.applied && !moved {
        return out;
    }
    if !hold.is_zero() {
        out.lines
            .push(format!("wait {}", crate::probe::human_duration(hold)));
        tokio::time::sleep(hold).await;
    }
    match revert(t, &first, "drill", true, &mut note).await {
        Ok(r) => {
            let _ = sink.tx.send(ControlNote::Action(Box::new(r.clone())));
            out.lines.push(line(&r, "revert"));
            out.reverted = r.outcome == ControlOutcome::Applied;
            out.restored = r.read_back.is_some() && r.read_back == first.from;
            out.lines.push(format!(
                "verify: {}",
                if out.restored {
                    "back to the state before the drill"
                } else {
                    "NOT back to the state before the drill"
                }
            ));
        }
        Err(e) => out.lines.push(format!("revert: {}", t.redact(&e.to_string()))),
    }
    out
}
