//! The sandbox's database: one schema on SQLite (the default) or Postgres (when the config names one).
//!
//! Owns connecting, the schema, the M31 seed rows and a thin query layer (`Param` in, `Row` out) so the
//! route modules write each query once for both backends. Queries are plain runtime SQL with `$1`-style
//! placeholders, which both backends accept. SQLite goes through rusqlite (the workspace's SQLite, which
//! sqlx's SQLite driver cannot share a build with) on blocking threads; Postgres goes through sqlx.
//! What the rows mean is left to the route modules.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{Column, Row as _, TypeInfo};

/// How many connections either backend holds at most; reported as `db_connections_max`.
pub const MAX_CONNECTIONS: usize = 4;

/// The schema, the same text for both backends. SQLite accepts the Postgres type names (it keeps
/// `CURRENT_TIMESTAMP` text in the `TIMESTAMPTZ` columns), so one definition serves both.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS feature_flags (
        flag_key TEXT PRIMARY KEY,
        is_enabled BOOLEAN NOT NULL,
        rollout_percentage BIGINT NOT NULL CHECK (rollout_percentage BETWEEN 0 AND 100),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS circuit_breakers (
        provider_name TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
        failure_count BIGINT NOT NULL DEFAULT 0,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS budget_categories (
        name TEXT PRIMARY KEY,
        monthly_limit_cents BIGINT NOT NULL,
        spent_cents BIGINT NOT NULL DEFAULT 0,
        alert_threshold_pct BIGINT NOT NULL DEFAULT 80
    )",
    "CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS orders (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        service_id BIGINT NOT NULL,
        question_text TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS payments (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        payment_method TEXT NOT NULL,
        amount_cents BIGINT NOT NULL,
        currency TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
];

/// The M31 checklist's "Expected State" for the flags: (key, enabled, rollout %).
pub const SEED_FLAGS: &[(&str, bool, i64)] = &[
    ("community_enabled", false, 0),
    ("notifications_enabled", false, 1),
    ("rate_limiting_enabled", true, 100),
    ("circuit_breakers_enabled", true, 100),
    ("budget_guards_enabled", true, 100),
];

/// Budget categories: (name, monthly limit in cents, spent in cents, alert threshold %).
pub const SEED_BUDGETS: &[(&str, i64, i64, i64)] = &[
    ("infrastructure", 500_000, 212_000, 80),
    ("payments_fees", 200_000, 41_500, 80),
    ("notifications", 50_000, 9_800, 75),
    ("ai_inference", 300_000, 247_000, 80),
];

/// The seeded user behind the fixed test token.
pub const TEST_USER_ID: &str = "sandbox-test-user";
pub const TEST_USER_EMAIL: &str = "test-user@sandbox.invalid";

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("sqlite worker stopped: {0}")]
    Worker(String),
    #[error("column `{column}`: {problem}")]
    Column { column: String, problem: String },
    #[error("the database is shut down")]
    Closed,
}

impl DbError {
    /// True when the error is a unique-key violation (a duplicate email, say).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Postgres(e) => e.as_database_error().is_some_and(|d| d.is_unique_violation()),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            _ => false,
        }
    }
}

/// A query parameter.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

/// One value read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// One row read back, columns by name.
#[derive(Debug, Clone, Default)]
pub struct Row(Vec<(String, Value)>);

impl Row {
    fn get(&self, column: &str) -> Result<&Value, DbError> {
        self.0
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| v)
            .ok_or_else(|| DbError::Column {
                column: column.to_owned(),
                problem: "not in the result".to_owned(),
            })
    }

    fn mismatch(column: &str, want: &str, got: &Value) -> DbError {
        DbError::Column {
            column: column.to_owned(),
            problem: format!("expected {want}, found {got:?}"),
        }
    }

    pub fn text(&self, column: &str) -> Result<String, DbError> {
        match self.get(column)? {
            Value::Text(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(Self::mismatch(column, "text", other)),
        }
    }

    pub fn int(&self, column: &str) -> Result<i64, DbError> {
        match self.get(column)? {
            Value::Int(i) => Ok(*i),
            other => Err(Self::mismatch(column, "an integer", other)),
        }
    }

    /// Booleans come back as 0/1 from SQLite and as booleans from Postgres.
    pub fn bool(&self, column: &str) -> Result<bool, DbError> {
        match self.get(column)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(i) => Ok(*i != 0),
            other => Err(Self::mismatch(column, "a boolean", other)),
        }
    }
}

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A handle on the sandbox database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
    /// Every statement's time (`db_query_duration_seconds`).
    stats: Arc<crate::usage::DbStats>,
}

enum Inner {
    Sqlite(SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A few rusqlite connections to one file, handed out under a semaphore and used on blocking threads.
struct SqlitePool {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
    permits: tokio::sync::Semaphore,
    in_use: AtomicUsize,
}

impl SqlitePool {
    fn open(path: &Path) -> Result<rusqlite::Connection, rusqlite::Error> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
    }
}

/// Decrements the in-use count however the query ends.
struct InUse<'a>(&'a AtomicUsize);
impl<'a> InUse<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        InUse(counter)
    }
}
impl Drop for InUse<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Db {
    /// Opens (creating if needed) a SQLite file.
    pub async fn sqlite(path: &Path) -> Result<Db, DbError> {
        let path = path.to_path_buf();
        let first = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || SqlitePool::open(&path))
                .await
                .map_err(|e| DbError::Worker(e.to_string()))??
        };
        Ok(Db {
            inner: Arc::new(Inner::Sqlite(SqlitePool {
                path,
                idle: Mutex::new(vec![first]),
                permits: tokio::sync::Semaphore::new(MAX_CONNECTIONS),
                in_use: AtomicUsize::new(0),
            })),
            stats: Arc::default(),
        })
    }

    /// Connects to Postgres at `url` (`postgres://` or `postgresql://`).
    pub async fn postgres(url: &str) -> Result<Db, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS as u32)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(Db {
            inner: Arc::new(Inner::Postgres(pool)),
            stats: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match &*self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Statement times, for `/metrics`.
    pub fn stats(&self) -> &crate::usage::DbStats {
        &self.stats
    }

    /// Connections busy right now (for `db_connections_in_use`).
    pub fn connections_in_use(&self) -> usize {
        match &*self.inner {
            Inner::Sqlite(p) => p.in_use.load(Ordering::Relaxed),
            Inner::Postgres(p) => (p.size() as usize).saturating_sub(p.num_idle()),
        }
    }

    /// Creates the tables and inserts the seed rows that are missing; rows already there are kept.
    pub async fn migrate_and_seed(&self) -> Result<(), DbError> {
        for ddl in SCHEMA {
            self.execute(ddl, &[]).await?;
        }
        for (key, enabled, pct) in SEED_FLAGS {
            self.execute(
                "INSERT INTO feature_flags (flag_key, is_enabled, rollout_percentage) VALUES ($1, $2, $3)
                 ON CONFLICT (flag_key) DO NOTHING",
                &[(*key).into(), (*enabled).into(), (*pct).into()],
            )
            .await?;
        }
        for provider in crate::breakers::PROVIDERS {
            self.execute(
                "INSERT INTO circuit_breakers (provider_name, state, failure_count) VALUES ($1, 'closed', 0)
                 ON CONFLICT (provider_name) DO NOTHING",
                &[(*provider).into()],
            )
            .await?;
        }
        for (name, limit, spent, pct) in SEED_BUDGETS {
            self.execute(
                "INSERT INTO budget_categories (name, monthly_limit_cents, spent_cents, alert_threshold_pct)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                &[(*name).into(), (*limit).into(), (*spent).into(), (*pct).into()],
            )
            .await?;
        }
        self.execute(
            "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, '!') ON CONFLICT (id) DO NOTHING",
            &[TEST_USER_ID.into(), TEST_USER_EMAIL.into()],
        )
        .await?;
        Ok(())
    }

    /// Runs a statement; returns the rows it changed.
    pub async fn execute(&self, sql: &str, params: &[Param]) -> Result<u64, DbError> {
        let _timed = self.stats.time();
        match &*self.inner {
            Inner::Postgres(pool) => {
                let done = bind_pg(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), params)
                    .execute(pool)
                    .await?;
                Ok(done.rows_affected())
            }
            Inner::Sqlite(_) => {
                let sql = sql.to_owned();
                let params = params.to_vec();
                self.with_sqlite(move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    bind_sqlite(&mut stmt, &params)?;
                    Ok(stmt.raw_execute()? as u64)
                })
                .await
            }
        }
    }

    /// Runs a query and reads every row.
    pub async fn fetch_all(&self, sql: &str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        let _timed = self.stats.time();
        match &*self.inner {
            Inner::Postgres(pool) => {
                let rows = bind_pg(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), params)
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(pg_row).collect()
            }
            Inner::Sqlite(_) => {
                let sql = sql.to_owned();
                let params = params.to_vec();
                self.with_sqlite(move |conn| {
                    let mut stmt = conn.prepare_cached(&sql)?;
                    bind_sqlite(&mut stmt, &params)?;
                    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
                    let mut rows = stmt.raw_query();
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        let mut cols = Vec::with_capacity(names.len());
                        for (i, name) in names.iter().enumerate() {
                            let v = match row.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => Value::Null,
                                rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                                rusqlite::types::ValueRef::Real(f) => Value::Float(f),
                                rusqlite::types::ValueRef::Text(t) => {
                                    Value::Text(String::from_utf8_lossy(t).into_owned())
                                }
                                rusqlite::types::ValueRef::Blob(b) => {
                                    Value::Text(String::from_utf8_lossy(b).into_owned())
                                }
                            };
                            cols.push((name.clone(), v));
                        }
                        out.push(Row(cols));
                    }
                    Ok(out)
                })
                .await
            }
        }
    }

    /// Runs a query expected to give at most one row.
    pub async fn fetch_optional(&self, sql: &str, params: &[Param]) -> Result<Option<Row>, DbError> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    /// Closes every connection; later queries fail with [`DbError::Closed`] (Postgres) or reopen (SQLite).
    pub async fn close(&self) {
        match &*self.inner {
            Inner::Postgres(pool) => pool.close().await,
            Inner::Sqlite(p) => {
                p.permits.close();
                if let Ok(mut idle) = p.idle.lock() {
                    idle.clear();
                }
            }
        }
    }

    async fn with_sqlite<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, DbError> + Send + 'static,
    {
        let Inner::Sqlite(pool) = &*self.inner else {
            return Err(DbError::Worker("not a SQLite database".to_owned()));
        };
        let _permit = pool.permits.acquire().await.map_err(|_| DbError::Closed)?;
        let _busy = InUse::new(&pool.in_use);
        let conn = pool.idle.lock().ok().and_then(|mut idle| idle.pop());
        let path = pool.path.clone();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let mut conn = match conn {
                Some(c) => c,
                None => match SqlitePool::open(&path) {
                    Ok(c) => c,
                    Err(e) => return (None, Err(DbError::from(e))),
                },
            };
            let result = f(&mut conn);
            (Some(conn), result)
        })
        .await
        .map_err(|e| DbError::Worker(e.to_string()))?;
        if let Some(conn) = conn {
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(conn);
            }
        }
        result
    }
}

/// Binds in order: Postgres numbers `$1..$n` itself.
fn bind_pg<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for p in params {
        query = match p {
            Param::Text(s) => query.bind(s.clone()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
        };
    }
    query
}

/// Binds `$1..$n` by name, so a query may use them in any order or more than once.
fn bind_sqlite(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Param]) -> Result<(), DbError> {
    stmt.clear_bindings();
    for (i, p) in params.iter().enumerate() {
        let name = format!("${}", i + 1);
        let Some(index) = stmt.parameter_index(&name)? else {
            continue;
        };
        match p {
            Param::Text(s) => stmt.raw_bind_parameter(index, s)?,
            Param::Int(n) => stmt.raw_bind_parameter(index, n)?,
            Param::Bool(b) => stmt.raw_bind_parameter(index, b)?,
        }
    }
    Ok(())
}

fn pg_row(row: &PgRow) -> Result<Row, DbError> {
    let mut cols = Vec::with_capacity(row.columns().len());
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name().to_owned();
        let v = match col.type_info().name() {
            "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
            "INT2" => row.try_get::<Option<i16>, _>(i)?.map(|n| Value::Int(n.into())),
            "INT4" => row.try_get::<Option<i32>, _>(i)?.map(|n| Value::Int(n.into())),
            "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
            "FLOAT4" => row.try_get::<Option<f32>, _>(i)?.map(|n| Value::Float(n.into())),
            "FLOAT8" => row.try_get::<Option<f64>, _>(i)?.map(Value::Float),
            "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
            other => {
                return Err(DbError::Column {
                    column: name,
                    problem: format!("type {other} is not read by the sandbox; cast it to TEXT"),
                })
            }
        };
        cols.push((name, v.unwrap_or(Value::Null)));
    }
    Ok(Row(cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_schema_seeds_the_m31_expected_state() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Worker(e.to_string()))?;
        let db = Db::sqlite(&dir.path().join("t.db")).await?;
        db.migrate_and_seed().await?;
        // Seeding twice must keep what is there, not fail on the primary keys.
        db.migrate_and_seed().await?;
        let rows = db
            .fetch_all(
                "SELECT flag_key, is_enabled, rollout_percentage FROM feature_flags ORDER BY flag_key",
                &[],
            )
            .await?;
        assert_eq!(rows.len(), SEED_FLAGS.len());
        let community = rows
            .iter()
            .find(|r| r.text("flag_key").ok().as_deref() == Some("community_enabled"))
            .ok_or(DbError::Closed)?;
        assert!(!community.bool("is_enabled")?);
        assert_eq!(community.int("rollout_percentage")?, 0);
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_binds_by_placeholder_number_not_position() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Worker(e.to_string()))?;
        let db = Db::sqlite(&dir.path().join("t.db")).await?;
        let row = db
            .fetch_optional("SELECT $2 AS b, $1 AS a, $2 AS b2", &["one".into(), 2i64.into()])
            .await?
            .ok_or(DbError::Closed)?;
        assert_eq!(row.text("a")?, "one");
        assert_eq!(row.int("b")?, 2);
        assert_eq!(row.int("b2")?, 2);
        Ok(())
    }

    #[tokio::test]
    async fn duplicate_key_is_reported_as_unique_violation() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Worker(e.to_string()))?;
        let db = Db::sqlite(&dir.path().join("t.db")).await?;
        db.migrate_and_seed().await?;
        let err = db
            .execute(
                "INSERT INTO users (id, email, password_hash) VALUES ('x', $1, 'h')",
                &[TEST_USER_EMAIL.into()],
            )
            .await
            .err()
            .ok_or(DbError::Closed)?;
        assert!(err.is_unique_violation(), "{err}");
        Ok(())
    }
}
