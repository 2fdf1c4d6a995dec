//! Circuit-breaker endpoints, over `crate::breakers`.
//!
//! - `GET /admin/circuit-breakers` → 200 `{"breakers":[{"provider","state","failure_count","updated_at"}]}`
//! - `GET /admin/circuit-breakers/{provider}/status` → 200 `{"provider","state","failure_count",
//!   "failure_threshold","updated_at"}`
//! - `POST /admin/circuit-breakers/{provider}/trip|reset` and `POST /test/circuit-breaker/{provider}/fail|success`
//!   → 200 `{"provider","action","state","failure_count","failure_threshold","before":{"state",
//!   "failure_count"},"after":{...}}`
//!
//!   `trip` and `reset` take an optional body `{"expected": {"state": "closed"}}`: the action is
//!   made only if the breaker is still in that state, checked under the lock of the write; 409
//!   `{"error", "current": {"state", "failure_count"}}` otherwise, nothing changed.
//!
//! Providers: stripe, square, twilio, fcm, apns, test-provider; any other → 404
//! `{"error":"unknown provider `x`","known_providers":[...]}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use serde::Deserialize;

use crate::breakers::{is_known, Action, Applied, PROVIDERS};
use crate::routes::{json_body, reply, ApiError};
use crate::state::AppState;

fn unknown(provider: &str) -> ApiError {
    ApiError::not_found(format!("unknown provider `{provider}`")).with("known_providers", PROVIDERS)
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let breakers = state.breakers.list().await?;
    Ok(reply(StatusCode::OK, json!({"breakers": breakers})))
}

pub async fn status(
    State(state): State<AppState>,
    Path(provider): Path<String>,
) -> Result<Response, ApiError> {
    if !is_known(&provider) {
        return Err(unknown(&provider));
    }
    let b = state
        .breakers
        .get(&provider)
        .await?
        .ok_or_else(|| unknown(&provider))?;
    Ok(reply(
        StatusCode::OK,
        json!({"provider": b.provider, "state": b.state, "failure_count": b.failure_count,
               "failure_threshold": state.breakers.threshold(), "updated_at": b.updated_at}),
    ))
}

/// An admin action's optional body: the state the caller saw (other fields are ignored, as
/// they were before bodies were read).
#[derive(Debug, Deserialize)]
struct ActReq {
    expected: Option<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    state: String,
}

async fn act(state: AppState, provider: String, action: Action, body: &Bytes) -> Result<Response, ApiError> {
    if !is_known(&provider) {
        return Err(unknown(&provider));
    }
    let expected = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        json_body::<ActReq>(body)?.expected.map(|e| e.state)
    };
    match state
        .breakers
        .apply_if(&provider, action, expected.as_deref())
        .await?
    {
        Applied::Done(change) => Ok(reply(StatusCode::OK, change)),
        Applied::Unknown => Err(unknown(&provider)),
        Applied::Conflict(now) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "breaker `{provider}` is {}, not the expected {}: nothing changed",
                now.state,
                expected.unwrap_or_default()
            ),
        )
        .with(
            "current",
            json!({"state": now.state, "failure_count": now.failure_count}),
        )),
    }
}

pub async fn trip(
    State(s): State<AppState>,
    Path(p): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(s, p, Action::Trip, &body).await
}

pub async fn reset(
    State(s): State<AppState>,
    Path(p): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(s, p, Action::Reset, &body).await
}

pub async fn fail(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Fail, &Bytes::new()).await
}

pub async fn success(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Success, &Bytes::new()).await
}
