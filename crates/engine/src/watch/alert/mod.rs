//! Alert routing (§15): what the watch finds becomes alerts, alerts are grouped per route and
//! sent to receivers with Alertmanager's timing, and every notice sent or failed is recorded.
//!
//! Owns the configuration ([`AlertConfig`]: routes by severity and category to receivers;
//! group_wait 30 s, group_interval 5 min, repeat_interval 4 h as Alertmanager's defaults; a
//! critical after 3 consecutive failures), the rules that turn slots into alerts and the
//! grouping state machine ([`Alerter`]). Talking to receivers (PagerDuty Events API v2, Slack
//! incoming webhooks, a generic JSON webhook, SMTP) is `send`; their secrets (routing keys,
//! webhook URLs, SMTP passwords) come from the environment's OS-keyring secrets.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::record::{SlotRecord, SlotStatus};
use super::{SlotKind, WatchClock};

mod config;
pub mod send;

pub use config::{AlertConfig, Receiver, Route};
pub use send::{HttpNotifier, Notifier};

/// An alert's severity, as §15 routes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One alert: a condition that holds now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alert {
    /// Unique and stable while it holds: PagerDuty's dedup key (`flightdeck/<run>/<name>/<severity>`).
    pub key: String,
    /// The check, or `budget:<category>`.
    pub name: String,
    pub severity: Severity,
    /// `health`, `budget`, `security`.
    pub category: String,
    pub summary: String,
    /// When the condition was first seen (RFC 3339, the watch's clock).
    pub since: String,
}

/// What a receiver is sent: a group's firing alerts, and those resolved since the last notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub route: String,
    /// `route/severity/category`.
    pub group: String,
    pub severity: Severity,
    pub category: String,
    pub firing: Vec<Alert>,
    pub resolved: Vec<Alert>,
    /// Sent again after repeat_interval with nothing changed.
    pub repeat: bool,
    /// `flightdeck alert test`.
    pub test: bool,
}

/// The `alert_notified` event's payload: one notice to one receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertRecord {
    pub route: String,
    pub receiver: String,
    /// `pagerduty`, `slack`, `webhook`, `email`.
    pub receiver_kind: String,
    pub group: String,
    pub severity: Severity,
    pub category: String,
    /// The firing alerts' keys.
    pub firing: Vec<String>,
    /// The resolved alerts' keys.
    pub resolved: Vec<String>,
    pub repeat: bool,
    pub test: bool,
    pub sent: bool,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// From the earliest firing condition to the notice's end, on the watch's clock.
    pub delay_ms: u64,
}

/// Tries per notice, and the waits between them (doubling).
pub const ATTEMPTS: u32 = 4;
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
struct Group {
    route: usize,
    severity: Severity,
    category: String,
    firing: BTreeMap<String, Alert>,
    resolved: Vec<Alert>,
    created: OffsetDateTime,
    last_sent: Option<OffsetDateTime>,
    changed: bool,
}

/// Turns slots into alerts and decides when each group's notice goes out.
#[derive(Debug, Clone)]
pub struct Alerter {
    cfg: AlertConfig,
    run: String,
    fails: BTreeMap<String, u32>,
    groups: BTreeMap<String, Group>,
}

impl Alerter {
    pub fn new(cfg: AlertConfig, run_id: &str) -> Alerter {
        Alerter {
            cfg,
            run: crate::run::short_id(run_id).to_string(),
            fails: BTreeMap::new(),
            groups: BTreeMap::new(),
        }
    }

    /// The alerter as a watch that recorded `events` (the run's log) left it: every recorded slot
    /// observed again and every recorded notice marked sent, in log order, each at its event's
    /// time. So a restarted `flightdeck watch` keeps its groups, when each was last told (the
    /// repeat interval holds: no page again before it), the open alerts with their dedup keys
    /// (a pass still resolves them) and the consecutive-failure counters. Test notices
    /// (`alert test`) are not the watch's and change nothing.
    pub fn resume(cfg: AlertConfig, run_id: &str, events: &[crate::store::StoredEvent]) -> Alerter {
        use crate::run::Event;
        let mut a = Alerter::new(cfg, run_id);
        for e in events {
            if e.kind != "watch_slot" && e.kind != "alert_notified" {
                continue;
            }
            let Ok(at) = super::parse_time(&e.time) else {
                continue;
            };
            match Event::decode(e) {
                Ok(Event::WatchSlot(rec)) => a.observe(at, &rec),
                Ok(Event::AlertNotified(rec)) if !rec.test => a.told(at, &rec.group),
                _ => {}
            }
        }
        a
    }

    /// The group `gkey`'s notice went out at `at` (as `flush` leaves it).
    fn told(&mut self, at: OffsetDateTime, gkey: &str) {
        if let Some(g) = self.groups.get_mut(gkey) {
            g.last_sent = Some(at);
            g.changed = false;
            g.resolved.clear();
            if g.firing.is_empty() {
                self.groups.remove(gkey);
            }
        }
    }

    /// A slot was recorded at `now`: a failed check fires a warning, the `critical_after`-th
    /// consecutive failure a critical; a pass resolves both. A budget over its threshold fires a
    /// `budget` warning. Missed slots and summaries change nothing.
    pub fn observe(&mut self, now: OffsetDateTime, rec: &SlotRecord) {
        if rec.status == SlotStatus::Missed {
            return;
        }
        for line in &rec.lines {
            match rec.kind {
                SlotKind::Check => self.check_line(now, &line.name, line.passed, line.message.as_deref()),
                SlotKind::Budget => {
                    let name = format!("budget:{}", line.name);
                    let summary = line.message.clone().unwrap_or_else(|| name.clone());
                    self.set(now, &name, Severity::Warning, "budget", !line.passed, &summary);
                }
                SlotKind::Summary => {}
            }
        }
    }

    fn check_line(&mut self, now: OffsetDateTime, step: &str, passed: bool, message: Option<&str>) {
        let n = self.fails.entry(step.to_string()).or_insert(0);
        *n = if passed { 0 } else { *n + 1 };
        let n = *n;
        let why = message.unwrap_or("failed");
        let warn = format!("watch check `{step}` failed: {why}");
        self.set(now, step, Severity::Warning, "health", n >= 1, &warn);
        let crit = format!("watch check `{step}` failed {n} times in a row: {why}");
        self.set(
            now,
            step,
            Severity::Critical,
            "health",
            n >= self.cfg.critical_after,
            &crit,
        );
    }

    /// Fire (`on`) or resolve the alert `name`/`severity` in every route that takes it.
    pub fn set(
        &mut self,
        now: OffsetDateTime,
        name: &str,
        severity: Severity,
        category: &str,
        on: bool,
        summary: &str,
    ) {
        let key = format!("flightdeck/{}/{name}/{}", self.run, severity.as_str());
        for (ri, route) in self.cfg.routes.iter().enumerate() {
            if !route.takes(severity, category) {
                continue;
            }
            let gkey = format!("{}/{}/{category}", route.name, severity.as_str());
            if on {
                let g = self.groups.entry(gkey.clone()).or_insert_with(|| Group {
                    route: ri,
                    severity,
                    category: category.to_string(),
                    firing: BTreeMap::new(),
                    resolved: vec![],
                    created: now,
                    last_sent: None,
                    changed: false,
                });
                if !g.firing.contains_key(&key) {
                    g.resolved.retain(|a| a.key != key);
                    g.firing.insert(
                        key.clone(),
                        Alert {
                            key: key.clone(),
                            name: name.to_string(),
                            severity,
                            category: category.to_string(),
                            summary: summary.to_string(),
                            since: crate::store::format_time(now),
                        },
                    );
                    g.changed = true;
                }
            } else if let Some(g) = self.groups.get_mut(&gkey) {
                if let Some(a) = g.firing.remove(&key) {
                    if g.last_sent.is_some() {
                        g.resolved.push(a);
                        g.changed = true;
                    }
                }
                if g.firing.is_empty() && g.resolved.is_empty() {
                    self.groups.remove(&gkey);
                }
            }
        }
    }

    fn due_at(&self, g: &Group) -> Option<OffsetDateTime> {
        let wait = time::Duration::seconds(i64::from(self.cfg.group_wait_s));
        match g.last_sent {
            None if g.firing.is_empty() => None,
            None => Some(g.created + wait),
            Some(last) if g.changed => {
                Some(last + time::Duration::seconds(i64::from(self.cfg.group_interval_s)))
            }
            Some(last) if !g.firing.is_empty() => {
                Some(last + time::Duration::seconds(i64::from(self.cfg.repeat_interval_s)))
            }
            Some(_) => None,
        }
    }

    /// A notice is owed: a group never told, or told before its last change (repeats are not).
    pub fn owes(&self) -> bool {
        self.groups
            .values()
            .any(|g| g.changed || (g.last_sent.is_none() && !g.firing.is_empty()))
    }

    /// When the next notice is due, if any.
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        self.groups.values().filter_map(|g| self.due_at(g)).min()
    }

    /// Send every notice due now, each receiver with retries and backoff; one record per receiver.
    pub async fn flush(
        &mut self,
        notifier: &dyn Notifier,
        clock: &dyn WatchClock,
        cancel: &CancellationToken,
    ) -> Vec<AlertRecord> {
        let now = clock.now();
        let due: Vec<String> = self
            .groups
            .iter()
            .filter(|(_, g)| self.due_at(g).is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::new();
        for gkey in due {
            let Some(g) = self.groups.get(&gkey).cloned() else {
                continue;
            };
            let route = &self.cfg.routes[g.route];
            let n = Notification {
                route: route.name.clone(),
                group: gkey.clone(),
                severity: g.severity,
                category: g.category.clone(),
                firing: g.firing.values().cloned().collect(),
                resolved: g.resolved.clone(),
                repeat: g.last_sent.is_some() && !g.changed,
                test: false,
            };
            for name in &route.receivers {
                out.push(deliver(&self.cfg, name, &n, notifier, clock, cancel).await);
            }
            self.told(clock.now(), &gkey);
        }
        out
    }
}

/// Send `n` to the receiver `name`: up to [`ATTEMPTS`] tries, waiting 1 s, 2 s, 4 s between
/// (on `clock`); a receiver that refuses the request (4xx but 429) is not retried.
pub async fn deliver(
    cfg: &AlertConfig,
    name: &str,
    n: &Notification,
    notifier: &dyn Notifier,
    clock: &dyn WatchClock,
    cancel: &CancellationToken,
) -> AlertRecord {
    let since = n
        .firing
        .iter()
        .chain(&n.resolved)
        .filter_map(|a| super::parse_time(&a.since).ok())
        .min();
    let receiver = cfg.receivers.iter().find(|r| r.name() == name);
    let mut rec = AlertRecord {
        route: n.route.clone(),
        receiver: name.to_string(),
        receiver_kind: receiver.map_or("unknown", Receiver::kind).to_string(),
        group: n.group.clone(),
        severity: n.severity,
        category: n.category.clone(),
        firing: n.firing.iter().map(|a| a.key.clone()).collect(),
        resolved: n.resolved.iter().map(|a| a.key.clone()).collect(),
        repeat: n.repeat,
        test: n.test,
        sent: false,
        attempts: 0,
        error: None,
        delay_ms: 0,
    };
    let Some(receiver) = receiver else {
        rec.error = Some(format!(
            "route `{}` names receiver `{name}`, which is not configured",
            n.route
        ));
        return rec;
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        rec.attempts += 1;
        match notifier.send(receiver, n).await {
            Ok(()) => {
                rec.sent = true;
                rec.error = None;
                break;
            }
            Err(e) => {
                rec.error = Some(e.message);
                if !e.retry || rec.attempts >= ATTEMPTS || cancel.is_cancelled() {
                    break;
                }
            }
        }
        clock.sleep(backoff).await;
        backoff *= 2;
    }
    if let Some(since) = since {
        let d = clock.now() - since;
        rec.delay_ms = u64::try_from(d.whole_milliseconds()).unwrap_or(0);
    }
    rec
}

/// A test notice for `route` (`flightdeck alert test ROUTE`): one record per receiver.
pub async fn test_route(
    cfg: &AlertConfig,
    route: &str,
    notifier: &dyn Notifier,
    clock: &dyn WatchClock,
) -> Result<Vec<AlertRecord>, String> {
    let r = cfg.routes.iter().find(|r| r.name == route).ok_or_else(|| {
        let names: Vec<&str> = cfg.routes.iter().map(|r| r.name.as_str()).collect();
        format!("no alert route `{route}` (routes: {})", names.join(", "))
    })?;
    let severity = r.severities.first().copied().unwrap_or(Severity::Info);
    let category = r.categories.first().cloned().unwrap_or_else(|| "health".into());
    let now = clock.now();
    let alert = Alert {
        key: format!("flightdeck/test/{route}"),
        name: "test".into(),
        severity,
        category: category.clone(),
        summary: format!("Flightdeck test alert for route `{route}`"),
        since: crate::store::format_time(now),
    };
    let n = Notification {
        route: route.to_string(),
        group: format!("{route}/test"),
        severity,
        category,
        firing: vec![alert],
        resolved: vec![],
        repeat: false,
        test: true,
    };
    let cancel = CancellationToken::new();
    let mut out = Vec::new();
    for name in &r.receivers {
        out.push(deliver(cfg, name, &n, notifier, clock, &cancel).await);
    }
    Ok(out)
}
