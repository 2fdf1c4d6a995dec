//! The scenarios again, on Postgres (`FLIGHTDECK_TEST_PG_URL`, e.g. `postgres://postgres@127.0.0.1:25432/postgres`).
//!
//! Each scenario gets a database of its own, created here and dropped afterwards. Without the variable the
//! test fails when `CI` is set (CI must exercise Postgres) and otherwise returns early saying why.

use std::future::Future;

use flightdeck_sandbox::{start, Backend, Sandbox};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::config;
use sqlx::Connection;

use crate::common::TestResult;
use crate::scenarios;

async fn admin(url: &str, sql: String) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
    conn.close().await
}

async fn with_database<F, Fut>(admin_url: &str, traffic: bool, scenario: F) -> TestResult
where
    F: FnOnce(Sandbox) -> Fut,
    Fut: Future<Output = TestResult>,
{
    let name = format!("fd_sandbox_{}", uuid::Uuid::new_v4().simple());
    admin(admin_url, format!("CREATE DATABASE {name}")).await?;
    let mut url = reqwest::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    let outcome = async {
        let sb = start(config(Some(url.to_string()), traffic)).await?;
        assert_eq!(sb.backend(), Backend::Postgres);
        scenario(sb).await
    }
    .await;
    let dropped = admin(admin_url, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    outcome?;
    dropped?;
    Ok(())
}

macro_rules! run {
    ($url:expr, $traffic:expr, $scenario:path) => {
        with_database($url, $traffic, |sb| async move {
            let result = $scenario(&sb).await;
            sb.shutdown().await;
            result
        })
        .await
        .map_err(|e| format!("{} on postgres: {e}", stringify!($scenario)))?
    };
}

#[tokio::test]
async fn postgres_backend_passes_every_scenario() -> TestResult {
    let Some(url) = needs::postgres() else {
        return Ok(());
    };
    run!(&url, false, scenarios::health);
    run!(&url, false, scenarios::rate_limit);
    run!(&url, false, scenarios::register_orders_payments);
    run!(&url, false, scenarios::breakers);
    run!(&url, false, scenarios::flags_and_budgets);
    run!(&url, false, scenarios::preconditions);
    run!(&url, false, scenarios::faults);
    run!(&url, true, scenarios::metrics_grow);
    Ok(())
}
