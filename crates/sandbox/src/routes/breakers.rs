//! Circuit-breaker endpoints, over `crate::breakers`.
//!
//! - `GET /admin/circuit-breakers` → 200 `{"breakers":[{"provider","state","failure_count","updated_at"}]}`
//! - `GET /admin/circuit-breakers/{provider}/status` → 200 `{"provider","state","failure_count",
//!   "failure_threshold","updated_at"}`
//! - `POST /admin/circuit-breakers/{provider}/trip|reset` and `POST /test/circuit-breaker/{provider}/fail|success`
//!   → 200 `{"provider","action","state","failure_count","failure_threshold","before":{"state",
//!   "failure_count"},"after":{...}}`
//!
//! Providers: stripe, square, twilio, fcm, apns, test-provider; any other → 404
//! `{"error":"unknown provider `x`","known_providers":[...]}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::breakers::{is_known, Action, PROVIDERS};
use crate::routes::{reply, ApiError};
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

async fn act(state: AppState, provider: String, action: Action) -> Result<Response, ApiError> {
    if !is_known(&provider) {
        return Err(unknown(&provider));
    }
    let change = state
        .breakers
        .apply(&provider, action)
        .await?
        .ok_or_else(|| unknown(&provider))?;
    Ok(reply(StatusCode::OK, change))
}

pub async fn trip(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Trip).await
}

pub async fn reset(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Reset).await
}

pub async fn fail(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Fail).await
}

pub async fn success(State(s): State<AppState>, Path(p): Path<String>) -> Result<Response, ApiError> {
    act(s, p, Action::Success).await
}
