//! The SQLite schema: the embedded `migrations/*.sql` files and the code that applies them.
//!
//! Owns the list of migrations (append-only: a released file is never edited, a change is a new
//! file) and `schema_migrations`, which records each applied version. Each migration runs in its
//! own `BEGIN IMMEDIATE` transaction, so two processes opening the same new store at once apply
//! it exactly once, and a store made by an older Flightdeck is brought up to date at open.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::StoreError;
use crate::clock::Clock;

pub(crate) struct Migration {
    /// `YYYYMMDDHHMMSS`, the file name's prefix.
    pub version: &'static str,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../../../migrations/", $version, "_", $name, ".sql")),
        }
    };
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    migration!("20250601000000", "runs_and_events"),
    migration!("20250601000100", "events_append_only"),
    migration!("20250610000000", "environments"),
    migration!("20261203103000", "state_checkpoints"),
    migration!("20261210120000", "keyed_checkpoints"),
];

/// Apply every migration the store does not have yet.
pub(crate) fn apply(conn: &mut Connection, clock: &dyn Clock) -> Result<(), StoreError> {
    apply_first(conn, clock, MIGRATIONS.len())
}

/// Apply the first `count` migrations (tests build older stores with it).
pub(crate) fn apply_first(conn: &mut Connection, clock: &dyn Clock, count: usize) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    TEXT PRIMARY KEY NOT NULL,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )
    .map_err(|e| StoreError::sqlite("creating schema_migrations", e))?;
    for m in MIGRATIONS.iter().take(count) {
        let fail = |e| StoreError::Migration {
            version: m.version.to_string(),
            name: m.name,
            source: e,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let applied: Option<String> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail)?;
        if applied.is_none() {
            tx.execute_batch(m.sql).map_err(fail)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![m.version, m.name, super::format_time(clock.now())],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

/// The versions recorded in `schema_migrations`, oldest first.
pub(crate) fn applied_versions(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let read = |e| StoreError::sqlite("reading schema_migrations", e);
    let mut stmt = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .map_err(read)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(read)?;
    rows.collect::<Result<Vec<String>, _>>().map_err(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_in_version_order_and_named_like_their_files() {
        let versions: Vec<_> = MIGRATIONS.iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(versions, sorted, "versions must be unique and ascending");
        for m in MIGRATIONS {
            assert_eq!(m.version.len(), 14, "{} is YYYYMMDDHHMMSS", m.version);
            assert!(m.version.chars().all(|c| c.is_ascii_digit()));
            assert!(!m.sql.trim().is_empty());
        }
    }
}
