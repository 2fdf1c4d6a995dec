//! Writing a Postgres store: one writer per run at a time, so a run's log never forks.
//!
//! Owns the write transaction's parts: `begin` opens it and takes the run's advisory lock
//! (`pg_advisory_xact_lock` on the run id, released at commit or rollback), so from there to the
//! commit this connection alone appends to the run, wherever the other writers are; `insert`
//! chains the event to the log's own last event (which the run's head checkpoint must agree
//! with, as in SQLite) and moves the head, whose trigger notifies followers at commit. The
//! primary key (run_id, seq) would refuse a second event at a seq even without the lock. Times
//! are microseconds (`format_time_micros`). Copying a whole run in (`import`) keeps its rows as
//! they are: the chain is the run's, not the copy's.

use sqlx::postgres::PgConnection;
use time::OffsetDateTime;

use super::Fail;
use crate::store::{event_hash, HashInput, NewEvent, RunRecord, StoreError, StoredEvent, GENESIS_HASH};

/// RFC 3339 in UTC with microsecond precision: `2025-06-01T12:00:00.123456Z`.
pub fn format_time_micros(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Open a write transaction on `run_id` and take its lock.
pub(crate) async fn begin(c: &mut PgConnection, run_id: &str) -> Result<(), Fail> {
    sqlx::query("BEGIN").execute(&mut *c).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('flightdeck run ' || $1, 0))")
        .bind(run_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub(crate) async fn commit(c: &mut PgConnection) -> Result<(), Fail> {
    sqlx::query("COMMIT").execute(&mut *c).await?;
    Ok(())
}

/// Insert the run's row (its head at `head`) and its events `rows`, as they are.
pub(crate) async fn insert_run(
    c: &mut PgConnection,
    run: &RunRecord,
    rows: &[StoredEvent],
) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO runs (id, created_at, runbook_name, runbook_source, runbook_sha256, env, release,
                           head_seq, head_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&run.id)
    .bind(&run.created_at)
    .bind(&run.runbook_name)
    .bind(&run.runbook_source)
    .bind(&run.runbook_sha256)
    .bind(&run.env)
    .bind(&run.release)
    .bind(run.head_seq as i64)
    .bind(&run.head_hash)
    .execute(&mut *c)
    .await?;
    for event in rows {
        insert_row(c, event).await?;
    }
    Ok(())
}

async fn insert_row(c: &mut PgConnection, e: &StoredEvent) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO events (run_id, seq, time, actor, kind, payload, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&e.run_id)
    .bind(e.seq as i64)
    .bind(&e.time)
    .bind(&e.actor)
    .bind(&e.kind)
    .bind(crate::store::canonical_json(&e.payload))
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Append `new` (stamped `time`) after the run's last event and move its head; inside a
/// transaction opened by `begin`.
pub(crate) async fn insert(
    c: &mut PgConnection,
    run_id: &str,
    time: String,
    new: NewEvent,
) -> Result<StoredEvent, Fail> {
    let (last_seq, last_hash) = log_head(c, run_id).await?;
    let seq = last_seq + 1;
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
    insert_row(c, &event).await?;
    sqlx::query("UPDATE runs SET head_seq = $2, head_hash = $3 WHERE id = $1")
        .bind(run_id)
        .bind(event.seq as i64)
        .bind(&event.hash)
        .execute(&mut *c)
        .await?;
    Ok(event)
}

/// The seq and hash of the run's last event, once its head checkpoint agrees with them.
async fn log_head(c: &mut PgConnection, run_id: &str) -> Result<(u64, String), Fail> {
    let checkpoint: Option<(i64, String)> =
        sqlx::query_as("SELECT head_seq, head_hash FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(&mut *c)
            .await?;
    let Some((head_seq, head_hash)) = checkpoint else {
        return Err(Fail::Refused(StoreError::RunNotFound {
            reference: run_id.to_string(),
        }));
    };
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(run_id)
            .fetch_optional(&mut *c)
            .await?;
    let (last_seq, last_hash) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    if (last_seq, last_hash.as_str()) != (head_seq, head_hash.as_str()) {
        return Err(Fail::Refused(StoreError::Corrupt {
            run_id: run_id.to_string(),
            message: format!(
                "the log ends at event {last_seq} but its checkpoint says event {head_seq}; \
                 refusing to append (run `flightdeck run verify`)"
            ),
        }));
    }
    Ok((last_seq.max(0) as u64, last_hash))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_have_microseconds() {
        let t = time::macros::datetime!(2026-12-15 10:11:12.345678 UTC);
        assert_eq!(super::format_time_micros(t), "2026-12-15T10:11:12.345678Z");
    }
}
