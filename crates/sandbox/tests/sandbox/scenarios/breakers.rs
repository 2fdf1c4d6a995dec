//! Circuit breakers (trip, reset, the fifth failure in a row opening one, unknown providers) and
//! the feature flags and budgets as the M31 checklist expects them.

use flightdeck_sandbox::Sandbox;
use reqwest::Client;
use serde_json::json;

use crate::common::{body, client, get, post, TestResult};

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
    flags_as_m31_expects(&http, &base).await?;
    flag_changes(&http, &base).await?;
    budgets(&http, &base).await
}

/// The seeded flags are the M31 checklist's Expected State.
async fn flags_as_m31_expects(http: &Client, base: &str) -> TestResult {
    let (status, v) = get(http, format!("{base}/admin/feature-flags")).await?;
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
    Ok(())
}

/// A flag change answers with before and after and sticks; a bad change or an unknown flag is
/// refused.
async fn flag_changes(http: &Client, base: &str) -> TestResult {
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
    let (_, one) = get(http, url.clone()).await?;
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
    Ok(())
}

/// The seeded budgets: at least three, each with a limit, one of them alerting.
async fn budgets(http: &Client, base: &str) -> TestResult {
    let (status, b) = get(http, format!("{base}/admin/budgets")).await?;
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
