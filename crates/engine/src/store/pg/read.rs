//! Reading a Postgres store: runs, their events and heads, with the SQLite store's rules (run
//! lookup by id prefix, `@latest[:ENV]`, the shortest unique prefix) and the same row shapes, so
//! verification and the fold are the store's own, unchanged.

use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row;

use super::Fail;
use crate::store::{RawEvent, RunHead, RunRecord};

const RUN_COLUMNS: &str =
    "id, created_at, runbook_name, runbook_source, runbook_sha256, env, release, head_seq, head_hash";

const EVENT_COLUMNS: &str = "run_id, seq, time, actor, kind, payload, prev_hash, hash";

fn raw(r: &PgRow) -> Result<RawEvent, sqlx::Error> {
    Ok(RawEvent {
        run_id: r.try_get(0)?,
        seq: r.try_get(1)?,
        time: r.try_get(2)?,
        actor: r.try_get(3)?,
        kind: r.try_get(4)?,
        payload: r.try_get(5)?,
        prev_hash: r.try_get(6)?,
        hash: r.try_get(7)?,
    })
}

pub(crate) fn run_record(r: &PgRow) -> Result<RunRecord, sqlx::Error> {
    Ok(RunRecord {
        id: r.try_get(0)?,
        created_at: r.try_get(1)?,
        runbook_name: r.try_get(2)?,
        runbook_source: r.try_get(3)?,
        runbook_sha256: r.try_get(4)?,
        env: r.try_get(5)?,
        release: r.try_get(6)?,
        head_seq: r.try_get::<i64, _>(7)?.max(0) as u64,
        head_hash: r.try_get(8)?,
    })
}

fn head(r: &PgRow) -> Result<RunHead, sqlx::Error> {
    Ok(RunHead {
        run_id: r.try_get(0)?,
        seq: r.try_get::<i64, _>(1)?.max(0) as u64,
        hash: r.try_get(2)?,
    })
}

/// The run's event rows after seq `after` (0: all), in seq order.
pub(crate) async fn events_after(
    c: &mut PgConnection,
    run_id: &str,
    after: u64,
) -> Result<Vec<RawEvent>, Fail> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(run_id)
        .bind(after as i64)
        .fetch_all(&mut *c)
        .await?;
    Ok(rows.iter().map(raw).collect::<Result<_, _>>()?)
}

/// The hash of the run's event `seq`, if there is one.
pub(crate) async fn hash_at(c: &mut PgConnection, run_id: &str, seq: u64) -> Result<Option<String>, Fail> {
    Ok(
        sqlx::query_scalar("SELECT hash FROM events WHERE run_id = $1 AND seq = $2")
            .bind(run_id)
            .bind(seq as i64)
            .fetch_optional(&mut *c)
            .await?,
    )
}

/// The run `id` exactly.
pub(crate) async fn run(c: &mut PgConnection, id: &str) -> Result<Option<RunRecord>, Fail> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(row.as_ref().map(run_record).transpose()?)
}

/// All runs, newest first.
pub(crate) async fn runs(c: &mut PgConnection) -> Result<Vec<RunRecord>, Fail> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
    Ok(rows.iter().map(run_record).collect::<Result<_, _>>()?)
}

/// Up to 6 runs whose id starts with `prefix`, in id order.
pub(crate) async fn runs_with_prefix(c: &mut PgConnection, prefix: &str) -> Result<Vec<RunRecord>, Fail> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE starts_with(id, $1) ORDER BY id LIMIT 6");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(prefix)
        .fetch_all(&mut *c)
        .await?;
    Ok(rows.iter().map(run_record).collect::<Result<_, _>>()?)
}

/// The newest run, or the newest on `env`.
pub(crate) async fn latest(c: &mut PgConnection, env: Option<&str>) -> Result<Option<RunRecord>, Fail> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE $1::text IS NULL OR env = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env)
        .fetch_optional(&mut *c)
        .await?;
    Ok(row.as_ref().map(run_record).transpose()?)
}

/// The ids just before and just after `id`, for the shortest unique prefix.
pub(crate) async fn neighbours(
    c: &mut PgConnection,
    id: &str,
) -> Result<(Option<String>, Option<String>), Fail> {
    let before = sqlx::query_scalar("SELECT id FROM runs WHERE id < $1 ORDER BY id DESC LIMIT 1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    let after = sqlx::query_scalar("SELECT id FROM runs WHERE id > $1 ORDER BY id LIMIT 1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    Ok((before, after))
}

/// Every run's head (or run `id`'s), in run id order.
pub(crate) async fn heads(c: &mut PgConnection, id: Option<&str>) -> Result<Vec<RunHead>, Fail> {
    let rows =
        sqlx::query("SELECT id, head_seq, head_hash FROM runs WHERE $1::text IS NULL OR id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *c)
            .await?;
    Ok(rows.iter().map(head).collect::<Result<_, _>>()?)
}
