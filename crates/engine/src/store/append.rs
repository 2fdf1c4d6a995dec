//! Writing a run's log: creating a run with its first event, and appending one event at a time.
//!
//! Owns the write transactions (`BEGIN IMMEDIATE`, one per event, so the app and the CLI can
//! share the file), the rule that an event chains to the log's own last event and that the run's
//! head checkpoint must agree with it, and moving that head, with the run's keyed checkpoint
//! sealed in the same transaction (`keyed::seal`). What an event means is the caller's; the
//! folded-state variant of appending lives with the state checkpoints (`checkpoint`).

use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use time::OffsetDateTime;

use super::keyed::{self, Keying};
use super::pg;
use super::{
    canonical_json, event_hash, format_time, read_events, sha256_hex, HashInput, NewEvent, NewRun, RunRecord,
    Store, StoreError, StoredEvent, GENESIS_HASH, RUN_CREATED,
};
use crate::clock::Clock;

impl Store {
    /// Create a run and its `run_created` event (seq 1) in one transaction.
    pub fn create_run(&mut self, new: NewRun) -> Result<RunRecord, StoreError> {
        if let Some(pg) = &self.pg {
            return pg.create_run(&self.clock, new);
        }
        let now = self.clock.now();
        let created_at = format_time(now);
        let id = new_run_id(now);
        let sha = sha256_hex(new.runbook_source.as_bytes());
        let payload = serde_json::json!({
            "runbook_name": new.runbook_name,
            "runbook_sha256": sha,
            "env": new.env,
            "release": new.release,
        });
        let hash = event_hash(HashInput {
            run_id: &id,
            seq: 1,
            time: &created_at,
            actor: &new.actor,
            kind: RUN_CREATED,
            payload: &payload,
            prev_hash: GENESIS_HASH,
        });
        let first = StoredEvent {
            run_id: id.clone(),
            seq: 1,
            time: created_at.clone(),
            actor: new.actor,
            kind: RUN_CREATED.to_string(),
            payload,
            prev_hash: GENESIS_HASH.to_string(),
            hash: hash.clone(),
        };
        self.writable()?;
        self.keying.before_write(&self.conn);
        let fail = |e| StoreError::sqlite(format!("creating run {}", first.run_id), e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let run = RunRecord {
            id,
            created_at,
            runbook_name: new.runbook_name,
            runbook_sha256: sha,
            env: new.env,
            release: new.release,
            head_seq: 1,
            head_hash: hash,
            runbook_source: new.runbook_source,
        };
        insert_run_row(&tx, &run)?;
        insert_row(&tx, &first)?;
        keyed::seal(&tx, &self.keying, (0, GENESIS_HASH), &first)?;
        tx.commit().map_err(fail)?;
        Ok(run)
    }

    /// Append one event. When this returns `Ok`, the event is committed with `synchronous=FULL`.
    pub fn append(
        &mut self,
        run_id: &str,
        actor: &str,
        kind: &str,
        payload: Value,
    ) -> Result<StoredEvent, StoreError> {
        let new = NewEvent {
            actor: actor.to_string(),
            kind: kind.to_string(),
            payload,
        };
        if let Some(pg) = &self.pg {
            return pg.append_with(&self.clock, run_id, |_| Ok(()), |()| Ok::<_, StoreError>(new));
        }
        self.writable()?;
        self.keying.before_write(&self.conn);
        let tx = Self::begin(&mut self.conn, run_id)?;
        let event = insert_event(&tx, run_id, &self.clock, &self.keying, new)?;
        tx.commit()
            .map_err(|e| StoreError::sqlite(format!("committing event to run {run_id}"), e))?;
        Ok(event)
    }

    /// Append the event `decide` makes from the run's current log, with the log read and the event
    /// written in one write transaction: no other writer can slip an event in between, so a
    /// check such as "this sign-off is not recorded yet" still holds when the event lands.
    pub fn append_checked<E, F>(&mut self, run_id: &str, decide: F) -> Result<StoredEvent, E>
    where
        E: From<StoreError>,
        F: FnOnce(&[StoredEvent]) -> Result<NewEvent, E>,
    {
        if let Some(pg) = &self.pg {
            let read = |lease: &mut pg::Lease<'_>| pg::events_after_seq(lease, run_id, 0);
            return pg.append_with(&self.clock, run_id, read, |events| decide(&events));
        }
        self.writable()?;
        self.keying.before_write(&self.conn);
        let tx = Self::begin(&mut self.conn, run_id)?;
        let events = read_events(&tx, run_id)?;
        let new = decide(&events)?;
        let event = insert_event(&tx, run_id, &self.clock, &self.keying, new)?;
        tx.commit()
            .map_err(|e| StoreError::sqlite(format!("committing event to run {run_id}"), e))?;
        Ok(event)
    }

    pub(super) fn begin<'c>(conn: &'c mut Connection, run_id: &str) -> Result<Transaction<'c>, StoreError> {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::sqlite(format!("starting a write to run {run_id}"), e))
    }
}

/// A UUID v7 whose timestamp comes from the store's clock.
pub(super) fn new_run_id(now: OffsetDateTime) -> String {
    let nanos = now.unix_timestamp_nanos().max(0);
    let secs = (nanos / 1_000_000_000) as u64;
    let subsec = (nanos % 1_000_000_000) as u32;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, subsec);
    uuid::Uuid::new_v7(ts).to_string()
}

/// Insert `new` after the run's last event, move the run's head checkpoint to it and seal it
/// (its keyed checkpoint, when `keying` has keys).
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    run_id: &str,
    clock: &Arc<dyn Clock>,
    keying: &Keying,
    new: NewEvent,
) -> Result<StoredEvent, StoreError> {
    let (last_seq, last_hash) = log_head(tx, run_id)?;
    let seq = last_seq + 1;
    let time = format_time(clock.now());
    let hash = event_hash(HashInput {
        run_id,
        seq,
        time: &time,
        actor: &new.actor,
        kind: &new.kind,
        payload: &new.payload,
        prev_hash: &last_hash,
    });
    let event = StoredEvent {
        run_id: run_id.to_string(),
        seq,
        time,
        actor: new.actor,
        kind: new.kind,
        payload: new.payload,
        prev_hash: last_hash,
        hash,
    };
    insert_row(tx, &event)?;
    move_head(tx, &event)?;
    keyed::seal(tx, keying, (last_seq, &event.prev_hash), &event)?;
    Ok(event)
}

/// The seq and hash of the run's last event (0 and the genesis hash for an empty log), once the
/// run's head checkpoint agrees with them.
fn log_head(tx: &Transaction<'_>, run_id: &str) -> Result<(u64, String), StoreError> {
    let fail = |e| StoreError::sqlite(format!("appending to run {run_id}"), e);
    let checkpoint: Option<(i64, String)> = tx
        .query_row(
            "SELECT head_seq, head_hash FROM runs WHERE id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(fail)?;
    let Some((head_seq, head_hash)) = checkpoint else {
        return Err(StoreError::RunNotFound {
            reference: run_id.to_string(),
        });
    };
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM events WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(fail)?;
    let (last_seq, last_hash) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    // The log's own head is what the new event chains to; the checkpoint must agree with it, or a
    // removed last event would be papered over by the next append.
    if (last_seq, last_hash.as_str()) != (head_seq, head_hash.as_str()) {
        return Err(StoreError::Corrupt {
            run_id: run_id.to_string(),
            message: format!(
                "the log ends at event {last_seq} but its checkpoint says event {head_seq}; \
                 refusing to append (run `flightdeck run verify`)"
            ),
        });
    }
    Ok((last_seq.max(0) as u64, last_hash))
}

/// Insert the `runs` row of `run`, its head checkpoint as `run` says.
pub(super) fn insert_run_row(conn: &Connection, run: &RunRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO runs (id, created_at, runbook_name, runbook_source, runbook_sha256, env, release,
                           head_seq, head_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            run.id,
            run.created_at,
            run.runbook_name,
            run.runbook_source,
            run.runbook_sha256,
            run.env,
            run.release,
            run.head_seq as i64,
            run.head_hash
        ],
    )
    .map_err(|e| StoreError::sqlite(format!("creating run {}", run.id), e))?;
    Ok(())
}

pub(super) fn insert_row(conn: &Connection, event: &StoredEvent) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO events (run_id, seq, time, actor, kind, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            event.run_id,
            event.seq as i64,
            event.time,
            event.actor,
            event.kind,
            canonical_json(&event.payload),
            event.prev_hash,
            event.hash
        ],
    )
    .map_err(|e| StoreError::sqlite(format!("appending to run {}", event.run_id), e))?;
    Ok(())
}

/// Move the run's head checkpoint (`runs.head_seq`, `runs.head_hash`) to `event`.
fn move_head(conn: &Connection, event: &StoredEvent) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE runs SET head_seq = ?2, head_hash = ?3 WHERE id = ?1",
        params![event.run_id, event.seq as i64, event.hash],
    )
    .map_err(|e| StoreError::sqlite(format!("appending to run {}", event.run_id), e))?;
    Ok(())
}
