//! The scenarios, written once and run against each backend. Each takes a fresh sandbox.

use std::time::{Duration, Instant};

use flightdeck_sandbox::{Fault, Sandbox};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

use crate::common::{client, TestResult};
use crate::prom;

async fn body(r: Response) -> Result<(StatusCode, Value), reqwest::Error> {
    let status = r.status();
    Ok((status, r.json().await?))
}

async fn get(http: &Client, url: String) -> Result<(StatusCode, Value), reqwest::Error> {
    body(http.get(url).send().await?).await
}

async fn post(http: &Client, url: String) -> Result<(StatusCode, Value), reqwest::Error> {
    body(http.post(url).send().await?).await
}

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

pub async fn register_orders_payments(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let register = |payload: &'static str| {
        http.post(format!("{base}/api/auth/register"))
            .header("content-type", "application/json")
            .body(payload)
            .send()
    };
    let r = register(r#"{"email":"cutover-test@example.com","password":"Test123!"}"#).await?;
    let (status, user) = body(r).await?;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "cutover-test@example.com");
    assert_eq!(user["token_type"], "Bearer");
    let token = user["token"].as_str().ok_or("no token")?.to_owned();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped: {token}");

    let (status, v) =
        body(register(r#"{"email":"CUTOVER-test@example.com","password":"Test123!"}"#).await?).await?;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::CONFLICT, Some("email")),
        "{v}"
    );
    let (status, v) = body(register(r#"{"email":"not-an-email","password":"Test123!"}"#).await?).await?;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email")),
        "{v}"
    );
    let (status, v) = body(register(r#"{"email":"a@example.com","password":"short"}"#).await?).await?;
    assert_eq!(
        (status, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password")),
        "{v}"
    );
    let (status, _) = body(register("not json").await?).await?;
    assert_eq!(status, 400);

    let order = |token: Option<String>| {
        let mut r = http
            .post(format!("{base}/api/orders"))
            .header("content-type", "application/json")
            .body(r#"{"service_id":1,"question_text":"Test order"}"#);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let (status, o) = body(order(Some(token.clone())).await?).await?;
    assert_eq!(status, 201, "{o}");
    assert_eq!(o["user_id"], user["user_id"]);
    assert_eq!(
        (o["service_id"].as_i64(), o["status"].as_str()),
        (Some(1), Some("pending"))
    );
    assert!(o["created_at"].is_string(), "{o}");
    let (status, o) = body(order(Some("sandbox-test-jwt".into())).await?).await?;
    assert_eq!(status, 201, "the fixed $TEST_JWT token works: {o}");
    let r = order(None).await?;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_eq!(order(Some(format!("{token}x"))).await?.status(), 401);

    // As the checklist sends it: JSON with curl -d's form Content-Type.
    let pay = |method: &str| {
        http.post(format!("{base}/api/payments/process"))
            .bearer_auth("sandbox-test-jwt")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(r#"{{"payment_method":"{method}","amount":1000}}"#))
            .send()
    };
    let (status, p) = body(pay("pm_card_visa").await?).await?;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["status"].as_str(), p["provider"].as_str()),
        (Some("succeeded"), Some("stripe"))
    );
    let (status, p) = body(pay("pm_card_chargeDeclined").await?).await?;
    assert_eq!(status, 402, "{p}");
    assert_eq!(p["decline_code"], "card_declined");
    let (status, p) = body(pay("pm_card_bogus").await?).await?;
    assert_eq!(status, 400, "{p}");
    let (status, p) = body(pay("pm_card_processingError").await?).await?;
    assert_eq!(status, 502, "{p}");
    let (_, b) = get(&http, format!("{base}/admin/circuit-breakers/stripe/status")).await?;
    assert_eq!(
        b["failure_count"], 1,
        "a provider error counts against the stripe breaker: {b}"
    );

    // An open stripe breaker stops payments; a reset lets them through again.
    post(&http, format!("{base}/admin/circuit-breakers/stripe/trip")).await?;
    let r = pay("pm_card_visa").await?;
    assert!(r.headers().contains_key("retry-after"));
    let (status, p) = body(r).await?;
    assert_eq!(
        (status, p["breaker_state"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("open")),
        "{p}"
    );
    post(&http, format!("{base}/admin/circuit-breakers/stripe/reset")).await?;
    assert_eq!(pay("pm_card_visa").await?.status(), 200);
    let r = http
        .post(format!("{base}/api/payments/process"))
        .body(r#"{"payment_method":"pm_card_visa","amount":1000}"#)
        .send()
        .await?;
    assert_eq!(r.status(), 401, "payments need a bearer token");
    Ok(())
}

pub async fn breakers(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let (status, t) = post(&http, format!("{base}/admin/circuit-breakers/test-provider/trip")).await?;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["before"]["state"], "closed");
    assert_eq!(
        (t["state"].as_str(), t["after"]["state"].as_str()),
        (Some("open"), Some("open"))
    );
    let (_, s) = get(
        &http,
        format!("{base}/admin/circuit-breakers/test-provider/status"),
    )
    .await?;
    assert_eq!(s["state"], "open", "{s}");
    let (_, r) = post(
        &http,
        format!("{base}/admin/circuit-breakers/test-provider/reset"),
    )
    .await?;
    assert_eq!(
        (r["before"]["state"].as_str(), r["state"].as_str()),
        (Some("open"), Some("closed"))
    );
    let (_, s) = get(
        &http,
        format!("{base}/admin/circuit-breakers/test-provider/status"),
    )
    .await?;
    assert_eq!(s["state"], "closed");

    // Four failures stay closed; the fifth in a row opens; a success in between starts the count over.
    for i in 1..=4 {
        let (_, f) = post(&http, format!("{base}/test/circuit-breaker/twilio/fail")).await?;
        assert_eq!(
            (f["state"].as_str(), f["failure_count"].as_i64()),
            (Some("closed"), Some(i)),
            "{f}"
        );
    }
    let (_, ok) = post(&http, format!("{base}/test/circuit-breaker/twilio/success")).await?;
    assert_eq!(ok["failure_count"], 0);
    for _ in 0..4 {
        post(&http, format!("{base}/test/circuit-breaker/twilio/fail")).await?;
    }
    let (_, f) = post(&http, format!("{base}/test/circuit-breaker/twilio/fail")).await?;
    assert_eq!(f["before"], json!({"state": "closed", "failure_count": 4}), "{f}");
    assert_eq!(f["after"], json!({"state": "open", "failure_count": 5}), "{f}");
    assert_eq!(f["failure_threshold"], 5);
    let (_, all) = get(&http, format!("{base}/admin/circuit-breakers")).await?;
    let open: Vec<&str> = all["breakers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|b| b["state"] == "open")
                .filter_map(|b| b["provider"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(open, ["twilio"], "{all}");

    for path in [
        "/admin/circuit-breakers/nope/trip",
        "/admin/circuit-breakers/nope/reset",
        "/test/circuit-breaker/nope/fail",
        "/test/circuit-breaker/nope/success",
    ] {
        let (status, v) = post(&http, format!("{base}{path}")).await?;
        assert_eq!(status, 404, "{path}");
        assert!(
            v["known_providers"].as_array().is_some_and(|a| a.len() == 6),
            "{v}"
        );
    }
    let (status, _) = get(&http, format!("{base}/admin/circuit-breakers/nope/status")).await?;
    assert_eq!(status, 404);
    Ok(())
}

pub async fn flags_and_budgets(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let (status, v) = get(&http, format!("{base}/admin/feature-flags")).await?;
    assert_eq!(status, 200);
    let state: Vec<(String, bool, i64)> = v["flags"]
        .as_array()
        .ok_or("no flags")?
        .iter()
        .map(|f| {
            (
                f["flag_key"].as_str().unwrap_or_default().to_owned(),
                f["is_enabled"].as_bool().unwrap_or_default(),
                f["rollout_percentage"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let expected = [
        ("budget_guards_enabled", true, 100),
        ("circuit_breakers_enabled", true, 100),
        ("community_enabled", false, 0),
        ("notifications_enabled", false, 1),
        ("rate_limiting_enabled", true, 100),
    ];
    let expected: Vec<(String, bool, i64)> = expected
        .iter()
        .map(|(k, e, p)| ((*k).to_owned(), *e, *p))
        .collect();
    assert_eq!(state, expected, "the M31 Expected State");

    let url = format!("{base}/admin/feature-flags/notifications_enabled");
    let (status, ch) = body(
        http.post(&url)
            .body(r#"{"is_enabled":true,"rollout_percentage":10}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200, "{ch}");
    assert_eq!(
        ch["before"],
        json!({"is_enabled": false, "rollout_percentage": 1})
    );
    assert_eq!(ch["after"], json!({"is_enabled": true, "rollout_percentage": 10}));
    let (_, one) = get(&http, url.clone()).await?;
    assert_eq!(one["rollout_percentage"], 10);
    let (status, _) = body(
        http.post(&url)
            .body(r#"{"rollout_percentage":101}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 400);
    let (status, _) = body(http.post(&url).body("{}").send().await?).await?;
    assert_eq!(status, 400);
    let (status, _) = body(
        http.post(format!("{base}/admin/feature-flags/nope"))
            .body(r#"{"is_enabled":true}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 404);

    let (status, b) = get(&http, format!("{base}/admin/budgets")).await?;
    assert_eq!(status, 200);
    let budgets = b["budgets"].as_array().ok_or("no budgets")?;
    assert!(budgets.len() >= 3, "{b}");
    assert!(
        budgets
            .iter()
            .all(|c| c["monthly_limit_cents"].as_i64().is_some_and(|l| l > 0)),
        "{b}"
    );
    assert!(
        budgets.iter().any(|c| c["alerting"] == true),
        "one seeded category is over its threshold: {b}"
    );
    Ok(())
}

pub async fn faults(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let scrape = || async {
        let text = http.get(format!("{base}/metrics")).send().await?.text().await?;
        prom::parse(&text).map_err(|e| -> Box<dyn std::error::Error> { e.into() })
    };
    let health_200 = [("route", "/health"), ("status", "200")];

    // Latency: every API answer takes the delay; /metrics and /__sandbox do not.
    sb.set_fault(Fault::Latency(Duration::from_millis(800)));
    let before = scrape().await?;
    let t = Instant::now();
    let r = http.get(format!("{base}/health")).send().await?;
    let took = t.elapsed();
    assert_eq!(r.status(), 200);
    assert!(took >= Duration::from_millis(800), "latency=800ms, took {took:?}");
    let t = Instant::now();
    let after = scrape().await?;
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

    // Errors: 100% of API requests answer 500.
    sb.clear_faults();
    sb.set_fault(Fault::Errors(100.0));
    for path in ["/health", "/api/test-rate-limit", "/admin/feature-flags"] {
        let (status, v) = get(&http, format!("{base}{path}")).await?;
        assert_eq!(status, 500, "{path}: {v}");
    }
    assert_eq!(http.get(format!("{base}/metrics")).send().await?.status(), 200);

    // Down, switched over HTTP as another process would: health reports Unhealthy with 503.
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
        let (status, v) = get(&http, format!("{base}{path}")).await?;
        assert_eq!(
            (status, v["status"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("Unhealthy")),
            "{path}: {v}"
        );
    }
    let (_, db) = get(&http, format!("{base}/api/health/database")).await?;
    assert!(db["error"].as_str().is_some_and(|e| e.contains("down")), "{db}");
    let (status, _) = get(&http, format!("{base}/admin/budgets")).await?;
    assert_eq!(status, 503, "the rest of the platform is down too");

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
    let (_, active) = get(&http, format!("{base}/__sandbox/fault")).await?;
    assert_eq!(
        active["active"],
        json!(["latency=800ms", "down"]),
        "faults combine: {active}"
    );
    assert_eq!(active["latency_ms"], 800);

    // Clear restores everything.
    http.post(format!("{base}/__sandbox/fault"))
        .body("clear")
        .send()
        .await?;
    assert!(sb.faults().active.is_empty());
    let t = Instant::now();
    let (status, v) = get(&http, format!("{base}/health")).await?;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("Healthy")),
        "{v}"
    );
    assert!(t.elapsed() < Duration::from_millis(800));
    Ok(())
}

pub async fn metrics_grow(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let url = format!("{}/metrics", sb.base_url());
    let scrape = || async {
        let r = http.get(&url).send().await?;
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
        let text = r.text().await?;
        prom::parse(&text).map_err(|e| -> Box<dyn std::error::Error> { e.into() })
    };
    // Let the traffic (every 50 ms in tests) get going.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let first = scrape().await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = scrape().await?;

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

    let total = |e: &prom::Exposition| e.sum("http_requests_total", &[]);
    let count = |e: &prom::Exposition| e.sum("http_request_duration_seconds_count", &[]);
    assert!(
        total(&first) > 0.0,
        "traffic has hit the sandbox before the first scrape"
    );
    assert!(
        total(&second) >= total(&first) + 10.0,
        "{} -> {}",
        total(&first),
        total(&second)
    );
    assert!(count(&second) > count(&first));
    assert_eq!(
        total(&second),
        count(&second),
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

    // Errors show up in the numbers as 500s.
    sb.set_fault(Fault::Errors(100.0));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let third = scrape().await?;
    assert!(third.sum("http_requests_total", &[("status", "500")]) > 0.0);
    assert_eq!(third.sum("sandbox_fault_active", &[("fault", "errors")]), 1.0);
    Ok(())
}
