//! Health endpoints (healthy, degraded by one provider, unknown routes, the sandbox's info) and
//! the rate limit (its budget, Retry-After, per-client buckets, and the flag that turns it off).

use flightdeck_sandbox::Sandbox;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{client, get, post, TestResult};

pub async fn health(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    for path in ["/health", "/api/health/database", "/api/health/providers"] {
        let (status, v) = get(&http, format!("{base}{path}")).await?;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["status"], "Healthy", "{path}: {v}");
    }
    let (_, db) = get(&http, format!("{base}/api/health/database")).await?;
    assert_eq!(db["backend"], sb.backend().as_str());
    assert_eq!(
        db["tables"]["feature_flags"], 5,
        "the health query really counts the seeded rows: {db}"
    );
    assert_eq!(db["tables"]["circuit_breakers"], 6, "{db}");
    let (_, prov) = get(&http, format!("{base}/api/health/providers")).await?;
    let names: Vec<&str> = prov["providers"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["apns", "fcm", "square", "stripe", "twilio"],
        "test-provider is a fixture: {prov}"
    );
    let (_, app) = get(&http, format!("{base}/health")).await?;
    assert_eq!(
        app["checks"],
        json!({"database": "Healthy", "providers": "Healthy"})
    );

    // One provider out degrades (still 200); the platform answers, with less.
    post(&http, format!("{base}/admin/circuit-breakers/fcm/trip")).await?;
    let (status, prov) = get(&http, format!("{base}/api/health/providers")).await?;
    assert_eq!(
        (status, prov["status"].as_str()),
        (StatusCode::OK, Some("Degraded")),
        "{prov}"
    );
    let (status, app) = get(&http, format!("{base}/health")).await?;
    assert_eq!(
        (status, app["status"].as_str()),
        (StatusCode::OK, Some("Degraded")),
        "{app}"
    );
    post(&http, format!("{base}/admin/circuit-breakers/fcm/reset")).await?;

    let (status, v) = get(&http, format!("{base}/no/such/route")).await?;
    assert_eq!(status, 404);
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("/no/such/route")),
        "{v}"
    );
    let (status, info) = get(&http, format!("{base}/__sandbox/info")).await?;
    assert_eq!(status, 200);
    assert_eq!(info["rate_limit"], json!({"limit": 5, "window_seconds": 10}));
    Ok(())
}

pub async fn rate_limit(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let url = format!("{}/api/test-rate-limit", sb.base_url());
    // As the checklist does it: ten plain requests from one address.
    let mut codes = Vec::new();
    let mut retry_after = Vec::new();
    for _ in 0..10 {
        let r = http.get(&url).send().await?;
        codes.push(r.status().as_u16());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let secs: u64 = r
                .headers()
                .get("retry-after")
                .ok_or("429 without Retry-After")?
                .to_str()?
                .parse()?;
            retry_after.push(secs);
            let v: Value = r.json().await?;
            assert_eq!(v["retry_after_seconds"], secs, "{v}");
        } else {
            assert_eq!(
                r.headers().get("x-ratelimit-limit").and_then(|v| v.to_str().ok()),
                Some("5")
            );
        }
    }
    assert_eq!(
        codes,
        [200, 200, 200, 200, 200, 429, 429, 429, 429, 429],
        "budget is 5 per 10 s"
    );
    assert!(
        retry_after.iter().all(|s| (1..=10).contains(s)),
        "Retry-After is whole seconds within the window: {retry_after:?}"
    );

    // Another client (named by X-Client-Id) has its own bucket.
    let r = http.get(&url).header("x-client-id", "other").send().await?;
    assert_eq!(r.status(), 200);

    // With the flag off, nothing is limited; back on, the bucket is as it was.
    let flag = format!("{}/admin/feature-flags/rate_limiting_enabled", sb.base_url());
    let r = http.post(&flag).body(r#"{"is_enabled":false}"#).send().await?;
    assert_eq!(r.status(), 200);
    let (status, v) = get(&http, url.clone()).await?;
    assert_eq!(
        (status, v["rate_limiting"].as_str()),
        (StatusCode::OK, Some("disabled"))
    );
    http.post(&flag).body(r#"{"is_enabled":true}"#).send().await?;
    assert_eq!(http.get(&url).send().await?.status(), 429);
    Ok(())
}
