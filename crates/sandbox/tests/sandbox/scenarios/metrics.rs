//! `/metrics` as Prometheus text: the families and their types, counters that grow with the
//! synthetic traffic, the checklist's routes in the mix, and faults showing in the numbers.

use std::time::Duration;

use flightdeck_sandbox::{Fault, Sandbox};
use reqwest::Client;

use crate::common::{client, TestResult};
use crate::prom;

pub async fn metrics_grow(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let url = format!("{}/metrics", sb.base_url());
    // Let the traffic (every 50 ms in tests) get going.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let first = scrape(&http, &url).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = scrape(&http, &url).await?;
    families_have_their_types(&first, &second);
    counters_grow_over_the_checklists_routes(&first, &second);
    every_golden_signal_class_moves(&first, &second);

    // Errors show up in the numbers as 500s.
    sb.set_fault(Fault::Errors(100.0));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let third = scrape(&http, &url).await?;
    assert!(third.sum("http_requests_total", &[("status", "500")]) > 0.0);
    assert_eq!(third.sum("sandbox_fault_active", &[("fault", "errors")]), 1.0);
    Ok(())
}

/// The synthetic traffic keeps latency, traffic, errors and saturation moving: the database
/// query histogram and busy seconds grow, and users are active (M31 §4's sub-items).
fn every_golden_signal_class_moves(first: &prom::Exposition, second: &prom::Exposition) {
    assert_eq!(
        first.types.get("db_query_duration_seconds").map(String::as_str),
        Some("histogram")
    );
    let queries = |e: &prom::Exposition| e.sum("db_query_duration_seconds_count", &[]);
    assert!(
        queries(second) > queries(first),
        "orders and payments query the database"
    );
    assert!(
        second.sum("db_connections_busy_seconds_total", &[])
            > first.sum("db_connections_busy_seconds_total", &[]),
        "busy seconds grow with the queries, so the saturation of connections moves"
    );
    assert!(
        second.sum("db_query_duration_seconds_bucket", &[("le", "0.1")]) > 0.0,
        "the 100 ms bucket of the DB latency SLO exists"
    );
    assert!(
        second.sum("active_users", &[]) >= 1.0,
        "the traffic speaks for user sessions"
    );
}

/// `url` (the sandbox's `/metrics`), which must be Prometheus text 0.0.4, parsed.
async fn scrape(http: &Client, url: &str) -> Result<prom::Exposition, Box<dyn std::error::Error>> {
    let r = http.get(url).send().await?;
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await?;
    prom::parse(&text).map_err(|e| -> Box<dyn std::error::Error> { e.into() })
}

/// The histogram, the counter and the gauges are announced with their types in the `first`
/// scrape, and the gauges hold sane values in the `second`.
fn families_have_their_types(first: &prom::Exposition, second: &prom::Exposition) {
    assert_eq!(
        first
            .types
            .get("http_request_duration_seconds")
            .map(String::as_str),
        Some("histogram")
    );
    assert_eq!(
        first.types.get("http_requests_total").map(String::as_str),
        Some("counter")
    );
    for gauge in [
        "process_cpu_ratio",
        "db_connections_in_use",
        "db_connections_max",
        "http_requests_in_flight",
    ] {
        assert_eq!(
            first.types.get(gauge).map(String::as_str),
            Some("gauge"),
            "{gauge}"
        );
        assert!(second.has(gauge), "{gauge}");
    }
    assert_eq!(second.sum("db_connections_max", &[]), 4.0);
    let cpu = second.sum("process_cpu_ratio", &[]);
    assert!((0.0..=1.0).contains(&cpu), "{cpu}");
}

/// Between the two scrapes the counters grew, the counter and the histogram agree, and the mix
/// covers the checklist's routes (with route templates as labels) and declines.
fn counters_grow_over_the_checklists_routes(first: &prom::Exposition, second: &prom::Exposition) {
    let total = |e: &prom::Exposition| e.sum("http_requests_total", &[]);
    let count = |e: &prom::Exposition| e.sum("http_request_duration_seconds_count", &[]);
    assert!(
        total(first) > 0.0,
        "traffic has hit the sandbox before the first scrape"
    );
    assert!(
        total(second) >= total(first) + 10.0,
        "{} -> {}",
        total(first),
        total(second)
    );
    assert!(count(second) > count(first));
    assert_eq!(
        total(second),
        count(second),
        "counter and histogram see the same requests"
    );
    // The mix covers the checklist's routes, with route templates as labels.
    for route in [
        "/health",
        "/api/health/database",
        "/api/test-rate-limit",
        "/api/orders",
        "/api/payments/process",
        "/admin/circuit-breakers/{provider}/status",
    ] {
        assert!(
            second.sum("http_requests_total", &[("route", route)]) > 0.0,
            "{route} has traffic"
        );
    }
    assert!(
        second.sum(
            "http_requests_total",
            &[("route", "/api/payments/process"), ("status", "402")]
        ) > 0.0,
        "declines are in the mix"
    );
    assert!(second.sum("sandbox_synthetic_requests_total", &[("outcome", "answered")]) > 0.0);
    assert_eq!(second.sum("http_requests_total", &[("route", "/metrics")]), 0.0);
    assert_eq!(
        second.sum(
            "circuit_breaker_state",
            &[("provider", "stripe"), ("state", "closed")]
        ),
        1.0
    );
}
