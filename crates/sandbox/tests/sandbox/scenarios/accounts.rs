//! The checklist's account flows: registering (and the refusals: a taken or malformed email, a
//! short password, a body that is not JSON), orders behind a bearer token, and payments through
//! the stripe breaker (declines, provider errors, an open breaker, no token).

use flightdeck_sandbox::Sandbox;
use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::common::{body, client, get, post, TestResult};

pub async fn register_orders_payments(sb: &Sandbox) -> TestResult {
    let http = client()?;
    let base = sb.base_url();
    let (token, user) = register(&http, &base).await?;
    orders(&http, &base, &token, &user).await?;
    payments(&http, &base).await
}

/// Registers `cutover-test@example.com`, then sees each bad registration refused; the new
/// user's token and the answer that carried it.
async fn register(http: &Client, base: &str) -> Result<(String, Value), Box<dyn std::error::Error>> {
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
    Ok((token, user))
}

/// An order with `user`'s `token` is theirs; the fixed test token works too; none, or a bad one,
/// is 401.
async fn orders(http: &Client, base: &str, token: &str, user: &Value) -> TestResult {
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
    let (status, o) = body(order(Some(token.to_owned())).await?).await?;
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
    Ok(())
}

/// Payments by card: success, a decline, an unknown card and a provider error (counted against
/// the stripe breaker); an open breaker stops them, a reset lets them through; no token, 401.
async fn payments(http: &Client, base: &str) -> TestResult {
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
    let (_, b) = get(http, format!("{base}/admin/circuit-breakers/stripe/status")).await?;
    assert_eq!(
        b["failure_count"], 1,
        "a provider error counts against the stripe breaker: {b}"
    );

    // An open stripe breaker stops payments; a reset lets them through again.
    post(http, format!("{base}/admin/circuit-breakers/stripe/trip")).await?;
    let r = pay("pm_card_visa").await?;
    assert!(r.headers().contains_key("retry-after"));
    let (status, p) = body(r).await?;
    assert_eq!(
        (status, p["breaker_state"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("open")),
        "{p}"
    );
    post(http, format!("{base}/admin/circuit-breakers/stripe/reset")).await?;
    assert_eq!(pay("pm_card_visa").await?.status(), 200);
    let r = http
        .post(format!("{base}/api/payments/process"))
        .body(r#"{"payment_method":"pm_card_visa","amount":1000}"#)
        .send()
        .await?;
    assert_eq!(r.status(), 401, "payments need a bearer token");
    Ok(())
}
