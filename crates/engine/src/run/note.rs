//! `note`: add free text to the run, optionally on an item (`note_added`).

use super::RunState;
use super::{require, write, Applied, Error, Event, Op};
use crate::runbook::Runbook;
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteReq {
    pub run: String,
    pub text: String,
    pub item: Option<String>,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn note(store: &mut Store, by: &str, req: NoteReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for NoteReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        to_event(runbook, state, self, place)
    }
}

/// Validate `req` against the runbook and the run's state; the event to append, or why not.
pub(crate) fn to_event(
    runbook: &Runbook,
    _state: &RunState,
    req: &NoteReq,
    place: &str,
) -> Result<Event, Error> {
    let text = require("the note", &req.text)?;
    let item = match req.item.as_deref().map(str::trim) {
        Some(id) if runbook.item(id).is_none() => {
            return Err(Error::not_found(
                "item",
                id,
                place,
                runbook.items.iter().map(|i| i.id.as_str()),
            ));
        }
        Some(id) => Some(id.to_string()),
        None => None,
    };
    Ok(Event::NoteAdded { text, item })
}
