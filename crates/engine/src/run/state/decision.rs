//! The fold of the decision: votes toward the minimum of distinct approvers, one NO-GO ending the
//! vote, and the staleness of a decision (or a vote) whose evidence a later event changed.

use super::{DecisionState, RunState};
use crate::run::event::Verdict;
use crate::run::evidence::{self, Evidence, Staleness};
use crate::run::people;
use crate::store::StoredEvent;

/// A `decision_recorded` (as `d`, its evidence filled in) applied to the state.
pub(super) fn recorded(state: &mut RunState, e: &StoredEvent, mut d: DecisionState) {
    if let Some(live) = state.decision.as_ref().filter(|x| x.stale.is_none()) {
        let why = format!("the decision was already recorded (event {})", live.seq);
        state.orphan(e, why);
        return;
    }
    // Older events carry no snapshot: the state just before the event is what it was made on.
    if d.evidence.is_none() {
        d.evidence = Some(Evidence::of(state));
    }
    if d.head_seq.is_none() {
        d.head_seq = Some(e.seq.saturating_sub(1));
        d.head_hash = Some(e.prev_hash.clone());
    }
    d.approvers = vec![d.maker.clone()];
    if d.decision == Verdict::NoGo {
        // One NO-GO ends the vote.
        state.votes.clear();
        state.decision = Some(d);
        return;
    }
    let me = people::normal(&d.maker);
    if state
        .votes
        .iter()
        .any(|v| v.stale.is_none() && people::normal(&v.maker) == me)
    {
        state.orphan(e, format!("{} already said GO", d.maker));
        return;
    }
    state
        .votes
        .retain(|v| v.stale.is_none() && people::normal(&v.maker) != me);
    state.votes.push(d);
    quorum(state);
}

/// When the live GO votes reach the minimum, they become the decision.
pub(super) fn quorum(state: &mut RunState) {
    state.votes.retain(|v| v.stale.is_none());
    let needed = state.min_approvers.max(1) as usize;
    if state.votes.len() < needed {
        return;
    }
    let votes = std::mem::take(&mut state.votes);
    let approvers: Vec<String> = votes.iter().map(|v| v.maker.clone()).collect();
    if let Some(mut last) = votes.into_iter().last() {
        last.approvers = approvers;
        state.decision = Some(last);
    }
}

/// After an event of a kind that can change the evidence: the live decision and votes whose
/// evidence now differs become stale, with why.
pub(super) fn check_stale(state: &mut RunState, e: &StoredEvent) {
    if !evidence::can_change(&e.kind) {
        return;
    }
    let live_decision = state.decision.as_ref().is_some_and(|d| d.stale.is_none());
    let live_votes = state.votes.iter().any(|v| v.stale.is_none());
    if !live_decision && !live_votes {
        return;
    }
    let now = Evidence::of(state);
    let mark = |d: &mut DecisionState| {
        if d.stale.is_some() {
            return;
        }
        let Some(then) = &d.evidence else { return };
        if let Some(reason) = evidence::changed(then, &now) {
            d.stale = Some(Staleness {
                seq: e.seq,
                at: e.time.clone(),
                by: e.actor.clone(),
                reason,
            });
        }
    };
    if let Some(d) = state.decision.as_mut() {
        mark(d);
    }
    state.votes.iter_mut().for_each(mark);
}
