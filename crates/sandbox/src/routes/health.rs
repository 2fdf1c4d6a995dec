//! `GET /health`, `/api/health/database`, `/api/health/providers`.
//!
//! Each answers `{"status": "Healthy" | "Degraded" | "Unhealthy", ...}`: 200 when Healthy or Degraded,
//! 503 when Unhealthy. The database check really queries the database; the providers check reads the
//! breakers. Under the `down` fault all three answer Unhealthy with 503 and an `error` field.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::breakers::REAL_PROVIDERS;
use crate::db::MAX_CONNECTIONS;
use crate::routes::status_json;
use crate::state::AppState;

/// A database round trip slower than this reports Degraded (the M31 "DB latency < 100ms" SLO).
const DB_DEGRADED_MS: f64 = 100.0;

const DOWN: &str = "sandbox fault: down";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Health {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Health {
    fn name(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Degraded => "Degraded",
            Health::Unhealthy => "Unhealthy",
        }
    }

    fn code(self) -> StatusCode {
        match self {
            Health::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        }
    }
}

async fn database_check(state: &AppState) -> (Health, Value) {
    let backend = state.db.backend().as_str();
    let connections = json!({"in_use": state.db.connections_in_use(), "max": MAX_CONNECTIONS});
    if state.faults.is_down() {
        return (
            Health::Unhealthy,
            json!({"status": "Unhealthy", "backend": backend, "error": format!("{DOWN}: database unreachable"),
                   "connections": connections}),
        );
    }
    let start = Instant::now();
    let result = state
        .db
        .fetch_optional(
            "SELECT (SELECT COUNT(*) FROM feature_flags) AS feature_flags,
                    (SELECT COUNT(*) FROM circuit_breakers) AS circuit_breakers,
                    (SELECT COUNT(*) FROM budget_categories) AS budget_categories",
            &[],
        )
        .await;
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    let counts = result.and_then(|row| {
        let row = row.unwrap_or_default();
        Ok(json!({
            "feature_flags": row.int("feature_flags")?,
            "circuit_breakers": row.int("circuit_breakers")?,
            "budget_categories": row.int("budget_categories")?,
        }))
    });
    match counts {
        Ok(tables) => {
            let health = if latency_ms > DB_DEGRADED_MS {
                Health::Degraded
            } else {
                Health::Healthy
            };
            (
                health,
                json!({"status": health.name(), "backend": backend, "latency_ms": round2(latency_ms),
                       "tables": tables, "connections": connections}),
            )
        }
        Err(e) => (
            Health::Unhealthy,
            json!({"status": "Unhealthy", "backend": backend, "latency_ms": round2(latency_ms),
                   "error": e.to_string(), "connections": connections}),
        ),
    }
}

async fn providers_check(state: &AppState) -> (Health, Value) {
    if state.faults.is_down() {
        return (
            Health::Unhealthy,
            json!({"status": "Unhealthy", "error": DOWN, "providers": []}),
        );
    }
    let breakers = match state.breakers.list().await {
        Ok(b) => b,
        Err(e) => {
            return (
                Health::Unhealthy,
                json!({"status": "Unhealthy", "error": e.to_string(), "providers": []}),
            )
        }
    };
    let mut providers = Vec::new();
    let mut worst = Health::Healthy;
    let mut all_open = true;
    for b in breakers
        .iter()
        .filter(|b| REAL_PROVIDERS.contains(&b.provider.as_str()))
    {
        let h = match b.state.as_str() {
            "closed" => Health::Healthy,
            "half_open" => Health::Degraded,
            _ => Health::Unhealthy,
        };
        all_open &= h == Health::Unhealthy;
        worst = worst.max(h);
        providers.push(
            json!({"name": b.provider, "state": b.state, "failure_count": b.failure_count,
                              "status": h.name()}),
        );
    }
    // One provider out degrades the platform; it is down only when every provider is.
    let overall = match worst {
        Health::Healthy => Health::Healthy,
        _ if all_open && !providers.is_empty() => Health::Unhealthy,
        _ => Health::Degraded,
    };
    (overall, json!({"status": overall.name(), "providers": providers}))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub async fn database(State(state): State<AppState>) -> Response {
    let (h, body) = database_check(&state).await;
    status_json(h.code(), body)
}

pub async fn providers(State(state): State<AppState>) -> Response {
    let (h, body) = providers_check(&state).await;
    status_json(h.code(), body)
}

pub async fn app(State(state): State<AppState>) -> Response {
    let (db, _) = database_check(&state).await;
    let (prov, _) = providers_check(&state).await;
    let overall = db.max(prov);
    let mut body = json!({
        "status": overall.name(),
        "service": "flightdeck-sandbox",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": round2(state.metrics.uptime_seconds()),
        "checks": {"database": db.name(), "providers": prov.name()},
    });
    if state.faults.is_down() {
        body["error"] = json!(DOWN);
    }
    status_json(overall.code(), body)
}
