//! Reading signals: one Prometheus query (through `probe::prom_api`, the client the `prometheus`
//! step uses) or one SQL query (sqlx, read-only, `statement_timeout` set), each under the
//! target's deadline and body cap, cancelled with the caller's token.
//!
//! Owns turning what came back into [`Data`]: a failed call, a rejected query, an answer over the
//! cap, no series, more than one series, or only NaN/Inf values are each no data with a reason
//! that names the signal and the environment; NaN/Inf samples among good ones are dropped and
//! counted. `$window` in PromQL becomes the rate window here.

use std::time::Duration;

use futures_util::StreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Row};
use tokio_util::sync::CancellationToken;

use super::model::{Data, Point, Points, SeriesResult, Signal, SourceKind, ValueResult};
use super::{promql_duration, Target, MAX_POINTS};
use crate::probe::prom_api::{self, At, Auth, Series};
use crate::probe::CONNECT_TIMEOUT;

/// Queries in flight at once against one source.
const CONCURRENCY: usize = 8;

/// `query` with `$window` as a PromQL duration of `window` seconds.
pub fn with_window(query: &str, window: u64) -> String {
    query.replace("$window", &promql_duration(window.max(1)))
}

/// One PromQL query against `target`'s Prometheus: its series, or why there are none. The
/// reason names neither signal nor environment (callers add them).
pub async fn prom(
    target: &Target,
    promql: &str,
    at: At,
    cancel: &CancellationToken,
) -> Result<Vec<Series>, String> {
    let Some(p) = &target.prometheus else {
        return Err("no PROMETHEUS_URL".into());
    };
    let url = prom_api::url(&p.url, promql, at)?;
    let client = crate::probe::http::client(CONNECT_TIMEOUT, crate::probe::http::MAX_REDIRECTS, false)
        .map_err(|f| f.message)?;
    let auth = match &p.auth {
        super::PromAuth::None => Auth::None,
        super::PromAuth::Bearer(t) => Auth::Bearer(t.clone()),
        super::PromAuth::Basic { user, password } => Auth::Basic {
            user: user.clone(),
            password: password.clone(),
        },
    };
    let call = prom_api::fetch(&client, url, &auth, target.deadline, target.body_cap);
    let got = tokio::select! {
        _ = cancel.cancelled() => return Err("cancelled".into()),
        got = call => got.map_err(|f| target.redact(&f.message))?,
    };
    if got.over {
        return Err(format!(
            "the answer is larger than {} MiB: narrow the query",
            target.body_cap >> 20
        ));
    }
    let (kind, result) = prom_api::answer(got.status, &got.body).map_err(|f| target.redact(&f.message))?;
    Ok(prom_api::series(&kind, &result))
}

/// The one series of a signal's answer, finite points only; else why not.
pub fn one_series(series: Vec<Series>) -> Result<Points, String> {
    let n = series.len();
    let mut it = series.into_iter();
    let s = match (it.next(), n) {
        (None, _) => return Err("the query matched no series".into()),
        (Some(s), 1) => s,
        (Some(_), n) => {
            return Err(format!(
                "the query answered {n} series; a signal is one series (aggregate it: sum, max)"
            ))
        }
    };
    let total = s.points.len();
    let points: Vec<Point> = s
        .points
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(t, v)| Point {
            t: t.floor() as i64,
            v,
        })
        .collect();
    let dropped = u32::try_from(total - points.len()).unwrap_or(u32::MAX);
    if points.is_empty() {
        return Err(if total == 0 {
            "the series has no samples".into()
        } else {
            format!("every value Prometheus answered is NaN or infinite ({total} samples)")
        });
    }
    Ok(Points { points, dropped })
}

fn no_data<T>(signal: &Signal, target: &Target, why: &str) -> Data<T> {
    Data::NoData {
        reason: format!("signal `{}` of environment `{}`: {why}", signal.name, target.env),
    }
}

/// Every signal over `[start, end]`, concurrently, in the order given.
pub async fn range_all(
    target: &Target,
    signals: &[Signal],
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> Vec<SeriesResult> {
    let step = step.max(1);
    // Prometheus refuses more than 11,000 points a series: widen the step instead.
    let span = (end - start).max(0);
    let step = step.max(u32::try_from(span / MAX_POINTS + 1).unwrap_or(u32::MAX));
    let jobs: Vec<_> = signals
        .iter()
        .map(|s| range_one(target, s, start, end, step, cancel))
        .collect();
    futures_util::stream::iter(jobs)
        .buffered(CONCURRENCY)
        .collect()
        .await
}

async fn range_one(
    target: &Target,
    s: &Signal,
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> SeriesResult {
    let (query, got) = match s.source {
        SourceKind::Prometheus => {
            let q = with_window(&s.query, target.rate_window(step));
            let at = At::Range {
                start: start as f64,
                end: end as f64,
                step: f64::from(step),
            };
            let got = prom(target, &q, at, cancel).await.and_then(one_series);
            (q, got)
        }
        SourceKind::Sql => (
            s.query.clone(),
            sql(target, &s.query, start, end, step, cancel).await,
        ),
    };
    SeriesResult {
        signal: s.clone(),
        query,
        data: match got {
            Ok(p) => Data::Ok { value: p },
            Err(why) => no_data(s, target, &why),
        },
    }
}

/// Every signal's latest value at `at`.
pub async fn instant_all(
    target: &Target,
    signals: &[Signal],
    at: i64,
    window: u32,
    cancel: &CancellationToken,
) -> Vec<ValueResult> {
    let jobs: Vec<_> = signals
        .iter()
        .map(|s| instant_one(target, s, at, window, cancel))
        .collect();
    futures_util::stream::iter(jobs)
        .buffered(CONCURRENCY)
        .collect()
        .await
}

async fn instant_one(
    target: &Target,
    s: &Signal,
    at: i64,
    window: u32,
    cancel: &CancellationToken,
) -> ValueResult {
    let (query, got) = match s.source {
        SourceKind::Prometheus => {
            let q = with_window(&s.query, u64::from(window));
            let got = prom(target, &q, At::Instant(at as f64), cancel)
                .await
                .and_then(one_series);
            (q, got)
        }
        SourceKind::Sql => {
            let step = window.max(1);
            let got = sql(target, &s.query, at - i64::from(step), at, step, cancel).await;
            (s.query.clone(), got)
        }
    };
    let data = match got.map(|p| p.points.last().copied()) {
        Ok(Some(p)) => Data::Ok { value: p },
        Ok(None) => no_data(s, target, "no samples"),
        Err(why) => no_data(s, target, &why),
    };
    ValueResult {
        signal: s.clone(),
        query,
        data,
    }
}

/// A SQL signal over `[start, end]`: rows `(t, value)`, in a read-only session under the
/// target's deadline.
async fn sql(
    target: &Target,
    query: &str,
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> Result<Points, String> {
    let Some(url) = &target.database else {
        return Err("no SIGNALS_DATABASE_URL".into());
    };
    let work = async {
        let opts: PgConnectOptions = url
            .expose()
            .trim()
            .parse()
            .map_err(|e| format!("bad Postgres URL: {e}"))?;
        let mut conn = opts
            .application_name("flightdeck-signals")
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        let rows = rows(&mut conn, target.deadline, query, start, end, step).await;
        let _ = tokio::time::timeout(Duration::from_millis(200), conn.close()).await;
        rows
    };
    let rows = tokio::select! {
        _ = cancel.cancelled() => return Err("cancelled".into()),
        r = tokio::time::timeout(target.deadline, work) => r.map_err(|_| format!(
            "no answer within {}", crate::probe::human_duration(target.deadline)
        ))?,
    }
    .map_err(|e| target.redact(&e))?;
    one_series(vec![Series {
        labels: serde_json::Value::Null,
        points: rows,
    }])
}

async fn rows(
    conn: &mut PgConnection,
    deadline: Duration,
    query: &str,
    start: i64,
    end: i64,
    step: u32,
) -> Result<Vec<(f64, f64)>, String> {
    let setup = format!(
        "SET statement_timeout = {}; SET default_transaction_read_only = on",
        deadline.as_millis().max(1)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
        .execute(&mut *conn)
        .await
        .map_err(|e| e.to_string())?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(query.to_owned()))
        .bind(start as f64)
        .bind(end as f64)
        .bind(f64::from(step))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) => format!("Postgres rejected the query: {}", d.message()),
            _ => e.to_string(),
        })?;
    rows.iter()
        .map(|r| {
            let t: f64 = r.try_get(0).map_err(|e| format!("column 1 (t, float8): {e}"))?;
            let v: Option<f64> = r
                .try_get(1)
                .map_err(|e| format!("column 2 (value, float8): {e}"))?;
            Ok((t, v.unwrap_or(f64::NAN)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(points: &[(f64, f64)]) -> Series {
        Series {
            labels: serde_json::Value::Null,
            points: points.to_vec(),
        }
    }

    #[test]
    fn a_signal_is_one_series_of_finite_points() {
        let p = one_series(vec![s(&[(1.0, 2.0), (2.0, f64::NAN), (3.0, 4.0)])]).expect("points");
        assert_eq!(p.points, vec![Point { t: 1, v: 2.0 }, Point { t: 3, v: 4.0 }]);
        assert_eq!(p.dropped, 1, "the NaN is counted, not drawn");
        let err = one_series(vec![]).expect_err("nothing");
        assert!(err.contains("no series"));
        let err = one_series(vec![s(&[(1.0, 1.0)]), s(&[(1.0, 1.0)])]).expect_err("two");
        assert!(err.contains("2 series"));
        let err = one_series(vec![s(&[(1.0, f64::NAN), (2.0, f64::INFINITY)])]).expect_err("only NaN");
        assert!(err.contains("NaN or infinite"), "NaN is not a value: {err}");
    }

    #[test]
    fn window_placeholders_become_promql_durations() {
        assert_eq!(with_window("rate(x[$window])", 120), "rate(x[2m])");
        assert_eq!(with_window("rate(x[$window])", 0), "rate(x[1s])");
    }
}
