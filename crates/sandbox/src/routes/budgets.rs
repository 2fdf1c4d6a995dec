//! `GET /admin/budgets`: the budget categories the M31 budget guards watch.
//!
//! 200 `{"budgets":[{"name","monthly_limit_cents","spent_cents","alert_threshold_pct","used_pct",
//! "alerting"}]}`, where `alerting` is `used_pct >= alert_threshold_pct`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::routes::{reply, ApiError};
use crate::state::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rows = state
        .db
        .fetch_all(
            "SELECT name, monthly_limit_cents, spent_cents, alert_threshold_pct FROM budget_categories ORDER BY name",
            &[],
        )
        .await?;
    let mut budgets = Vec::with_capacity(rows.len());
    for row in &rows {
        let limit = row.int("monthly_limit_cents")?;
        let spent = row.int("spent_cents")?;
        let threshold = row.int("alert_threshold_pct")?;
        let used_pct = if limit > 0 {
            ((spent as f64 / limit as f64) * 10_000.0).round() / 100.0
        } else {
            0.0
        };
        budgets.push(json!({
            "name": row.text("name")?,
            "monthly_limit_cents": limit,
            "spent_cents": spent,
            "alert_threshold_pct": threshold,
            "used_pct": used_pct,
            "alerting": used_pct >= threshold as f64,
        }));
    }
    Ok(reply(StatusCode::OK, json!({"budgets": budgets})))
}
