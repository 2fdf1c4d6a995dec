//! `control_action` and `flags_checked`: a flag or breaker attempt, and a check of the flags
//! against the runbook's expected state, kept in the run's hash chain.
//!
//! The attempt itself is made by `crate::controls`; this records it in two events: its intent
//! (`control_attempted`, before anything is sent) and its outcome (`control_action`, after the
//! read-back), each written at once. An intent with no outcome after it is an attempt whose
//! outcome is unknown (the process stopped in between): the state's `controls_open`.

use super::{write, Applied, Error, Event, Op, RunState};
use crate::controls::{ControlIntent, ControlRecord, DriftRow, ReadAgain};
use crate::runbook::Runbook;
use crate::store::Store;

/// Record an attempt into a run.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RecordControlReq {
    pub run: String,
    pub record: ControlRecord,
}

/// Record an attempt's intent into a run, before it is made.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RecordIntentReq {
    pub run: String,
    pub intent: ControlIntent,
}

/// Record a control read again after a change.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RecordReadAgainReq {
    pub run: String,
    pub read: ReadAgain,
}

/// Record a check of the flags against the runbook's expectations.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RecordDriftReq {
    pub run: String,
    pub env: String,
    pub adapter: String,
    #[serde(default)]
    pub step: Option<String>,
    pub rows: Vec<DriftRow>,
}

/// Append `record` to the run as one `control_action` event by `by`.
pub fn record_control(store: &mut Store, by: &str, req: RecordControlReq) -> Result<Applied, Error> {
    write(store, by, req)
}

/// Append `intent` to the run as one `control_attempted` event by `by`.
pub fn record_intent(store: &mut Store, by: &str, req: RecordIntentReq) -> Result<Applied, Error> {
    write(store, by, req)
}

/// Append `read` to the run as one `control_read_again` event by `by`.
pub fn record_read_again(store: &mut Store, by: &str, req: RecordReadAgainReq) -> Result<Applied, Error> {
    write(store, by, req)
}

/// Append a `flags_checked` event by `by`.
pub fn record_drift(store: &mut Store, by: &str, req: RecordDriftReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for RecordControlReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(
        &self,
        _runbook: &Runbook,
        _state: &RunState,
        _by: &str,
        _place: &str,
    ) -> Result<Event, Error> {
        if self.record.reason.trim().is_empty() {
            return Err(Error::Invalid("a control action needs a reason".into()));
        }
        Ok(Event::ControlAction(Box::new(self.record.clone())))
    }
}

impl Op for RecordIntentReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(
        &self,
        _runbook: &Runbook,
        _state: &RunState,
        _by: &str,
        _place: &str,
    ) -> Result<Event, Error> {
        if self.intent.reason.trim().is_empty() {
            return Err(Error::Invalid("a control action needs a reason".into()));
        }
        Ok(Event::ControlAttempted(Box::new(self.intent.clone())))
    }
}

impl Op for RecordReadAgainReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(
        &self,
        _runbook: &Runbook,
        _state: &RunState,
        _by: &str,
        _place: &str,
    ) -> Result<Event, Error> {
        Ok(Event::ControlReadAgain(Box::new(self.read.clone())))
    }
}

impl Op for RecordDriftReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(
        &self,
        _runbook: &Runbook,
        _state: &RunState,
        _by: &str,
        _place: &str,
    ) -> Result<Event, Error> {
        Ok(Event::FlagsChecked {
            env: self.env.clone(),
            adapter: self.adapter.clone(),
            step: self.step.clone(),
            rows: self.rows.clone(),
        })
    }
}

/// The event a control step's note becomes.
pub(super) fn event_of(note: crate::probe::ControlNote, step: &str, env: &str) -> Event {
    match note {
        crate::probe::ControlNote::Intent(i) => Event::ControlAttempted(i),
        crate::probe::ControlNote::Action(r) => Event::ControlAction(r),
        crate::probe::ControlNote::Drift { adapter, rows } => Event::FlagsChecked {
            env: env.to_string(),
            adapter,
            step: Some(step.to_string()),
            rows,
        },
    }
}
