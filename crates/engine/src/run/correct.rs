//! Corrections that keep the chain: clear a field (`field_cleared`), revoke a sign-off
//! (`signoff_revoked`) or the decision (`decision_revoked`), each with who and (for a revoke) why,
//! recorded as an event of its own. Nothing is ever removed from the log; the fold shows what
//! stands now and keeps what was revoked (`state::corrections`).

use super::{require, resolve_signoff, write, Applied, Error, Event, Op, RunState};
use crate::runbook::Runbook;
use crate::store::Store;

/// Empty a field that holds a value.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClearFieldReq {
    pub run: String,
    /// The field id, or its label.
    pub field: String,
}

/// Withdraw a recorded sign-off, with why; the slot may be signed again.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevokeSignOffReq {
    pub run: String,
    /// A sign-off id, or a section or phase holding exactly one (as `SignOffReq`).
    pub signoff: String,
    pub reason: String,
}

/// Withdraw the recorded decision, with why; a decision may be recorded again.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RevokeDecisionReq {
    pub run: String,
    pub reason: String,
}

/// `req` checked against the run's state, appended as one `field_cleared` event by `by`.
pub fn clear_field(store: &mut Store, by: &str, req: ClearFieldReq) -> Result<Applied, Error> {
    write(store, by, req)
}

/// `req` checked against the run's state, appended as one `signoff_revoked` event by `by`.
pub fn revoke_signoff(store: &mut Store, by: &str, req: RevokeSignOffReq) -> Result<Applied, Error> {
    write(store, by, req)
}

/// `req` checked against the run's state, appended as one `decision_revoked` event by `by`.
pub fn revoke_decision(store: &mut Store, by: &str, req: RevokeDecisionReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for ClearFieldReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        let id = self.field.trim();
        let Some(field) = runbook.field(id) else {
            return Err(Error::not_found(
                "field",
                id,
                place,
                runbook.fields.iter().map(|f| f.id.as_str()),
            ));
        };
        if state.field(&field.id).is_none_or(|f| f.value.is_none()) {
            return Err(Error::Conflict(format!(
                "field `{}` in {place} is already empty",
                field.id
            )));
        }
        Ok(Event::FieldCleared {
            field: field.id.clone(),
        })
    }
}

impl Op for RevokeSignOffReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        let slot = resolve_signoff(runbook, &self.signoff, place)?;
        let reason = require("the reason for revoking", &self.reason)?;
        let Some(record) = state.signoff(&slot.id).and_then(|s| s.recorded.as_ref()) else {
            return Err(Error::Conflict(format!(
                "sign-off `{}` in {place} is not recorded, so there is nothing to revoke",
                slot.id
            )));
        };
        Ok(Event::SignoffRevoked {
            signoff: slot.id.clone(),
            revokes: record.seq,
            reason,
        })
    }
}

impl Op for RevokeDecisionReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, _runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        let reason = require("the reason for revoking", &self.reason)?;
        let Some(decision) = &state.decision else {
            return Err(Error::Conflict(format!(
                "{place} has no recorded decision, so there is nothing to revoke"
            )));
        };
        Ok(Event::DecisionRevoked {
            revokes: decision.seq,
            reason,
        })
    }
}
