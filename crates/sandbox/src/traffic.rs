//! Synthetic traffic: a background task that calls the sandbox over HTTP so `/metrics` has live numbers.
//!
//! Owns the request mix (health, rate limit, orders, payments, admin reads), its pace (one request per
//! tick, spawned so slow answers under a latency fault pile up like real load) and its bounds: at most
//! `MAX_IN_FLIGHT` requests at once and a timeout on every call. It identifies itself with
//! `X-Client-Id: sandbox-traffic` so it has its own rate-limit bucket, and speaks for a slowly
//! changing population of user sessions (`X-Session-User`, counted as `active_users`). Stops when
//! told to.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Method};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::auth::Tokens;
use crate::db::{TEST_USER_EMAIL, TEST_USER_ID};
use crate::metrics::Metrics;

/// Total time allowed for one synthetic request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Time allowed to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Synthetic requests outstanding at once; ticks past it are skipped.
pub const MAX_IN_FLIGHT: usize = 16;

/// One request of the mix.
#[derive(Debug, Clone, Copy)]
struct Call {
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    auth: bool,
}

const fn get(path: &'static str) -> Call {
    Call {
        method: "GET",
        path,
        body: None,
        auth: false,
    }
}

const fn post(path: &'static str, body: &'static str) -> Call {
    Call {
        method: "POST",
        path,
        body: Some(body),
        auth: true,
    }
}

/// Twenty calls, visited in turn: reads dominate, as on the real platform. At the default pace (4/s) the
/// two rate-limit calls come 0.4/s, under the default budget's refill (0.5/s), so the steady state has
/// no 429s of its own; a faster pace shows some.
const MIX: &[Call] = &[
    get("/health"),
    get("/api/test-rate-limit"),
    post(
        "/api/orders",
        r#"{"service_id":1,"question_text":"synthetic order"}"#,
    ),
    get("/api/health/database"),
    post(
        "/api/payments/process",
        r#"{"payment_method":"pm_card_visa","amount":1000}"#,
    ),
    get("/api/health/providers"),
    get("/health"),
    get("/api/test-rate-limit"),
    post(
        "/api/orders",
        r#"{"service_id":2,"question_text":"synthetic order"}"#,
    ),
    get("/admin/feature-flags"),
    post(
        "/api/payments/process",
        r#"{"payment_method":"pm_card_visa","amount":2500}"#,
    ),
    get("/api/health/database"),
    get("/health"),
    get("/admin/feature-flags"),
    post(
        "/api/orders",
        r#"{"service_id":3,"question_text":"synthetic order"}"#,
    ),
    get("/admin/budgets"),
    post(
        "/api/payments/process",
        r#"{"payment_method":"pm_card_chargeDeclined","amount":500}"#,
    ),
    get("/api/health/providers"),
    get("/admin/circuit-breakers/stripe/status"),
    post(
        "/api/payments/process",
        r#"{"payment_method":"pm_card_mastercard","amount":1500}"#,
    ),
];

/// Builds the HTTP client the task uses: every call has a connect timeout and a total timeout.
pub fn client() -> Result<Client, reqwest::Error> {
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("flightdeck-sandbox-traffic/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends the mix to `base_url` every `interval` until `stop` turns true or its sender is dropped.
pub async fn run(
    client: Client,
    base_url: String,
    interval: Duration,
    tokens: Arc<Tokens>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut next = 0usize;
    let started = std::time::Instant::now();
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            _ = ticker.tick() => {
                // Reap finished calls so the set does not grow.
                while tasks.try_join_next().is_some() {}
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    continue;
                };
                let call = MIX[next % MIX.len()];
                let session = session(next, started.elapsed());
                next = next.wrapping_add(1);
                let request = build(&client, &base_url, call, &tokens)
                    .header(crate::usage::SESSION_HEADER, session);
                let metrics = Arc::clone(&metrics);
                tasks.spawn(async move {
                    let ok = match request.send().await {
                        // Read the body so the server finishes the answer it is timing.
                        Ok(response) => response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    metrics.record_synthetic(ok);
                    drop(permit);
                });
            }
        }
    }
    tasks.shutdown().await;
}

/// The user session request `n` speaks for: one of a population that swells and shrinks over a
/// few minutes (8 to 24 users), so `active_users` moves like a real day does, only faster.
fn session(n: usize, elapsed: Duration) -> String {
    let wave = (elapsed.as_secs_f64() / 90.0).sin();
    let population = (16.0 + 8.0 * wave).round().max(1.0) as usize;
    format!("synthetic-user-{}", n % population)
}

fn build(client: &Client, base_url: &str, call: Call, tokens: &Tokens) -> reqwest::RequestBuilder {
    let method = if call.method == "POST" {
        Method::POST
    } else {
        Method::GET
    };
    let mut request = client
        .request(method, format!("{base_url}{}", call.path))
        .header("x-client-id", "sandbox-traffic");
    if call.auth {
        request = request.bearer_auth(tokens.issue(TEST_USER_ID, TEST_USER_EMAIL));
    }
    if let Some(body) = call.body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
    }
    request
}
