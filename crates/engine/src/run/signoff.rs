//! `signoff`: record a sign-off slot (`signoff_recorded`), completeness checked first.
//!
//! A sign-off vouches for its scope (`SignOff::items` / `fields`, computed by the parser). Any
//! unchecked item or empty field there refuses it, unless an override reason is given; the
//! reason and what was incomplete are then kept in the event. A slot is signed once, and not by
//! who did its work (`rules::signer_not_checker`) unless a solo override is recorded.

use super::{reason, write, Applied, Error, Event, Incomplete, Op, RunState};
use crate::runbook::{slug, Runbook, SignOff};
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOffReq {
    pub run: String,
    /// A sign-off id, or a section or phase id (or section number) holding exactly one sign-off.
    pub signoff: String,
    pub override_reason: Option<String>,
    /// A solo override's reason: the signer did the section's work themselves (a one-person
    /// team). Without it, rule `signer-not-checker` refuses such a signer.
    #[serde(default)]
    pub solo_reason: Option<String>,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn signoff(store: &mut Store, by: &str, req: SignOffReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for SignOffReq {
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
    req: &SignOffReq,
    by: &str,
    place: &str,
) -> Result<Event, Error> {
    let slot = resolve_signoff(runbook, &req.signoff, place)?;
    if let Some(r) = state.signoff(&slot.id).and_then(|s| s.recorded.as_ref()) {
        return Err(Error::Conflict(format!(
            "sign-off `{}` in {place} was already recorded by {} at {} (event {})",
            slot.id, r.by, r.at, r.seq
        )));
    }
    let incomplete = incomplete(slot, state);
    let override_reason = reason(req.override_reason.as_deref());
    if !incomplete.is_empty() && override_reason.is_none() {
        let list: Vec<String> = incomplete.iter().map(ToString::to_string).collect();
        return Err(Error::Incomplete {
            message: format!(
                "sign-off `{}` in {place} refused: {} not done: {}; finish them or give an override reason",
                slot.id,
                incomplete.len(),
                super::listed(&list)
            ),
            missing: incomplete,
        });
    }
    // Who may sign, once what is signed for is settled (an incomplete scope is said first).
    let solo_reason = reason(req.solo_reason.as_deref());
    super::rules::signer_not_checker(state, slot, by, solo_reason.as_deref(), place)?;
    Ok(Event::SignoffRecorded {
        signoff: slot.id.clone(),
        by: by.to_string(),
        override_reason,
        incomplete,
        solo_reason,
    })
}

/// Unchecked items and empty fields in the sign-off's scope, in document order.
fn incomplete(slot: &SignOff, state: &RunState) -> Vec<Incomplete> {
    let items = slot
        .items
        .iter()
        .filter(|id| state.item(id).is_some_and(|i| !i.checked))
        .map(|id| Incomplete::item(id));
    let fields = slot
        .fields
        .iter()
        .filter(|id| state.field(id).is_some_and(|f| f.value.is_none()))
        .map(|id| Incomplete::field(id));
    items.chain(fields).collect()
}

/// The sign-off `target` names: its id, or a section/phase (id or section number) that holds
/// exactly one sign-off. Case and punctuation are forgiven (`"Pre-Flight Gates"` works).
pub fn resolve_signoff<'a>(runbook: &'a Runbook, target: &str, place: &str) -> Result<&'a SignOff, Error> {
    let typed = target.trim();
    let wanted = slug(typed, 64);
    let is = |id: &str| id == typed || (!wanted.is_empty() && id == wanted);
    if let Some(s) = runbook.signoffs.iter().find(|s| is(&s.id)) {
        return Ok(s);
    }
    let containers: Vec<(&str, Vec<&SignOff>)> = runbook
        .sections
        .iter()
        .filter(|s| {
            is(&s.id)
                || s.number
                    .as_deref()
                    .is_some_and(|n| n.trim_end_matches('.') == typed)
        })
        .map(|s| {
            (
                s.id.as_str(),
                runbook
                    .signoffs
                    .iter()
                    .filter(|o| o.section.as_deref() == Some(&s.id))
                    .collect(),
            )
        })
        .chain(runbook.phases.iter().filter(|p| is(&p.id)).map(|p| {
            (
                p.id.as_str(),
                runbook
                    .signoffs
                    .iter()
                    .filter(|o| o.phase.as_deref() == Some(&p.id))
                    .collect(),
            )
        }))
        .collect();
    for (id, slots) in &containers {
        match slots.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                let ids: Vec<&str> = many.iter().map(|s| s.id.as_str()).collect();
                return Err(Error::Invalid(format!(
                    "`{id}` in {place} holds {} sign-offs; name one: {}",
                    many.len(),
                    ids.join(", ")
                )));
            }
        }
    }
    if let Some((id, _)) = containers.first() {
        let ids: Vec<&str> = runbook.signoffs.iter().map(|s| s.id.as_str()).collect();
        return Err(Error::Invalid(format!(
            "`{id}` in {place} holds no sign-off (sign-offs: {})",
            ids.join(", ")
        )));
    }
    let candidates = runbook
        .signoffs
        .iter()
        .map(|s| s.id.as_str())
        .chain(runbook.sections.iter().map(|s| s.id.as_str()))
        .chain(runbook.phases.iter().map(|p| p.id.as_str()));
    Err(Error::not_found("sign-off", typed, place, candidates))
}
