//! `GET /api/test-rate-limit`: the checklist's rate-limit probe.
//!
//! 200 `{"status":"ok","rate_limiting":"enabled","limit":5,"remaining":4,"window_seconds":10}` with
//! `X-RateLimit-Limit` / `X-RateLimit-Remaining` headers while the client's bucket has tokens; past it 429
//! `{"error":"rate limit exceeded","retry_after_seconds":N,"limit":5,"window_seconds":10}` with
//! `Retry-After: N` (whole seconds). The client is the `X-Client-Id` header when given, else the peer IP.
//! With the `rate_limiting_enabled` flag off every request gets 200 with `"rate_limiting":"disabled"`.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ratelimit::Decision;
use crate::routes::{reply, ApiError};
use crate::state::AppState;

/// The header that names the client, overriding the peer address.
pub const CLIENT_ID_HEADER: &str = "x-client-id";

async fn limiting_enabled(state: &AppState) -> bool {
    let row = state
        .db
        .fetch_optional(
            "SELECT is_enabled FROM feature_flags WHERE flag_key = 'rate_limiting_enabled'",
            &[],
        )
        .await;
    // When the flag cannot be read, keep limiting: the safe side for a rate limiter.
    match row {
        Ok(Some(row)) => row.bool("is_enabled").unwrap_or(true),
        _ => true,
    }
}

pub async fn check(State(state): State<AppState>, req: Request) -> Response {
    let limit = state.limiter.capacity();
    let window = state.limiter.window().as_secs();
    if !limiting_enabled(&state).await {
        return reply(
            StatusCode::OK,
            json!({"status": "ok", "rate_limiting": "disabled", "limit": limit, "window_seconds": window}),
        );
    }
    let client = req
        .headers()
        .get(CLIENT_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| format!("id:{v}"))
        .or_else(|| {
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| format!("ip:{}", addr.ip()))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    match state.limiter.check(&client, Instant::now()) {
        Decision::Allowed { remaining } => {
            let mut response = reply(
                StatusCode::OK,
                json!({"status": "ok", "rate_limiting": "enabled", "limit": limit,
                       "remaining": remaining, "window_seconds": window}),
            );
            let h = response.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from(limit));
            h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
            response
        }
        Decision::Limited { retry_after_secs } => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded")
                .with("retry_after_seconds", retry_after_secs)
                .with("limit", limit)
                .with("window_seconds", window)
                .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
                .with_header(
                    axum::http::HeaderName::from_static("x-ratelimit-limit"),
                    limit.to_string(),
                )
                .with_header(axum::http::HeaderName::from_static("x-ratelimit-remaining"), "0")
                .into_response()
        }
    }
}
