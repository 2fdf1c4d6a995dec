//! The D0–D7 watch on an injected clock: a week's plan in seconds, a suspend, alert routing to
//! real receivers on loopback.

mod alerts;
mod lease;
mod loopback;
mod plan;
mod restart;
mod sched;
mod starttls;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use flightdeck_engine::store::Store;
use flightdeck_engine::watch::{self, Line, Runner, WatchClock, WatchPlan, WatchReq};
use futures_util::future::BoxFuture;
use time::macros::datetime;
use time::OffsetDateTime;

/// T-0 of every test.
pub const T0: OffsetDateTime = datetime!(2026-12-04 09:00 UTC);

/// A clock that moves only when slept on (instantly), and jumps `suspend` when a sleep crosses
/// `suspend_at`, as a laptop's lid does.
pub struct SimClock {
    now: Mutex<OffsetDateTime>,
    suspend: Mutex<Option<(OffsetDateTime, time::Duration)>>,
    pub sleeps: AtomicU32,
}

impl SimClock {
    pub fn at(t: OffsetDateTime) -> SimClock {
        SimClock {
            now: Mutex::new(t),
            suspend: Mutex::new(None),
            sleeps: AtomicU32::new(0),
        }
    }

    pub fn suspend_at(self, at: OffsetDateTime, for_: time::Duration) -> SimClock {
        *self.suspend.lock().expect("lock") = Some((at, for_));
        self
    }
}

impl WatchClock for SimClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().expect("lock")
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        self.sleeps.fetch_add(1, Ordering::Relaxed);
        let mut now = self.now.lock().expect("lock");
        let next = *now + d;
        let mut suspend = self.suspend.lock().expect("lock");
        *now = match *suspend {
            Some((at, for_)) if next >= at => {
                *suspend = None;
                next + for_
            }
            _ => next,
        };
        Box::pin(tokio::task::yield_now())
    }
}

/// Checks that pass, except at the minutes after T-0 listed in `fail` (failing `8.health...`).
pub struct FakeRunner {
    pub clock: std::sync::Arc<SimClock>,
    pub fail: Vec<u32>,
    pub budget_alerting: bool,
}

impl FakeRunner {
    fn minute(&self) -> u32 {
        u32::try_from((self.clock.now() - T0).whole_minutes()).unwrap_or(0)
    }
}

impl Runner for FakeRunner {
    fn checks<'a>(&'a self, steps: &'a [String]) -> BoxFuture<'a, Vec<Line>> {
        let failing = self.fail.contains(&self.minute());
        Box::pin(async move {
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| Line {
                    name: s.clone(),
                    passed: !(failing && i == 0),
                    values: BTreeMap::from([(
                        "status".to_string(),
                        if failing && i == 0 { "503" } else { "200" }.to_string(),
                    )]),
                    message: (failing && i == 0).then(|| "HTTP 503".to_string()),
                })
                .collect()
        })
    }

    fn summary(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(async {
            vec![Line {
                name: "latency_p95".into(),
                passed: true,
                values: BTreeMap::from([("value".to_string(), "120 ms".to_string())]),
                message: None,
            }]
        })
    }

    fn budget(&self) -> BoxFuture<'_, Vec<Line>> {
        let alerting = self.budget_alerting;
        Box::pin(async move {
            vec![Line {
                name: "ai_api".into(),
                passed: !alerting,
                values: BTreeMap::from([("used_pct".to_string(), "91.5".to_string())]),
                message: alerting.then(|| "budget `ai_api` is over its alert threshold".to_string()),
            }]
        })
    }
}

/// A watch of `run` recorded by `watch`, routing no alerts.
pub fn req(run: &str) -> WatchReq<'static> {
    WatchReq {
        run: run.to_string(),
        by: "watch".into(),
        alerts: None,
    }
}

/// A store with a started M31 run whose watch plan is `edit(default plan at T0)`.
pub fn m31_run(dir: &std::path::Path, edit: impl FnOnce(&mut WatchPlan)) -> (Mutex<Store>, String) {
    let mut store = Store::open(dir.join("s.sqlite")).expect("open the store");
    let run = flightdeck_testsupport::store::started_bundled(&mut store, "m31");
    let loaded = flightdeck_engine::run::load(&store, &run).expect("load");
    let mut plan = WatchPlan::from_runbook(&loaded.runbook, T0).expect("plan");
    edit(&mut plan);
    watch::set_plan(
        &mut store,
        "ana",
        watch::SetWatchPlanReq {
            run: run.clone(),
            plan,
        },
    )
    .expect("set the plan");
    (Mutex::new(store), run)
}

/// Every `watch_slot` record of the run.
pub fn slots(store: &Mutex<Store>, run: &str) -> Vec<watch::SlotRecord> {
    let s = store.lock().expect("lock");
    s.events(run)
        .expect("events")
        .iter()
        .filter(|e| e.kind == "watch_slot")
        .map(|e| serde_json::from_value(e.payload.clone()).expect("a slot record"))
        .collect()
}
