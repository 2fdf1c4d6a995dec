//! The real work of a slot: the `watch: true` steps' probes, the golden-signals summary (the
//! signals API, with each SLO's state), the budget summary (`GET /admin/budgets`).
//!
//! Each check records a compact line (verdict, `status` / `exit`, `ms`, captures), never the
//! step's output: a week of five-minute slots stays small. Fields are not filled: the D0
//! evidence the steps captured stays as it was.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Line, Runner};
use crate::probe::{self, ProbeEnv};
use crate::run::{self, Scope};
use crate::runbook::Runbook;
use crate::signals::{self, slo, Target};

/// Largest `/admin/budgets` answer read.
pub const BUDGET_BODY_CAP: usize = 1 << 20;
/// The budget call's deadline.
const BUDGET_DEADLINE: Duration = Duration::from_secs(10);

/// Runs slots against an environment.
pub struct ProbeRunner {
    pub runbook: Runbook,
    pub env: ProbeEnv,
    pub budget_url: String,
    pub cancel: CancellationToken,
}

impl Runner for ProbeRunner {
    fn checks<'a>(&'a self, steps: &'a [String]) -> BoxFuture<'a, Vec<Line>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(steps.len());
            for step in steps {
                out.push(self.check(step).await);
            }
            out
        })
    }

    fn summary(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(self.signals_summary())
    }

    fn budget(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(self.budget_summary())
    }
}

impl ProbeRunner {
    async fn check(&self, step: &str) -> Line {
        let specs = match run::plan(&self.runbook, &Scope::Step(step.to_string()), "the watch") {
            Ok(s) => s,
            Err(e) => return failed(step, e.to_string()),
        };
        let Some((_, spec)) = specs.into_iter().next() else {
            return failed(step, "not a runnable step".into());
        };
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let r = probe::execute(&spec, &self.env, tx, self.cancel.clone()).await;
        let mut values = BTreeMap::new();
        if let Some(s) = r.http_status {
            values.insert("status".into(), s.to_string());
        }
        if let Some(c) = r.exit_code {
            values.insert("exit".into(), c.to_string());
        }
        values.insert("ms".into(), r.duration_ms.to_string());
        for c in r.captures.iter().take(8) {
            values.insert(c.field.clone(), c.value.chars().take(120).collect());
        }
        Line {
            name: step.to_string(),
            passed: r.passed(),
            values,
            message: r.message.clone(),
        }
    }

    async fn signals_summary(&self) -> Vec<Line> {
        let env_name = self.env.vars.get("FLIGHTDECK_ENV").cloned().unwrap_or_default();
        let target = match Target::from_env(&env_name, &self.env) {
            Ok(t) => t,
            Err(e) => return vec![failed("signals", e.to_string())],
        };
        let list = match signals::for_env(&target) {
            Ok(l) => l,
            Err(e) => return vec![failed("signals", e.to_string())],
        };
        let now = signals::now(&self.env);
        let mut out = Vec::new();
        for v in signals::instant(&target, &list, now, 3600, &self.cancel).await {
            let mut values = BTreeMap::new();
            if let Some(p) = v.data.ok() {
                values.insert("value".into(), v.signal.unit.format(p.v));
            }
            out.push(Line {
                name: v.signal.name.clone(),
                passed: v.data.ok().is_some(),
                values,
                message: v.data.reason().map(str::to_string),
            });
        }
        if let Ok(slos) = slo::for_env(&target, Some(&self.runbook)) {
            for s in slo::status(&target, &slos, now, &self.cancel).await {
                let state = s.state.as_str().to_string();
                out.push(Line {
                    name: format!("slo:{}", s.slo.id),
                    passed: state == "ok",
                    values: BTreeMap::from([("state".to_string(), state)]),
                    message: None,
                });
            }
        }
        out
    }

    async fn budget_summary(&self) -> Vec<Line> {
        let url = match probe::Template::parse(&self.budget_url) {
            Ok(t) => match t.render(&self.env, &mut Vec::new()) {
                Ok(u) => u,
                Err(e) => return vec![failed("budgets", e.to_string())],
            },
            Err(e) => return vec![failed("budgets", String::from(e))],
        };
        match fetch_budgets(&url).await {
            Ok(lines) => lines,
            Err(e) => vec![failed("budgets", e)],
        }
    }
}

/// `GET url` in `/admin/budgets`' shape: one line per category, failed when it is alerting.
pub async fn fetch_budgets(url: &str) -> Result<Vec<Line>, String> {
    crate::probe::tls_ready();
    let client = reqwest::Client::builder()
        .timeout(BUDGET_DEADLINE)
        .connect_timeout(probe::CONNECT_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let body = super::alert::send::read_capped(resp, BUDGET_BODY_CAP).await?;
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))?;
    let rows = v
        .get("budgets")
        .and_then(|b| b.as_array())
        .ok_or_else(|| format!("GET {url}: no `budgets` list"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let name = r.get("name").and_then(|n| n.as_str()).unwrap_or("?").to_string();
            let alerting = r.get("alerting").and_then(|a| a.as_bool()).unwrap_or(false);
            let mut values = BTreeMap::new();
            for k in [
                "used_pct",
                "alert_threshold_pct",
                "spent_cents",
                "monthly_limit_cents",
            ] {
                if let Some(x) = r.get(k) {
                    values.insert(k.to_string(), x.to_string());
                }
            }
            Line {
                message: alerting.then(|| format!("budget `{name}` is over its alert threshold")),
                name,
                passed: !alerting,
                values,
            }
        })
        .collect())
}

fn failed(name: &str, message: String) -> Line {
    Line {
        name: name.to_string(),
        passed: false,
        values: BTreeMap::new(),
        message: Some(message),
    }
}
