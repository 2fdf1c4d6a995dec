//! What `apply` and `load` keep instead of redoing: the run's fold as the store checkpoints it,
//! and the parsed runbook.
//!
//! Owns `RunFold` (the `store::Fold` of `RunState`, keyed by this build's fingerprint and the
//! runbook's sha256, so a checkpoint made by a build that folds or imports differently is never
//! resumed from) and `runbook` (the import of a run's source, kept by a long-lived `Store` and
//! handed out only while the run's source text is the same). The fold itself is
//! `state::fold` / `state::fold_from`; when a checkpoint is trusted is `store::checkpoint`'s rule.

use std::sync::Arc;

use super::{fold, fold_from, runbook_of, Error, RunState};
use crate::runbook::Runbook;
use crate::store::{Fold, RunRecord, Store, StoredEvent};

/// A fingerprint of this crate's sources and locked dependencies (see `build.rs`).
const BUILD: &str = env!("FLIGHTDECK_ENGINE_BUILD");

/// `RunState` folded over one runbook.
pub(super) struct RunFold<'a> {
    runbook: &'a Runbook,
    key: String,
}

impl<'a> RunFold<'a> {
    pub(super) fn new(runbook: &'a Runbook) -> RunFold<'a> {
        RunFold {
            runbook,
            key: format!("run-state {BUILD} {}", runbook.sha256),
        }
    }
}

impl Fold for RunFold<'_> {
    type State = RunState;

    fn key(&self) -> &str {
        &self.key
    }

    fn fold(&self, state: Option<RunState>, events: &[StoredEvent]) -> RunState {
        match state {
            Some(state) => fold_from(state, events),
            None => fold(self.runbook, events),
        }
    }
}

/// A runbook as imported from one source text.
struct Parsed {
    name: String,
    source: String,
    runbook: Arc<Runbook>,
}

/// The run's runbook: kept by `store` after the first import, re-imported when the run's source
/// text (or name) is not the one it was imported from.
pub(super) fn runbook(store: &Store, record: &RunRecord) -> Result<Arc<Runbook>, Error> {
    let key = format!("runbook {}", record.runbook_sha256);
    if let Some(kept) = store.remembered::<Parsed>(&key) {
        if kept.name == record.runbook_name && kept.source == record.runbook_source {
            return Ok(Arc::clone(&kept.runbook));
        }
    }
    let runbook = Arc::new(runbook_of(record)?);
    store.remember(
        key,
        Arc::new(Parsed {
            name: record.runbook_name.clone(),
            source: record.runbook_source.clone(),
            runbook: Arc::clone(&runbook),
        }),
    );
    Ok(runbook)
}

#[cfg(test)]
mod tests;
