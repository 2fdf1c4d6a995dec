//! `decide`: record the GO / NO-GO decision (`decision_recorded`).
//!
//! A GO vouches for the critical success criteria (`Decision::criteria`): while any is unchecked
//! it needs an override reason, kept in the event with the unchecked ids. A NO-GO never needs
//! one: stopping is always allowed. A rationale is always required. The rules of `run::rules`
//! apply: not by who executed what it decides on (unless solo), GO by `min_approvers` distinct
//! people (each a `decision_recorded`; the fold counts them), one NO-GO ends the vote.
//!
//! The event records the run's head and the evidence (`run::evidence`) it was made on; the
//! decision is made once, and made again only once a later event has made it stale.

use super::RunState;
use super::{reason, require, write, Applied, Error, Event, Incomplete, Op, Verdict};
use crate::runbook::Runbook;
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DecideReq {
    pub run: String,
    pub decision: Verdict,
    pub rationale: String,
    pub override_reason: Option<String>,
    /// A solo override's reason: the maker executed what they decide on (a one-person team).
    /// Without it, rule `approver-not-executor` refuses such a maker.
    #[serde(default)]
    pub solo_reason: Option<String>,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn decide(store: &mut Store, by: &str, req: DecideReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for DecideReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, state: &RunState, by: &str, place: &str) -> Result<Event, Error> {
        to_event(runbook, state, self, by, place)
    }
}

/// Validate `req` against the runbook and the run's state; the event to append, or why not.
pub(crate) fn to_event(
    runbook: &Runbook,
    state: &RunState,
    req: &DecideReq,
    by: &str,
    place: &str,
) -> Result<Event, Error> {
    let Some(block) = &runbook.decision else {
        return Err(Error::Invalid(format!(
            "the runbook of {place} has no GO / NO-GO decision block"
        )));
    };
    if let Some(d) = state.decision.as_ref().filter(|d| d.stale.is_none()) {
        return Err(Error::Conflict(format!(
            "the decision of {place} was already recorded: {} by {} at {} (event {}); it can be made \
             again only once a later change to its evidence has made it stale",
            d.decision.as_str().to_uppercase(),
            super::listed(&d.approvers),
            d.at,
            d.seq
        )));
    }
    let rationale = require("the rationale", &req.rationale)?;
    let solo_reason = reason(req.solo_reason.as_deref());
    super::rules::approver_not_executor(state, by, solo_reason.as_deref(), place)?;
    if req.decision == Verdict::Go {
        super::rules::distinct_approvers(state, by, place)?;
    }
    let unchecked: Vec<String> = block
        .criteria
        .iter()
        .filter(|id| state.item(id).is_some_and(|i| !i.checked))
        .cloned()
        .collect();
    let override_reason = reason(req.override_reason.as_deref());
    if req.decision == Verdict::Go && !unchecked.is_empty() && override_reason.is_none() {
        return Err(Error::Incomplete {
            message: format!(
                "GO refused in {place}: {} critical success criteria unchecked: {}; check them or give an \
                 override reason",
                unchecked.len(),
                super::listed(&unchecked)
            ),
            missing: unchecked.iter().map(|id| Incomplete::item(id)).collect(),
        });
    }
    Ok(Event::DecisionRecorded {
        decision: req.decision,
        maker: by.to_string(),
        rationale,
        override_reason,
        unchecked_criteria: unchecked,
        solo_reason,
        head_seq: Some(state.event_count),
        head_hash: state.head_hash.clone(),
        evidence: Some(Box::new(super::evidence::Evidence::of(state))),
    })
}
