//! The SQL table adapter: `feature_flags(flag_key, is_enabled, rollout_percentage)` on Postgres,
//! through sqlx. Read with the checklist's §5 query; a write is one transaction that locks the
//! row (`SELECT … FOR UPDATE`), refuses when it no longer holds what was previewed, updates it,
//! checks that exactly one row changed and commits. Every statement runs under the call's
//! deadline (`statement_timeout` and a client-side timeout).

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{ConnectOptions, Connection, Row};

use super::adapter::{rollout_of, Controls};
use super::{BreakerAction, BreakerState, ControlError, FlagState, CONNECT_TIMEOUT};
use crate::secrets::Sensitive;

const READ_ALL: &str = "SELECT flag_key, is_enabled, rollout_percentage FROM feature_flags ORDER BY flag_key";
const READ_ONE: &str =
    "SELECT flag_key, is_enabled, rollout_percentage FROM feature_flags WHERE flag_key = $1";
const LOCK_ONE: &str =
    "SELECT flag_key, is_enabled, rollout_percentage FROM feature_flags WHERE flag_key = $1 FOR UPDATE";
const UPDATE: &str = "UPDATE feature_flags SET is_enabled = $2, rollout_percentage = $3 WHERE flag_key = $1";

pub struct SqlTable {
    env: String,
    url: Sensitive<String>,
    deadline: Duration,
}

fn sql_err(what: &str) -> impl Fn(sqlx::Error) -> ControlError + '_ {
    move |e| ControlError::Sql {
        what: what.to_string(),
        message: e.to_string(),
    }
}

fn flag_of(row: &PgRow, what: &str) -> Result<FlagState, ControlError> {
    let e = sql_err(what);
    let pct: i64 = match row.try_get::<i64, _>("rollout_percentage") {
        Ok(n) => n,
        Err(_) => match row.try_get::<i32, _>("rollout_percentage") {
            Ok(n) => i64::from(n),
            Err(_) => i64::from(row.try_get::<i16, _>("rollout_percentage").map_err(&e)?),
        },
    };
    Ok(FlagState {
        key: row.try_get("flag_key").map_err(&e)?,
        enabled: row.try_get("is_enabled").map_err(&e)?,
        rollout: rollout_of(what, pct)?,
    })
}

impl SqlTable {
    pub fn new(env: &str, url: Sensitive<String>, deadline: Duration) -> Self {
        SqlTable {
            env: env.to_string(),
            url,
            deadline,
        }
    }

    async fn connect(&self) -> Result<PgConnection, ControlError> {
        let what = "connect to the flags database";
        let opts: PgConnectOptions = self
            .url
            .expose()
            .trim()
            .parse()
            .map_err(|_| ControlError::Config("FLAGS_DB_URL is not a Postgres URL".into()))?;
        let opts = opts.application_name("flightdeck-controls");
        let mut conn = match tokio::time::timeout(CONNECT_TIMEOUT, opts.connect()).await {
            Err(_) => {
                return Err(ControlError::Timeout {
                    what: what.into(),
                    deadline: CONNECT_TIMEOUT,
                })
            }
            Ok(r) => r.map_err(sql_err(what))?,
        };
        let ms = self.deadline.as_millis().max(1);
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET statement_timeout = {ms}")))
            .execute(&mut conn)
            .await
            .map_err(sql_err(what))?;
        Ok(conn)
    }

    /// `work` on a fresh connection, within the deadline; the connection is closed after.
    async fn with_conn<T, F>(&self, what: &str, work: F) -> Result<T, ControlError>
    where
        F: for<'c> FnOnce(
            &'c mut PgConnection,
        ) -> futures_util::future::BoxFuture<'c, Result<T, ControlError>>,
    {
        let deadline = self.deadline + CONNECT_TIMEOUT;
        let job = async {
            let mut conn = self.connect().await?;
            let r = work(&mut conn).await;
            let _ = tokio::time::timeout(Duration::from_millis(200), conn.close()).await;
            r
        };
        match tokio::time::timeout(deadline, job).await {
            Ok(r) => r,
            Err(_) => Err(ControlError::Timeout {
                what: what.to_string(),
                deadline,
            }),
        }
    }

    async fn known(&self) -> Vec<String> {
        self.flags()
            .await
            .map(|f| f.into_iter().map(|f| f.key).collect())
            .unwrap_or_default()
    }

    fn unknown(&self, key: &str, known: Vec<String>) -> ControlError {
        ControlError::UnknownFlag {
            key: key.to_string(),
            env: self.env.clone(),
            known,
        }
    }
}

impl Controls for SqlTable {
    async fn flags(&self) -> Result<Vec<FlagState>, ControlError> {
        let what = "read feature_flags";
        self.with_conn(what, |c| {
            Box::pin(async move {
                let rows = sqlx::query(READ_ALL)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(sql_err(what))?;
                rows.iter().map(|r| flag_of(r, what)).collect()
            })
        })
        .await
    }

    async fn flag(&self, key: &str) -> Result<FlagState, ControlError> {
        let what = "read feature_flags";
        let k = key.to_string();
        let row = self
            .with_conn(what, |c| {
                Box::pin(async move {
                    let row = sqlx::query(READ_ONE)
                        .bind(k)
                        .fetch_optional(&mut *c)
                        .await
                        .map_err(sql_err(what))?;
                    row.map(|r| flag_of(&r, what)).transpose()
                })
            })
            .await?;
        match row {
            Some(f) => Ok(f),
            None => Err(self.unknown(key, self.known().await)),
        }
    }

    async fn set_flag(
        &self,
        key: &str,
        enabled: bool,
        rollout: u8,
        from: &FlagState,
    ) -> Result<(), ControlError> {
        let what = "update feature_flags";
        let k = key.to_string();
        let from = from.clone();
        let env = self.env.clone();
        let outcome = self
            .with_conn(what, move |c| {
                Box::pin(async move {
                    let mut tx = c.begin().await.map_err(sql_err(what))?;
                    let row = sqlx::query(LOCK_ONE)
                        .bind(&k)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(sql_err(what))?;
                    let Some(row) = row else {
                        return Ok(Err(()));
                    };
                    let now = flag_of(&row, what)?;
                    if now.enabled != from.enabled || now.rollout != from.rollout {
                        return Err(ControlError::Changed {
                            what: format!("flag {k} in {env}"),
                            preview: super::Setting::of_flag(&from).to_string(),
                            now: super::Setting::of_flag(&now).to_string(),
                        });
                    }
                    let done = sqlx::query(UPDATE)
                        .bind(&k)
                        .bind(enabled)
                        .bind(i64::from(rollout))
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_err(what))?;
                    if done.rows_affected() != 1 {
                        // Dropping `tx` rolls back.
                        return Err(ControlError::Sql {
                            what: what.into(),
                            message: format!(
                                "{} rows would change, expected exactly 1; rolled back",
                                done.rows_affected()
                            ),
                        });
                    }
                    tx.commit().await.map_err(sql_err(what))?;
                    Ok(Ok(()))
                })
            })
            .await?;
        match outcome {
            Ok(()) => Ok(()),
            Err(()) => Err(self.unknown(key, self.known().await)),
        }
    }

    async fn breakers(&self) -> Result<Vec<BreakerState>, ControlError> {
        Err(ControlError::NoBreakers { adapter: "sql" })
    }

    async fn breaker(&self, _provider: &str) -> Result<BreakerState, ControlError> {
        Err(ControlError::NoBreakers { adapter: "sql" })
    }

    async fn act(&self, _provider: &str, _action: BreakerAction, _from: &str) -> Result<(), ControlError> {
        Err(ControlError::NoBreakers { adapter: "sql" })
    }
}
