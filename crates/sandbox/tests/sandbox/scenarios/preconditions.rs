//! The admin changes' precondition (`expected`): a flag or breaker change is made only while the
//! control is still in the state the caller saw, checked with the write; 409 with the state it
//! is in otherwise, and nothing changed.

use flightdeck_sandbox::Sandbox;
use serde_json::json;

use crate::common::{body, client, get, TestResult};

pub async fn preconditions(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let url = format!("{base}/admin/feature-flags/community_enabled");
    // Someone else turned it on after the caller saw it OFF (0%).
    let (status, _) = body(
        http.post(&url)
            .body(r#"{"is_enabled":true,"rollout_percentage":50}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 200);
    let stale = r#"{"is_enabled":true,"rollout_percentage":30,"expected":{"is_enabled":false,"rollout_percentage":0}}"#;
    let (status, v) = body(http.post(&url).body(stale).send().await?).await?;
    assert_eq!(status, 409, "{v}");
    assert_eq!(
        v["current"],
        json!({"is_enabled": true, "rollout_percentage": 50}),
        "{v}"
    );
    let (_, now) = get(&http, url.clone()).await?;
    assert_eq!(
        now["rollout_percentage"], 50,
        "the refused change left it as it was: {now}"
    );
    let fresh = r#"{"is_enabled":true,"rollout_percentage":30,"expected":{"is_enabled":true,"rollout_percentage":50}}"#;
    let (status, v) = body(http.post(&url).body(fresh).send().await?).await?;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["after"], json!({"is_enabled": true, "rollout_percentage": 30}));
    let (status, _) = body(
        http.post(format!("{base}/admin/feature-flags/nope"))
            .body(r#"{"is_enabled":true,"expected":{"is_enabled":false,"rollout_percentage":0}}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 404);

    // A breaker: reset expected from `open` while it is closed → 409; trip from `closed` → 200.
    let trip = format!("{base}/admin/circuit-breakers/stripe/trip");
    let reset = format!("{base}/admin/circuit-breakers/stripe/reset");
    let (status, v) = body(
        http.post(&reset)
            .body(r#"{"expected":{"state":"open"}}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["current"]["state"], "closed", "{v}");
    let (status, v) = body(
        http.post(&trip)
            .body(r#"{"expected":{"state":"closed"}}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!((status.as_u16(), v["state"].as_str()), (200, Some("open")), "{v}");
    let (status, v) = body(
        http.post(&trip)
            .body(r#"{"expected":{"state":"closed"}}"#)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(status, 409, "tripped twice from `closed`: {v}");
    // Without a body, as the checklist's curl sends it: unconditional, as before.
    let (status, v) = body(http.post(&reset).send().await?).await?;
    assert_eq!(
        (status.as_u16(), v["state"].as_str()),
        (200, Some("closed")),
        "{v}"
    );
    Ok(())
}
