//! Feature-flag endpoints, over the `feature_flags` table.
//!
//! - `GET /admin/feature-flags` → 200 `{"flags":[{"flag_key","is_enabled","rollout_percentage","updated_at"}]}`
//! - `GET /admin/feature-flags/{key}` → 200 one flag, 404 when unknown
//! - `POST /admin/feature-flags/{key}` with `{"is_enabled"?: bool, "rollout_percentage"?: 0..=100}` (at
//!   least one) → 200 `{"flag_key","before":{"is_enabled","rollout_percentage"},"after":{...},"updated_at"}`;
//!   400 for a bad body, 404 for an unknown key (flags are not created here). With
//!   `"expected": {"is_enabled", "rollout_percentage"}` the change is made only if the flag is still
//!   in that state, checked in the same statement as the write: 409 `{"error", "current": {...}}`
//!   otherwise, nothing changed (a caller's preview that no longer holds, never a lost update).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::{DbError, Row};
use crate::routes::{json_body, reply, ApiError};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub flag_key: String,
    pub is_enabled: bool,
    pub rollout_percentage: i64,
    pub updated_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagUpdateReq {
    is_enabled: Option<bool>,
    rollout_percentage: Option<i64>,
    /// The state the caller saw: the write happens only while the flag is still in it.
    expected: Option<FlagSide>,
}

/// A flag's state, as a precondition.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlagSide {
    is_enabled: bool,
    rollout_percentage: i64,
}

const SELECT: &str = "SELECT flag_key, is_enabled, rollout_percentage, CAST(updated_at AS TEXT) AS updated_at
                      FROM feature_flags";

fn flag(row: &Row) -> Result<Flag, DbError> {
    Ok(Flag {
        flag_key: row.text("flag_key")?,
        is_enabled: row.bool("is_enabled")?,
        rollout_percentage: row.int("rollout_percentage")?,
        updated_at: row.text("updated_at")?,
    })
}

pub(crate) async fn find(state: &AppState, key: &str) -> Result<Option<Flag>, ApiError> {
    let row = state
        .db
        .fetch_optional(&format!("{SELECT} WHERE flag_key = $1"), &[key.into()])
        .await?;
    Ok(row.as_ref().map(flag).transpose()?)
}

fn unknown(key: &str) -> ApiError {
    ApiError::not_found(format!("unknown feature flag `{key}`"))
}

pub(crate) async fn list_all(state: &AppState) -> Result<Vec<Flag>, ApiError> {
    let rows = state
        .db
        .fetch_all(&format!("{SELECT} ORDER BY flag_key"), &[])
        .await?;
    Ok(rows.iter().map(flag).collect::<Result<Vec<_>, _>>()?)
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let flags = list_all(&state).await?;
    Ok(reply(StatusCode::OK, json!({"flags": flags})))
}

pub async fn show(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    let f = find(&state, &key).await?.ok_or_else(|| unknown(&key))?;
    Ok(reply(StatusCode::OK, f))
}

pub async fn update(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: FlagUpdateReq = json_body(&body)?;
    if req.is_enabled.is_none() && req.rollout_percentage.is_none() {
        return Err(ApiError::bad_request("give is_enabled and/or rollout_percentage"));
    }
    if let Some(p) = req.rollout_percentage {
        if !(0..=100).contains(&p) {
            return Err(ApiError::bad_request("rollout_percentage must be 0 to 100")
                .with("field", "rollout_percentage"));
        }
    }
    let before = find(&state, &key).await?.ok_or_else(|| unknown(&key))?;
    let enabled = req.is_enabled.unwrap_or(before.is_enabled);
    let pct = req.rollout_percentage.unwrap_or(before.rollout_percentage);
    let before = match req.expected {
        None => {
            state
                .db
                .execute(
                    "UPDATE feature_flags SET is_enabled = $2, rollout_percentage = $3, updated_at = CURRENT_TIMESTAMP
                     WHERE flag_key = $1",
                    &[key.clone().into(), enabled.into(), pct.into()],
                )
                .await?;
            before
        }
        Some(x) => update_if(&state, &key, enabled, pct, x).await?,
    };
    let after = find(&state, &key).await?.ok_or_else(|| unknown(&key))?;
    Ok(reply(
        StatusCode::OK,
        json!({
            "flag_key": key,
            "before": {"is_enabled": before.is_enabled, "rollout_percentage": before.rollout_percentage},
            "after": {"is_enabled": after.is_enabled, "rollout_percentage": after.rollout_percentage},
            "updated_at": after.updated_at,
        }),
    ))
}

/// The write with its precondition in the same statement: the row changes only while it is
/// still `x` (atomic on SQLite and Postgres alike); otherwise 409 with the state it is in.
async fn update_if(
    state: &AppState,
    key: &str,
    enabled: bool,
    pct: i64,
    x: FlagSide,
) -> Result<Flag, ApiError> {
    let changed = state
        .db
        .execute(
            "UPDATE feature_flags SET is_enabled = $2, rollout_percentage = $3, updated_at = CURRENT_TIMESTAMP
             WHERE flag_key = $1 AND is_enabled = $4 AND rollout_percentage = $5",
            &[key.into(), enabled.into(), pct.into(), x.is_enabled.into(), x.rollout_percentage.into()],
        )
        .await?;
    if changed == 1 {
        return Ok(Flag {
            flag_key: key.to_owned(),
            is_enabled: x.is_enabled,
            rollout_percentage: x.rollout_percentage,
            updated_at: String::new(),
        });
    }
    let now = find(state, key).await?.ok_or_else(|| unknown(key))?;
    let side = |e: bool, p: i64| format!("{} ({p}%)", if e { "ON" } else { "OFF" });
    Err(ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "feature flag `{key}` is {}, not the expected {}: nothing changed",
            side(now.is_enabled, now.rollout_percentage),
            side(x.is_enabled, x.rollout_percentage)
        ),
    )
    .with(
        "current",
        json!({"is_enabled": now.is_enabled, "rollout_percentage": now.rollout_percentage}),
    ))
}
