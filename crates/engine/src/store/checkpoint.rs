//! State checkpoints: a run's folded state kept at a known event, so a write or a load folds only
//! the events after it instead of reading the whole log.
//!
//! Owns the `state_checkpoints` table (one row per run: the fold that made it, the seq and hash of
//! the last event folded in, the state as JSON), the same thing held in memory by a long-lived
//! `Store` (its `Memo`), and the rule for trusting either: it was made by the caller's fold (same
//! `Fold::key`) and the stored event at its seq still carries its hash. A hash commits to every
//! event before it, so a log rewritten up to that point no longer matches and is not trusted.
//! Anything else (no checkpoint, another fold, a state that does not decode, a rewritten log)
//! folds the whole log again, silently, and the next write replaces the row: a checkpoint is a
//! cache, never a record. What the state is, and how events fold into it, belongs to the caller's `Fold`
//! (`crate::run`); `verify` still walks the whole chain.
//!
//! A write always decides on the state at the log's head, read inside its transaction, and
//! leaves that state in memory; the stored row is rewritten only once the log has moved
//! `REFRESH_AFTER` events past it (or when it does not hold), since rewriting the whole state on
//! every write would cost in proportion to the state (a run's notes grow it) while the few events
//! since are cheap to fold on.

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::access::Tables;
use super::memo::Memo;
use super::{insert_event, read_events, read_events_after, NewEvent, Store, StoreError, StoredEvent};

/// How a caller folds a run's events into a state the store may keep checkpoints of.
pub trait Fold {
    type State: Clone + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Names this fold and its inputs (the code, the runbook): a checkpoint made under another key
    /// is never resumed from.
    fn key(&self) -> &str;

    /// `events` (in seq order) folded on after the ones `state` holds; `None` starts a new state.
    /// Folding a log in two parts must equal folding it at once.
    fn fold(&self, state: Option<Self::State>, events: &[StoredEvent]) -> Self::State;
}

/// How far the log may run past the stored checkpoint before a write rewrites it: the most events
/// a write that starts from it folds on (see the module doc).
pub const REFRESH_AFTER: u64 = 32;

/// Where a folded state stands: the last event folded into it (seq 0: none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct At {
    pub(super) seq: u64,
    pub(super) hash: String,
}

impl At {
    pub(super) fn of(event: &StoredEvent) -> At {
        At {
            seq: event.seq,
            hash: event.hash.clone(),
        }
    }
}

/// A checkpoint in memory, keyed as the stored one is.
pub(super) struct Held<S> {
    pub(super) fold: String,
    pub(super) at: At,
    pub(super) state: S,
}

/// Where `resume` started from: what a test or a bench can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// The checkpoint this `Store` holds in memory.
    Memory,
    /// The checkpoint in the `state_checkpoints` table.
    Stored,
    /// No checkpoint held: the whole log was folded.
    Log,
}

pub(super) fn memo_key(run_id: &str) -> String {
    format!("state checkpoint {run_id}")
}

impl Store {
    /// The run's state at the last event of its log: a checkpoint (this `Store`'s in-memory one,
    /// else the stored one) plus the events after it, or the whole log folded when none holds.
    pub fn folded<F: Fold>(&self, run_id: &str, fold: &F) -> Result<F::State, StoreError> {
        self.folded_from(run_id, fold).map(|(state, _)| state)
    }

    /// `folded`, saying which checkpoint it resumed from.
    pub fn folded_from<F: Fold>(&self, run_id: &str, fold: &F) -> Result<(F::State, Resumed), StoreError> {
        if let Some(pg) = &self.pg {
            let (state, at, from) = pg.folded_from(&self.memo, run_id, fold)?;
            self.hold(run_id, fold, at, state.clone());
            return Ok((state, from));
        }
        let fail = |e| StoreError::sqlite(format!("reading the state of run {run_id}"), e);
        // One read transaction: the checkpoint, its check and the events after it are one snapshot.
        let tx = self.conn.unchecked_transaction().map_err(fail)?;
        let (state, at, from) = resume(&tx, &self.memo, self.tables, run_id, fold)?;
        tx.finish().map_err(fail)?;
        self.hold(run_id, fold, at, state.clone());
        Ok((state, from))
    }

    /// Append the event `decide` makes from the run's state, in one write transaction that also
    /// moves the checkpoint to the new event (in memory always; the stored one when due, see the
    /// module doc). The state is resumed inside the transaction,
    /// up to the last event of the log as it is there, and `insert_event` refuses to append unless
    /// that event is the run's head: another writer's events are always folded in first.
    pub fn append_folded<F, E, D>(&mut self, run_id: &str, fold: &F, decide: D) -> Result<StoredEvent, E>
    where
        F: Fold,
        E: From<StoreError>,
        D: FnOnce(&F::State) -> Result<NewEvent, E>,
    {
        if self.pg.is_some() {
            return self.append_folded_pg(run_id, fold, decide);
        }
        self.writable()?;
        self.keying.before_write(&self.conn);
        let tx = Self::begin(&mut self.conn, run_id)?;
        let (state, at, from) = resume(&tx, &self.memo, self.tables, run_id, fold)?;
        let new = match decide(&state) {
            Ok(new) => new,
            Err(refused) => {
                // Nothing was written: the state is still the log's, keep it for the next call.
                drop(tx);
                self.hold(run_id, fold, at, state);
                return Err(refused);
            }
        };
        let event = insert_event(&tx, run_id, &self.clock, &self.keying, new)?;
        let state = fold.fold(Some(state), std::slice::from_ref(&event));
        let at = At::of(&event);
        let due = match from {
            // No checkpoint held: keep the fold just done.
            Resumed::Log => true,
            _ => match stored_at(&tx, run_id, fold)? {
                Some(stored) => at.seq >= stored.seq + REFRESH_AFTER || !still_in_log(&tx, run_id, &stored)?,
                None => true,
            },
        };
        if due {
            write(&tx, run_id, fold.key(), &at, &state)?;
        }
        tx.commit()
            .map_err(|e| StoreError::sqlite(format!("committing event to run {run_id}"), e))?;
        self.hold(run_id, fold, at, state);
        Ok(event)
    }

    /// `append_folded` on a Postgres store: the state resumed inside the run's write transaction,
    /// kept in memory only.
    fn append_folded_pg<F, E, D>(&mut self, run_id: &str, fold: &F, decide: D) -> Result<StoredEvent, E>
    where
        F: Fold,
        E: From<StoreError>,
        D: FnOnce(&F::State) -> Result<NewEvent, E>,
    {
        let Some(pg) = &self.pg else {
            return Err(E::from(StoreError::Corrupt {
                run_id: run_id.to_string(),
                message: "not a Postgres store".into(),
            }));
        };
        let memo = &self.memo;
        let mut reached = None;
        let read = |lease: &mut super::pg::Lease<'_>| super::pg::resume(lease, memo, run_id, fold);
        let decided = pg.append_with(&self.clock, run_id, read, |(state, at, _from)| {
            let new = decide(&state);
            reached = Some((state, at));
            new
        });
        match (decided, reached) {
            (Ok(event), Some((state, _))) => {
                let state = fold.fold(Some(state), std::slice::from_ref(&event));
                self.hold(run_id, fold, At::of(&event), state);
                Ok(event)
            }
            // Refused: nothing was written, the state is still the log's; keep it.
            (Err(e), Some((state, at))) => {
                self.hold(run_id, fold, at, state);
                Err(e)
            }
            (result, None) => result,
        }
    }

    /// Keep `state` as this `Store`'s in-memory checkpoint of the run.
    pub(super) fn hold<F: Fold>(&self, run_id: &str, fold: &F, at: At, state: F::State) {
        let held = Held {
            fold: fold.key().to_string(),
            at,
            state,
        };
        self.memo.put(memo_key(run_id), Arc::new(held));
    }
}

/// The run's state at the last event of its log, where that is, and which checkpoint it resumed
/// from (see the module doc for when one is trusted).
fn resume<F: Fold>(
    conn: &Connection,
    memo: &Memo,
    tables: Tables,
    run_id: &str,
    fold: &F,
) -> Result<(F::State, At, Resumed), StoreError> {
    let base = match held(conn, memo, run_id, fold)? {
        Some((state, at)) => Some((state, at, Resumed::Memory)),
        // A read-only store made before state checkpoints has no table to resume from.
        None if tables.state_checkpoints => {
            stored(conn, run_id, fold)?.map(|(state, at)| (state, at, Resumed::Stored))
        }
        None => None,
    };
    Ok(match base {
        Some((state, at, from)) => {
            let tail = read_events_after(conn, run_id, at.seq)?;
            match tail.last() {
                Some(last) => (fold.fold(Some(state), &tail), At::of(last), from),
                None => (state, at, from),
            }
        }
        None => {
            // Every row, as the fold always read them (a checkpoint never hides one).
            let events = read_events(conn, run_id)?;
            let at = events.last().map(At::of).unwrap_or(At {
                seq: 0,
                hash: super::GENESIS_HASH.to_string(),
            });
            (fold.fold(None, &events), at, Resumed::Log)
        }
    })
}

/// This `Store`'s in-memory checkpoint of the run, when it holds. It is taken out of the memo
/// (the caller puts back the state it reaches), so it is handed over without a copy.
fn held<F: Fold>(
    conn: &Connection,
    memo: &Memo,
    run_id: &str,
    fold: &F,
) -> Result<Option<(F::State, At)>, StoreError> {
    let Some(held) = memo.take::<Held<F::State>>(&memo_key(run_id)) else {
        return Ok(None);
    };
    if held.fold != fold.key() || !still_in_log(conn, run_id, &held.at)? {
        return Ok(None);
    }
    let Held { at, state, .. } = Arc::try_unwrap(held).unwrap_or_else(|shared| Held {
        fold: shared.fold.clone(),
        at: shared.at.clone(),
        state: shared.state.clone(),
    });
    Ok(Some((state, at)))
}

/// The stored checkpoint of the run, when it holds and decodes.
fn stored<F: Fold>(conn: &Connection, run_id: &str, fold: &F) -> Result<Option<(F::State, At)>, StoreError> {
    let row: Option<(String, i64, String, String)> = conn
        .prepare_cached("SELECT fold, seq, hash, state FROM state_checkpoints WHERE run_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()
        })
        .map_err(|e| StoreError::sqlite(format!("reading the state checkpoint of run {run_id}"), e))?;
    let Some((key, seq, hash, state)) = row else {
        return Ok(None);
    };
    let at = At {
        seq: seq.max(0) as u64,
        hash,
    };
    if key != fold.key() || !still_in_log(conn, run_id, &at)? {
        return Ok(None);
    }
    // A state this build cannot read (hand-edited, or a shape it does not know) is no checkpoint.
    Ok(serde_json::from_str(&state).ok().map(|state| (state, at)))
}

/// Where the stored checkpoint stands, when `fold` made it (without reading its state).
fn stored_at<F: Fold>(conn: &Connection, run_id: &str, fold: &F) -> Result<Option<At>, StoreError> {
    let row: Option<(String, i64, String)> = conn
        .prepare_cached("SELECT fold, seq, hash FROM state_checkpoints WHERE run_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(|e| StoreError::sqlite(format!("reading the state checkpoint of run {run_id}"), e))?;
    Ok(row
        .filter(|(key, _, _)| key == fold.key())
        .map(|(_, seq, hash)| At {
            seq: seq.max(0) as u64,
            hash,
        }))
}

/// Whether the log's event at `at.seq` is still the one with `at.hash`.
fn still_in_log(conn: &Connection, run_id: &str, at: &At) -> Result<bool, StoreError> {
    let hash: Option<String> = conn
        .prepare_cached("SELECT hash FROM events WHERE run_id = ?1 AND seq = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![run_id, at.seq as i64], |r| r.get(0))
                .optional()
        })
        .map_err(|e| StoreError::sqlite(format!("checking the state checkpoint of run {run_id}"), e))?;
    Ok(hash.as_deref() == Some(at.hash.as_str()))
}

/// Replace the run's stored checkpoint with `state` at `at`.
fn write<S: Serialize>(
    conn: &Connection,
    run_id: &str,
    fold: &str,
    at: &At,
    state: &S,
) -> Result<(), StoreError> {
    // A state that does not encode is left uncheckpointed; the row before it is still sound.
    let Ok(json) = serde_json::to_string(state) else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT INTO state_checkpoints (run_id, fold, seq, hash, state) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (run_id) DO UPDATE
         SET fold = excluded.fold, seq = excluded.seq, hash = excluded.hash, state = excluded.state",
    )
    .and_then(|mut stmt| stmt.execute(params![run_id, fold, at.seq as i64, at.hash, json]))
    .map_err(|e| StoreError::sqlite(format!("writing the state checkpoint of run {run_id}"), e))?;
    Ok(())
}

#[cfg(test)]
mod tests;
