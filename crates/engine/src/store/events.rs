//! Reading a run's log: event rows as SQLite holds them (`RawEvent`, for verification) and as
//! the rest of the engine uses them (`StoredEvent`, the payload parsed), whole or after a seq.
//!
//! Owns the two `SELECT`s over `events` and the decoding of a payload; checking that the rows
//! still hold together is `verify`'s, and writing them is `append`'s.

use rusqlite::{params, Connection};

use super::{StoreError, StoredEvent};

/// One event row as SQLite holds it (payload still text), for reading and verification.
pub(crate) struct RawEvent {
    pub run_id: String,
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub kind: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

pub(crate) fn read_raw_events(conn: &Connection, run_id: &str) -> Result<Vec<RawEvent>, StoreError> {
    let fail = |e| StoreError::sqlite(format!("reading events of run {run_id}"), e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT run_id, seq, time, actor, kind, payload, prev_hash, hash
             FROM events WHERE run_id = ?1 ORDER BY seq",
        )
        .map_err(fail)?;
    let rows = stmt.query_map([run_id], raw_from_row).map_err(fail)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(fail)
}

fn raw_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok(RawEvent {
        run_id: r.get(0)?,
        seq: r.get(1)?,
        time: r.get(2)?,
        actor: r.get(3)?,
        kind: r.get(4)?,
        payload: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

pub(crate) fn read_events(conn: &Connection, run_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
    decode_events(run_id, read_raw_events(conn, run_id)?)
}

/// The run's events after event `after`, in seq order (an indexed range read of the tail).
pub(crate) fn read_events_after(
    conn: &Connection,
    run_id: &str,
    after: u64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let fail = |e| StoreError::sqlite(format!("reading events of run {run_id}"), e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT run_id, seq, time, actor, kind, payload, prev_hash, hash
             FROM events WHERE run_id = ?1 AND seq > ?2 ORDER BY seq",
        )
        .map_err(fail)?;
    let rows = stmt
        .query_map(params![run_id, after as i64], raw_from_row)
        .map_err(fail)?;
    let raw = rows.collect::<Result<Vec<_>, _>>().map_err(fail)?;
    decode_events(run_id, raw)
}

pub(crate) fn decode_events(run_id: &str, raw: Vec<RawEvent>) -> Result<Vec<StoredEvent>, StoreError> {
    raw.into_iter()
        .map(|raw| {
            let payload = serde_json::from_str(&raw.payload).map_err(|e| StoreError::Corrupt {
                run_id: run_id.to_string(),
                message: format!(
                    "event {} has a payload that is not JSON ({e}); run `flightdeck run verify`",
                    raw.seq
                ),
            })?;
            Ok(StoredEvent {
                run_id: raw.run_id,
                seq: raw.seq.max(0) as u64,
                time: raw.time,
                actor: raw.actor,
                kind: raw.kind,
                payload,
                prev_hash: raw.prev_hash,
                hash: raw.hash,
            })
        })
        .collect()
}
