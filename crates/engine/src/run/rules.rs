//! The rules of who may do what on a run, enforced by the engine on every write (the CLI and the
//! app only pass the request on).
//!
//! - `known-person`: every event's actor is a person known to the run (`run::people`).
//! - `approver-not-executor`: the GO / NO-GO is not made by someone who executed what it decides
//!   on (ran a step whose verdict it rests on, or checked a critical success criterion).
//! - `signer-not-checker`: a sign-off is not recorded by someone who checked an item of its
//!   scope (or ran a step of those items).
//! - `distinct-approvers`: GO needs `min_approvers` distinct people (default 1); one person says
//!   GO once. One NO-GO ends the vote.
//!
//! The second and third give way to a solo override (`--solo --reason`): for a one-person team,
//! kept in the event with its reason and shown as such in the run and the archive.

use super::state::RunState;
use super::{people, Error};
use crate::runbook::SignOff;

/// A rule, by the name its refusals give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    KnownPerson,
    ApproverNotExecutor,
    SignerNotChecker,
    DistinctApprovers,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::KnownPerson => "known-person",
            Rule::ApproverNotExecutor => "approver-not-executor",
            Rule::SignerNotChecker => "signer-not-checker",
            Rule::DistinctApprovers => "distinct-approvers",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `by` did among `work` (pairs of who and what), in words.
fn done_by(by: &str, work: impl Iterator<Item = (Option<String>, String)>) -> Vec<String> {
    let me = people::normal(by);
    work.filter(|(who, _)| who.as_deref().is_some_and(|w| people::normal(w) == me))
        .map(|(_, what)| what)
        .collect()
}

/// Refuse `by` as the decision maker when they executed what the decision rests on, unless a
/// solo override is given.
pub fn approver_not_executor(
    state: &RunState,
    by: &str,
    solo: Option<&str>,
    place: &str,
) -> Result<(), Error> {
    let steps = state
        .steps
        .iter()
        .filter(|s| s.runs > 0)
        .map(|s| (s.by.clone(), format!("ran step `{}`", s.id)));
    let criteria = state
        .decision_criteria
        .iter()
        .filter_map(|id| state.item(id))
        .filter(|i| i.checked)
        .map(|i| (i.by.clone(), format!("checked criterion `{}`", i.id)));
    let done = done_by(by, steps.chain(criteria));
    if done.is_empty() || solo.is_some() {
        return Ok(());
    }
    Err(Error::Rule {
        rule: Rule::ApproverNotExecutor,
        message: format!(
            "{} cannot decide GO / NO-GO in {place}: they {}; the decision needs someone who did not \
             execute what it decides on (or, for a one-person team, a solo override: --solo --reason \"...\")",
            by.trim(),
            super::listed(&done)
        ),
    })
}

/// Refuse `by` as the signer of `slot` when they checked its items (or ran their steps), unless
/// a solo override is given.
pub fn signer_not_checker(
    state: &RunState,
    slot: &SignOff,
    by: &str,
    solo: Option<&str>,
    place: &str,
) -> Result<(), Error> {
    let items = slot
        .items
        .iter()
        .filter_map(|id| state.item(id))
        .filter(|i| i.checked)
        .map(|i| (i.by.clone(), format!("checked `{}`", i.id)));
    let steps = state
        .steps
        .iter()
        .filter(|s| s.runs > 0 && s.item.as_ref().is_some_and(|i| slot.items.contains(i)))
        .map(|s| (s.by.clone(), format!("ran step `{}`", s.id)));
    let done = done_by(by, items.chain(steps));
    if done.is_empty() || solo.is_some() {
        return Ok(());
    }
    Err(Error::Rule {
        rule: Rule::SignerNotChecker,
        message: format!(
            "{} cannot sign off `{}` in {place}: they {}; a sign-off needs someone other than who did \
             the section's work (or, for a one-person team, a solo override: --solo --reason \"...\")",
            by.trim(),
            slot.id,
            super::listed(&done)
        ),
    })
}

/// Refuse a second GO from `by` while their first still counts toward the minimum.
pub fn distinct_approvers(state: &RunState, by: &str, place: &str) -> Result<(), Error> {
    let me = people::normal(by);
    let Some(v) = state
        .votes
        .iter()
        .find(|v| v.stale.is_none() && people::normal(&v.maker) == me)
    else {
        return Ok(());
    };
    let have = state.votes.iter().filter(|v| v.stale.is_none()).count();
    Err(Error::Rule {
        rule: Rule::DistinctApprovers,
        message: format!(
            "{} already said GO in {place} (event {}); GO needs {} distinct approvers, {} so far: \
             someone else must say GO",
            by.trim(),
            v.seq,
            state.min_approvers,
            have
        ),
    })
}
