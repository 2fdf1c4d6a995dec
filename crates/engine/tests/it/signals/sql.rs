//! SQL signals through sqlx against a real Postgres (`.ci/services.sh`): the sandbox, on a fresh
//! database of that Postgres, records its synthetic payments, and the golden set's
//! `payment_success_db` reads their success share per step; a query Postgres rejects and one
//! that outlives the deadline are no data naming the signal and the environment.

use std::time::{Duration, Instant};

use flightdeck_engine::signals::{self, Data, SourceKind};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::config;
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

use super::{now, target_with};

/// A database of its own on the test Postgres (dropped at the end, best effort: the whole
/// Postgres is thrown away after the run).
async fn fresh_database(url: &str, name: &str) -> String {
    let mut conn = PgConnection::connect(url)
        .await
        .expect("connect to the test Postgres");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .execute(&mut conn)
        .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create a database");
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_success_reads_from_postgres_through_sql() {
    let Some(pg) = needs::postgres() else { return };
    let name = format!("signals_{}", std::process::id());
    let db = fresh_database(&pg, &name).await;
    let sb = flightdeck_sandbox::start(config(Some(db.clone()), true))
        .await
        .expect("a sandbox on Postgres");
    let target = target_with(
        "staging-eu",
        &[
            ("SIGNALS_DATABASE_URL", &db),
            ("SIGNALS_DEADLINE", "2s"),
            (
                "SIGNAL_SLOW",
                "latency seconds sql: SELECT extract(epoch FROM now())::float8, 1.0::float8 FROM pg_sleep(5)",
            ),
            ("SIGNAL_BROKEN", "errors ratio sql: SELECT t, FROM nowhere"),
        ],
        &[],
    );
    let list = signals::for_env(&target).expect("signals");
    let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["payment_success_db", "broken", "slow"],
        "no Prometheus: SQL signals only"
    );
    assert!(list.iter().all(|s| s.source == SourceKind::Sql));

    // The synthetic traffic pays twice in every twenty calls (50 ms apart): rows within seconds.
    let cancel = CancellationToken::new();
    let t = Instant::now();
    let points = loop {
        let got = signals::range(&target, &list[..1], now() - 120, now(), 5, &cancel).await;
        if let Data::Ok { value } = &got[0].data {
            break value.clone();
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no payments read: {:?}",
            got[0].data
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        points.points.iter().all(|p| (0.0..=1.0).contains(&p.v)),
        "{points:?}"
    );

    let got = signals::range(&target, &list[1..], now() - 60, now(), 5, &cancel).await;
    let broken = got[0].data.reason().expect("rejected");
    assert!(
        broken.contains("signal `broken` of environment `staging-eu`")
            && broken.contains("Postgres rejected"),
        "{broken}"
    );
    let slow = got[1].data.reason().expect("over the deadline");
    assert!(
        slow.contains("signal `slow` of environment `staging-eu`")
            && (slow.contains("within 2") || slow.contains("statement timeout")),
        "{slow}"
    );

    sb.shutdown().await;
    let mut conn = PgConnection::connect(&pg).await.expect("connect");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
}
