//! Runs: the operations the CLI and the app call, the events they append, and the state
//! those events fold into.
//!
//! Owns the run vocabulary (`event`), the fold (`state`), the error type (`error`) and one
//! module per operation (`create`, `check`, `field`, `meta`, `note`, `signoff`, `decide`), each
//! with its own `...Req` input, declared once and used as it is by the CLI and the app (it
//! derives `Deserialize`, and `ts_rs::TS` behind the `ts` feature). Every write is
//! `op(store, by, Req) -> Applied`: the request implements [`Op`], validates against the runbook
//! and the folded state and then appends exactly one event; the read, the check and the write
//! happen in one store transaction (`Store::append_folded`), resumed from the store's checkpoint
//! of the state (`cache`) rather than the whole log. Storage belongs to `crate::store`.
//!
//! A new write: a module with its `...Req`, `impl Op` and the `op` function, one `pub use` here,
//! then a one-line command in `src-tauri/src/commands/` and an arm in the CLI's `run_cmd`.

mod cache;
mod check;
mod control;
mod correct;
mod create;
mod decide;
mod dry_run;
mod error;
mod event;
pub mod evidence;
mod field;
mod meta;
mod note;
pub mod people;
pub mod rules;
mod signoff;
mod state;
mod step;

pub use check::{check, CheckReq};
pub use control::{
    record_control, record_drift, record_intent, record_read_again, RecordControlReq, RecordDriftReq,
    RecordIntentReq, RecordReadAgainReq,
};
pub use correct::{
    clear_field, revoke_decision, revoke_signoff, ClearFieldReq, RevokeDecisionReq, RevokeSignOffReq,
};
pub use create::{create, CreateReq};
pub use decide::{decide, DecideReq};
pub use dry_run::{dry_run, PlannedStep};
pub use error::{nearest, Error, Incomplete};
pub use event::{Event, Verdict};
pub use field::{normalize_value, set_field, SetFieldReq};
pub use meta::{set_meta, SetMetaReq};
pub use note::{note, NoteReq};
pub use people::{add_person, set_approvers, AddPersonReq, SetApproversReq};
pub use signoff::{resolve_signoff, signoff, SignOffReq};
pub use state::{
    fold, fold_from, ChangedWork, DecisionState, FieldState, ItemState, MetaState, Note, OpenAttempt, Orphan,
    Person, PersonRole, RevokedDecision, RevokedSignOff, RtoSummary, RunState, SignOffRecord, SignOffState,
    StepState, StepStatus, StepSummary,
};
pub use step::{
    builtin_vars, plan, run_as_step, run_steps, RunStepsReq, Scope, StepRun, DEFAULT_CONCURRENCY,
};

use std::sync::Arc;

use crate::runbook::{self, Runbook};
use crate::store::{RunRecord, Store, StoredEvent};

/// A run with its runbook and current state, for display.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    pub record: RunRecord,
    pub runbook: Runbook,
    pub state: RunState,
}

/// What an operation appended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Applied {
    pub run_id: String,
    pub event: StoredEvent,
}

/// Load the run that `run_ref` (an id or a unique prefix) names.
pub fn load(store: &Store, run_ref: &str) -> Result<LoadedRun, Error> {
    let record = store.resolve_run(run_ref)?;
    let runbook = cache::runbook(store, &record)?;
    let state = store.folded(&record.id, &cache::RunFold::new(&runbook))?;
    Ok(LoadedRun {
        record,
        runbook: Arc::unwrap_or_clone(runbook),
        state,
    })
}

/// The runbook a run was created from, re-imported from the source it keeps.
pub fn runbook_of(record: &RunRecord) -> Result<Runbook, Error> {
    Ok(runbook::parse(
        &record.runbook_name,
        record.runbook_source.as_bytes(),
    )?)
}

/// A write to a run: a request that, checked against the runbook and the run's folded state,
/// becomes exactly one event. Each operation's `...Req` implements it in its own module; the
/// CLI and the app both hand the request to [`write`] (through the operation's named function).
pub trait Op {
    /// The run written to: an id or a unique prefix.
    fn run(&self) -> &str;
    /// The event to append as `by`, or why not; `place` names the run for messages.
    fn to_event(&self, runbook: &Runbook, state: &RunState, by: &str, place: &str) -> Result<Event, Error>;
}

/// Check `req` and append its event as `by`, in one write transaction.
pub fn write<R: Op>(store: &mut Store, by: &str, req: R) -> Result<Applied, Error> {
    apply(store, req.run(), by, |runbook, state, place| {
        req.to_event(runbook, state, by.trim(), place)
    })
}

/// Resolve the run, then resume its state, validate with `decide` and append in one write
/// transaction.
fn apply<F>(store: &mut Store, run_ref: &str, actor: &str, decide: F) -> Result<Applied, Error>
where
    F: FnOnce(&Runbook, &RunState, &str) -> Result<Event, Error>,
{
    let actor = require("--by (who does it)", actor)?;
    let record = store.resolve_run(run_ref)?;
    let runbook = cache::runbook(store, &record)?;
    let place = format!("run {}", store.short_id(&record.id));
    let event = store.append_folded(&record.id, &cache::RunFold::new(&runbook), |state| {
        people::require_known(state, &actor, &place)?;
        decide(&runbook, state, &place)?.into_new(&actor)
    })?;
    Ok(Applied {
        run_id: record.id,
        event,
    })
}

/// The first 8 characters of a run id, where no store is at hand to find the shortest unique
/// prefix (`Store::short_id`, what messages about a run print): unit and file names.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// `ids` joined for a one-line message, the first `MAX_LISTED` of them and a count of the rest.
fn listed<S: AsRef<str>>(ids: &[S]) -> String {
    const MAX_LISTED: usize = 12;
    let mut text = ids
        .iter()
        .take(MAX_LISTED)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > MAX_LISTED {
        text.push_str(&format!(" and {} more", ids.len() - MAX_LISTED));
    }
    text
}

/// `value` trimmed, refused when empty.
fn require(what: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::Invalid(format!("{what} must not be empty")));
    }
    Ok(v.to_string())
}

/// A trimmed override reason; an empty one counts as none.
fn reason(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests;
