//! A store rewritten whole, as someone with the file but not the store's key would rewrite it:
//! the append-only triggers dropped, an event's payload edited, the hash chain recomputed after it
//! with the store's own hashing (`StoredEvent::computed_hash`), and the run's head moved to the
//! new last hash. Every check that needs only the file then passes; only the keyed checkpoint
//! (made with the key) can tell.
//!
//! Owns the recipe, for the engine's and the CLI's keyed-checkpoint tests alike; what a test
//! expects of the result is its own.

use std::path::Path;

use flightdeck_engine::store::{canonical_json, StoredEvent};
use rusqlite::{params, Connection};
use serde_json::Value;

/// Plain SQLite on the store at `path`, the append-only triggers dropped.
pub fn open_as_attacker(path: &Path) -> Connection {
    let conn =
        Connection::open(path).unwrap_or_else(|e| panic!("open {} with plain SQLite: {e}", path.display()));
    conn.execute_batch("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;")
        .expect("drop the append-only triggers");
    conn
}

/// Replace event `seq`'s payload of run `run_id` with `payload`, recompute every hash from it to
/// the end of the log, and move the run's head (`runs.head_hash`) to the new last hash. The keyed
/// checkpoint row is left as it was. The new last hash.
pub fn rewrite_whole(path: &Path, run_id: &str, seq: u64, payload: Value) -> String {
    let conn = open_as_attacker(path);
    let mut events = read(&conn, run_id);
    let mut prev: Option<String> = None;
    for event in events.iter_mut().filter(|e| e.seq >= seq) {
        if event.seq == seq {
            event.payload = payload.clone();
        }
        if let Some(prev) = prev.take() {
            event.prev_hash = prev;
        }
        event.hash = event.computed_hash();
        conn.execute(
            "UPDATE events SET payload = ?3, prev_hash = ?4, hash = ?5 WHERE run_id = ?1 AND seq = ?2",
            params![
                run_id,
                event.seq as i64,
                canonical_json(&event.payload),
                event.prev_hash,
                event.hash
            ],
        )
        .expect("rewrite an event");
        prev = Some(event.hash.clone());
    }
    let last = events.last().expect("the run has events").hash.clone();
    conn.execute(
        "UPDATE runs SET head_hash = ?2 WHERE id = ?1",
        params![run_id, last],
    )
    .expect("move the run's head");
    last
}

/// Point the run's keyed checkpoint row at the run's current head (seq and hash), leaving its MAC
/// as it was: a checkpoint "recomputed" without the key.
pub fn restamp_keyed_checkpoint(path: &Path, run_id: &str) {
    open_as_attacker(path)
        .execute(
            "UPDATE keyed_checkpoints SET seq = (SELECT head_seq FROM runs WHERE id = ?1),
                                          hash = (SELECT head_hash FROM runs WHERE id = ?1)
             WHERE run_id = ?1",
            [run_id],
        )
        .expect("restamp the keyed checkpoint");
}

fn read(conn: &Connection, run_id: &str) -> Vec<StoredEvent> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, time, actor, kind, payload, prev_hash, hash FROM events WHERE run_id = ?1 ORDER BY seq",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([run_id], |r| {
            let payload: String = r.get(4)?;
            Ok(StoredEvent {
                run_id: run_id.to_string(),
                seq: r.get::<_, i64>(0)? as u64,
                time: r.get(1)?,
                actor: r.get(2)?,
                kind: r.get(3)?,
                payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })
        .expect("read the events");
    rows.collect::<Result<_, _>>().expect("events")
}
