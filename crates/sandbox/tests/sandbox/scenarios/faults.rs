//! Faults: latency (the API slowed, `/metrics` and `/__sandbox` never), errors, down (`/metrics`
//! too; switched over HTTP as another process would), a bad fault refused, faults combined, and
//! clear.

use std::time::{Duration, Instant};

use flightdeck_sandbox::{Fault, Sandbox};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::common::{body, client, get, TestResult};
use crate::prom;

pub async fn faults(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    latency(sb, &http, &base).await?;
    errors(sb, &http, &base).await?;
    down(&http, &base).await?;
    refused_and_combined(&http, &base).await?;
    clear(sb, &http, &base).await
}

/// `/metrics`, parsed.
async fn scrape(http: &Client, base: &str) -> Result<prom::Exposition, Box<dyn std::error::Error>> {
    let text = http.get(format!("{base}/metrics")).send().await?.text().await?;
    prom::parse(&text).map_err(|e| -> Box<dyn std::error::Error> { e.into() })
}

/// Latency: every API answer takes the delay; /metrics and /__sandbox do not.
async fn latency(sb: &Sandbox, http: &Client, base: &str) -> TestResult {
    let health_200 = [("route", "/health"), ("status", "200")];
    sb.set_fault(Fault::Latency(Duration::from_millis(800)));
    let before = scrape(http, base).await?;
    let t = Instant::now();
    let r = http.get(format!("{base}/health")).send().await?;
    let took = t.elapsed();
    assert_eq!(r.status(), 200);
    assert!(took >= Duration::from_millis(800), "latency=800ms, took {took:?}");
    let t = Instant::now();
    let after = scrape(http, base).await?;
    http.get(format!("{base}/__sandbox/fault")).send().await?;
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "/metrics and /__sandbox are never faulted"
    );
    let le = |e: &prom::Exposition, bound: &str| {
        let mut f = health_200.to_vec();
        f.push(("le", bound));
        e.sum("http_request_duration_seconds_bucket", &f)
    };
    assert_eq!(le(&after, "+Inf") - le(&before, "+Inf"), 1.0);
    assert_eq!(
        le(&after, "0.5"),
        le(&before, "0.5"),
        "the slow answer lands above the 500 ms SLO bucket"
    );
    Ok(())
}

/// Errors: 100% of API requests answer 500.
async fn errors(sb: &Sandbox, http: &Client, base: &str) -> TestResult {
    sb.clear_faults();
    sb.set_fault(Fault::Errors(100.0));
    for path in ["/health", "/api/test-rate-limit", "/admin/feature-flags"] {
        let (status, v) = get(http, format!("{base}{path}")).await?;
        assert_eq!(status, 500, "{path}: {v}");
    }
    assert_eq!(http.get(format!("{base}/metrics")).send().await?.status(), 200);
    Ok(())
}

/// Down, switched over HTTP as another process would: health reports Unhealthy with 503.
async fn down(http: &Client, base: &str) -> TestResult {
    let r = http
        .post(format!("{base}/__sandbox/fault"))
        .body("clear")
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let (status, active) = body(
        http.post(format!("{base}/__sandbox/fault"))
            .body("down")
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200);
    assert_eq!(active["active"], json!(["down"]));
    for path in ["/health", "/api/health/database", "/api/health/providers"] {
        let (status, v) = get(http, format!("{base}{path}")).await?;
        assert_eq!(
            (status, v["status"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("Unhealthy")),
            "{path}: {v}"
        );
    }
    let (_, db) = get(http, format!("{base}/api/health/database")).await?;
    assert!(db["error"].as_str().is_some_and(|e| e.contains("down")), "{db}");
    let (status, _) = get(http, format!("{base}/admin/budgets")).await?;
    assert_eq!(status, 503, "the rest of the platform is down too");
    assert_eq!(
        http.get(format!("{base}/metrics")).send().await?.status(),
        503,
        "nothing to scrape while down: signals read no data, not a reassuring zero"
    );
    Ok(())
}

/// A fault that does not parse is refused, saying what is accepted; faults combine.
async fn refused_and_combined(http: &Client, base: &str) -> TestResult {
    let (status, v) = body(
        http.post(format!("{base}/__sandbox/fault"))
            .body("latency=fast")
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("accepted: latency=")),
        "{v}"
    );
    http.post(format!("{base}/__sandbox/fault"))
        .body("latency=800ms")
        .send()
        .await?;
    let (_, active) = get(http, format!("{base}/__sandbox/fault")).await?;
    assert_eq!(
        active["active"],
        json!(["latency=800ms", "down"]),
        "faults combine: {active}"
    );
    assert_eq!(active["latency_ms"], 800);
    Ok(())
}

/// Clear restores everything.
async fn clear(sb: &Sandbox, http: &Client, base: &str) -> TestResult {
    http.post(format!("{base}/__sandbox/fault"))
        .body("clear")
        .send()
        .await?;
    assert!(sb.faults().active.is_empty());
    let t = Instant::now();
    let (status, v) = get(http, format!("{base}/health")).await?;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("Healthy")),
        "{v}"
    );
    assert!(t.elapsed() < Duration::from_millis(800));
    Ok(())
}
