//! A run's folded state on a Postgres store: the same `Fold` and the same rule for trusting a
//! checkpoint as `store::checkpoint` (made by this fold, and the event at its seq still carries
//! its hash), with the checkpoint kept in this `Store`'s memory only: a shared store keeps no
//! state rows, each client folds what it reads.

use super::read::{events_after, hash_at};
use super::Lease;
use crate::store::checkpoint::{memo_key, At, Held};
use crate::store::events::decode_events;
use crate::store::memo::Memo;
use crate::store::{Fold, Resumed, StoreError, StoredEvent, GENESIS_HASH};

/// The run's events after seq `after`, decoded.
pub(in crate::store) fn events_after_seq(
    lease: &mut Lease<'_>,
    run_id: &str,
    after: u64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let raw = lease.run(
        || format!("reading events of run {run_id}"),
        |c| events_after(c, run_id, after),
    )?;
    decode_events(run_id, raw)
}

/// The run's state at the last event of its log (as this lease reads it), where that is, and
/// whether it resumed from this `Store`'s memory.
pub(in crate::store) fn resume<F: Fold>(
    lease: &mut Lease<'_>,
    memo: &Memo,
    run_id: &str,
    fold: &F,
) -> Result<(F::State, At, Resumed), StoreError> {
    if let Some((state, at)) = held(lease, memo, run_id, fold)? {
        let tail = events_after_seq(lease, run_id, at.seq)?;
        return Ok(match tail.last() {
            Some(last) => (fold.fold(Some(state), &tail), At::of(last), Resumed::Memory),
            None => (state, at, Resumed::Memory),
        });
    }
    let events = events_after_seq(lease, run_id, 0)?;
    let at = events.last().map(At::of).unwrap_or(At {
        seq: 0,
        hash: GENESIS_HASH.to_string(),
    });
    Ok((fold.fold(None, &events), at, Resumed::Log))
}

/// The in-memory checkpoint of the run, when it was made by `fold` and the log still holds its
/// event (taken out of the memo: the caller puts back the state it reaches).
fn held<F: Fold>(
    lease: &mut Lease<'_>,
    memo: &Memo,
    run_id: &str,
    fold: &F,
) -> Result<Option<(F::State, At)>, StoreError> {
    let Some(held) = memo.take::<Held<F::State>>(&memo_key(run_id)) else {
        return Ok(None);
    };
    if held.fold != fold.key() {
        return Ok(None);
    }
    let seq = held.at.seq;
    let hash = lease.run(
        || format!("checking the state checkpoint of run {run_id}"),
        |c| async move { hash_at(c, run_id, seq).await },
    )?;
    if hash.as_deref() != Some(held.at.hash.as_str()) {
        return Ok(None);
    }
    let Held { at, state, .. } = std::sync::Arc::try_unwrap(held).unwrap_or_else(|shared| Held {
        fold: shared.fold.clone(),
        at: shared.at.clone(),
        state: shared.state.clone(),
    });
    Ok(Some((state, at)))
}
