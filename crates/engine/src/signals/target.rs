//! Where an environment's signals are read from: its Prometheus (base URL, bearer or basic auth
//! from the OS keyring, scrape interval) and its Postgres, and the limits of every call.
//!
//! Owns [`Target`] and reading it from the environment's variables and secrets (the same
//! `ProbeEnv` steps run with, so the keyring is read once and every secret is redacted):
//!
//! | variable / secret | meaning | default |
//! |---|---|---|
//! | `PROMETHEUS_URL` | Prometheus' base URL | sandbox: `http://127.0.0.1:9090`; else none |
//! | secret `PROMETHEUS_TOKEN` | bearer token | none |
//! | `PROMETHEUS_USER` + secret `PROMETHEUS_PASSWORD` | basic auth | none |
//! | `PROMETHEUS_SCRAPE_INTERVAL` | how often it scrapes (sizes rate windows) | sandbox `1s`, else `15s` |
//! | `SIGNALS_DATABASE_URL` | Postgres for SQL signals (`${secret:NAME}` allowed) | none |
//! | `SIGNALS_DEADLINE` | longest one call may take | `10s` |
//! | `SLO_OBJECTIVE`, `SLO_PERIOD` | the SLOs' good/all objective and budget period | `99.9%`, `30d` (sandbox `1d`) |
//!
//! What is read with it is `fetch`'s; which signals it has is `defaults` and `custom`.

use std::sync::Arc;
use std::time::Duration;

use crate::probe::{ProbeEnv, Redact, Template};
use crate::secrets::Sensitive;

use super::{parse_duration, SignalError, DEADLINE};

/// How a call to Prometheus authenticates.
#[derive(Debug, Clone, Default)]
pub enum PromAuth {
    #[default]
    None,
    Bearer(Sensitive<String>),
    Basic {
        user: String,
        password: Sensitive<String>,
    },
}

/// An environment's Prometheus.
#[derive(Debug, Clone)]
pub struct Prometheus {
    /// Base URL, ending in `/`.
    pub url: String,
    pub auth: PromAuth,
    pub scrape_interval: Duration,
}

/// Where one environment's signals are read from, and how long a call may take.
#[derive(Clone)]
pub struct Target {
    /// The environment's name, for messages.
    pub env: String,
    pub prometheus: Option<Prometheus>,
    /// A Postgres URL with its secrets filled (never shown: see [`Target::database_shown`]).
    pub database: Option<Sensitive<String>>,
    /// `SIGNALS_DATABASE_URL` with secrets as references, for messages.
    pub database_shown: Option<String>,
    /// Every call's total deadline (connect, answer and body).
    pub deadline: Duration,
    /// Largest answer read.
    pub body_cap: usize,
    /// SLO defaults of this environment.
    pub objective: f64,
    pub period_s: u64,
    /// The environment's variables (for `SIGNAL_*` / `SLO_*`).
    pub vars: std::collections::BTreeMap<String, String>,
    /// Masks the environment's secrets in every message.
    pub redact: Arc<dyn Redact>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("env", &self.env)
            .field("prometheus", &self.prometheus)
            .field("database", &self.database_shown)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// The SLO objective when neither the runbook nor the environment gives one.
pub const DEFAULT_OBJECTIVE: f64 = 0.999;
/// The error budget's period when neither gives one: 30 days.
pub const DEFAULT_PERIOD_S: u64 = 30 * 86_400;

impl Target {
    /// The target of environment `env` as `vars` and `secrets` of `probe` describe it.
    pub fn from_env(env: &str, probe: &ProbeEnv) -> Result<Target, SignalError> {
        let bad = |var: &str, message: String| SignalError::BadVar {
            env: env.to_owned(),
            var: var.to_owned(),
            message,
        };
        let duration = |var: &str, default: Duration| -> Result<Duration, SignalError> {
            match probe.vars.get(var) {
                None => Ok(default),
                Some(v) => parse_duration(v)
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| bad(var, format!("`{v}` is not a duration (5m, 30s, 1d)"))),
            }
        };
        let prometheus = match probe.vars.get("PROMETHEUS_URL").map(|s| s.trim()) {
            None | Some("") => None,
            Some(url) => {
                let parsed = reqwest::Url::parse(url)
                    .map_err(|e| bad("PROMETHEUS_URL", format!("`{url}` is not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(bad("PROMETHEUS_URL", format!("`{url}` is not an http(s) URL")));
                }
                let url = if url.ends_with('/') {
                    url.to_owned()
                } else {
                    format!("{url}/")
                };
                Some(Prometheus {
                    url,
                    auth: auth(env, probe)?,
                    scrape_interval: duration("PROMETHEUS_SCRAPE_INTERVAL", Duration::from_secs(15))?,
                })
            }
        };
        let (database, database_shown) = database(env, probe)?;
        let objective = match probe.vars.get("SLO_OBJECTIVE") {
            None => DEFAULT_OBJECTIVE,
            Some(v) => super::slo::parse_objective(v)
                .ok_or_else(|| bad("SLO_OBJECTIVE", format!("`{v}` is not an objective (99.9%)")))?,
        };
        Ok(Target {
            env: env.to_owned(),
            prometheus,
            database,
            database_shown,
            deadline: duration("SIGNALS_DEADLINE", DEADLINE)?,
            body_cap: super::BODY_CAP,
            objective,
            period_s: duration("SLO_PERIOD", Duration::from_secs(DEFAULT_PERIOD_S))?.as_secs(),
            vars: probe.vars.clone(),
            redact: probe.redact.clone(),
        })
    }

    /// `s` with the environment's secrets masked.
    pub fn redact(&self, s: &str) -> String {
        String::from_utf8_lossy(&self.redact.redact(s.as_bytes())).into_owned()
    }

    /// The rate window for a chart with points every `step` seconds: four scrapes at least, and
    /// a step plus a scrape (Grafana's `$__rate_interval`).
    pub fn rate_window(&self, step: u32) -> u64 {
        let scrape = self
            .prometheus
            .as_ref()
            .map_or(15, |p| p.scrape_interval.as_secs().max(1));
        (u64::from(step) + scrape).max(4 * scrape)
    }
}

/// Bearer (secret `PROMETHEUS_TOKEN`) or basic (`PROMETHEUS_USER` and secret
/// `PROMETHEUS_PASSWORD`) auth, or none.
fn auth(env: &str, probe: &ProbeEnv) -> Result<PromAuth, SignalError> {
    let secret = |name: &str| -> Result<Option<String>, SignalError> {
        probe.secrets.secret(name).map_err(|e| SignalError::Secret {
            env: env.to_owned(),
            message: format!("secret {name}: {}", e.0),
        })
    };
    if let Some(token) = secret("PROMETHEUS_TOKEN")? {
        return Ok(PromAuth::Bearer(Sensitive::new(token)));
    }
    match probe.vars.get("PROMETHEUS_USER") {
        None => Ok(PromAuth::None),
        Some(user) => match secret("PROMETHEUS_PASSWORD")? {
            Some(password) => Ok(PromAuth::Basic {
                user: user.clone(),
                password: Sensitive::new(password),
            }),
            None => Err(SignalError::Secret {
                env: env.to_owned(),
                message: "PROMETHEUS_USER is set but secret PROMETHEUS_PASSWORD is not \
                          (`flightdeck secret set ENV PROMETHEUS_PASSWORD`)"
                    .into(),
            }),
        },
    }
}

/// `SIGNALS_DATABASE_URL` filled (secrets included), and as shown (secrets as references).
type Database = (Option<Sensitive<String>>, Option<String>);

fn database(env: &str, probe: &ProbeEnv) -> Result<Database, SignalError> {
    let Some(src) = probe.vars.get("SIGNALS_DATABASE_URL") else {
        return Ok((None, None));
    };
    let bad = |message: String| SignalError::BadVar {
        env: env.to_owned(),
        var: "SIGNALS_DATABASE_URL".into(),
        message,
    };
    let t = Template::parse(src.trim()).map_err(|e| bad(e.to_string()))?;
    let shown = t.describe(probe);
    if !(shown.starts_with("postgres://") || shown.starts_with("postgresql://")) {
        return Err(bad(format!("`{shown}` is not a postgres:// URL")));
    }
    let url = t
        .render(probe, &mut Vec::new())
        .map_err(|e| SignalError::Secret {
            env: env.to_owned(),
            message: format!("SIGNALS_DATABASE_URL: {e}"),
        })?;
    Ok((Some(Sensitive::new(url)), Some(shown)))
}
