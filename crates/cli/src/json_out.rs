//! The one vocabulary of `--json` output (docs/json/ holds a schema per command).
//!
//! Owns the renames from the engine's types to what every command prints, so no engine type
//! (nor the app's IPC bindings, nor stored checkpoints) changes for the CLI's sake:
//!
//! - a run is named `run_id` everywhere, on its own record too (`run list`, `run new`);
//! - how long its log is: `event_count` (with `head_hash`), never `head_seq` or `events`;
//! - who did something: `by` (an event's actor, a decision's maker);
//! - a verdict: `outcome`, `passed` or `failed` (a step's result, each assertion), never a
//!   `passed: true` nor an assertion's `pass`;
//! - assertions: objects `{expr, actual, outcome}` (`implicit` where the result knows it);
//!   captures: objects `{field, value}` (`field_id` where known).
//!
//! An event's `payload` is printed as recorded (it is what the hash covers), whatever words it
//! uses; only the envelope around it is renamed.

use flightdeck_engine::probe::ProbeResult;
use flightdeck_engine::run::{Applied, RunState};
use flightdeck_engine::store::{Copied, RunRecord, StoredEvent, Verification};
use serde_json::{json, Map, Value};

/// A run's record (`run list`, `run new`).
pub fn run_record(r: &RunRecord) -> Value {
    json!({
        "run_id": r.id,
        "created_at": r.created_at,
        "runbook_name": r.runbook_name,
        "runbook_sha256": r.runbook_sha256,
        "env": r.env,
        "release": r.release,
        "event_count": r.head_seq,
        "head_hash": r.head_hash,
    })
}

/// A run's state (`run show`, `archive show`): every decision (the decision, each GO vote, each
/// revoked one) in the common words, each step's latest result with an `outcome` and object
/// assertions and captures.
pub fn run_state(s: &RunState) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(s)?;
    if let Some(d) = v.get_mut("decision").and_then(Value::as_object_mut) {
        decision(d);
    }
    for vote in array_mut(&mut v, "votes") {
        if let Some(d) = vote.as_object_mut() {
            decision(d);
        }
    }
    for revoked in array_mut(&mut v, "revoked_decisions") {
        if let Some(d) = revoked.get_mut("decision").and_then(Value::as_object_mut) {
            decision(d);
        }
    }
    for step in array_mut(&mut v, "steps") {
        if let Some(result) = step.get_mut("result").and_then(Value::as_object_mut) {
            summary(result);
        }
    }
    Ok(v)
}

/// A `DecisionState`: its maker as `by`, the run's head it was made on as `event_count`.
fn decision(d: &mut Map<String, Value>) {
    rename(d, "maker", "by");
    rename(d, "head_seq", "event_count");
}

/// A `StepSummary` (tuples and `passed`) in the common words.
fn summary(result: &mut Map<String, Value>) {
    if let Some(passed) = result.remove("passed") {
        result.insert("outcome".into(), outcome(passed.as_bool() == Some(true)));
    }
    if let Some(Value::Array(list)) = result.get_mut("assertions") {
        for a in list.iter_mut() {
            if let Value::Array(t) = a {
                let at = |i: usize| t.get(i).cloned().unwrap_or(Value::Null);
                let passed = t.get(2).and_then(Value::as_str) == Some("pass");
                *a = json!({"expr": at(0), "actual": at(1), "outcome": outcome(passed)});
            }
        }
    }
    if let Some(Value::Array(list)) = result.get_mut("captures") {
        for c in list.iter_mut() {
            if let Value::Array(t) = c {
                let at = |i: usize| t.get(i).cloned().unwrap_or(Value::Null);
                *c = json!({"field": at(0), "value": at(1)});
            }
        }
    }
}

/// A probe's whole result (`run step | section | all`): each assertion's `verdict` as `outcome`.
pub fn probe_result(r: &ProbeResult) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(r)?;
    for a in array_mut(&mut v, "assertions") {
        if let Some(a) = a.as_object_mut() {
            if let Some(verdict) = a.remove("verdict") {
                a.insert("outcome".into(), outcome(verdict.as_str() == Some("pass")));
            }
        }
    }
    Ok(v)
}

/// An event: its actor as `by`, its payload as recorded.
pub fn event(e: &StoredEvent) -> Value {
    json!({
        "run_id": e.run_id,
        "seq": e.seq,
        "time": e.time,
        "by": e.actor,
        "kind": e.kind,
        "payload": e.payload,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    })
}

/// What a write appended.
pub fn applied(a: &Applied) -> Value {
    json!({"run_id": a.run_id, "event": event(&a.event)})
}

/// `run verify`'s report: the events found as `event_count`.
pub fn verification(v: &Verification) -> anyhow::Result<Value> {
    let mut out = serde_json::to_value(v)?;
    if let Some(o) = out.as_object_mut() {
        rename(o, "events", "event_count");
    }
    Ok(out)
}

/// What `run push` / `run pull` copied: the events as `event_count`, each side's verification
/// as `run verify` says it.
pub fn copied(c: &Copied) -> anyhow::Result<Value> {
    Ok(json!({
        "run_id": c.run_id,
        "event_count": c.events,
        "head_hash": c.head_hash,
        "written": c.written,
        "source": verification(&c.source)?,
        "copy": verification(&c.copy)?,
    }))
}

/// A watch line (`watch RUN --json`'s slots): its `passed` as `outcome`.
pub fn watch_update(u: &impl serde::Serialize) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(u)?;
    if let Some(record) = v.get_mut("record") {
        for line in array_mut(record, "lines") {
            if let Some(line) = line.as_object_mut() {
                if let Some(passed) = line.remove("passed") {
                    line.insert("outcome".into(), outcome(passed.as_bool() == Some(true)));
                }
            }
        }
    }
    Ok(v)
}

fn outcome(passed: bool) -> Value {
    Value::from(if passed { "passed" } else { "failed" })
}

fn rename(o: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = o.remove(from) {
        o.insert(to.into(), v);
    }
}

fn array_mut<'a>(v: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    v.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|a| a.iter_mut())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_summary_speaks_the_common_words() {
        let mut r = json!({
            "passed": false, "failure": "assertion", "duration_ms": 3,
            "assertions": [["exit == 0", "127", "fail"]], "captures": [["1.total", "12"]],
        });
        summary(r.as_object_mut().expect("object"));
        assert_eq!(r["outcome"], "failed");
        assert!(r.get("passed").is_none());
        assert_eq!(
            r["assertions"][0],
            json!({"expr": "exit == 0", "actual": "127", "outcome": "failed"})
        );
        assert_eq!(r["captures"][0], json!({"field": "1.total", "value": "12"}));
    }
}
