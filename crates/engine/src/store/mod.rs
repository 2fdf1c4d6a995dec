//! The run store: runs and their append-only, hash-chained event logs in one SQLite file, or in
//! a shared Postgres store several machines write to (`pg`: the same chain, fold and `verify`
//! behind the same methods; each public method that reads or writes runs goes there when the
//! store is one; moving a run between the two is `transfer`).
//!
//! Owns the connection (WAL, `synchronous=FULL`, 5 s busy timeout) and the types every part
//! shares; the parts live in their own modules: the schema (`migrate`), creating runs and
//! appending (`append`; `append_folded` in `checkpoint`: one `BEGIN IMMEDIATE` transaction each,
//! so the app and the CLI can share the file), reading the log (`events`), run lookup by id
//! prefix (`runs`), run heads (`head`), chain verification (`verify`), checkpoints of folded
//! state (`checkpoint`, with the in-memory `memo`) so a write does not read the whole log, keyed
//! checkpoints (`keyed`: each run's head MACed with a key from the OS keyring, so a log rewritten
//! whole fails `verify`), and stores that cannot be written (`access`). It knows events only as `(actor, kind, JSON payload)`;
//! what they mean, and the state they fold into, belongs to `crate::run`. The time of every
//! event comes from the `Clock` the store was opened with.

mod access;
mod append;
mod canonical;
mod checkpoint;
mod events;
mod head;
mod keyed;
mod location;
mod memo;
mod migrate;
pub mod pg;
mod runs;
mod transfer;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

pub use canonical::{canonical_json, event_hash, sha256_hex, HashInput, GENESIS_HASH};
pub use checkpoint::{Fold, Resumed, REFRESH_AFTER};
pub use head::RunHead;
pub use keyed::{KeyedStatus, MemoryKeys, StoreKey, StoreKeys};
pub use location::{default_config_dir, default_path};
pub use pg::{Followed, Follower};
pub use transfer::Copied;
pub use verify::{Problem, ProblemKind, Verification};

use append::insert_event;
use events::{read_events, read_events_after};
pub(crate) use events::{read_raw_events, RawEvent};

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
    #[error("store {path} is read-only ({why}): it can be listed, shown and verified, not written")]
    ReadOnly { path: PathBuf, why: String },
    #[error(
        "cannot read store {path} read-only: its write-ahead log ({path}-wal) holds commits that SQLite \
         reads only with write access to the folder; open it once where it can be written, or copy the \
         folder somewhere writable"
    )]
    ReadOnlyWal { path: PathBuf },
    #[error("bad store URL `{url}`: {why}")]
    PostgresUrl { url: String, why: String },
    #[error("store {store}: {context}: {message}")]
    Postgres {
        store: String,
        context: String,
        message: String,
    },
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
            StoreError::Open { .. }
            | StoreError::Migration { .. }
            | StoreError::Sqlite { .. }
            | StoreError::ReadOnly { .. }
            | StoreError::ReadOnlyWal { .. }
            | StoreError::Postgres { .. } => ErrorKind::Store,
            StoreError::PostgresUrl { .. } => ErrorKind::Invalid,
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

/// An open store: an SQLite file, or a shared Postgres store (`pg`, see `Store::open`).
pub struct Store {
    /// The SQLite file; with a Postgres store, the machine's own store, which keeps what is not
    /// shared (environments, their variables and secret names).
    conn: Connection,
    /// The shared Postgres store that holds the runs, when this is one.
    pg: Option<pg::Pg>,
    clock: Arc<dyn Clock>,
    path: PathBuf,
    /// What this handle keeps in memory between calls (state checkpoints, parsed runbooks).
    memo: memo::Memo,
    /// Where this handle's key comes from, and the key once read (keyed checkpoints).
    keying: keyed::Keying,
    /// Why the store cannot be written (`None`: it can).
    read_only: Option<String>,
    /// Which later tables the file has (all, once migrated).
    tables: access::Tables,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// RFC 3339 in UTC with millisecond precision: `2025-06-01T12:00:00.123Z` (a Postgres store's
/// events carry microseconds: `pg::format_time_micros`).
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

    /// Open the store at `path` with the given clock, applying any pending migrations. An existing
    /// file that cannot be written (no write permission on it or its folder, a read-only mount)
    /// opens read-only instead: it can be read and verified, and every write says why not.
    ///
    /// A `postgres://…` URL opens that shared store (`open_postgres`), with the machine's default
    /// store file beside it for what is not shared.
    pub fn open_with_clock(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if pg::is_postgres(path) {
            let local = default_path().ok_or_else(|| StoreError::PostgresUrl {
                url: path.display().to_string(),
                why: "there is no home directory for this machine's own store (environments and secret \
                      names stay on the machine)"
                    .into(),
            })?;
            if let Some(dir) = local.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            return Self::open_postgres(&path.display().to_string(), &local, clock);
        }
        let writable = Self::connect(path, Arc::clone(&clock)).and_then(|mut store| {
            if store.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
                return Ok(None);
            }
            migrate::apply(&mut store.conn, store.clock.as_ref())?;
            Ok(Some(store))
        });
        match writable {
            Ok(Some(store)) => Ok(store),
            Ok(None) => Self::read_only_store(path, clock, "the file cannot be written".into()),
            Err(e) => match access::not_writable(&e) {
                Some(sqlite) if path.is_file() => Self::read_only_store(
                    path,
                    clock,
                    format!("the file or its folder cannot be written: {sqlite}"),
                ),
                _ => Err(e),
            },
        }
    }

    /// Keep this store's keyed checkpoints with the key `keys` holds for it (the OS keyring in the
    /// app and the CLI): each write seals its run's head, and `verify` checks it. Without this a
    /// store writes unkeyed and leaves checkpoints unchecked. Nothing is asked of `keys` until a
    /// write or a `verify` needs the key.
    pub fn with_keys(mut self, keys: Arc<dyn StoreKeys>) -> Store {
        self.keying = keyed::Keying::new(keys);
        self
    }

    /// Why the last write through this handle left its run unkeyed (the keyring could not be
    /// used, the run's chain does not verify), for the host to warn about; `None` when it was
    /// keyed, or when the store was opened without keys.
    pub fn unkeyed_write(&self) -> Option<String> {
        self.keying.unkeyed_write()
    }

    /// Open the shared store at `url` (`postgres://user@host[:port]/db[?sslmode=…]`, its password
    /// from the OS keyring), bringing its schema up to date; `local` is this machine's own store
    /// file, which keeps environments, their variables and secret names (secret values are in
    /// this machine's keyring, so they stay with it).
    pub fn open_postgres(url: &str, local: &Path, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        let target = pg::Target::parse(url)?;
        let shown = target.shown.clone();
        let pg = pg::Pg::open(target)?;
        let mut store = Self::open_with_clock(local, clock)?;
        store.path = PathBuf::from(shown);
        store.pg = Some(pg);
        store.read_only = None;
        Ok(store)
    }

    /// Whether this is a shared Postgres store.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// Follow this store's changes as they are committed, from any machine: a Postgres store's
    /// LISTEN/NOTIFY (see [`Follower`]); `None` for an SQLite file, whose heads are polled.
    pub fn follow(&self) -> Result<Option<Follower>, StoreError> {
        self.pg
            .as_ref()
            .map(|pg| Follower::start(pg.target()))
            .transpose()
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
        Ok(Store::with_connection(conn, clock, path))
    }

    fn with_connection(conn: Connection, clock: Arc<dyn Clock>, path: &Path) -> Store {
        Store {
            conn,
            pg: None,
            clock,
            path: path.to_path_buf(),
            memo: memo::Memo::default(),
            keying: keyed::Keying::default(),
            read_only: None,
            tables: access::Tables::ALL,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This machine's own SQLite file: the store itself, or beside a shared Postgres store the
    /// file that keeps what is not shared (environments, variable and secret names, locks).
    pub fn local_path(&self) -> PathBuf {
        match self.conn.path() {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => self.path.clone(),
        }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Schema versions applied to this file, oldest first.
    pub fn schema_versions(&self) -> Result<Vec<String>, StoreError> {
        match &self.pg {
            Some(pg) => pg.schema_versions(),
            None => migrate::applied_versions(&self.conn),
        }
    }

    /// The run's events in seq order.
    pub fn events(&self, run_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        match &self.pg {
            Some(pg) => pg.events(run_id),
            None => read_events(&self.conn, run_id),
        }
    }

    /// Recompute the run's chain and check its keyed checkpoint (with the keys given by
    /// `with_keys`); report the first bad event, if any.
    pub fn verify(&self, run_id: &str) -> Result<Verification, StoreError> {
        if let Some(pg) = &self.pg {
            return pg.verify(run_id);
        }
        verify::verify(&self.conn, &self.keying, self.tables.keyed, run_id)
    }
}

#[cfg(test)]
mod tests;
