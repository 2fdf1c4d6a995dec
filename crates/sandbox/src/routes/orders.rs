//! `POST /api/orders`: creates an order for the bearer's user.
//!
//! Needs `Authorization: Bearer <token>` (a registered user's token or the fixed test token; 401 with
//! `WWW-Authenticate: Bearer` otherwise). Body `{"service_id": 1, "question_text": "..."}`. 201
//! `{"order_id","user_id","service_id","question_text","status":"pending","created_at"}`; 400
//! `{"error","field"}` for a bad field (service_id a positive integer, question_text 1–2000 characters).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::routes::{json_body, reply, ApiError};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct OrderReq {
    service_id: serde_json::Value,
    question_text: String,
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let caller = state.tokens.caller(&headers)?;
    let req: OrderReq = json_body(&body)?;
    let service_id = req.service_id.as_i64().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::bad_request("service_id must be a positive integer").with("field", "service_id")
    })?;
    let question = req.question_text.trim();
    if question.is_empty() || question.chars().count() > 2000 {
        return Err(
            ApiError::bad_request("question_text must be 1 to 2000 characters")
                .with("field", "question_text"),
        );
    }
    let order_id = uuid::Uuid::new_v4().to_string();
    state
        .db
        .execute(
            "INSERT INTO orders (id, user_id, service_id, question_text, status) VALUES ($1, $2, $3, $4, 'pending')",
            &[
                order_id.clone().into(),
                caller.user_id.clone().into(),
                service_id.into(),
                question.into(),
            ],
        )
        .await?;
    let created_at = state
        .db
        .fetch_optional(
            "SELECT CAST(created_at AS TEXT) AS created_at FROM orders WHERE id = $1",
            &[order_id.clone().into()],
        )
        .await?
        .and_then(|row| row.text("created_at").ok());
    Ok(reply(
        StatusCode::CREATED,
        json!({"order_id": order_id, "user_id": caller.user_id, "service_id": service_id,
               "question_text": question, "status": "pending", "created_at": created_at}),
    ))
}
