//! `RunState`: what a run looks like now, as a pure fold of its runbook and its events.
//!
//! Owns the state types the CLI and the app display, and the fold (in `fold`: the initial state,
//! then one function per event kind; `fold_from` is its incremental form). There is no state of
//! record: anything shown is the fold of the log, so it cannot disagree with it (the store's
//! checkpoints only cache that fold; see `run::cache`). Events that name
//! ids the runbook does not have (or kinds this build does not know) are kept as `orphans`,
//! never a panic.

use serde::{Deserialize, Serialize};

use super::error::Incomplete;
use super::event::Verdict;
use super::evidence::{Evidence, Staleness};
use crate::runbook::FieldKind;

mod corrections;
mod decision;
mod fold;

pub use fold::{fold, fold_from};

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
    /// Flag and breaker attempts recorded as about to be sent with no outcome after them: the
    /// process stopped in between, so whether the change was made is unknown.
    #[serde(default)]
    pub controls_open: Vec<OpenAttempt>,
    /// The critical success criteria a GO vouches for (the runbook's decision block).
    #[serde(default)]
    pub decision_criteria: Vec<String>,
    /// The people known to the run (`run::people`): who may act on it, with their roles.
    #[serde(default)]
    pub people: Vec<Person>,
    /// How many distinct people must say GO before the decision is GO (`approvers_set`; 1
    /// unless set). One NO-GO ends the vote.
    #[serde(default = "one")]
    pub min_approvers: u32,
    /// GO votes toward `min_approvers`, not yet enough (each a decision of one person).
    #[serde(default)]
    pub votes: Vec<DecisionState>,
    /// Decisions recorded and then revoked (`decision_revoked`), oldest first.
    #[serde(default)]
    pub revoked_decisions: Vec<RevokedDecision>,
}

fn one() -> u32 {
    1
}

/// A person known to the run and the roles they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    pub name: String,
    pub roles: Vec<PersonRole>,
}

/// One role of a person, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PersonRole {
    /// `release-manager`, `rollback-decision-maker`, `pre-flight-gates-signoff`, `run-creator`...
    pub role: String,
    /// `header` (a role line of the runbook's header, as written or as set since), `added`
    /// (`person_added`) or `creator` (who created the run).
    pub source: String,
    /// The event that gave it (none for a header value written in the runbook).
    pub seq: Option<u64>,
}

/// A `control_attempted` with no `control_action` after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenAttempt {
    pub attempt: String,
    /// The `control_attempted` event.
    pub seq: u64,
    pub by: String,
    pub at: String,
    pub env: String,
    /// `flag community_enabled on --rollout 30`, `breaker trip stripe`.
    pub what: String,
    pub from: String,
    pub to: String,
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
    /// What it vouches for: the items and fields in its scope (from the runbook).
    #[serde(default)]
    pub covers: Vec<Incomplete>,
    /// Sign-offs of this slot recorded and then revoked (`signoff_revoked`), oldest first.
    #[serde(default)]
    pub revoked: Vec<RevokedSignOff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOffRecord {
    pub seq: u64,
    pub by: String,
    pub at: String,
    pub override_reason: Option<String>,
    pub incomplete: Vec<Incomplete>,
    /// A solo override: the signer also did the section's work (a one-person team), and why.
    #[serde(default)]
    pub solo_reason: Option<String>,
    /// Work in its scope undone after it was recorded (an item unchecked, a field cleared): the
    /// sign-off covers changed work.
    #[serde(default)]
    pub changed: Vec<ChangedWork>,
}

/// An item unchecked or a field cleared under a recorded sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangedWork {
    /// The `item_unchecked` / `field_cleared` event.
    pub seq: u64,
    pub by: String,
    pub at: String,
    /// `item` (now unchecked) or `field` (now empty), and its id.
    pub what: Incomplete,
}

/// A sign-off withdrawn: the record it withdrew, who withdrew it, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevokedSignOff {
    /// The `signoff_revoked` event.
    pub seq: u64,
    pub by: String,
    pub at: String,
    pub reason: String,
    pub record: SignOffRecord,
}

/// A decision withdrawn: the decision, who withdrew it, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevokedDecision {
    /// The `decision_revoked` event.
    pub seq: u64,
    pub by: String,
    pub at: String,
    pub reason: String,
    pub decision: DecisionState,
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
    /// Who said GO toward it (distinct people, `min_approvers` of them), or the one NO-GO.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// A solo override: the maker also executed what they decide on (a one-person team), and why.
    #[serde(default)]
    pub solo_reason: Option<String>,
    /// The run's head it was made on.
    #[serde(default)]
    pub head_seq: Option<u64>,
    #[serde(default)]
    pub head_hash: Option<String>,
    /// The criteria, sign-offs and step verdicts it was made on.
    #[serde(default)]
    pub evidence: Option<Evidence>,
    /// Set by the first later event that changed that evidence: the decision no longer stands
    /// until it is made again.
    #[serde(default)]
    pub stale: Option<Staleness>,
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

    /// The person named `name` (trimmed, case and inner spaces forgiven), when known to the run.
    pub fn person(&self, name: &str) -> Option<&Person> {
        let want = super::people::normal(name);
        self.people
            .iter()
            .find(|p| super::people::normal(&p.name) == want)
    }
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
    /// A drill's RTO read from its body, until its result takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub pending_rto: Option<RtoSummary>,
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
    /// A restore drill's (`pg-restore`) RTO in stages, read from its report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rto: Option<RtoSummary>,
}

/// A restore drill's RTO: its timed stages and the objective, as the window charts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RtoSummary {
    pub stages: Vec<crate::backup::drill::StageTime>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rto_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rto_objective_ms: u64,
    pub within_objective: bool,
}

impl RtoSummary {
    /// From a `pg-restore` step's body (the drill's report, JSON); none for other kinds or a
    /// drill that gave no report (refused, failed before restoring, cancelled).
    pub(crate) fn of(kind: &str, body: &crate::probe::Excerpt) -> Option<RtoSummary> {
        if kind != "pg-restore" || body.truncated {
            return None;
        }
        let report: crate::backup::DrillReport = serde_json::from_str(&body.text).ok()?;
        Some(RtoSummary {
            stages: report.stages,
            rto_ms: report.rto_ms,
            rto_objective_ms: report.rto_objective_ms,
            within_objective: report.within_objective,
        })
    }
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
            pending_rto: None,
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
            rto: None,
        }
    }
}
