//! `check`: tick or untick an item (`item_checked` / `item_unchecked`).

use super::RunState;
use super::{write, Applied, Error, Event, Op};
use crate::runbook::Runbook;
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckReq {
    pub run: String,
    pub item: String,
    /// `false` to uncheck.
    pub checked: bool,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn check(store: &mut Store, by: &str, req: CheckReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for CheckReq {
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
    state: &RunState,
    req: &CheckReq,
    place: &str,
) -> Result<Event, Error> {
    let id = req.item.trim();
    let Some(item) = state.item(id) else {
        return Err(Error::not_found(
            "item",
            id,
            place,
            runbook.items.iter().map(|i| i.id.as_str()),
        ));
    };
    if item.checked == req.checked {
        let how = if req.checked { "checked" } else { "unchecked" };
        let when = match (&item.by, &item.at) {
            (Some(by), Some(at)) => format!(" by {by} at {at}"),
            _ => " in the runbook source".to_string(),
        };
        return Err(Error::Conflict(format!(
            "item `{id}` in {place} is already {how}{when}"
        )));
    }
    let item = id.to_string();
    Ok(if req.checked {
        Event::ItemChecked { item }
    } else {
        Event::ItemUnchecked { item }
    })
}
