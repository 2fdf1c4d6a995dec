//! Integration tests: real sandboxes on 127.0.0.1 driven over HTTP with reqwest.
//!
//! Each scenario in `scenarios` is run against SQLite here, one sandbox per test, and again against
//! Postgres in `postgres` when `FLIGHTDECK_TEST_PG_URL` is set (each scenario in a fresh database).

mod common;
mod postgres;
mod prom;
mod scenarios;

use common::{sqlite_sandbox, TestResult};

#[tokio::test]
async fn health_endpoints_report_healthy_with_json_status() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::health(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_past_the_budget() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::rate_limit(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn register_orders_and_payments_follow_the_checklist_flows() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::register_orders_payments(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn breakers_trip_reset_and_open_after_consecutive_failures() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::breakers(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn feature_flags_and_budgets_have_the_m31_expected_state() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::flags_and_budgets(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn faults_switch_latency_errors_down_and_clear() -> TestResult {
    let sb = sqlite_sandbox(false).await?;
    scenarios::faults(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_grow_with_traffic() -> TestResult {
    let sb = sqlite_sandbox(true).await?;
    scenarios::metrics_grow(&sb).await?;
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn shutdown_stops_answering_and_a_given_sqlite_path_keeps_its_data() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kept.db");
    let cfg = || flightdeck_sandbox::SandboxConfig {
        db: Some(format!("sqlite:{}", path.display())),
        traffic: false,
        ..Default::default()
    };
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
