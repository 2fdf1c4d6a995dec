//! The HTTP admin API adapter: `GET/POST /admin/feature-flags[/{key}]` and
//! `/admin/circuit-breakers[/{provider}/{status,trip,reset}]`, as the sandbox serves them, with
//! the environment's `ADMIN_TOKEN` as a bearer token.
//!
//! A change carries the state it was previewed from (`expected`), which the API checks with the
//! write: its 409 is `Changed` (refused, preview again), never a lost update.

use std::time::Duration;

use serde_json::{json, Value};

use super::adapter::{rollout_of, Controls};
use super::net::{self, Answer};
use super::{BreakerAction, BreakerState, ControlError, FlagState, Setting};
use crate::secrets::Sensitive;

pub struct HttpAdmin {
    env: String,
    base: String,
    token: Option<Sensitive<String>>,
    deadline: Duration,
}

impl HttpAdmin {
    pub fn new(env: &str, base: String, token: Option<Sensitive<String>>, deadline: Duration) -> Self {
        HttpAdmin {
            env: env.to_string(),
            base,
            token,
            deadline,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &[&str],
        body: Option<Value>,
        what: &str,
    ) -> Result<Answer, ControlError> {
        let url = net::url(&self.base, path)?;
        let mut req = net::client()?.request(method, url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        net::send(req, what, self.deadline).await
    }

    async fn unknown_flag(&self, key: &str) -> ControlError {
        let known = self
            .flags()
            .await
            .map(|f| f.into_iter().map(|f| f.key).collect())
            .unwrap_or_default();
        ControlError::UnknownFlag {
            key: key.to_string(),
            env: self.env.clone(),
            known,
        }
    }

    async fn unknown_provider(&self, provider: &str, answer: &Answer) -> ControlError {
        let from_answer: Option<Vec<String>> = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("known_providers").cloned())
            .and_then(|v| serde_json::from_value(v).ok());
        let known = match from_answer {
            Some(k) => k,
            None => self
                .breakers()
                .await
                .map(|b| b.into_iter().map(|b| b.provider).collect())
                .unwrap_or_default(),
        };
        ControlError::UnknownProvider {
            provider: provider.to_string(),
            env: self.env.clone(),
            known,
        }
    }
}

impl HttpAdmin {
    /// The API's 409: the control was no longer in the previewed state `from`; `now` reads the
    /// state it is in from the answer's `current`.
    fn changed(
        &self,
        what: &str,
        from: Setting,
        a: &Answer,
        now: impl Fn(&Value) -> Option<Setting>,
    ) -> ControlError {
        let current = serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v.get("current").and_then(&now));
        ControlError::Changed {
            what: format!("{what} in {}", self.env),
            preview: from.to_string(),
            now: current.map_or_else(|| a.message(), |c| c.to_string()),
        }
    }
}

fn flag_of(v: &Value, what: &str) -> Result<FlagState, ControlError> {
    let bad = |m: &str| ControlError::Transport {
        what: what.to_string(),
        message: format!("unexpected answer: {m}"),
    };
    Ok(FlagState {
        key: v
            .get("flag_key")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no flag_key"))?
            .to_string(),
        enabled: v
            .get("is_enabled")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("no is_enabled"))?,
        rollout: rollout_of(
            what,
            v.get("rollout_percentage")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("no rollout_percentage"))?,
        )?,
    })
}

fn breaker_of(v: &Value, what: &str) -> Result<BreakerState, ControlError> {
    let bad = |m: &str| ControlError::Transport {
        what: what.to_string(),
        message: format!("unexpected answer: {m}"),
    };
    Ok(BreakerState {
        provider: v
            .get("provider")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no provider"))?
            .to_string(),
        state: v
            .get("state")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no state"))?
            .to_string(),
        failure_count: v.get("failure_count").and_then(Value::as_i64).unwrap_or(0),
        updated_at: v.get("updated_at").and_then(Value::as_str).map(str::to_string),
    })
}

impl Controls for HttpAdmin {
    async fn flags(&self) -> Result<Vec<FlagState>, ControlError> {
        let what = "GET /admin/feature-flags";
        let a = self
            .call(reqwest::Method::GET, &["admin", "feature-flags"], None, what)
            .await?;
        a.list(what, "flags")?.iter().map(|f| flag_of(f, what)).collect()
    }

    async fn flag(&self, key: &str) -> Result<FlagState, ControlError> {
        let what = format!("GET /admin/feature-flags/{key}");
        let a = self
            .call(
                reqwest::Method::GET,
                &["admin", "feature-flags", key],
                None,
                &what,
            )
            .await?;
        match a.status {
            404 => Err(self.unknown_flag(key).await),
            _ if !a.ok() => Err(a.status_error(&what)),
            _ => flag_of(&a.json(&what)?, &what),
        }
    }

    async fn set_flag(
        &self,
        key: &str,
        enabled: bool,
        rollout: u8,
        from: &FlagState,
    ) -> Result<(), ControlError> {
        let what = format!("POST /admin/feature-flags/{key}");
        let body = json!({"is_enabled": enabled, "rollout_percentage": rollout,
                          "expected": {"is_enabled": from.enabled, "rollout_percentage": from.rollout}});
        let a = self
            .call(
                reqwest::Method::POST,
                &["admin", "feature-flags", key],
                Some(body),
                &what,
            )
            .await?;
        match a.status {
            404 => Err(self.unknown_flag(key).await),
            409 => Err(
                self.changed(&format!("flag {key}"), Setting::of_flag(from), &a, |c| {
                    let enabled = c.get("is_enabled")?.as_bool()?;
                    let rollout = u8::try_from(c.get("rollout_percentage")?.as_i64()?).ok()?;
                    Some(Setting::Flag { enabled, rollout })
                }),
            ),
            _ if !a.ok() => Err(a.status_error(&what)),
            _ => Ok(()),
        }
    }

    async fn breakers(&self) -> Result<Vec<BreakerState>, ControlError> {
        let what = "GET /admin/circuit-breakers";
        let a = self
            .call(reqwest::Method::GET, &["admin", "circuit-breakers"], None, what)
            .await?;
        a.list(what, "breakers")?
            .iter()
            .map(|b| breaker_of(b, what))
            .collect()
    }

    async fn breaker(&self, provider: &str) -> Result<BreakerState, ControlError> {
        let what = format!("GET /admin/circuit-breakers/{provider}/status");
        let a = self
            .call(
                reqwest::Method::GET,
                &["admin", "circuit-breakers", provider, "status"],
                None,
                &what,
            )
            .await?;
        match a.status {
            404 => Err(self.unknown_provider(provider, &a).await),
            _ if !a.ok() => Err(a.status_error(&what)),
            _ => breaker_of(&a.json(&what)?, &what),
        }
    }

    async fn act(&self, provider: &str, action: BreakerAction, from: &str) -> Result<(), ControlError> {
        let what = format!("POST /admin/circuit-breakers/{provider}/{}", action.as_str());
        let a = self
            .call(
                reqwest::Method::POST,
                &["admin", "circuit-breakers", provider, action.as_str()],
                Some(json!({"expected": {"state": from}})),
                &what,
            )
            .await?;
        let was = Setting::Breaker {
            state: from.to_string(),
        };
        match a.status {
            404 => Err(self.unknown_provider(provider, &a).await),
            409 => Err(self.changed(&format!("breaker {provider}"), was, &a, |c| {
                Some(Setting::Breaker {
                    state: c.get("state")?.as_str()?.to_string(),
                })
            })),
            _ if !a.ok() => Err(a.status_error(&what)),
            _ => Ok(()),
        }
    }
}
