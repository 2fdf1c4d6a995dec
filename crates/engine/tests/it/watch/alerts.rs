//! Alert routing to real receivers on loopback, on the injected clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use flightdeck_engine::probe::MapSecrets;
use flightdeck_engine::watch::alert::{
    self, AlertConfig, AlertRecord, HttpNotifier, Receiver, Route, Severity,
};
use flightdeck_engine::watch::{self, parse_band, WatchReq};
use tokio_util::sync::CancellationToken;

use flightdeck_engine::watch::WatchClock;

use super::loopback::{closed_port, Server};
use super::{FakeRunner, SimClock, T0};

fn config(pd: &Server, smtp_port: u16) -> AlertConfig {
    let mut cfg = AlertConfig::m31();
    cfg.receivers = vec![
        Receiver::Pagerduty {
            name: "on-call".into(),
            routing_key_secret: "PAGERDUTY_ROUTING_KEY".into(),
            url: Some(pd.url("/v2/enqueue")),
        },
        Receiver::Slack {
            name: "team-chat".into(),
            webhook_secret: "SLACK_WEBHOOK_URL".into(),
        },
        Receiver::Webhook {
            name: "hook".into(),
            url_secret: "HOOK_URL".into(),
        },
        Receiver::Email {
            name: "finance-leads".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port,
            starttls: false,
            ca_file: None,
            from: "flightdeck@example.com".into(),
            to: vec!["finance@example.com".into()],
            user: None,
            password_secret: None,
        },
    ];
    cfg.routes.push(Route {
        name: "all-health".into(),
        severities: vec![],
        categories: vec!["health".into()],
        receivers: vec!["hook".into()],
    });
    cfg
}

fn secrets(slack: &Server, hook: &str) -> HttpNotifier {
    let map = BTreeMap::from([
        (
            "PAGERDUTY_ROUTING_KEY".to_string(),
            "R0UTINGKEY0123456789abcdef012345".to_string(),
        ),
        (
            "SLACK_WEBHOOK_URL".to_string(),
            slack.url("/services/T000/B000/XXXX"),
        ),
        ("HOOK_URL".to_string(), hook.to_string()),
    ]);
    HttpNotifier::new(Arc::new(MapSecrets(map))).expect("notifier")
}

fn alerts(store: &std::sync::Mutex<flightdeck_engine::store::Store>, run: &str) -> Vec<AlertRecord> {
    let s = store.lock().expect("lock");
    s.events(run)
        .expect("events")
        .iter()
        .filter(|e| e.kind == "alert_notified")
        .map(|e| serde_json::from_value(e.payload.clone()).expect("an alert record"))
        .collect()
}

/// Checks at T+20..T+35 fail (4 in a row), then pass; budgets alert on day 1.
#[tokio::test]
async fn failures_page_chat_and_mail_with_dedup_resolve_and_a_critical_within_a_minute() {
    let (pd, slack, hook, smtp) = (Server::http(), Server::http(), Server::http(), Server::smtp());
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-2h/5m").expect("band")];
        p.end_min = 1440;
        p.summary_every_min = 0;
    });
    let clock = Arc::new(SimClock::at(T0));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![20, 25, 30, 35],
        budget_alerting: true,
    };
    let notifier = secrets(&slack, &hook.url("/hook"));
    let req = WatchReq {
        run: run.clone(),
        by: "watch".into(),
        alerts: Some((config(&pd, smtp.port()), &notifier)),
    };
    watch::watch(&store, req, &runner, &*clock, &|_| {}, CancellationToken::new())
        .await
        .expect("watch");
    let recs = alerts(&store, &run);
    assert!(recs.iter().all(|r| r.sent), "{recs:#?}");

    // PagerDuty (Events API v2): one trigger for the critical, then its resolve, same dedup key.
    let pd_reqs = pd.requests();
    assert_eq!(pd_reqs.len(), 2, "{pd_reqs:#?}");
    let (trigger, resolve) = (&pd_reqs[0].body, &pd_reqs[1].body);
    assert_eq!(pd_reqs[0].path, "/v2/enqueue");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["routing_key"], "R0UTINGKEY0123456789abcdef012345");
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(trigger["payload"]["source"], "flightdeck");
    assert!(trigger["payload"]["summary"]
        .as_str()
        .expect("summary")
        .contains("3 times in a row"));
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);
    // The critical went out within 60 s (the injected clock) of the third consecutive failure.
    let crit = recs
        .iter()
        .find(|r| r.severity == Severity::Critical && r.receiver_kind == "pagerduty" && !r.firing.is_empty())
        .expect("the critical to PagerDuty");
    assert!(crit.delay_ms <= 60_000, "{crit:?}");

    // Slack: the warning, once (the next failures are grouped, not resent), then resolved.
    let chat = slack.requests();
    assert_eq!(chat.len(), 2, "{chat:#?}");
    assert_eq!(chat[0].path, "/services/T000/B000/XXXX");
    assert!(chat[0].body["text"]
        .as_str()
        .expect("text")
        .starts_with("*[FIRING] warning health*"));
    assert!(chat[1].body["text"].as_str().expect("text").contains("resolved"));

    // The generic webhook: Alertmanager's webhook shape.
    let hooks = hook.requests();
    assert!(!hooks.is_empty());
    let h = &hooks[0].body;
    assert_eq!(h["version"], "4");
    assert_eq!(h["status"], "firing");
    assert_eq!(h["receiver"], "hook");
    assert!(h["alerts"][0]["labels"]["alertname"].is_string());
    assert!(h["alerts"][0]["startsAt"].is_string());
    assert!(hooks.iter().any(|r| r.body["status"] == "resolved"));

    // E-mail to the finance leads over SMTP: the budget alert.
    let mail = smtp.mail.lock().expect("lock").clone();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0].contains("Subject: [flightdeck FIRING] warning budget (budget)"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("To: finance@example.com"));
    assert!(recs.iter().any(|r| r.receiver_kind == "email" && r.sent));
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_retries_with_backoff_and_the_failure_is_recorded() {
    let (pd, slack) = (Server::http(), Server::http());
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-1h/5m").expect("band")];
        p.end_min = 60;
        p.summary_every_min = 0;
        p.budget_every_min = 0;
    });
    let clock = Arc::new(SimClock::at(T0));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![10],
        budget_alerting: false,
    };
    let down = format!("http://127.0.0.1:{}/hook", closed_port());
    let notifier = secrets(&slack, &down);
    let req = WatchReq {
        run: run.clone(),
        by: "watch".into(),
        alerts: Some((config(&pd, closed_port()), &notifier)),
    };
    let started = clock.now();
    watch::watch(&store, req, &runner, &*clock, &|_| {}, CancellationToken::new())
        .await
        .expect("watch");
    let recs = alerts(&store, &run);
    let failed: Vec<_> = recs.iter().filter(|r| r.receiver == "hook").collect();
    assert!(!failed.is_empty());
    for r in &failed {
        assert!(!r.sent);
        assert_eq!(r.attempts, alert::ATTEMPTS);
        assert!(
            r.error.as_deref().is_some_and(|e| e.contains("127.0.0.1")),
            "{r:?}"
        );
    }
    // Slack on the same route group was told anyway.
    assert!(recs.iter().any(|r| r.receiver == "team-chat" && r.sent));
    // The backoff waited 1 s, 2 s and 4 s between the tries (on the injected clock).
    assert!(clock.now() - started >= time::Duration::seconds(7));
}

#[tokio::test]
async fn alert_test_sends_to_every_receiver_of_a_route() {
    let (pd, slack) = (Server::http(), Server::http());
    let cfg = config(&pd, closed_port());
    let notifier = secrets(&slack, "http://127.0.0.1:9/none");
    let clock = SimClock::at(T0);
    let recs = alert::test_route(&cfg, "critical", &notifier, &clock)
        .await
        .expect("route");
    assert_eq!(recs.len(), 1);
    assert!(recs[0].sent && recs[0].test);
    assert_eq!(pd.requests()[0].body["payload"]["custom_details"]["test"], true);
    let e = alert::test_route(&cfg, "nope", &notifier, &clock)
        .await
        .expect_err("no route");
    assert!(e.contains("critical, warning"), "{e}");
}

/// Every check fails from T+20 to T+5h20.
struct AllFail(Arc<SimClock>);
impl watch::Runner for AllFail {
    fn checks<'a>(&'a self, steps: &'a [String]) -> futures_util::future::BoxFuture<'a, Vec<watch::Line>> {
        let m = (self.0.now() - T0).whole_minutes();
        let failing = (20..320).contains(&m);
        Box::pin(async move {
            steps
                .iter()
                .map(|s| watch::Line {
                    name: s.clone(),
                    passed: !failing,
                    values: BTreeMap::new(),
                    message: None,
                })
                .collect()
        })
    }
    fn summary(&self) -> futures_util::future::BoxFuture<'_, Vec<watch::Line>> {
        Box::pin(async { vec![] })
    }
    fn budget(&self) -> futures_util::future::BoxFuture<'_, Vec<watch::Line>> {
        Box::pin(async { vec![] })
    }
}

/// Every check fails from T+20 for 5 hours: the first notice groups every failing check (one
/// Slack message, group_wait 30 s), nothing is resent while the group is unchanged, and after
/// repeat_interval (4 h) it is sent again, to PagerDuty with the same dedup keys.
#[tokio::test]
async fn alerts_are_grouped_and_repeated_after_four_hours_with_the_same_dedup_keys() {
    let (pd, slack) = (Server::http(), Server::http());
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-6h/5m").expect("band")];
        p.end_min = 360;
        p.summary_every_min = 0;
        p.budget_every_min = 0;
    });
    let clock = Arc::new(SimClock::at(T0));
    let notifier = secrets(&slack, "http://127.0.0.1:9/unused");
    let mut cfg = config(&pd, closed_port());
    cfg.routes.retain(|r| r.name != "all-health");
    let req = WatchReq {
        run: run.clone(),
        by: "watch".into(),
        alerts: Some((cfg, &notifier)),
    };
    watch::watch(
        &store,
        req,
        &AllFail(clock.clone()),
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("watch");
    let checks = 5;
    let chat = slack.requests();
    let firing: Vec<&str> = chat
        .iter()
        .filter_map(|r| r.body["text"].as_str())
        .filter(|t| t.starts_with("*[FIRING]"))
        .collect();
    // The first notice lists every failing check; 4 h later the same group is sent again.
    assert_eq!(firing.len(), 2, "{firing:#?}");
    assert!(
        firing[0].contains(&format!("({checks} firing, 0 resolved)")),
        "{}",
        firing[0]
    );
    let recs = alerts(&store, &run);
    let repeats: Vec<_> = recs.iter().filter(|r| r.repeat).collect();
    assert!(
        repeats.iter().any(|r| r.receiver == "team-chat") && repeats.iter().any(|r| r.receiver == "on-call"),
        "{recs:#?}"
    );
    // PagerDuty: every trigger of a check carries the same dedup key each time; then resolves.
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in pd.requests() {
        let key = r.body["dedup_key"].as_str().expect("dedup_key").to_string();
        keys.entry(key)
            .or_default()
            .push(r.body["event_action"].as_str().expect("action").to_string());
    }
    assert_eq!(keys.len(), checks, "{keys:#?}");
    for actions in keys.values() {
        assert_eq!(actions, &["trigger", "trigger", "resolve"], "{keys:#?}");
    }
}
