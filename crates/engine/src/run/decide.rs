//! `decide`: record the GO / NO-GO decision (`decision_recorded`).
//!
//! A GO vouches for the critical success criteria (`Decision::criteria`): while any is unchecked
//! it needs an override reason, kept in the event with the unchecked ids. A NO-GO never needs
//! one: stopping is always allowed. A rationale is always required; the decision is made once.

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
    if let Some(d) = &state.decision {
        return Err(Error::Conflict(format!(
            "the decision of {place} was already recorded: {} by {} at {} (event {})",
            d.decision.as_str().to_uppercase(),
            d.maker,
            d.at,
            d.seq
        )));
    }
    let rationale = require("the rationale", &req.rationale)?;
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
    })
}
