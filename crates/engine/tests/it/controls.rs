//! The controls as the app's commands call them (`controls::preview_change`, `make_change`),
//! against an in-process sandbox and a store: the preview's "from" held at apply (a change made
//! in between refuses, recorded), an applied change recorded with its read-back, and a drill
//! step run through `run::run_steps` recording each attempt.

use std::sync::Mutex;

use flightdeck_engine::controls::adapter::Controls;
use flightdeck_engine::controls::{self, ControlOutcome, ControlReq, EnvTarget, Target};
use flightdeck_engine::environments::Environments;
use flightdeck_engine::probe::ProbeEnv;
use flightdeck_engine::run::{self, Event, Scope};
use flightdeck_engine::store::Store;
use flightdeck_testsupport::sandbox::start;
use flightdeck_testsupport::store::started_bundled;
use tokio_util::sync::CancellationToken;

fn req(run: &str, enabled: bool) -> ControlReq {
    ControlReq {
        env: "sandbox".into(),
        target: Target::Flag {
            key: "community_enabled".into(),
            enabled,
            rollout: Some(if enabled { 30 } else { 0 }),
        },
        adapter: None,
        reason: "canary".into(),
        expect_from: None,
        confirmed: false,
        run: Some(run.into()),
        deadline_ms: None,
        recheck_ms: None,
    }
}

fn actions(store: &Mutex<Store>, run: &str) -> Vec<controls::ControlRecord> {
    let s = store.lock().expect("store");
    let id = s.resolve_run(run).expect("run").id;
    s.events(&id)
        .expect("events")
        .iter()
        .filter_map(|e| match Event::decode(e) {
            Ok(Event::ControlAction(r)) => Some(*r),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn preview_then_apply_refuses_a_change_made_in_between_and_records_both_attempts() {
    let sb = start(false).await.expect("sandbox");
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(dir.path().join("s.sqlite")).expect("store");
    Environments::open(&store)
        .expect("envs")
        .set_var("sandbox", "SANDBOX_URL", &sb.base_url())
        .expect("var");
    let run = started_bundled(&mut store, "m31");
    let store = Mutex::new(store);

    // Preview, then someone else changes the flag, then apply with the preview's "from".
    let p = controls::preview_change(&store, &req(&run, true))
        .await
        .expect("preview");
    assert_eq!(p.from.to_string(), "OFF (0%)");
    let other = EnvTarget::new(
        "sandbox",
        false,
        ProbeEnv::default().with_var("SANDBOX_URL", sb.base_url()),
    );
    let current = other
        .http()
        .expect("http")
        .flag("community_enabled")
        .await
        .expect("read");
    other
        .http()
        .expect("http")
        .set_flag("community_enabled", true, 50, &current)
        .await
        .expect("someone else's change");
    let mut apply = req(&run, true);
    apply.expect_from = Some(p.from.clone());
    let r = controls::make_change(&store, "rm", &apply)
        .await
        .expect("an attempt");
    assert_eq!(r.outcome, ControlOutcome::Refused);
    assert!(
        r.error.as_deref().unwrap_or("").contains("it is now ON (50%)"),
        "{r:?}"
    );

    // A fresh preview holds: applied, read back, recorded.
    let p = controls::preview_change(&store, &apply)
        .await
        .expect("preview again");
    apply.expect_from = Some(p.from);
    let r = controls::make_change(&store, "rm", &apply)
        .await
        .expect("applied");
    assert_eq!(r.outcome, ControlOutcome::Applied);
    assert_eq!(r.read_back.map(|b| b.to_string()).as_deref(), Some("ON (30%)"));
    let recorded = actions(&store, &run);
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].outcome, ControlOutcome::Refused);
    assert_eq!(recorded[1].outcome, ControlOutcome::Applied);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_breaker_drill_step_records_its_trip_and_reset_as_they_happen() {
    let sb = start(false).await.expect("sandbox");
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(dir.path().join("s.sqlite")).expect("store");
    let run = started_bundled(&mut store, "m31");
    let store = Mutex::new(store);
    let env = ProbeEnv::default().with_var("SANDBOX_URL", sb.base_url());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let req = run::RunStepsReq {
        run: run.clone(),
        scope: Scope::Step("13.circuit-breaker-manual-trip.step".into()),
        concurrency: None,
        confirmed: false,
    };
    let done = run::run_steps(&store, "rm", &req, &env, tx, CancellationToken::new())
        .await
        .expect("runs");
    let _ = drain.await;
    assert!(done[0].result.passed(), "{:?}", done[0].result);
    let recorded = actions(&store, &run);
    let states: Vec<String> = recorded
        .iter()
        .map(|r| r.read_back.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect();
    assert_eq!(states, vec!["open", "closed"]);
    assert_eq!(recorded[1].revert.as_deref(), Some("drill"));
    // Recorded before the step's result: the attempts are in the log as they are made.
    let kinds: Vec<String> = {
        let s = store.lock().expect("store");
        let id = s.resolve_run(&run).expect("run").id;
        s.events(&id)
            .expect("events")
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    };
    let first_action = kinds
        .iter()
        .position(|k| k == "control_action")
        .expect("an action");
    let finished = kinds.iter().position(|k| k == "step_finished").expect("finished");
    assert!(first_action < finished, "{kinds:?}");
    sb.shutdown().await;
}

/// The HTTP admin adapter's write carries the state it was previewed from, and the API checks it
/// with the write: a change landing between the read and the write is refused (`Changed`, naming
/// both states), and the other change stands. Flags and breakers alike.
#[tokio::test]
async fn the_http_admin_write_is_refused_when_its_from_no_longer_holds_at_the_write() {
    let sb = start(false).await.expect("sandbox");
    let t = EnvTarget::new(
        "sandbox",
        false,
        ProbeEnv::default().with_var("SANDBOX_URL", sb.base_url()),
    );
    let http = t.http().expect("http");
    let seen = http.flag("community_enabled").await.expect("read");
    // Someone else's change, after our read and before our write.
    http.set_flag("community_enabled", true, 50, &seen)
        .await
        .expect("someone else's change");
    let e = http
        .set_flag("community_enabled", true, 30, &seen)
        .await
        .expect_err("a write from a stale state");
    assert!(
        matches!(&e, controls::ControlError::Changed { preview, now, .. } if preview == "OFF (0%)" && now == "ON (50%)"),
        "{e}"
    );
    let now = http.flag("community_enabled").await.expect("read");
    assert_eq!((now.enabled, now.rollout), (true, 50), "the other change stands");

    let seen = http.breaker("stripe").await.expect("read").state;
    assert_eq!(seen, "closed");
    http.act("stripe", controls::BreakerAction::Trip, &seen)
        .await
        .expect("someone else trips it");
    let e = http
        .act("stripe", controls::BreakerAction::Trip, &seen)
        .await
        .expect_err("a trip from a stale `closed`");
    assert!(
        matches!(&e, controls::ControlError::Changed { preview, now, .. } if preview == "closed" && now == "open"),
        "{e}"
    );
    sb.shutdown().await;
}

/// Every attempt is two events: its intent (`control_attempted`: from, to, the inverse) before
/// anything is sent, its outcome (`control_action`, same attempt id) after the read-back. A
/// process stopping in between leaves the intent alone: the run's state shows that attempt as
/// open (outcome unknown) until an outcome names it.
#[tokio::test]
async fn an_attempt_is_recorded_before_it_is_sent_and_one_with_no_outcome_stays_open() {
    let sb = start(false).await.expect("sandbox");
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(dir.path().join("s.sqlite")).expect("store");
    Environments::open(&store)
        .expect("envs")
        .set_var("sandbox", "SANDBOX_URL", &sb.base_url())
        .expect("var");
    let run = started_bundled(&mut store, "m31");
    let store = Mutex::new(store);

    let r = controls::make_change(&store, "rm", &req(&run, true))
        .await
        .expect("applied");
    assert_eq!(r.outcome, ControlOutcome::Applied);
    let kinds_and_attempts = |store: &Mutex<Store>| -> Vec<(String, Option<String>)> {
        let s = store.lock().expect("store");
        let id = s.resolve_run(&run).expect("run").id;
        s.events(&id)
            .expect("events")
            .iter()
            .filter_map(|e| match Event::decode(e) {
                Ok(Event::ControlAttempted(i)) => Some((e.kind.clone(), Some(i.attempt.clone()))),
                Ok(Event::ControlAction(r)) => Some((e.kind.clone(), r.attempt.clone())),
                _ => None,
            })
            .collect()
    };
    let got = kinds_and_attempts(&store);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "control_attempted");
    assert_eq!(got[1].0, "control_action");
    assert!(
        got[0].1.is_some() && got[0].1 == got[1].1,
        "one attempt id: {got:?}"
    );
    let open = |store: &Mutex<Store>| {
        run::load(&store.lock().expect("store"), &run)
            .expect("load")
            .state
            .controls_open
    };
    assert!(open(&store).is_empty(), "an attempt with its outcome is closed");

    // The process stops right after the intent is written: nothing sent, no outcome recorded.
    let t = controls::ops::target_of(&store.lock().expect("store"), &req(&run, false)).expect("target");
    let mut crash = |i: &controls::ControlIntent| {
        controls::ops::record_intent(&store, "rm", Some(&run), i)?;
        Err(controls::ControlError::Invalid("the process stopped here".into()))
    };
    let stopped = controls::apply_noted(&t, &req(&run, false), None, &mut crash).await;
    assert!(stopped.is_err());
    let open = open(&store);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].what, "flag community_enabled off --rollout 0");
    assert_eq!(
        (open[0].from.as_str(), open[0].to.as_str()),
        ("ON (30%)", "OFF (0%)")
    );
    assert_eq!(open[0].by, "rm");
    let now = EnvTarget::new(
        "sandbox",
        false,
        ProbeEnv::default().with_var("SANDBOX_URL", sb.base_url()),
    )
    .http()
    .expect("http")
    .flag("community_enabled")
    .await
    .expect("read");
    assert!(now.enabled, "nothing was sent after the intent");
    sb.shutdown().await;
}
