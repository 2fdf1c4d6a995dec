//! The HTTP face: the router, the JSON error answer and body reading shared by the route modules.
//!
//! Each endpoint family has its own module; this one only wires them, with the metrics middleware
//! outermost (so it times injected faults too) and the fault middleware inside it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::db::DbError;
use crate::state::AppState;
use crate::{faults, metrics};

pub mod auth;
pub mod breakers;
pub mod budgets;
pub mod flags;
pub mod health;
pub mod metrics_text;
pub mod ofrep;
pub mod orders;
pub mod payments;
pub mod ratelimit;
pub mod sandbox;

/// An error answer: `{"error": "<message>", ...extra fields}` with a status and optional headers.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: Map::new(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// Adds a field beside `error` in the JSON body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("database error: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".to_owned(), Value::String(self.message));
        body.extend(self.extra);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }
}

/// Reads a JSON body whatever its Content-Type says: the checklist's `curl -d '{…}'` sends JSON as
/// `application/x-www-form-urlencoded`.
pub fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("request body is empty; expected JSON"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("request body is not the expected JSON: {e}")))
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

/// Every route of the sandbox.
pub fn router(state: AppState) -> Router {
    let faults = Arc::clone(&state.faults);
    let metrics = Arc::clone(&state.metrics);
    let admin_token = state.admin_token.clone();
    Router::new()
        .route("/health", get(health::app))
        .route("/api/health/database", get(health::database))
        .route("/api/health/providers", get(health::providers))
        .route("/api/test-rate-limit", get(ratelimit::check))
        .route("/api/auth/register", post(auth::register))
        .route("/api/orders", post(orders::create))
        .route("/api/payments/process", post(payments::process))
        .route("/admin/circuit-breakers", get(breakers::list))
        .route("/admin/circuit-breakers/{provider}/status", get(breakers::status))
        .route("/admin/circuit-breakers/{provider}/trip", post(breakers::trip))
        .route("/admin/circuit-breakers/{provider}/reset", post(breakers::reset))
        .route("/test/circuit-breaker/{provider}/fail", post(breakers::fail))
        .route(
            "/test/circuit-breaker/{provider}/success",
            post(breakers::success),
        )
        .route("/admin/feature-flags", get(flags::list))
        .route("/admin/feature-flags/{key}", get(flags::show).post(flags::update))
        .route("/admin/budgets", get(budgets::list))
        .route("/ofrep/v1/evaluate/flags", post(ofrep::bulk))
        .route("/ofrep/v1/evaluate/flags/{key}", post(ofrep::one))
        .route("/metrics", get(metrics_text::scrape))
        .route("/__sandbox/fault", get(sandbox::faults).post(sandbox::set_fault))
        .route("/__sandbox/info", get(sandbox::info))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(admin_token, admin_auth))
        .layer(middleware::from_fn_with_state(faults, faults::middleware))
        .layer(middleware::from_fn_with_state(metrics, metrics::middleware))
        .with_state(state)
}

/// With an admin token configured, `/admin/*` and `/ofrep/*` need `Authorization: Bearer <token>`:
/// 401 otherwise (the token is never echoed).
async fn admin_auth(
    axum::extract::State(token): axum::extract::State<Option<Arc<str>>>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let path = req.uri().path();
    let guarded = path.starts_with("/admin/") || path == "/admin" || path.starts_with("/ofrep/");
    if let (Some(token), true) = (token.as_deref(), guarded) {
        let given = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if given != Some(token) {
            return ApiError::new(StatusCode::UNAUTHORIZED, "admin token missing or wrong")
                .with_header(axum::http::header::WWW_AUTHENTICATE, "Bearer")
                .into_response();
        }
    }
    next.run(req).await
}

/// `{"status": ...}` JSON helper for the health answers.
pub fn status_json(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// A JSON answer with a status.
pub fn reply(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, Json(json!(body))).into_response()
}
