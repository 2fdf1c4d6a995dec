//! Read-only stores: a store file (or its folder) that cannot be written can still be listed,
//! shown and verified.
//!
//! Owns opening a store read-only, explicitly (`Store::open_read_only`: a reviewer's copy, never
//! touched) or because the file cannot be written (`Store::open` falls back here when SQLite
//! says so), and refusing writes on such a store with an error that says why. A read-only store
//! applies no migration, changes no journal mode and refreshes no checkpoint; what its schema
//! lacks (tables added after it was made) reads as empty ([`Tables`]).
//!
//! The WAL caveat: SQLite reads a WAL-mode file through its `-shm` index, which it must be able
//! to create next to the file. When it cannot (a read-only folder without one) and the file has no
//! pending `-wal`, the file alone is the whole store and is opened `immutable`; when a `-wal` still
//! holds commits, reading the file alone would silently miss them, so that is an error that says
//! what to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{Store, StoreError};
use crate::clock::{Clock, SystemClock};

/// Which of the tables added by later migrations the store has: all of them once migrated; a
/// read-only store has what it was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tables {
    pub state_checkpoints: bool,
    pub keyed: bool,
}

impl Tables {
    pub(super) const ALL: Tables = Tables {
        state_checkpoints: true,
        keyed: true,
    };

    fn of(conn: &Connection) -> Result<Tables, rusqlite::Error> {
        let has = |name: &str| -> Result<bool, rusqlite::Error> {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        };
        Ok(Tables {
            state_checkpoints: has("state_checkpoints")?,
            keyed: has("keyed_checkpoints")? && has("store_identity")?,
        })
    }
}

/// Characters a file name cannot carry as they are in an SQLite URI.
const URI_ESCAPED: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#').add(b' ');

impl Store {
    /// Open the store at `path` read-only, whether or not it could be written: nothing in the file
    /// changes (no migration, no checkpoint refresh), and every write is refused.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_read_only_with_clock(path, Arc::new(SystemClock))
    }

    /// `open_read_only` with the given clock.
    pub fn open_read_only_with_clock(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        Self::read_only_store(path.as_ref(), clock, "opened read-only".into())
    }

    /// Why this store is read-only (`None`: it can be written).
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// `Ok` when the store can be written; else the error every write returns.
    pub(super) fn writable(&self) -> Result<(), StoreError> {
        match &self.read_only {
            None => Ok(()),
            Some(why) => Err(StoreError::ReadOnly {
                path: self.path.clone(),
                why: why.clone(),
            }),
        }
    }

    /// The store at `path`, read-only for the reason `why`.
    pub(super) fn read_only_store(
        path: &Path,
        clock: Arc<dyn Clock>,
        why: String,
    ) -> Result<Store, StoreError> {
        let conn = connect_read_only(path)?;
        let tables = Tables::of(&conn).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store::with_connection(conn, clock, path);
        store.read_only = Some(why);
        store.tables = tables;
        Ok(store)
    }
}

/// SQLite's own error when `err` says the file (or its folder) cannot be written: the cue to open
/// the store read-only instead.
pub(super) fn not_writable(err: &StoreError) -> Option<&rusqlite::Error> {
    let source = match err {
        StoreError::Open { source, .. }
        | StoreError::Migration { source, .. }
        | StoreError::Sqlite { source, .. } => source,
        _ => return None,
    };
    matches!(
        source.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
    )
    .then_some(source)
}

/// A read-only connection to the existing file at `path` that can read it (see the module doc for
/// the `immutable` fallback).
fn connect_read_only(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(plain_uri(path)?, flags).map_err(open_err)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
    match readable(&conn) {
        Ok(()) => return Ok(conn),
        Err(e)
            if !matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
            ) =>
        {
            return Err(open_err(e))
        }
        Err(_) => {}
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::ReadOnlyWal {
            path: path.to_path_buf(),
        });
    }
    let conn =
        Connection::open_with_flags(format!("{}?immutable=1", plain_uri(path)?), flags).map_err(open_err)?;
    readable(&conn).map_err(open_err)?;
    Ok(conn)
}

/// One read of the schema: what fails when SQLite cannot set up its WAL index.
fn readable(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map(|_| ())
}

/// `path` as an SQLite `file:` URI.
fn plain_uri(path: &Path) -> Result<String, StoreError> {
    let text = path.to_str().ok_or_else(|| StoreError::Open {
        path: path.to_path_buf(),
        source: rusqlite::Error::InvalidPath(path.to_path_buf()),
    })?;
    Ok(format!("file:{}", utf8_percent_encode(text, URI_ESCAPED)))
}
