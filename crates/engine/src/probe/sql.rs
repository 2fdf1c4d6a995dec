//! `sql` steps: one query against Postgres, judged on its rows (`rows >= 1`, `value == 5`,
//! `json(.[0].is_enabled) == true`).
//!
//! Owns [`SqlSpec`] and running it through sqlx (runtime queries only). Rows come back as JSON
//! built by Postgres itself (`json_each(row_to_json(...))`), so every column type reads the same
//! way and column order is kept. Unless the step says `changes-target: true`, the session is
//! read-only: a step that only looks cannot change the target by mistake.

use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Row};

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::ProbeKind;
use super::output::Stream;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;

/// A Postgres query step.
#[derive(Debug, Clone, Serialize)]
pub struct SqlSpec {
    /// `postgres://user@host:port/db` (a password through `${secret:NAME}`).
    pub url: Template,
    /// `query:`, or the fence's code for a ```sql block.
    pub query: Template,
}

impl ProbeKind for SqlSpec {
    const NAME: &'static str = "sql";
    const KEYS: &'static [&'static str] = &["url", "query"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["rows", "value", "body", "duration"],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };

    fn from_keys(keys: &mut Keys, step: &Step) -> Result<Self, AnnotationError> {
        let (url, line) = keys.required_template("url")?;
        let s = url.source.trim_start();
        if !(s.starts_with("postgres://") || s.starts_with("postgresql://") || s.starts_with("${")) {
            return Err(AnnotationError::new(
                line,
                format!("`url: {}` must be a postgres:// URL", url.source),
            ));
        }
        let query = match keys.template("query")? {
            Some((q, _)) => q,
            None if step.lang.as_deref() == Some("sql") && !step.code.trim().is_empty() => {
                Template::parse(step.code.trim()).map_err(|m| AnnotationError::new(step.line, m))?
            }
            None => {
                return Err(AnnotationError::new(
                    keys.line(),
                    "sql steps need `query:` (or a ```sql fence holding the query)",
                ))
            }
        };
        Ok(SqlSpec { url, query })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        [&self.url, &self.query].into_iter()
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        format!(
            "{}\n{}",
            redact_password(&self.url.describe(env)),
            self.query.describe(env)
        )
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let spawn = |m: String| Observation::failed(Failure::new(FailureClass::SpawnError, m));
        let mut used = Vec::new();
        let url = match self.url.render(ctx.env, &mut used) {
            Ok(u) => u,
            Err(e) => return spawn(e.to_string()),
        };
        let query = match self.query.render(ctx.env, &mut used) {
            Ok(q) => q,
            Err(e) => return spawn(e.to_string()),
        };
        let opts: PgConnectOptions = match url.trim().parse() {
            Ok(o) => o,
            Err(e) => return spawn(format!("bad Postgres URL: {e}")),
        };
        let opts = opts.application_name("flightdeck-probe");
        let mut conn = match tokio::time::timeout(ctx.spec.connect_timeout, opts.connect()).await {
            Err(_) => {
                return Observation::failed(Failure::new(
                    FailureClass::Timeout,
                    format!(
                        "no Postgres connection within the connect timeout of {}",
                        super::human_duration(ctx.spec.connect_timeout)
                    ),
                ))
            }
            Ok(Err(e)) => return Observation::failed(classify(&e)),
            Ok(Ok(c)) => c,
        };
        let result = self.query_rows(&mut conn, &query, ctx).await;
        // Closing politely is best effort; the connection is dropped either way.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), conn.close()).await;
        let (rows, affected) = match result {
            Ok(r) => r,
            Err(e) => return Observation::failed(classify(&e)),
        };
        let mut obs = Observation::default();
        let n = affected.unwrap_or(rows.len() as u64);
        obs.facts.scalars.insert("rows", Value::Num(n as f64));
        let first = rows
            .first()
            .and_then(|r| r.first())
            .map_or(Value::Missing, |(_, v)| Value::from_json(v));
        obs.facts.scalars.insert("value", first);
        let objects: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::Value::Object(r.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
            .collect();
        // The body shows rows as JSON lines, columns in the query's order.
        let mut body = String::new();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .map(|(k, v)| format!("{}: {v}", serde_json::Value::String(k.clone())))
                .collect();
            body.push_str(&format!("{{{}}}\n", cells.join(", ")));
        }
        if let Some(a) = affected {
            body.push_str(&format!("({a} rows affected)\n"));
        }
        ctx.streams.push(Stream::Body, body.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        obs.facts.json = Some(serde_json::Value::Array(objects));
        obs.facts
            .scalars
            .insert("body", Value::Str(ctx.streams.text(Stream::Body)));
        obs
    }
}

impl SqlSpec {
    /// Rows as ordered (column, value) lists, or the count of affected rows for a statement
    /// without rows.
    async fn query_rows(
        &self,
        conn: &mut PgConnection,
        query: &str,
        ctx: &Ctx<'_>,
    ) -> Result<(Vec<Vec<(String, serde_json::Value)>>, Option<u64>), sqlx::Error> {
        let ms = ctx.spec.deadline.as_millis().max(1);
        let read_only = if ctx.spec.changes_target { "off" } else { "on" };
        let setup = format!("SET statement_timeout = {ms}; SET default_transaction_read_only = {read_only}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
            .execute(&mut *conn)
            .await?;
        let q = query.trim().trim_end_matches(';').trim();
        let first = q.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        let has_returning = q.to_ascii_lowercase().contains("returning");
        let wrapped = match first.as_str() {
            "select" | "with" | "values" | "table" => {
                Some(format!("SELECT ({ROW_JSON})::text FROM ({q}) AS q"))
            }
            "insert" | "update" | "delete" if has_returning => {
                Some(format!("WITH q AS ({q}) SELECT ({ROW_JSON})::text FROM q"))
            }
            _ => None,
        };
        let Some(wrapped) = wrapped else {
            let done = sqlx::raw_sql(sqlx::AssertSqlSafe(q.to_owned()))
                .execute(&mut *conn)
                .await?;
            return Ok((Vec::new(), Some(done.rows_affected())));
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(wrapped))
            .fetch_all(&mut *conn)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let text: Option<String> = row.try_get(0)?;
            let pairs: Vec<(String, serde_json::Value)> = match text {
                None => Vec::new(),
                Some(t) => serde_json::from_str::<Vec<(String, serde_json::Value)>>(&t)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            };
            out.push(pairs);
        }
        Ok((out, None))
    }
}

/// One row as `[[column, value], ...]` in column order (duplicate names kept).
const ROW_JSON: &str =
    "SELECT coalesce(json_agg(json_build_array(e.key, e.value)), '[]'::json) FROM json_each(row_to_json(q)) AS e";

pub(crate) fn classify(e: &sqlx::Error) -> Failure {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let class = match e {
        sqlx::Error::Database(_) => FailureClass::QueryError,
        sqlx::Error::Tls(_) => FailureClass::Tls,
        sqlx::Error::PoolTimedOut => FailureClass::Timeout,
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => FailureClass::ConnectRefused,
            std::io::ErrorKind::TimedOut => FailureClass::Timeout,
            _ if lower.contains("lookup") || lower.contains("resolve") || lower.contains("not known") => {
                FailureClass::Dns
            }
            _ => FailureClass::Transport,
        },
        sqlx::Error::Configuration(_) => FailureClass::SpawnError,
        _ if lower.contains("tls") || lower.contains("ssl") => FailureClass::Tls,
        _ => FailureClass::Transport,
    };
    let message = match e {
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => format!("{} (SQLSTATE {code})", d.message()),
            None => d.message().to_owned(),
        },
        _ => text,
    };
    Failure::new(class, message)
}

/// `postgres://u:pw@h/db` → `postgres://u:***@h/db` (a literal password in the annotation).
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.split_once('@') {
        Some(p) => p,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, pw)) if !pw.starts_with("${secret:") => format!("{scheme}://{user}:***@{host}"),
        _ => url.to_owned(),
    }
}
