//! Integration tests: real sandboxes on 127.0.0.1 driven over HTTP with reqwest.
//!
//! Each scenario in `scenarios` is run against SQLite here, one sandbox per test, and again against
//! Postgres in `postgres` when `FLIGHTDECK_TEST_PG_URL` is set (each scenario in a fresh database).

mod common;
mod postgres;
mod prom;
mod scenarios;

use common::TestResult;
use flightdeck_testsupport::sandbox::start;

/// Runs `$scenario` on a new sandbox over a temp SQLite file, then shuts it down (whatever the
/// scenario's outcome); the scenario's result.
macro_rules! on_sqlite {
    ($traffic:expr, $scenario:path) => {{
        let sb = start($traffic).await?;
        let result = $scenario(&sb).await;
        sb.shutdown().await;
        result
    }};
}

#[tokio::test]
async fn health_endpoints_report_healthy_with_json_status() -> TestResult {
    on_sqlite!(false, scenarios::health)
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_past_the_budget() -> TestResult {
    on_sqlite!(false, scenarios::rate_limit)
}

#[tokio::test]
async fn register_orders_and_payments_follow_the_checklist_flows() -> TestResult {
    on_sqlite!(false, scenarios::register_orders_payments)
}

#[tokio::test]
async fn breakers_trip_reset_and_open_after_consecutive_failures() -> TestResult {
    on_sqlite!(false, scenarios::breakers)
}

#[tokio::test]
async fn feature_flags_and_budgets_have_the_m31_expected_state() -> TestResult {
    on_sqlite!(false, scenarios::flags_and_budgets)
}

#[tokio::test]
async fn admin_changes_hold_to_their_expected_state_or_answer_409() -> TestResult {
    on_sqlite!(false, scenarios::preconditions)
}

#[tokio::test]
async fn faults_switch_latency_errors_down_and_clear() -> TestResult {
    on_sqlite!(false, scenarios::faults)
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_grow_with_traffic() -> TestResult {
    on_sqlite!(true, scenarios::metrics_grow)
}

#[tokio::test]
async fn shutdown_stops_answering_and_a_given_sqlite_path_keeps_its_data() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kept.db");
    let cfg = || flightdeck_testsupport::sandbox::config(Some(format!("sqlite:{}", path.display())), false);
    let sb = flightdeck_sandbox::start(cfg()).await?;
    let base = sb.base_url();
    let http = common::client()?;
    let trip = http
        .post(format!("{base}/admin/circuit-breakers/square/trip"))
        .send()
        .await?;
    assert_eq!(trip.status(), 200);
    sb.shutdown().await;
    assert!(
        http.get(format!("{base}/health")).send().await.is_err(),
        "nothing may answer after shutdown"
    );

    // A second sandbox on the same file sees the breaker the first one tripped.
    let sb = flightdeck_sandbox::start(cfg()).await?;
    let status: serde_json::Value = http
        .get(format!("{}/admin/circuit-breakers/square/status", sb.base_url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(status["state"], "open");
    sb.shutdown().await;
    Ok(())
}
