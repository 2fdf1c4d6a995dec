//! The sandbox's own control endpoints under `/__sandbox/` (never faulted, not in the metrics).
//!
//! - `GET /__sandbox/fault` → 200 `{"latency_ms": 800|null, "errors_percent": 5.0|null, "down": bool,
//!   "active": ["latency=800ms", ...]}`
//! - `POST /__sandbox/fault` with a text body in `parse_fault` syntax (`latency=800ms`, `errors=5%`,
//!   `down`, `clear`) → 200 with the same shape after applying; 400 `{"error": "invalid fault ..."}`.
//! - `GET /__sandbox/info` → 200 `{"service","version","backend","rate_limit":{"limit","window_seconds"},
//!   "breaker_failure_threshold"}`

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::faults::parse_fault;
use crate::routes::{reply, ApiError};
use crate::state::AppState;

pub async fn faults(State(state): State<AppState>) -> Response {
    reply(StatusCode::OK, state.faults.active())
}

pub async fn set_fault(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("fault must be UTF-8 text"))?;
    // Tolerate a JSON string body ("down") as well as plain text.
    let text = text.trim().trim_matches('"');
    let fault = parse_fault(text).map_err(|e| ApiError::bad_request(e.to_string()))?;
    state.faults.set(fault);
    Ok(reply(StatusCode::OK, state.faults.active()))
}

pub async fn info(State(state): State<AppState>) -> Response {
    reply(
        StatusCode::OK,
        json!({
            "service": "flightdeck-sandbox",
            "version": env!("CARGO_PKG_VERSION"),
            "backend": state.db.backend().as_str(),
            "rate_limit": {"limit": state.limiter.capacity(), "window_seconds": state.limiter.window().as_secs()},
            "breaker_failure_threshold": state.breakers.threshold(),
        }),
    )
}
