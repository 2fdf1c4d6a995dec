//! The Postgres schema: the embedded `migrations/postgres/*.sql` files and applying them.
//!
//! Owns the list (append-only, as the SQLite one) and `flightdeck.schema_migrations`. All
//! migrations run in one transaction under a database-wide advisory lock, so machines opening a
//! new shared store at once apply each exactly once.

use sqlx::Row;

use super::{Fail, Lease};
use crate::store::StoreError;

struct Migration {
    version: &'static str,
    name: &'static str,
    sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(
                "../../../../../migrations/postgres/",
                $version,
                "_",
                $name,
                ".sql"
            )),
        }
    };
}

const MIGRATIONS: &[Migration] = &[migration!("20261215000000", "shared_store")];

/// The advisory lock key migrations take (any constant no other lock of ours uses).
const MIGRATION_LOCK: i64 = 0x666c_6967_6874_6d67; // "flightmg"

/// Apply every migration the store does not have yet.
pub(super) fn apply(lease: &mut Lease<'_>) -> Result<(), StoreError> {
    let applied = lease.run(
        || "applying the store's migrations".into(),
        |c| async move {
            let mut tx = sqlx::Connection::begin(&mut *c).await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(
                "CREATE SCHEMA IF NOT EXISTS flightdeck;
                 CREATE TABLE IF NOT EXISTS flightdeck.schema_migrations (
                     version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )
            .execute(&mut *tx)
            .await?;
            for m in MIGRATIONS {
                let done: Option<String> =
                    sqlx::query_scalar("SELECT version FROM flightdeck.schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_some() {
                    continue;
                }
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET LOCAL search_path TO flightdeck;\n{}", m.sql)))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Fail::Sql(sqlx::Error::Configuration(format!("migration {}_{}: {e}", m.version, m.name).into())))?;
                sqlx::query("INSERT INTO flightdeck.schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        },
    );
    applied
}

/// The versions applied, oldest first.
pub(in crate::store) fn applied_versions(lease: &mut Lease<'_>) -> Result<Vec<String>, StoreError> {
    lease.run(
        || "reading schema_migrations".into(),
        |c| async move {
            let rows = sqlx::query("SELECT version FROM flightdeck.schema_migrations ORDER BY version")
                .fetch_all(&mut *c)
                .await?;
            Ok(rows
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()?)
        },
    )
}
