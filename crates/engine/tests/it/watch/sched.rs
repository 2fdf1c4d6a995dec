//! The scheduler on an injected clock: a week in seconds, a suspend, a restart.

use std::sync::Arc;

use flightdeck_engine::watch::{self, parse_band, SlotKind, SlotStatus};
use tokio_util::sync::CancellationToken;

use super::{req, slots, FakeRunner, SimClock, T0};

#[tokio::test]
async fn a_seven_day_plan_of_five_minute_slots_runs_on_the_injected_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-7d/5m").expect("band")]
    });
    let clock = Arc::new(SimClock::at(T0 - time::Duration::minutes(1)));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: false,
    };
    watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("the watch runs");
    let recs = slots(&store, &run);
    let of = |k| recs.iter().filter(|r| r.kind == k).count();
    assert_eq!(of(SlotKind::Check), 2016);
    assert_eq!(of(SlotKind::Summary), 168);
    assert_eq!(of(SlotKind::Budget), 7);
    assert!(recs.iter().all(|r| r.status == SlotStatus::Passed && !r.catch_up));
    // The wall clock was read at least every minute: a week of minutes, at least.
    assert!(clock.sleeps.load(std::sync::atomic::Ordering::Relaxed) >= 7 * 1440);
    let st = watch::status(&store.lock().expect("lock"), &run).expect("status");
    assert_eq!(
        (st.passed as usize, st.failed, st.missed, st.pending),
        (2016 + 168 + 7, 0, 0, 0)
    );
}

#[tokio::test]
async fn the_default_plan_runs_clean_and_checks_section_16s_items_with_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |_| {});
    let clock = Arc::new(SimClock::at(T0));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: false,
    };
    watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("the watch runs");
    let s = store.lock().expect("lock");
    let st = watch::status(&s, &run).expect("status");
    assert_eq!(st.clean_bands, ["0m-2h/5m", "2h-8h/15m", "8h-1d/1h"]);
    let loaded = flightdeck_engine::run::load(&s, &run).expect("load");
    for band in st.plan.bands.iter().filter(|b| !b.items.is_empty()) {
        for item in &band.items {
            let it = loaded.state.item(item).expect("item");
            assert!(
                it.checked && it.by.as_deref() == Some("watch"),
                "{item} checked by the watch"
            );
        }
    }
    let events = s.events(&run).expect("events");
    let clean = events
        .iter()
        .find(|e| e.kind == "watch_band_clean")
        .expect("a band clean");
    let evidence = clean.payload["evidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 24);
    for seq in evidence {
        let seq = seq.as_u64().expect("seq");
        assert_eq!(
            events.iter().find(|e| e.seq == seq).map(|e| e.kind.as_str()),
            Some("watch_slot")
        );
    }
}

#[tokio::test]
async fn a_three_hour_suspend_records_the_missed_slots_and_one_catch_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-12h/5m").expect("band")];
        p.end_min = 12 * 60;
    });
    // The lid closes at T+1h02 (the scheduler sleeps a minute at most, so it slept from T+1h01)
    // and opens 3 h later: the clock reads T+4h02 on wake.
    let clock =
        Arc::new(SimClock::at(T0).suspend_at(T0 + time::Duration::minutes(62), time::Duration::hours(3)));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: false,
    };
    watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("the watch runs");
    let recs = slots(&store, &run);
    let checks: Vec<_> = recs.iter().filter(|r| r.kind == SlotKind::Check).collect();
    assert_eq!(checks.len(), 144, "every slot is recorded once");
    let missed: Vec<_> = checks.iter().filter(|r| r.status == SlotStatus::Missed).collect();
    let catch_up: Vec<_> = checks.iter().filter(|r| r.catch_up).collect();
    // Slots at T+65 .. T+240 fell in the sleep (36); the latest runs as the one catch-up.
    assert_eq!(missed.len(), 35);
    assert!(missed.iter().all(|r| r.reason.as_deref() == Some("suspended")));
    assert_eq!(catch_up.len(), 1);
    assert_eq!(
        (catch_up[0].minute, catch_up[0].status),
        (240, SlotStatus::Passed)
    );
    assert!(missed.iter().all(|r| (65..240).contains(&r.minute)));
    // Summaries: T+2h and T+3h missed, T+4h the one catch-up.
    let sums: Vec<_> = recs.iter().filter(|r| r.kind == SlotKind::Summary).collect();
    assert_eq!(sums.iter().filter(|r| r.status == SlotStatus::Missed).count(), 2);
    assert_eq!(sums.iter().filter(|r| r.catch_up).count(), 1);
    // The band was not clean: its item stays unchecked.
    let st = watch::status(&store.lock().expect("lock"), &run).expect("status");
    assert!(st.clean_bands.is_empty());
    assert_eq!(st.missed, 37);
}

#[tokio::test]
async fn a_restarted_watch_records_slots_due_while_it_was_not_running_and_one_catch_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-1h/5m").expect("band")];
        p.end_min = 60;
        p.summary_every_min = 0;
        p.budget_every_min = 0;
    });
    let clock = Arc::new(SimClock::at(T0 + time::Duration::minutes(31)));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: false,
    };
    watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("the watch runs");
    let recs = slots(&store, &run);
    assert_eq!(recs.len(), 12);
    assert_eq!(
        recs.iter()
            .filter(|r| r.reason.as_deref() == Some("not running"))
            .count(),
        6
    );
    assert_eq!(recs.iter().filter(|r| r.catch_up).count(), 1);
}
