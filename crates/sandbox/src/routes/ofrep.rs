//! OpenFeature's remote evaluation protocol (OFREP), read-only, over the `feature_flags` table.
//!
//! - `POST /ofrep/v1/evaluate/flags/{key}` with an optional `{"context": {"targetingKey": "…", …}}` →
//!   200 `{"key","value","reason","variant","metadata":{"is_enabled","rollout_percentage"}}`; 404
//!   `{"key","errorCode":"FLAG_NOT_FOUND","errorDetails"}`; 400 `{"errorCode":"INVALID_CONTEXT",…}` for
//!   a body that is not that JSON.
//! - `POST /ofrep/v1/evaluate/flags` (bulk) → 200 `{"flags":[…one answer per flag…]}`.
//!
//! Evaluation: a disabled flag is `false` (`DISABLED`); 100 % is `true` (`STATIC`); a rollout between
//! is `SPLIT` on a stable bucket of the flag key and the context's `targetingKey` (`false` without
//! one, `DEFAULT`). The metadata carries the stored state, so a reader sees more than one evaluation.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::routes::flags::{find, list_all, Flag};
use crate::routes::ApiError;
use crate::state::AppState;

/// The context's `targetingKey`, or an `INVALID_CONTEXT` answer.
fn targeting_key(body: &Bytes) -> Result<Option<String>, Box<Response>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let invalid = |why: String| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorCode": "INVALID_CONTEXT", "errorDetails": why})),
        )
            .into_response()
            .into()
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| invalid(format!("body is not JSON: {e}")))?;
    match v.get("context") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(c)) => match c.get("targetingKey") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid("context.targetingKey must be a string".into())),
        },
        Some(_) => Err(invalid("context must be an object".into())),
    }
}

/// A bucket 0..100 of a flag and a targeting key, stable across restarts.
fn bucket(flag: &str, key: &str) -> i64 {
    let h = Sha256::digest(format!("{flag}/{key}").as_bytes());
    i64::from(u16::from_be_bytes([h[0], h[1]]) % 100)
}

fn evaluate(f: &Flag, targeting: Option<&str>) -> Value {
    let (value, reason) = if !f.is_enabled {
        (false, "DISABLED")
    } else if f.rollout_percentage >= 100 {
        (true, "STATIC")
    } else if let Some(k) = targeting {
        (bucket(&f.flag_key, k) < f.rollout_percentage, "SPLIT")
    } else {
        (false, "DEFAULT")
    };
    json!({
        "key": f.flag_key,
        "value": value,
        "reason": reason,
        "variant": if value { "on" } else { "off" },
        "metadata": {"is_enabled": f.is_enabled, "rollout_percentage": f.rollout_percentage},
    })
}

pub async fn one(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let targeting = match targeting_key(&body) {
        Ok(t) => t,
        Err(r) => return Ok(*r),
    };
    let Some(f) = find(&state, &key).await? else {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"key": key, "errorCode": "FLAG_NOT_FOUND",
                        "errorDetails": format!("unknown feature flag `{key}`")})),
        )
            .into_response());
    };
    Ok((StatusCode::OK, Json(evaluate(&f, targeting.as_deref()))).into_response())
}

pub async fn bulk(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let targeting = match targeting_key(&body) {
        Ok(t) => t,
        Err(r) => return Ok(*r),
    };
    let flags = list_all(&state).await?;
    let answers: Vec<Value> = flags.iter().map(|f| evaluate(f, targeting.as_deref())).collect();
    Ok((StatusCode::OK, Json(json!({"flags": answers}))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(enabled: bool, pct: i64) -> Flag {
        Flag {
            flag_key: "f".into(),
            is_enabled: enabled,
            rollout_percentage: pct,
            updated_at: String::new(),
        }
    }

    #[test]
    fn evaluation_follows_enabled_and_rollout() {
        assert_eq!(evaluate(&flag(false, 100), Some("u"))["reason"], "DISABLED");
        assert_eq!(evaluate(&flag(true, 100), None)["value"], true);
        assert_eq!(evaluate(&flag(true, 0), Some("u"))["value"], false);
        assert_eq!(evaluate(&flag(true, 50), None)["reason"], "DEFAULT");
        let on = (0..1000)
            .filter(|i| evaluate(&flag(true, 30), Some(&i.to_string()))["value"] == true)
            .count();
        assert!((200..400).contains(&on), "about 30% of 1000 keys: {on}");
    }
}
