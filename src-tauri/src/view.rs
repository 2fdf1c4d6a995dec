//! What the UI is sent: the engine's own types (`Runbook`, `RunState`, `StoredEvent`), grouped
//! into the shapes the screens load in one call.
//!
//! Owns only that grouping and the start screen's counts; every state shown is the engine's
//! fold of the log, never recomputed here.

use std::collections::HashMap;

use flightdeck_engine::run::{self, RunState, Verdict};
use flightdeck_engine::runbook::Runbook;
use flightdeck_engine::store::{Store, StoredEvent};
use serde::Serialize;
use ts_rs::TS;

use crate::error::IpcError;

/// A run as the start screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunSummary {
    pub id: String,
    pub release: String,
    pub env: String,
    pub runbook_name: String,
    pub runbook_title: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub items_checked: u32,
    pub items_total: u32,
    pub fields_filled: u32,
    pub fields_total: u32,
    pub signoffs_done: u32,
    pub signoffs_total: u32,
    pub decision: Option<Verdict>,
    pub event_count: u64,
    /// When the last event was recorded.
    pub updated_at: String,
}

/// A run's live part: its folded state and its log. Every write command answers with it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunLive {
    pub state: RunState,
    pub events: Vec<StoredEvent>,
}

/// Everything the run screen shows: the runbook (sent once) and the live part.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunDoc {
    pub runbook: Runbook,
    pub live: RunLive,
}

pub fn run_doc(store: &Store, run_ref: &str) -> Result<RunDoc, IpcError> {
    let record = store.resolve_run(run_ref)?;
    let runbook = run::runbook_of(&record)?;
    let events = store.events(&record.id)?;
    let state = run::fold(&runbook, &events);
    Ok(RunDoc {
        runbook,
        live: RunLive { state, events },
    })
}

pub fn run_live(store: &Store, run_ref: &str) -> Result<RunLive, IpcError> {
    Ok(run_doc(store, run_ref)?.live)
}

/// Every run in the store, newest first, with its progress.
pub fn summaries(store: &Store) -> Result<Vec<RunSummary>, IpcError> {
    // Runs of one runbook share its source: import each distinct source once.
    let mut books: HashMap<String, Runbook> = HashMap::new();
    let mut out = Vec::new();
    for record in store.runs()? {
        if !books.contains_key(&record.runbook_sha256) {
            books.insert(record.runbook_sha256.clone(), run::runbook_of(&record)?);
        }
        let book = &books[&record.runbook_sha256];
        let events = store.events(&record.id)?;
        let state = run::fold(book, &events);
        out.push(summary(
            &state,
            events.last().map(|e| e.time.clone()).unwrap_or_default(),
        ));
    }
    Ok(out)
}

fn summary(s: &RunState, updated_at: String) -> RunSummary {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    RunSummary {
        id: s.run_id.clone(),
        release: s.release.clone(),
        env: s.env.clone(),
        runbook_name: s.runbook_name.clone(),
        runbook_title: s.runbook_title.clone(),
        created_at: s.created_at.clone(),
        created_by: s.created_by.clone(),
        items_checked: count(s.items.iter().filter(|i| i.checked).count()),
        items_total: count(s.items.len()),
        fields_filled: count(s.fields.iter().filter(|f| f.value.is_some()).count()),
        fields_total: count(s.fields.len()),
        signoffs_done: count(s.signoffs.iter().filter(|o| o.recorded.is_some()).count()),
        signoffs_total: count(s.signoffs.len()),
        decision: s.decision.as_ref().map(|d| d.decision),
        event_count: s.event_count,
        updated_at,
    }
}
