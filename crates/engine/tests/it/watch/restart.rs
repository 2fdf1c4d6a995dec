//! The alerter survives a restart of the watch: its state (groups, when each was last told, the
//! open alerts and their dedup keys, the consecutive-failure counters) is rebuilt from the run's
//! log, so a restart neither pages again within repeat_interval nor forgets to resolve. The store
//! is stamped by the same simulated clock as the watch (as the wall clock stamps both for real),
//! closed at the "crash" and opened again, and the receivers are the loopback ones.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use flightdeck_engine::probe::MapSecrets;
use flightdeck_engine::store::Store;
use flightdeck_engine::watch::alert::{AlertConfig, HttpNotifier, Receiver};
use flightdeck_engine::watch::{self, parse_band, Line, WatchClock, WatchPlan, WatchReq};
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::loopback::Server;
use super::{SimClock, T0};

impl flightdeck_engine::clock::Clock for SimClock {
    fn now(&self) -> time::OffsetDateTime {
        WatchClock::now(self)
    }
}

/// Checks fail for minutes in `failing`; the watch is stopped (as by a crash or Ctrl-C) when a
/// check slot at `stop_at` or later begins.
struct Window {
    clock: Arc<SimClock>,
    failing: std::ops::Range<i64>,
    stop_at: Option<i64>,
    cancel: CancellationToken,
}

impl watch::Runner for Window {
    fn checks<'a>(&'a self, steps: &'a [String]) -> BoxFuture<'a, Vec<Line>> {
        let m = (WatchClock::now(&*self.clock) - T0).whole_minutes();
        if self.stop_at.is_some_and(|s| m >= s) {
            self.cancel.cancel();
        }
        let failing = self.failing.contains(&m);
        Box::pin(async move {
            steps
                .iter()
                .map(|s| Line {
                    name: s.clone(),
                    passed: !failing,
                    values: BTreeMap::new(),
                    message: failing.then(|| "HTTP 503".to_string()),
                })
                .collect()
        })
    }
    fn summary(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(async { vec![] })
    }
    fn budget(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(async { vec![] })
    }
}

fn config(pd: &Server) -> AlertConfig {
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
    ];
    cfg.routes.retain(|r| r.name == "critical" || r.name == "warning");
    cfg
}

/// One watch of the run in the store at `path`, opened with `clock` (the process's life).
async fn life(
    path: &std::path::Path,
    run: &str,
    clock: Arc<SimClock>,
    pd: &Server,
    slack: &Server,
    failing: std::ops::Range<i64>,
    stop_at: Option<i64>,
) {
    let store = Mutex::new(Store::open_with_clock(path, clock.clone()).expect("open the store"));
    let secrets = BTreeMap::from([
        (
            "PAGERDUTY_ROUTING_KEY".to_string(),
            "R0UTINGKEY0123456789abcdef012345".to_string(),
        ),
        ("SLACK_WEBHOOK_URL".to_string(), slack.url("/services/T/B/X")),
    ]);
    let notifier = HttpNotifier::new(Arc::new(MapSecrets(secrets))).expect("notifier");
    let cancel = CancellationToken::new();
    let runner = Window {
        clock: clock.clone(),
        failing,
        stop_at,
        cancel: cancel.clone(),
    };
    let req = WatchReq {
        run: run.to_string(),
        by: "watch".into(),
        alerts: Some((config(pd), &notifier)),
    };
    watch::watch(&store, req, &runner, &*clock, &|_| {}, cancel)
        .await
        .expect("watch");
}

/// A store at `dir` with a run whose plan checks every 5 minutes for 8 hours from T-0.
fn setup(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let path = dir.join("s.sqlite");
    let mut store = Store::open_with_clock(&path, Arc::new(SimClock::at(T0))).expect("open");
    let run = flightdeck_testsupport::store::started_bundled(&mut store, "m31");
    let loaded = flightdeck_engine::run::load(&store, &run).expect("load");
    let mut plan = WatchPlan::from_runbook(&loaded.runbook, T0).expect("plan");
    plan.bands = vec![parse_band("0h-8h/5m").expect("band")];
    plan.end_min = 480;
    plan.summary_every_min = 0;
    plan.budget_every_min = 0;
    watch::set_plan(
        &mut store,
        "ana",
        watch::SetWatchPlanReq {
            run: run.clone(),
            plan,
        },
    )
    .expect("plan");
    (path, run)
}

/// PagerDuty's requests by dedup key: the actions in order.
fn actions(pd: &Server) -> BTreeMap<String, Vec<String>> {
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in pd.requests() {
        keys.entry(r.body["dedup_key"].as_str().expect("dedup_key").to_string())
            .or_default()
            .push(r.body["event_action"].as_str().expect("action").to_string());
    }
    keys
}

fn firing_chat(slack: &Server) -> usize {
    slack
        .requests()
        .iter()
        .filter(|r| {
            r.body["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("*[FIRING]"))
        })
        .count()
}

/// Checks fail from T+20 to T+3h20; the watch dies at T+60 and is back at T+90: the criticals
/// paged before the restart are not paged again (repeat_interval 4 h holds), nor is the chat
/// told again, and when the checks pass the same dedup keys are resolved.
#[tokio::test]
async fn a_restart_within_repeat_interval_pages_nobody_again_and_still_resolves() {
    let (pd, slack) = (Server::http(), Server::http());
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, run) = setup(dir.path());
    life(
        &path,
        &run,
        Arc::new(SimClock::at(T0)),
        &pd,
        &slack,
        20..200,
        Some(60),
    )
    .await;
    let before = actions(&pd);
    assert!(
        !before.is_empty() && before.values().all(|a| a == &["trigger"]),
        "{before:#?}"
    );
    assert_eq!(firing_chat(&slack), 1);

    let back = T0 + time::Duration::minutes(90);
    life(
        &path,
        &run,
        Arc::new(SimClock::at(back)),
        &pd,
        &slack,
        20..200,
        None,
    )
    .await;
    let after = actions(&pd);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no new dedup key"
    );
    for (key, acts) in &after {
        assert_eq!(
            acts,
            &["trigger", "resolve"],
            "{key}: paged once, resolved once: {after:#?}"
        );
    }
    assert_eq!(firing_chat(&slack), 1, "the chat was not told again on restart");
}

/// Checks fail from T+20 to T+60, the watch dies at T+60 and is back at T+90 with the checks
/// passing: the alerts paged before the restart are resolved, with their dedup keys.
#[tokio::test]
async fn alerts_open_when_the_watch_died_are_resolved_after_the_restart() {
    let (pd, slack) = (Server::http(), Server::http());
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, run) = setup(dir.path());
    life(
        &path,
        &run,
        Arc::new(SimClock::at(T0)),
        &pd,
        &slack,
        20..60,
        Some(60),
    )
    .await;
    let before = actions(&pd);
    assert!(!before.is_empty(), "the critical was paged before the restart");
    let back = T0 + time::Duration::minutes(90);
    life(
        &path,
        &run,
        Arc::new(SimClock::at(back)),
        &pd,
        &slack,
        20..60,
        None,
    )
    .await;
    let after = actions(&pd);
    assert_eq!(after.len(), before.len(), "{after:#?}");
    for (key, acts) in &after {
        assert_eq!(acts, &["trigger", "resolve"], "{key}: {after:#?}");
    }
    let resolved = slack
        .requests()
        .iter()
        .filter(|r| r.body["text"].as_str().is_some_and(|t| t.contains("resolved:")))
        .count();
    assert!(resolved >= 1, "the chat hears the resolve too");
}
