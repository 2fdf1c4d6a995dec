//! `GET /metrics`: the Prometheus text exposition (`text/plain; version=0.0.4`). Never slowed or
//! failed by `latency` or `errors`; under `down` it answers 503 like the rest of the platform.
//!
//! Gathers what `crate::metrics` cannot see itself (database connections and query times, breaker
//! states, active faults, active users) and renders. A database error only leaves the breaker series out: the scrape still answers.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::db::MAX_CONNECTIONS;
use crate::metrics::ScrapeInputs;
use crate::state::AppState;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn scrape(State(state): State<AppState>) -> Response {
    let breakers = state
        .breakers
        .list()
        .await
        .map(|list| list.into_iter().map(|b| (b.provider, b.state)).collect())
        .unwrap_or_default();
    let active = state.faults.active();
    if active.down {
        // Down is the whole platform, its metrics included: Prometheus sees the target down and
        // its series go stale, so signals have no data rather than a reassuring zero.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (sandbox fault: down)\n",
        )
            .into_response();
    }
    let mut faults_on = Vec::new();
    if active.latency_ms.is_some() {
        faults_on.push("latency");
    }
    if active.errors_percent.is_some() {
        faults_on.push("errors");
    }
    if active.down {
        faults_on.push("down");
    }
    let mut body = state.metrics.render(&ScrapeInputs {
        db_connections_in_use: state.db.connections_in_use(),
        db_connections_max: MAX_CONNECTIONS,
        breakers,
        faults_on,
    });
    state.db.stats().render(&mut body);
    state.metrics.users.render(&mut body);
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
