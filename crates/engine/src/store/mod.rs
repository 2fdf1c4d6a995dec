//! The run store: runs and their append-only, hash-chained event logs in one SQLite file.
//!
//! Owns the connection (WAL, `synchronous=FULL`, 5 s busy timeout), the schema (`migrate`),
//! appending (`append`, `append_checked`, `append_folded`: one `BEGIN IMMEDIATE` transaction
//! each, so the app and the CLI can share the file), run lookup by id prefix, chain verification
//! (`verify`), and checkpoints of folded state (`checkpoint`, with the in-memory `memo`) so a
//! write does not read the whole log. It knows events only as `(actor, kind, JSON payload)`;
//! what they mean, and the state they fold into, belongs to `crate::run`. The time of every
//! event comes from the `Clock` the store was opened with.

mod canonical;
mod checkpoint;
mod head;
mod location;
mod memo;
mod migrate;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

pub use canonical::{canonical_json, event_hash, sha256_hex, HashInput, GENESIS_HASH};
pub use checkpoint::{Fold, Resumed, REFRESH_AFTER};
pub use head::RunHead;
pub use location::{default_config_dir, default_path};
pub use verify::{Problem, ProblemKind, Verification};

use crate::clock::{Clock, SystemClock};

/// The kind of every run's first event; its payload names the runbook the run was created from.
pub const RUN_CREATED: &str = "run_created";

/// A run id prefix must be at least this long.
pub const MIN_PREFIX: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open store {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("store migration {version}_{name} failed: {source}")]
    Migration {
        version: String,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("store error while {context}: {source}")]
    Sqlite {
        context: String,
        source: rusqlite::Error,
    },
    #[error("no run matches `{reference}` (see `flightdeck run list`)")]
    RunNotFound { reference: String },
    #[error("run id prefix `{prefix}` is too short: give at least {MIN_PREFIX} characters")]
    PrefixTooShort { prefix: String },
    #[error("run id prefix `{prefix}` is ambiguous: it matches {}", .matches.join(", "))]
    AmbiguousRun { prefix: String, matches: Vec<String> },
    #[error("run {run_id}: {message}")]
    Corrupt { run_id: String, message: String },
}

impl StoreError {
    fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> Self {
        StoreError::Sqlite {
            context: context.into(),
            source,
        }
    }
}

impl crate::error::HasKind for StoreError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            StoreError::RunNotFound { .. } => ErrorKind::NotFound,
            StoreError::PrefixTooShort { .. } | StoreError::AmbiguousRun { .. } => ErrorKind::Invalid,
            StoreError::Open { .. } | StoreError::Migration { .. } | StoreError::Sqlite { .. } => {
                ErrorKind::Store
            }
            // The log does not hold together: not a store that cannot be read.
            StoreError::Corrupt { .. } => ErrorKind::Integrity,
        }
    }
}

/// A run as recorded in the `runs` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub created_at: String,
    pub runbook_name: String,
    pub runbook_sha256: String,
    pub env: String,
    pub release: String,
    /// Checkpoint of the last appended event (verification compares it with the log).
    pub head_seq: u64,
    pub head_hash: String,
    /// The Markdown the run was created from; left out of JSON listings.
    #[serde(skip)]
    pub runbook_source: String,
}

/// What `create_run` needs.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub runbook_name: String,
    pub runbook_source: String,
    pub env: String,
    pub release: String,
    pub actor: String,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub actor: String,
    pub kind: String,
    pub payload: Value,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredEvent {
    pub run_id: String,
    pub seq: u64,
    pub time: String,
    pub actor: String,
    pub kind: String,
    pub payload: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    /// The hash this event's fields give (what `hash` holds when the event is intact).
    pub fn computed_hash(&self) -> String {
        event_hash(HashInput {
            run_id: &self.run_id,
            seq: self.seq,
            time: &self.time,
            actor: &self.actor,
            kind: &self.kind,
            payload: &self.payload,
            prev_hash: &self.prev_hash,
        })
    }
}

/// An open store file.
pub struct Store {
    conn: Connection,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    /// What this handle keeps in memory between calls (state checkpoints, parsed runbooks).
    memo: memo::Memo,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// RFC 3339 in UTC with millisecond precision: `2025-06-01T12:00:00.123Z`.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl Store {
    /// Open (creating if needed) the store at `path`, stamping events with the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Open the store at `path` with the given clock, applying any pending migrations.
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let mut store = Self::connect(path.as_ref(), clock)?;
        migrate::apply(&mut store.conn, store.clock.as_ref())?;
        Ok(store)
    }

    fn connect(path: &Path, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
        // The journal mode is a property of the file; WAL lets readers run beside the writer.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        // FULL: a commit is on disk when it returns, which is what "acknowledged" promises.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        Ok(Store {
            conn,
            clock,
            path: path.to_path_buf(),
            memo: memo::Memo::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Schema versions applied to this file, oldest first.
    pub fn schema_versions(&self) -> Result<Vec<String>, StoreError> {
        migrate::applied_versions(&self.conn)
    }

    /// Create a run and its `run_created` event (seq 1) in one transaction.
    pub fn create_run(&mut self, new: NewRun) -> Result<RunRecord, StoreError> {
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
        let fail = |e| StoreError::sqlite(format!("creating run {id}"), e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute(
            "INSERT INTO runs (id, created_at, runbook_name, runbook_source, runbook_sha256, env, release,
                               head_seq, head_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)",
            params![
                id,
                created_at,
                new.runbook_name,
                new.runbook_source,
                sha,
                new.env,
                new.release,
                hash
            ],
        )
        .map_err(fail)?;
        tx.execute(
            "INSERT INTO events (run_id, seq, time, actor, kind, payload, prev_hash, hash)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                created_at,
                new.actor,
                RUN_CREATED,
                canonical_json(&payload),
                GENESIS_HASH,
                hash
            ],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(RunRecord {
            id,
            created_at,
            runbook_name: new.runbook_name,
            runbook_sha256: sha,
            env: new.env,
            release: new.release,
            head_seq: 1,
            head_hash: hash,
            runbook_source: new.runbook_source,
        })
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
        let tx = Self::begin(&mut self.conn, run_id)?;
        let event = insert_event(&tx, run_id, &self.clock, new)?;
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
        let tx = Self::begin(&mut self.conn, run_id)?;
        let events = read_events(&tx, run_id)?;
        let new = decide(&events)?;
        let event = insert_event(&tx, run_id, &self.clock, new)?;
        tx.commit()
            .map_err(|e| StoreError::sqlite(format!("committing event to run {run_id}"), e))?;
        Ok(event)
    }

    fn begin<'c>(conn: &'c mut Connection, run_id: &str) -> Result<Transaction<'c>, StoreError> {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::sqlite(format!("starting a write to run {run_id}"), e))
    }

    /// All runs, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let fail = |e| StoreError::sqlite("listing runs", e);
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC"
            ))
            .map_err(fail)?;
        let rows = stmt.query_map([], run_from_row).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// The run whose id is `reference` or starts with it (at least `MIN_PREFIX` characters).
    pub fn resolve_run(&self, reference: &str) -> Result<RunRecord, StoreError> {
        let prefix = reference.trim().to_ascii_lowercase();
        let fail = |e| StoreError::sqlite(format!("looking up run {prefix}"), e);
        if let Some(run) = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [&prefix],
                run_from_row,
            )
            .optional()
            .map_err(fail)?
        {
            return Ok(run);
        }
        if prefix.chars().count() < MIN_PREFIX {
            return Err(StoreError::PrefixTooShort { prefix });
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 6"
            ))
            .map_err(fail)?;
        let mut runs = stmt
            .query_map([&prefix], run_from_row)
            .map_err(fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        match runs.len() {
            0 => Err(StoreError::RunNotFound {
                reference: reference.to_string(),
            }),
            1 => Ok(runs.remove(0)),
            n => {
                let mut matches: Vec<String> = runs.into_iter().take(5).map(|r| r.id).collect();
                if n > 5 {
                    matches.push("...".into());
                }
                Err(StoreError::AmbiguousRun { prefix, matches })
            }
        }
    }

    /// The run's events in seq order.
    pub fn events(&self, run_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        read_events(&self.conn, run_id)
    }

    /// Recompute the run's chain and report the first bad event, if any.
    pub fn verify(&self, run_id: &str) -> Result<Verification, StoreError> {
        verify::verify(&self.conn, run_id)
    }
}

const RUN_COLUMNS: &str =
    "id, created_at, runbook_name, runbook_source, runbook_sha256, env, release, head_seq, head_hash";

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        created_at: r.get(1)?,
        runbook_name: r.get(2)?,
        runbook_source: r.get(3)?,
        runbook_sha256: r.get(4)?,
        env: r.get(5)?,
        release: r.get(6)?,
        head_seq: r.get::<_, i64>(7)?.max(0) as u64,
        head_hash: r.get(8)?,
    })
}

/// A UUID v7 whose timestamp comes from the store's clock.
fn new_run_id(now: OffsetDateTime) -> String {
    let nanos = now.unix_timestamp_nanos().max(0);
    let secs = (nanos / 1_000_000_000) as u64;
    let subsec = (nanos % 1_000_000_000) as u32;
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, subsec);
    uuid::Uuid::new_v7(ts).to_string()
}

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

fn read_events(conn: &Connection, run_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
    decode_events(run_id, read_raw_events(conn, run_id)?)
}

/// The run's events after event `after`, in seq order (an indexed range read of the tail).
fn read_events_after(conn: &Connection, run_id: &str, after: u64) -> Result<Vec<StoredEvent>, StoreError> {
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

fn decode_events(run_id: &str, raw: Vec<RawEvent>) -> Result<Vec<StoredEvent>, StoreError> {
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

/// Insert `new` after the run's last event and move the run's head checkpoint to it.
fn insert_event(
    tx: &Transaction<'_>,
    run_id: &str,
    clock: &Arc<dyn Clock>,
    new: NewEvent,
) -> Result<StoredEvent, StoreError> {
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
    let seq = last_seq.max(0) as u64 + 1;
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
    tx.execute(
        "INSERT INTO events (run_id, seq, time, actor, kind, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run_id,
            seq as i64,
            time,
            new.actor,
            new.kind,
            canonical_json(&new.payload),
            last_hash,
            hash
        ],
    )
    .map_err(fail)?;
    tx.execute(
        "UPDATE runs SET head_seq = ?2, head_hash = ?3 WHERE id = ?1",
        params![run_id, seq as i64, hash],
    )
    .map_err(fail)?;
    Ok(StoredEvent {
        run_id: run_id.to_string(),
        seq,
        time,
        actor: new.actor,
        kind: new.kind,
        payload: new.payload,
        prev_hash: last_hash,
        hash,
    })
}

#[cfg(test)]
mod tests;
