//! The fold of corrections: work undone under a recorded sign-off (an item unchecked, a field
//! cleared) marks that sign-off as covering changed work; a revoked sign-off or decision leaves
//! its slot open again and is kept, with who revoked it, when and why. One small function per
//! event kind, called from `fold::apply`.

use super::{ChangedWork, FieldState, Incomplete, RevokedDecision, RevokedSignOff, RunState};
use crate::store::StoredEvent;

/// Every recorded sign-off whose scope holds `what` notes that it was undone by event `e`.
pub(super) fn reopen(state: &mut RunState, e: &StoredEvent, what: &Incomplete) {
    for slot in &mut state.signoffs {
        let Some(record) = slot.recorded.as_mut() else {
            continue;
        };
        if slot.covers.contains(what) {
            record.changed.push(ChangedWork {
                seq: e.seq,
                by: e.actor.clone(),
                at: e.time.clone(),
                what: what.clone(),
            });
        }
    }
}

/// `field_cleared`: the field (at `index`) is empty again, by whom and when.
pub(super) fn field_cleared(state: &mut RunState, e: &StoredEvent, index: usize) {
    let f: &mut FieldState = &mut state.fields[index];
    f.value = None;
    f.captured_from = None;
    (f.by, f.at) = (Some(e.actor.clone()), Some(e.time.clone()));
    let what = Incomplete::field(&f.id);
    reopen(state, e, &what);
}

/// `signoff_revoked`: the slot (at `index`) is open again; what it held is kept as revoked.
pub(super) fn signoff_revoked(state: &mut RunState, e: &StoredEvent, index: usize, reason: String) {
    let slot = &mut state.signoffs[index];
    match slot.recorded.take() {
        Some(record) => slot.revoked.push(RevokedSignOff {
            seq: e.seq,
            by: e.actor.clone(),
            at: e.time.clone(),
            reason,
            record,
        }),
        None => {
            let id = slot.id.clone();
            state.orphan(e, format!("sign-off `{id}` was not recorded, so not revoked"));
        }
    }
}

/// `decision_revoked`: no decision stands; the one that did is kept as revoked.
pub(super) fn decision_revoked(state: &mut RunState, e: &StoredEvent, reason: String) {
    match state.decision.take() {
        Some(decision) => state.revoked_decisions.push(RevokedDecision {
            seq: e.seq,
            by: e.actor.clone(),
            at: e.time.clone(),
            reason,
            decision,
        }),
        None => state.orphan(e, "no decision was recorded, so none revoked".into()),
    }
}
