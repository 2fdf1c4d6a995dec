//! `POST /api/payments/process`: test-mode payments through the provider's circuit breaker.
//!
//! Needs a bearer token (401 otherwise). Body `{"payment_method": "pm_card_visa", "amount": 1000,
//! "currency": "usd", "provider": "stripe"}`; `currency` defaults to `usd`, `provider` to `stripe`
//! (`square` also accepted). With the provider's breaker open: 503 `{"error","provider","breaker_state"}`
//! and `Retry-After`. Otherwise by test payment method:
//! - `pm_card_visa`, `pm_card_mastercard`: 200 `{"payment_id","status":"succeeded","provider","amount",
//!   "currency","payment_method","test_mode":true}`; the breaker records a success.
//! - `pm_card_chargeDeclined`: 402 `{"error":"card declined","status":"declined","decline_code":
//!   "card_declined","payment_id","provider",...}`; the provider answered, so a success for the breaker.
//! - `pm_card_processingError`: 502 `{"error":"provider error","provider",...}`; a failure for the breaker.
//! - anything else: 400 listing the accepted methods.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::breakers::Action;
use crate::routes::{json_body, reply, ApiError};
use crate::state::AppState;

pub const METHODS: &[&str] = &[
    "pm_card_visa",
    "pm_card_mastercard",
    "pm_card_chargeDeclined",
    "pm_card_processingError",
];

#[derive(Debug, Deserialize)]
pub struct PaymentReq {
    payment_method: String,
    amount: serde_json::Value,
    currency: Option<String>,
    provider: Option<String>,
}

#[derive(Clone, Copy)]
enum Outcome {
    Succeeded,
    Declined,
    ProviderError,
}

impl Outcome {
    /// The payment's status, the HTTP status of the answer and what the breaker records.
    fn answer(self) -> (&'static str, StatusCode, Action) {
        match self {
            Outcome::Succeeded => ("succeeded", StatusCode::OK, Action::Success),
            Outcome::Declined => ("declined", StatusCode::PAYMENT_REQUIRED, Action::Success),
            Outcome::ProviderError => ("failed", StatusCode::BAD_GATEWAY, Action::Fail),
        }
    }
}

/// A request that passed validation, with the outcome its test payment method stands for.
struct Payment<'a> {
    amount: i64,
    currency: String,
    provider: &'a str,
    method: &'a str,
    outcome: Outcome,
}

pub async fn process(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let caller = state.tokens.caller(&headers)?;
    let req: PaymentReq = json_body(&body)?;
    let pay = validate(&req)?;
    if !state.breakers.admits(pay.provider).await? {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("circuit breaker open for {}", pay.provider),
        )
        .with("provider", pay.provider)
        .with("breaker_state", "open")
        .with_header(header::RETRY_AFTER, "30"));
    }
    let payment_id = format!("pi_{}", uuid::Uuid::new_v4().simple());
    let (status, code, breaker) = pay.outcome.answer();
    state
        .db
        .execute(
            "INSERT INTO payments (id, user_id, provider, payment_method, amount_cents, currency, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                payment_id.clone().into(),
                caller.user_id.into(),
                pay.provider.into(),
                pay.method.into(),
                pay.amount.into(),
                pay.currency.clone().into(),
                status.into(),
            ],
        )
        .await?;
    state.breakers.apply(pay.provider, breaker).await?;
    Ok(reply_to(&pay, payment_id, status, code))
}

/// The amount (positive cents), currency (3 letters, default `usd`), provider (`stripe` by
/// default, or `square`) and test payment method, checked in that order.
fn validate(req: &PaymentReq) -> Result<Payment<'_>, ApiError> {
    let amount = req.amount.as_i64().filter(|a| *a > 0).ok_or_else(|| {
        ApiError::bad_request("amount must be a positive integer (cents)").with("field", "amount")
    })?;
    let currency = req
        .currency
        .as_deref()
        .unwrap_or("usd")
        .trim()
        .to_ascii_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ApiError::bad_request("currency must be a 3-letter code").with("field", "currency"));
    }
    let provider = req.provider.as_deref().unwrap_or("stripe");
    if !["stripe", "square"].contains(&provider) {
        return Err(ApiError::bad_request("provider must be stripe or square").with("field", "provider"));
    }
    let outcome = match req.payment_method.as_str() {
        "pm_card_visa" | "pm_card_mastercard" => Outcome::Succeeded,
        "pm_card_chargeDeclined" => Outcome::Declined,
        "pm_card_processingError" => Outcome::ProviderError,
        _ => {
            return Err(ApiError::bad_request("unknown test payment_method")
                .with("field", "payment_method")
                .with("accepted", METHODS))
        }
    };
    Ok(Payment {
        amount,
        currency,
        provider,
        method: &req.payment_method,
        outcome,
    })
}

/// The answer for a recorded payment: 200 with the payment, or the decline or provider error
/// with the payment's details.
fn reply_to(pay: &Payment<'_>, payment_id: String, status: &str, code: StatusCode) -> Response {
    let details = |e: ApiError| {
        e.with("payment_id", payment_id.clone())
            .with("status", status)
            .with("provider", pay.provider)
            .with("amount", pay.amount)
            .with("currency", pay.currency.clone())
            .with("payment_method", pay.method)
            .with("test_mode", true)
    };
    match pay.outcome {
        Outcome::Succeeded => reply(
            code,
            json!({"payment_id": payment_id, "status": status, "provider": pay.provider, "amount": pay.amount,
                   "currency": pay.currency, "payment_method": pay.method, "test_mode": true}),
        ),
        Outcome::Declined => {
            details(ApiError::new(code, "card declined").with("decline_code", "card_declined"))
                .into_response()
        }
        Outcome::ProviderError => details(ApiError::new(code, "provider error")).into_response(),
    }
}
