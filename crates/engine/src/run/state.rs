//! `RunState`: what a run looks like now, as a pure fold of its runbook and its events.
//!
//! Owns the fold (and `fold_from`, its incremental form) and the state types the CLI and the app
//! display. There is no state of record: anything shown is the fold of the log, so it cannot
//! disagree with it (the store's checkpoints only cache that fold; see `run::cache`). Events that name
//! ids the runbook does not have (or kinds this build does not know) are kept as `orphans`,
//! never a panic.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::Incomplete;
use super::event::{Event, Verdict};
use crate::runbook::{FieldKind, Runbook};
use crate::store::StoredEvent;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunState {
    pub run_id: String,
    pub runbook_name: String,
    pub runbook_title: Option<String>,
    pub runbook_sha256: String,
    pub env: String,
    pub release: String,
    pub created_at: String,
    pub created_by: String,
    pub metadata: Vec<MetaState>,
    pub items: Vec<ItemState>,
    pub fields: Vec<FieldState>,
    pub notes: Vec<Note>,
    pub signoffs: Vec<SignOffState>,
    pub decision: Option<DecisionState>,
    pub steps: Vec<StepState>,
    pub event_count: u64,
    pub head_hash: Option<String>,
    pub orphans: Vec<Orphan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetaState {
    pub key: String,
    pub label: String,
    /// The runbook's pre-filled value, overridden by the last `metadata_set`.
    pub value: Option<String>,
    pub by: Option<String>,
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemState {
    pub id: String,
    pub text: String,
    pub depth: u32,
    pub section: Option<String>,
    pub critical: bool,
    /// Initially `[x]` in the source; then the last check or uncheck.
    pub checked: bool,
    pub by: Option<String>,
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldState {
    pub id: String,
    pub label: String,
    pub unit: Option<String>,
    pub kind: FieldKind,
    pub item: Option<String>,
    pub section: Option<String>,
    pub value: Option<String>,
    pub by: Option<String>,
    pub at: Option<String>,
    /// The step whose probe filled it, when it was captured rather than typed.
    pub captured_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Note {
    pub seq: u64,
    pub text: String,
    pub item: Option<String>,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOffState {
    pub id: String,
    pub name: String,
    pub section: Option<String>,
    pub phase: Option<String>,
    pub recorded: Option<SignOffRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOffRecord {
    pub seq: u64,
    pub by: String,
    pub at: String,
    pub override_reason: Option<String>,
    pub incomplete: Vec<Incomplete>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DecisionState {
    pub seq: u64,
    pub decision: Verdict,
    pub maker: String,
    pub rationale: String,
    pub at: String,
    pub override_reason: Option<String>,
    pub unchecked_criteria: Vec<String>,
}

/// An event the current runbook cannot place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Orphan {
    pub seq: u64,
    pub kind: String,
    pub reason: String,
}

impl RunState {
    pub fn item(&self, id: &str) -> Option<&ItemState> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn field(&self, id: &str) -> Option<&FieldState> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn meta(&self, key: &str) -> Option<&MetaState> {
        self.metadata.iter().find(|m| m.key == key)
    }

    pub fn signoff(&self, id: &str) -> Option<&SignOffState> {
        self.signoffs.iter().find(|s| s.id == id)
    }
}

/// Fold `events` (in seq order) over `runbook`.
pub fn fold(runbook: &Runbook, events: &[StoredEvent]) -> RunState {
    let state = RunState {
        run_id: events.first().map(|e| e.run_id.clone()).unwrap_or_default(),
        runbook_name: runbook.name.clone(),
        runbook_title: runbook.title.clone(),
        runbook_sha256: runbook.sha256.clone(),
        env: String::new(),
        release: String::new(),
        created_at: String::new(),
        created_by: String::new(),
        metadata: runbook
            .metadata
            .iter()
            .map(|m| MetaState {
                key: m.key.clone(),
                label: m.label.clone(),
                value: m.value.clone(),
                by: None,
                at: None,
            })
            .collect(),
        items: runbook
            .items
            .iter()
            .map(|i| ItemState {
                id: i.id.clone(),
                text: i.text.clone(),
                depth: i.depth,
                section: i.section.clone(),
                critical: i.critical,
                checked: i.checked,
                by: None,
                at: None,
            })
            .collect(),
        fields: runbook
            .fields
            .iter()
            .map(|f| FieldState {
                id: f.id.clone(),
                label: f.label.clone(),
                unit: f.unit.clone(),
                kind: f.kind.clone(),
                item: f.item.clone(),
                section: f.section.clone(),
                value: None,
                by: None,
                at: None,
                captured_from: None,
            })
            .collect(),
        notes: Vec::new(),
        signoffs: runbook
            .signoffs
            .iter()
            .map(|s| SignOffState {
                id: s.id.clone(),
                name: s.name.clone(),
                section: s.section.clone(),
                phase: s.phase.clone(),
                recorded: None,
            })
            .collect(),
        decision: None,
        steps: runbook.steps.iter().map(StepState::of).collect(),
        event_count: 0,
        head_hash: None,
        orphans: Vec::new(),
    };
    fold_from(state, events)
}

/// Fold `events` on, after the ones `state` already holds (the incremental form of `fold`:
/// `fold_from(fold(rb, a), b)` equals `fold(rb, a ++ b)`, so a checkpoint of the state plus the
/// events after it gives the same state as the whole log).
pub fn fold_from(mut state: RunState, events: &[StoredEvent]) -> RunState {
    if state.run_id.is_empty() {
        state.run_id = events.first().map(|e| e.run_id.clone()).unwrap_or_default();
    }
    state.event_count += events.len() as u64;
    if let Some(last) = events.last() {
        state.head_hash = Some(last.hash.clone());
    }
    let items = index(state.items.iter().map(|i| i.id.as_str()));
    let fields = index(state.fields.iter().map(|f| f.id.as_str()));
    let metas = index(state.metadata.iter().map(|m| m.key.as_str()));
    let signoffs = index(state.signoffs.iter().map(|s| s.id.as_str()));
    let steps = index(state.steps.iter().map(|s| s.id.as_str()));

    for e in events {
        let orphan = |reason: String| Orphan {
            seq: e.seq,
            kind: e.kind.clone(),
            reason,
        };
        let event = match Event::decode(e) {
            Ok(event) => event,
            Err(err) => {
                state
                    .orphans
                    .push(orphan(format!("not understood by this version: {err}")));
                continue;
            }
        };
        let stamp = || (Some(e.actor.clone()), Some(e.time.clone()));
        match event {
            Event::RunCreated {
                runbook_sha256,
                env,
                release,
                ..
            } => {
                state.runbook_sha256 = runbook_sha256;
                state.env = env;
                state.release = release;
                state.created_at = e.time.clone();
                state.created_by = e.actor.clone();
            }
            Event::MetadataSet { key, value } => match metas.get(key.as_str()) {
                Some(&i) => {
                    let m = &mut state.metadata[i];
                    m.value = Some(value);
                    (m.by, m.at) = stamp();
                }
                None => state
                    .orphans
                    .push(orphan(format!("metadata key `{key}` is not in the runbook"))),
            },
            Event::ItemChecked { item } | Event::ItemUnchecked { item } => match items.get(item.as_str()) {
                Some(&i) => {
                    let it = &mut state.items[i];
                    it.checked = e.kind == "item_checked";
                    (it.by, it.at) = stamp();
                }
                None => state
                    .orphans
                    .push(orphan(format!("item `{item}` is not in the runbook"))),
            },
            Event::FieldSet { field, value } => match fields.get(field.as_str()) {
                Some(&i) => {
                    let f = &mut state.fields[i];
                    f.value = Some(value);
                    (f.by, f.at) = stamp();
                    f.captured_from = None;
                }
                None => state
                    .orphans
                    .push(orphan(format!("field `{field}` is not in the runbook"))),
            },
            Event::NoteAdded { text, item } => {
                if let Some(id) = item.as_deref().filter(|id| !items.contains_key(*id)) {
                    state.orphans.push(orphan(format!(
                        "note on item `{id}`, which is not in the runbook"
                    )));
                }
                state.notes.push(Note {
                    seq: e.seq,
                    text,
                    item,
                    by: e.actor.clone(),
                    at: e.time.clone(),
                });
            }
            Event::SignoffRecorded {
                signoff,
                by,
                override_reason,
                incomplete,
            } => {
                match signoffs.get(signoff.as_str()) {
                    // The first record of a slot stands; the operation refuses a second one.
                    Some(&i) if state.signoffs[i].recorded.is_none() => {
                        state.signoffs[i].recorded = Some(SignOffRecord {
                            seq: e.seq,
                            by,
                            at: e.time.clone(),
                            override_reason,
                            incomplete,
                        });
                    }
                    Some(_) => state
                        .orphans
                        .push(orphan(format!("sign-off `{signoff}` was already recorded"))),
                    None => state
                        .orphans
                        .push(orphan(format!("sign-off `{signoff}` is not in the runbook"))),
                }
            }
            Event::FieldCaptured { field, value, step } => match fields.get(field.as_str()) {
                Some(&i) => {
                    let f = &mut state.fields[i];
                    f.value = Some(value);
                    (f.by, f.at) = stamp();
                    f.captured_from = Some(step);
                }
                None => state
                    .orphans
                    .push(orphan(format!("captured field `{field}` is not in the runbook"))),
            },
            Event::StepStarted {
                step,
                kind,
                what,
                confirmed_on,
            } => match steps.get(step.as_str()) {
                Some(&i) => {
                    let s = &mut state.steps[i];
                    s.status = StepStatus::Running;
                    s.runs += 1;
                    s.kind = kind;
                    s.what = Some(what);
                    s.confirmed_on = confirmed_on;
                    (s.by, s.started_at) = stamp();
                    s.finished_at = None;
                    s.result = None;
                }
                None => state
                    .orphans
                    .push(orphan(format!("step `{step}` is not in the runbook"))),
            },
            Event::StepOutput { step, .. } => {
                if !steps.contains_key(step.as_str()) {
                    state.orphans.push(orphan(format!(
                        "output of step `{step}`, which is not in the runbook"
                    )));
                }
            }
            Event::StepFinished { step, result } => match steps.get(step.as_str()) {
                Some(&i) => {
                    let s = &mut state.steps[i];
                    s.status = if result.passed() {
                        StepStatus::Passed
                    } else {
                        StepStatus::Failed
                    };
                    s.finished_at = Some(e.time.clone());
                    s.result = Some(StepSummary::of(&result));
                }
                None => state
                    .orphans
                    .push(orphan(format!("step `{step}` is not in the runbook"))),
            },
            Event::DecisionRecorded {
                decision,
                maker,
                rationale,
                override_reason,
                unchecked_criteria,
            } => {
                if state.decision.is_some() {
                    state
                        .orphans
                        .push(orphan("the decision was already recorded".into()));
                } else {
                    state.decision = Some(DecisionState {
                        seq: e.seq,
                        decision,
                        maker,
                        rationale,
                        at: e.time.clone(),
                        override_reason,
                        unchecked_criteria,
                    });
                }
            }
        }
    }
    state
}

/// Where a step stands: never run, running (started, not finished: also a run cut short by a
/// crash), passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Idle,
    Running,
    Passed,
    Failed,
}

/// A step and its latest run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepState {
    pub id: String,
    pub item: Option<String>,
    pub section: Option<String>,
    /// The probe kind (`shell`, `http`, ...), `manual`, or `invalid: <why>`.
    pub kind: String,
    pub status: StepStatus,
    pub runs: u32,
    pub what: Option<String>,
    pub by: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub result: Option<StepSummary>,
    /// The production environment its latest run was confirmed on (it changes the target).
    pub confirmed_on: Option<String>,
}

/// The latest result of a step, as the checklist shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepSummary {
    pub passed: bool,
    pub failure: Option<String>,
    pub message: Option<String>,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration_ms: u64,
    /// `expr`, actual value, verdict (`pass` / `fail`).
    pub assertions: Vec<(String, String, String)>,
    /// Field (id or name) and value.
    pub captures: Vec<(String, String)>,
}

impl StepState {
    fn of(step: &crate::runbook::Step) -> StepState {
        let kind = match crate::probe::Spec::from_step(step) {
            Ok(Some(spec)) => spec.kind.name().to_string(),
            Ok(None) => "manual".to_string(),
            Err(e) => format!("invalid: {e}"),
        };
        StepState {
            id: step.id.clone(),
            item: step.item.clone(),
            section: step.section.clone(),
            kind,
            status: StepStatus::Idle,
            runs: 0,
            what: None,
            by: None,
            started_at: None,
            finished_at: None,
            result: None,
            confirmed_on: None,
        }
    }
}

impl StepSummary {
    fn of(r: &crate::probe::ProbeResult) -> StepSummary {
        StepSummary {
            passed: r.passed(),
            failure: r.failure.map(|f| {
                serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            message: r.message.clone(),
            exit_code: r.exit_code,
            http_status: r.http_status,
            duration_ms: r.duration_ms,
            assertions: r
                .assertions
                .iter()
                .map(|a| {
                    let verdict = if a.verdict == crate::probe::Verdict::Pass {
                        "pass"
                    } else {
                        "fail"
                    };
                    (a.expr.clone(), a.actual.clone(), verdict.to_string())
                })
                .collect(),
            captures: r
                .captures
                .iter()
                .map(|c| {
                    (
                        c.field_id.clone().unwrap_or_else(|| c.field.clone()),
                        c.value.clone(),
                    )
                })
                .collect(),
        }
    }
}

fn index<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.to_string(), i)).collect()
}
