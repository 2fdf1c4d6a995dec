//! `set_meta`: fill a header field of the run (`metadata_set`), e.g. the release manager.

use super::RunState;
use super::{require, write, Applied, Error, Event, Op};
use crate::runbook::{slug, Runbook};
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetMetaReq {
    pub run: String,
    /// A metadata key (`release-manager`) or its label (`Release Manager`).
    pub key: String,
    pub value: String,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn set_meta(store: &mut Store, by: &str, req: SetMetaReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for SetMetaReq {
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
    req: &SetMetaReq,
    place: &str,
) -> Result<Event, Error> {
    let typed = req.key.trim();
    let wanted = slug(typed, 64);
    let Some(meta) = runbook
        .metadata
        .iter()
        .find(|m| m.key == typed || m.key == wanted)
    else {
        let keys: Vec<&str> = runbook.metadata.iter().map(|m| m.key.as_str()).collect();
        if keys.is_empty() {
            return Err(Error::Invalid(format!(
                "the runbook of {place} has no metadata keys"
            )));
        }
        let hint = super::nearest(typed, keys.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        return Err(Error::NotFound {
            what: "metadata key",
            id: typed.to_string(),
            place: format!("{place} ({hint}keys: {})", keys.join(", ")),
            suggestion: None,
        });
    };
    let value = require(&format!("the value of `{}`", meta.key), &req.value)?;
    Ok(Event::MetadataSet {
        key: meta.key.clone(),
        value,
    })
}
