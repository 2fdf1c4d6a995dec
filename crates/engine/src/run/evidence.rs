//! The evidence a GO / NO-GO is made on, frozen in its event, and what makes it stale.
//!
//! Owns [`Evidence`] (the critical success criteria, the recorded sign-offs and the latest
//! verdict of every step that ran, as the fold has them at the moment of the decision) and
//! [`changed`], the first difference between a decision's snapshot and the run now, in words.
//! The fold (`state::fold`) compares after each event that can touch the evidence; the first
//! difference marks the decision stale until it is made again (`run::decide`).

use serde::{Deserialize, Serialize};

use super::state::{RunState, StepStatus};

/// What a decision vouched for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evidence {
    /// Every critical success criterion, checked or not.
    pub criteria: Vec<CriterionMark>,
    /// Every recorded sign-off.
    pub signoffs: Vec<SignOffMark>,
    /// Every step that has run, with its latest run.
    pub steps: Vec<StepMark>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CriterionMark {
    pub id: String,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOffMark {
    pub id: String,
    pub by: String,
    /// The event that recorded it.
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepMark {
    pub id: String,
    pub status: StepStatus,
    /// How many times it has run: a re-run changes it even when the verdict is the same.
    pub runs: u32,
}

/// Why a decision no longer stands on its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Staleness {
    /// The event that changed the evidence.
    pub seq: u64,
    pub at: String,
    pub by: String,
    /// `step `8.health` was run again (run 2, running)`.
    pub reason: String,
}

impl Evidence {
    /// The evidence as `state` has it now.
    pub fn of(state: &RunState) -> Evidence {
        Evidence {
            criteria: state
                .decision_criteria
                .iter()
                .filter_map(|id| state.item(id))
                .map(|i| CriterionMark {
                    id: i.id.clone(),
                    checked: i.checked,
                })
                .collect(),
            signoffs: state
                .signoffs
                .iter()
                .filter_map(|s| {
                    s.recorded.as_ref().map(|r| SignOffMark {
                        id: s.id.clone(),
                        by: r.by.clone(),
                        seq: r.seq,
                    })
                })
                .collect(),
            steps: state
                .steps
                .iter()
                .filter(|s| s.runs > 0)
                .map(|s| StepMark {
                    id: s.id.clone(),
                    status: s.status,
                    runs: s.runs,
                })
                .collect(),
        }
    }
}

/// The first way `now` differs from `then`, in words; `None` when they are the same.
pub fn changed(then: &Evidence, now: &Evidence) -> Option<String> {
    for c in &now.criteria {
        let was = then.criteria.iter().find(|t| t.id == c.id).map(|t| t.checked);
        if was != Some(c.checked) {
            let how = if c.checked { "checked" } else { "unchecked" };
            return Some(format!("criterion `{}` was {how}", c.id));
        }
    }
    for s in &now.signoffs {
        match then.signoffs.iter().find(|t| t.id == s.id) {
            None => return Some(format!("sign-off `{}` was recorded by {}", s.id, s.by)),
            Some(t) if t != s => return Some(format!("sign-off `{}` changed (now by {})", s.id, s.by)),
            Some(_) => {}
        }
    }
    if let Some(t) = then
        .signoffs
        .iter()
        .find(|t| !now.signoffs.iter().any(|s| s.id == t.id))
    {
        return Some(format!("sign-off `{}` is no longer recorded", t.id));
    }
    for s in &now.steps {
        match then.steps.iter().find(|t| t.id == s.id) {
            Some(t) if t.runs == s.runs && t.status == s.status => {}
            Some(t) if t.runs != s.runs => {
                return Some(format!(
                    "step `{}` was run again (run {}, {})",
                    s.id,
                    s.runs,
                    status_word(s.status)
                ))
            }
            Some(_) => return Some(format!("step `{}` is now {}", s.id, status_word(s.status))),
            None => return Some(format!("step `{}` was run ({})", s.id, status_word(s.status))),
        }
    }
    None
}

fn status_word(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Idle => "not run",
        StepStatus::Running => "running",
        StepStatus::Passed => "passed",
        StepStatus::Failed => "failed",
    }
}

/// Whether an event of `kind` can change the evidence (the fold compares only after those).
pub(crate) fn can_change(kind: &str) -> bool {
    matches!(
        kind,
        "item_checked"
            | "item_unchecked"
            | "signoff_recorded"
            | "step_started"
            | "step_finished"
            | "watch_band_clean"
    )
}
