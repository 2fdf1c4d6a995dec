//! The alert configuration: routes and receivers, read from `alerts.json` in the config folder,
//! or §15's routing when there is none.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Severity;

/// Routes, receivers and timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertConfig {
    pub routes: Vec<Route>,
    pub receivers: Vec<Receiver>,
    /// Wait before a new group's first notice, gathering what else fires (Alertmanager: 30 s).
    #[serde(default = "group_wait")]
    pub group_wait_s: u32,
    /// Wait before telling a group's changes (Alertmanager: 5 min).
    #[serde(default = "group_interval")]
    pub group_interval_s: u32,
    /// Resend a group still firing and unchanged after this long (Alertmanager: 4 h).
    #[serde(default = "repeat_interval")]
    pub repeat_interval_s: u32,
    /// Consecutive failed checks that make a critical.
    #[serde(default = "critical_after")]
    pub critical_after: u32,
}

fn group_wait() -> u32 {
    30
}
fn group_interval() -> u32 {
    300
}
fn repeat_interval() -> u32 {
    4 * 3600
}
fn critical_after() -> u32 {
    3
}

/// Alerts of these severities and categories (empty: any) go to these receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Route {
    pub name: String,
    #[serde(default)]
    pub severities: Vec<Severity>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub receivers: Vec<String>,
}

impl Route {
    pub fn takes(&self, severity: Severity, category: &str) -> bool {
        (self.severities.is_empty() || self.severities.contains(&severity))
            && (self.categories.is_empty() || self.categories.iter().any(|c| c == category))
    }
}

/// Where a notice goes. Secrets are names of the environment's keyring secrets, never values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Receiver {
    /// PagerDuty Events API v2: trigger and resolve, the alert's key as dedup key.
    Pagerduty {
        name: String,
        /// The secret holding the integration's routing key.
        routing_key_secret: String,
        /// The events endpoint (default `https://events.pagerduty.com/v2/enqueue`).
        #[serde(default)]
        url: Option<String>,
    },
    /// A Slack-compatible incoming webhook (`{"text": ...}`).
    Slack { name: String, webhook_secret: String },
    /// A generic JSON webhook in Alertmanager's webhook shape (version 4).
    Webhook { name: String, url_secret: String },
    /// E-mail over SMTP (STARTTLS when `starttls`, else plain, e.g. a local relay).
    Email {
        name: String,
        smtp_host: String,
        #[serde(default = "smtp_port")]
        smtp_port: u16,
        #[serde(default)]
        starttls: bool,
        /// With `starttls`: a PEM file of the CA (or CAs) that issued this server's certificate,
        /// trusted for this receiver alone, besides the public roots (a company relay with a
        /// private CA). The certificate is always checked: there is no switch to skip that.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_file: Option<String>,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        user: Option<String>,
        #[serde(default)]
        password_secret: Option<String>,
    },
}

fn smtp_port() -> u16 {
    25
}

impl Receiver {
    pub fn name(&self) -> &str {
        match self {
            Receiver::Pagerduty { name, .. }
            | Receiver::Slack { name, .. }
            | Receiver::Webhook { name, .. }
            | Receiver::Email { name, .. } => name,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Receiver::Pagerduty { .. } => "pagerduty",
            Receiver::Slack { .. } => "slack",
            Receiver::Webhook { .. } => "webhook",
            Receiver::Email { .. } => "email",
        }
    }
}

impl AlertConfig {
    /// §15's routing: critical → the on-call engineer (PagerDuty), warning → the team chat
    /// (Slack), budget → finance and engineering leads (e-mail), security → the security team
    /// (e-mail) and on-call (PagerDuty). Secrets: PAGERDUTY_ROUTING_KEY, SLACK_WEBHOOK_URL,
    /// SMTP_PASSWORD; e-mail through the relay on localhost:25 unless `alerts.json` says otherwise.
    pub fn m31() -> AlertConfig {
        let route = |name: &str, sev: &[Severity], cat: &[&str], to: &[&str]| Route {
            name: name.into(),
            severities: sev.to_vec(),
            categories: cat.iter().map(|c| c.to_string()).collect(),
            receivers: to.iter().map(|c| c.to_string()).collect(),
        };
        let email = |name: &str, to: &str| Receiver::Email {
            name: name.into(),
            smtp_host: "localhost".into(),
            smtp_port: 25,
            starttls: false,
            ca_file: None,
            from: "flightdeck@localhost".into(),
            to: vec![to.into()],
            user: None,
            password_secret: None,
        };
        AlertConfig {
            routes: vec![
                route("critical", &[Severity::Critical], &["health"], &["on-call"]),
                route("warning", &[Severity::Warning], &["health"], &["team-chat"]),
                route("budget", &[], &["budget"], &["finance-leads"]),
                route("security", &[], &["security"], &["security-team", "on-call"]),
            ],
            receivers: vec![
                Receiver::Pagerduty {
                    name: "on-call".into(),
                    routing_key_secret: "PAGERDUTY_ROUTING_KEY".into(),
                    url: None,
                },
                Receiver::Slack {
                    name: "team-chat".into(),
                    webhook_secret: "SLACK_WEBHOOK_URL".into(),
                },
                email("finance-leads", "finance-leads@localhost"),
                email("security-team", "security@localhost"),
            ],
            group_wait_s: group_wait(),
            group_interval_s: group_interval(),
            repeat_interval_s: repeat_interval(),
            critical_after: critical_after(),
        }
    }

    /// `path` if it exists (JSON; errors name the file, line and column), else [`Self::m31`].
    pub fn load(path: &Path) -> Result<AlertConfig, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AlertConfig::m31()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let cfg: AlertConfig = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for r in &cfg.routes {
            if let Some(n) = r
                .receivers
                .iter()
                .find(|n| !cfg.receivers.iter().any(|x| x.name() == n.as_str()))
            {
                return Err(format!(
                    "{}: route `{}` names receiver `{n}`, which is not defined",
                    path.display(),
                    r.name
                ));
            }
        }
        Ok(cfg)
    }
}
