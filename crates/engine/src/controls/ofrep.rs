//! The OFREP adapter: OpenFeature's remote evaluation protocol, read-only.
//! `POST /ofrep/v1/evaluate/flags/{key}` for one flag and `POST /ofrep/v1/evaluate/flags` for all,
//! with an empty evaluation context. A flag's state is read from the answer's `metadata`
//! (`is_enabled`, `rollout_percentage`) when the provider gives it, else from the evaluated
//! `value` (on: 100 %, off: 0 %).

use std::time::Duration;

use serde_json::{json, Value};

use super::adapter::{rollout_of, Controls};
use super::net::{self, Answer};
use super::{BreakerAction, BreakerState, ControlError, FlagState};
use crate::secrets::Sensitive;

pub struct Ofrep {
    env: String,
    base: String,
    token: Option<Sensitive<String>>,
    deadline: Duration,
}

impl Ofrep {
    pub fn new(env: &str, base: String, token: Option<Sensitive<String>>, deadline: Duration) -> Self {
        Ofrep {
            env: env.to_string(),
            base,
            token,
            deadline,
        }
    }

    async fn evaluate(&self, path: &[&str], what: &str) -> Result<Answer, ControlError> {
        let url = net::url(&self.base, path)?;
        let mut req = net::client()?.post(url).json(&json!({"context": {}}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        net::send(req, what, self.deadline).await
    }
}

fn flag_of(v: &Value, what: &str) -> Result<FlagState, ControlError> {
    let key = v
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| ControlError::Transport {
            what: what.to_string(),
            message: "unexpected answer: no key".into(),
        })?
        .to_string();
    let meta = v.get("metadata");
    let value = v.get("value").and_then(Value::as_bool);
    let enabled = meta
        .and_then(|m| m.get("is_enabled"))
        .and_then(Value::as_bool)
        .or(value)
        .ok_or_else(|| ControlError::Transport {
            what: what.to_string(),
            message: format!("flag `{key}`: the answer has neither a boolean value nor metadata.is_enabled"),
        })?;
    let rollout = match meta
        .and_then(|m| m.get("rollout_percentage"))
        .and_then(Value::as_i64)
    {
        Some(n) => rollout_of(what, n)?,
        None if value == Some(true) => 100,
        None => 0,
    };
    Ok(FlagState {
        key,
        enabled,
        rollout,
    })
}

impl Controls for Ofrep {
    async fn flags(&self) -> Result<Vec<FlagState>, ControlError> {
        let what = "POST /ofrep/v1/evaluate/flags";
        let a = self.evaluate(&["ofrep", "v1", "evaluate", "flags"], what).await?;
        a.list(what, "flags")?.iter().map(|f| flag_of(f, what)).collect()
    }

    async fn flag(&self, key: &str) -> Result<FlagState, ControlError> {
        let what = format!("POST /ofrep/v1/evaluate/flags/{key}");
        let a = self
            .evaluate(&["ofrep", "v1", "evaluate", "flags", key], &what)
            .await?;
        if a.status == 404 {
            let known = self
                .flags()
                .await
                .map(|f| f.into_iter().map(|f| f.key).collect())
                .unwrap_or_default();
            return Err(ControlError::UnknownFlag {
                key: key.to_string(),
                env: self.env.clone(),
                known,
            });
        }
        if !a.ok() {
            return Err(a.status_error(&what));
        }
        flag_of(&a.json(&what)?, &what)
    }

    async fn set_flag(
        &self,
        _key: &str,
        _enabled: bool,
        _rollout: u8,
        _from: &FlagState,
    ) -> Result<(), ControlError> {
        Err(ControlError::ReadOnly {
            adapter: "ofrep",
            what: "set a flag (OFREP only evaluates)",
        })
    }

    async fn breakers(&self) -> Result<Vec<BreakerState>, ControlError> {
        Err(ControlError::NoBreakers { adapter: "ofrep" })
    }

    async fn breaker(&self, _provider: &str) -> Result<BreakerState, ControlError> {
        Err(ControlError::NoBreakers { adapter: "ofrep" })
    }

    async fn act(&self, _provider: &str, _action: BreakerAction, _from: &str) -> Result<(), ControlError> {
        Err(ControlError::NoBreakers { adapter: "ofrep" })
    }
}
