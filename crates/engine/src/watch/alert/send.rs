//! Talking to receivers: the request each one documents, one attempt per call, under a deadline
//! and a size cap both ways.
//!
//! PagerDuty Events API v2 (`POST /v2/enqueue`: `routing_key`, `event_action` trigger/resolve,
//! `dedup_key`, `payload.{summary,source,severity}`), Slack incoming webhooks (`{"text"}`), a
//! generic webhook in Alertmanager's webhook shape (`version` "4", `status`, `alerts[]`), and
//! e-mail over SMTP with lettre. Retrying is the caller's (`alert::deliver`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::{Alert, Notification, Receiver};
use crate::probe::SecretSource;

/// The deadline of one call to a receiver (connect, send, answer).
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request body sent; alerts past it are counted, not listed.
pub const REQUEST_CAP: usize = 64 << 10;
/// The largest answer read.
pub const RESPONSE_CAP: usize = 64 << 10;
/// Alerts listed in one notice at most (the rest are counted).
pub const MAX_LISTED: usize = 20;
/// The default PagerDuty events endpoint.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// A failed attempt: why, and whether another try may help (transport, 429, 5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    pub retry: bool,
}

impl SendError {
    fn retry(message: String) -> Self {
        SendError { message, retry: true }
    }
    fn fatal(message: String) -> Self {
        SendError {
            message,
            retry: false,
        }
    }
}

/// Sends one notice to one receiver, one attempt.
pub trait Notifier: Send + Sync {
    fn send<'a>(
        &'a self,
        receiver: &'a Receiver,
        n: &'a Notification,
    ) -> BoxFuture<'a, Result<(), SendError>>;
}

/// The real receivers, secrets from the environment's keyring.
pub struct HttpNotifier {
    client: reqwest::Client,
    secrets: Arc<dyn SecretSource>,
}

impl HttpNotifier {
    pub fn new(secrets: Arc<dyn SecretSource>) -> Result<HttpNotifier, String> {
        crate::probe::tls_ready();
        let client = reqwest::Client::builder()
            .timeout(CALL_DEADLINE)
            .connect_timeout(crate::probe::CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(HttpNotifier { client, secrets })
    }

    fn secret(&self, name: &str) -> Result<String, SendError> {
        match self.secrets.secret(name) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(SendError::fatal(format!(
                "secret `{name}` is not set (flightdeck secret set ENV {name})"
            ))),
            Err(e) => Err(SendError::fatal(format!("secret `{name}`: {e}"))),
        }
    }

    async fn post(&self, url: &str, body: &Value) -> Result<(), SendError> {
        let bytes = serde_json::to_vec(body).map_err(|e| SendError::fatal(e.to_string()))?;
        if bytes.len() > REQUEST_CAP {
            return Err(SendError::fatal(format!(
                "the notice is {} bytes, over the {REQUEST_CAP}-byte cap",
                bytes.len()
            )));
        }
        // The URL may be a secret (a webhook's token is in it): messages name only its host.
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "the receiver".into());
        let resp = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("POST to {host}: {}", without_url(&e))))?;
        let status = resp.status();
        let body = read_capped(resp, RESPONSE_CAP).await.unwrap_or_default();
        if status.is_success() {
            return Ok(());
        }
        let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        let msg = format!("POST to {host}: HTTP {status}: {text}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::retry(msg))
        } else {
            Err(SendError::fatal(msg))
        }
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<url>");
    }
    s
}

impl Notifier for HttpNotifier {
    fn send<'a>(
        &'a self,
        receiver: &'a Receiver,
        n: &'a Notification,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            match receiver {
                Receiver::Pagerduty {
                    routing_key_secret,
                    url,
                    ..
                } => {
                    let key = self.secret(routing_key_secret)?;
                    let url = url.as_deref().unwrap_or(PAGERDUTY_URL);
                    // One event per alert: PagerDuty de-duplicates and resolves by dedup_key.
                    for body in pagerduty_events(&key, n) {
                        self.post(url, &body).await?;
                    }
                    Ok(())
                }
                Receiver::Slack { webhook_secret, .. } => {
                    let url = self.secret(webhook_secret)?;
                    self.post(&url, &slack_message(n)).await
                }
                Receiver::Webhook { url_secret, .. } => {
                    let url = self.secret(url_secret)?;
                    self.post(&url, &webhook_body(receiver.name(), n)).await
                }
                Receiver::Email { .. } => self.email(receiver, n).await,
            }
        })
    }
}

/// PagerDuty Events API v2 bodies: a `trigger` per firing alert, a `resolve` per resolved one.
pub fn pagerduty_events(routing_key: &str, n: &Notification) -> Vec<Value> {
    let mut out = Vec::new();
    for a in n.firing.iter().take(MAX_LISTED) {
        out.push(json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": a.key,
            "payload": {
                "summary": cut(&a.summary, 1024),
                "source": "flightdeck",
                "severity": match a.severity { super::Severity::Critical => "critical", super::Severity::Warning => "warning", super::Severity::Info => "info" },
                "component": a.name,
                "group": n.group,
                "class": a.category,
                "custom_details": {"since": a.since, "route": n.route, "test": n.test},
            },
        }));
    }
    for a in n.resolved.iter().take(MAX_LISTED) {
        out.push(json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": a.key}));
    }
    out
}

/// A Slack incoming webhook message.
pub fn slack_message(n: &Notification) -> Value {
    let mut text = String::new();
    let head = if n.test {
        "TEST"
    } else if n.firing.is_empty() {
        "RESOLVED"
    } else {
        "FIRING"
    };
    text.push_str(&format!(
        "*[{head}] {} {}* ({} firing, {} resolved)\n",
        n.severity.as_str(),
        n.category,
        n.firing.len(),
        n.resolved.len()
    ));
    for a in n.firing.iter().take(MAX_LISTED) {
        text.push_str(&format!("• {} (since {})\n", cut(&a.summary, 300), a.since));
    }
    for a in n.resolved.iter().take(MAX_LISTED) {
        text.push_str(&format!("✓ resolved: {}\n", cut(&a.summary, 300)));
    }
    json!({ "text": text })
}

/// Alertmanager's webhook body (version 4).
pub fn webhook_body(receiver: &str, n: &Notification) -> Value {
    let alert = |a: &Alert, status: &str| {
        json!({
            "status": status,
            "labels": {"alertname": a.name, "severity": a.severity.as_str(), "category": a.category},
            "annotations": {"summary": cut(&a.summary, 1024)},
            "startsAt": a.since,
            "fingerprint": a.key,
        })
    };
    let mut alerts: Vec<Value> = n
        .firing
        .iter()
        .take(MAX_LISTED)
        .map(|a| alert(a, "firing"))
        .collect();
    alerts.extend(n.resolved.iter().take(MAX_LISTED).map(|a| alert(a, "resolved")));
    json!({
        "version": "4",
        "groupKey": n.group,
        "status": if n.firing.is_empty() { "resolved" } else { "firing" },
        "receiver": receiver,
        "groupLabels": {"severity": n.severity.as_str(), "category": n.category},
        "commonLabels": {"severity": n.severity.as_str(), "category": n.category, "route": n.route},
        "truncatedAlerts": (n.firing.len() + n.resolved.len()).saturating_sub(alerts.len()),
        "alerts": alerts,
    })
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The body of `resp`, refused past `cap` bytes.
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| without_url(&e))? {
        if out.len() + chunk.len() > cap {
            return Err(format!("the answer is over the {cap}-byte cap"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

impl HttpNotifier {
    async fn email(&self, receiver: &Receiver, n: &Notification) -> Result<(), SendError> {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let Receiver::Email {
            smtp_host,
            smtp_port,
            starttls,
            ca_file,
            from,
            to,
            user,
            password_secret,
            ..
        } = receiver
        else {
            return Err(SendError::fatal("not an e-mail receiver".into()));
        };
        let head = if n.firing.is_empty() { "RESOLVED" } else { "FIRING" };
        let subject = format!(
            "[flightdeck {head}] {} {} ({})",
            n.severity.as_str(),
            n.category,
            n.route
        );
        let body = slack_message(n)["text"]
            .as_str()
            .unwrap_or_default()
            .replace('*', "");
        let mut msg = Message::builder().subject(subject);
        msg = msg.from(
            from.parse()
                .map_err(|e| SendError::fatal(format!("from `{from}`: {e}")))?,
        );
        for t in to {
            msg = msg.to(t
                .parse()
                .map_err(|e| SendError::fatal(format!("to `{t}`: {e}")))?);
        }
        let msg = msg
            .body(cut(&body, REQUEST_CAP))
            .map_err(|e| SendError::fatal(format!("the message: {e}")))?;
        let mut t = if *starttls {
            let tls = smtp_tls(smtp_host, *smtp_port, ca_file.as_deref())?;
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp_host)
                .tls(lettre::transport::smtp::client::Tls::Required(tls))
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp_host)
        }
        .port(*smtp_port)
        .timeout(Some(CALL_DEADLINE));
        if let (Some(u), Some(s)) = (user, password_secret) {
            let pw = self.secret(s)?;
            t = t.credentials(lettre::transport::smtp::authentication::Credentials::new(
                u.clone(),
                pw,
            ));
        }
        let transport = t.build();
        match tokio::time::timeout(CALL_DEADLINE, transport.send(msg)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => {
                Err(SendError::fatal(format!("SMTP {smtp_host}:{smtp_port}: {e}")))
            }
            // A certificate that does not check out will not on the next try either.
            Ok(Err(e)) if e.is_tls() || refused_certificate(&e).is_some() => Err(SendError::fatal(format!(
                "SMTP {smtp_host}:{smtp_port}: STARTTLS failed, the server's certificate is not trusted or does not name {smtp_host} ({}){}",
                refused_certificate(&e).unwrap_or_else(|| error_chain(&e)),
                if ca_file.is_some() {
                    ""
                } else {
                    "; for a private CA set `ca_file` on this receiver"
                }
            ))),
            Ok(Err(e)) => Err(SendError::retry(format!("SMTP {smtp_host}:{smtp_port}: {e}"))),
            Err(_) => Err(SendError::retry(format!(
                "SMTP {smtp_host}:{smtp_port}: no answer within {} s",
                CALL_DEADLINE.as_secs()
            ))),
        }
    }
}

/// STARTTLS parameters for `host`: the public roots, and the CA in `ca_file` (PEM) if given.
fn smtp_tls(
    host: &str,
    port: u16,
    ca_file: Option<&str>,
) -> Result<lettre::transport::smtp::client::TlsParameters, SendError> {
    use lettre::transport::smtp::client::{Certificate, TlsParameters};
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            SendError::fatal(format!("SMTP {host}:{port}: the receiver's ca_file {path}: {e}"))
        })?;
        if pem.len() > REQUEST_CAP * 4 {
            return Err(SendError::fatal(format!(
                "SMTP {host}:{port}: the receiver's ca_file {path} is over {} KiB",
                REQUEST_CAP * 4 / 1024
            )));
        }
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            SendError::fatal(format!(
                "SMTP {host}:{port}: the receiver's ca_file {path} is not a PEM certificate: {e}"
            ))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls()
        .map_err(|e| SendError::fatal(format!("SMTP {host}:{port}: TLS settings: {e}")))
}

/// What rustls said when it refused the server's certificate, found among `e`'s sources (lettre
/// reports it as a connection error).
fn refused_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        let tls = s.downcast_ref::<rustls::Error>().or_else(|| {
            s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|i| i.downcast_ref::<rustls::Error>())
        });
        if let Some(t @ (rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)) = tls
        {
            return Some(t.to_string());
        }
        src = s.source();
    }
    None
}

/// `e` and its sources, `: `-joined (lettre's own text leaves out what rustls said).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    out
}
