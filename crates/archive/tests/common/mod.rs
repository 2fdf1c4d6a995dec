//! A finished M31 run on a temporary store, built through the engine's own operations, and
//! signed archives of it. Shared by the tests and the bench.
#![allow(dead_code)]

pub mod hostile;

use std::sync::Arc;

use flightdeck_archive::{Identity, Subject};
use flightdeck_engine::clock::FixedClock;
use flightdeck_engine::probe::{AssertionResult, Excerpt, Outcome, ProbeResult, Provenance, Verdict as Pv};
use flightdeck_engine::run::{self, Event, Verdict};
use flightdeck_engine::runbook;
use flightdeck_engine::store::{sha256_hex, Store};
use time::macros::datetime;
use time::OffsetDateTime;

pub const EXPORTED_AT: OffsetDateTime = datetime!(2025-06-02 09:30 UTC);

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub run_id: String,
}

/// The bundled M31 runbook run end to end: header filled, every step run (its events as the
/// step runner writes them), items checked but one critical criterion, every sign-off, and a
/// GO over that criterion with an override. Release `v1.0.0`.
pub fn m31_run() -> Fixture {
    m31_run_of_release("v1.0.0")
}

/// [`m31_run`] of the release named `release` (text a user typed, which lands in the
/// signature's `/Reason`).
pub fn m31_run_of_release(release: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(FixedClock::stepping(
        datetime!(2025-06-01 20:00 UTC),
        time::Duration::seconds(7),
    ));
    let mut store = Store::open_with_clock(dir.path().join("fd.sqlite"), clock).expect("store");
    let id = run::create(
        &mut store,
        "ana",
        run::CreateReq {
            source: "bundled:m31".into(),
            env: "sandbox".into(),
            release: release.into(),
        },
    )
    .expect("start the M31 run")
    .id;
    let loaded = run::load(&store, &id).expect("loaded");
    fill_header(&mut store, &id, &loaded.state);
    run_steps(&mut store, &id, &loaded.runbook);
    check_and_fill(&mut store, &id, &loaded.runbook, &loaded.state);
    controls(&mut store, &id);
    sign_off_and_decide(&mut store, &id, &loaded.runbook);
    Fixture {
        _dir: dir,
        store,
        run_id: id,
    }
}

fn fill_header(store: &mut Store, id: &str, state: &run::RunState) {
    // Who signs off and who decides, made known to the run by its creator.
    for (name, role) in [
        ("ben", "engineer"),
        ("carol", "signoff"),
        ("dana", "decision-maker"),
    ] {
        let req = run::AddPersonReq {
            run: id.to_string(),
            name: name.into(),
            role: role.into(),
        };
        run::add_person(store, "ana", req).expect("add a person");
    }
    for (key, value) in [
        ("release-manager", "Ana Ruiz"),
        ("cutover-date", "2025-06-01"),
        ("on-call-engineer", "Ben Okafor"),
    ] {
        if state.meta(key).is_some() {
            run::set_meta(
                store,
                "ana",
                run::SetMetaReq {
                    run: id.to_string(),
                    key: key.into(),
                    value: value.into(),
                },
            )
            .expect("meta");
        }
    }
}

/// Every step run, its events as the step runner writes them; step 5 fails.
fn run_steps(store: &mut Store, id: &str, book: &runbook::Runbook) {
    for (n, step) in book.steps.iter().enumerate() {
        let lines = if n == 3 { 400 } else { 6 };
        let text: String = (0..lines)
            .map(|i| {
                format!(
                    "[{:02}] {} line {i}: ok status=200 latency_ms={}\n",
                    n,
                    step.id,
                    10 + i % 90
                )
            })
            .collect();
        let what = step.code.lines().next().unwrap_or_default().to_string();
        append(
            store,
            id,
            Event::StepStarted {
                step: step.id.clone(),
                kind: "shell".into(),
                what: what.clone(),
                confirmed_on: None,
            },
        );
        append(
            store,
            id,
            Event::StepOutput {
                step: step.id.clone(),
                stream: "stdout".into(),
                output: Excerpt {
                    bytes: text.len() as u64,
                    sha256: sha256_hex(text.as_bytes()),
                    text: text.clone(),
                    truncated_bytes: 0,
                    truncated: false,
                },
            },
        );
        let result = result(
            n,
            what,
            sha256_hex(step.code.as_bytes()),
            sha256_hex(text.as_bytes()),
        );
        append(
            store,
            id,
            Event::StepFinished {
                step: step.id.clone(),
                result: Box::new(result),
            },
        );
    }
}

/// Step `n`'s probe result: passed, but step 5's `exit == 0` does not hold.
fn result(n: usize, what: String, command_sha256: String, output_sha256: String) -> ProbeResult {
    let passed = n != 5;
    ProbeResult {
        kind: "shell".into(),
        outcome: if passed { Outcome::Passed } else { Outcome::Failed },
        failure: None,
        message: (!passed).then(|| "assertion `exit == 0` did not hold".to_string()),
        exit_code: Some(if passed { 0 } else { 1 }),
        http_status: None,
        duration_ms: 120 + (n as u64 * 379) % 2400,
        captures: vec![],
        assertions: vec![AssertionResult {
            expr: "exit == 0".into(),
            actual: if passed { "0".into() } else { "1".into() },
            verdict: if passed { Pv::Pass } else { Pv::Fail },
            implicit: true,
        }],
        stdout: None,
        stderr: None,
        body: None,
        what,
        provenance: Provenance {
            host: "laptop".into(),
            user: "ana".into(),
            flightdeck_version: "0.1.0".into(),
            command_sha256,
            output_sha256,
        },
    }
}

/// Every item checked but the first critical criterion; every field filled; a note.
fn check_and_fill(store: &mut Store, id: &str, book: &runbook::Runbook, state: &run::RunState) {
    let left_open = book.decision.as_ref().and_then(|d| d.criteria.first().cloned());
    for item in &state.items {
        if item.checked || Some(&item.id) == left_open.as_ref() {
            continue;
        }
        run::check(
            store,
            "ben",
            run::CheckReq {
                run: id.to_string(),
                item: item.id.clone(),
                checked: true,
            },
        )
        .expect("check");
    }
    for (i, f) in book.fields.iter().enumerate() {
        let value = match &f.kind {
            runbook::FieldKind::Choice { options } => options.first().cloned().unwrap_or_default(),
            runbook::FieldKind::Text => format!("value {i}"),
            _ => format!("{}", 10 + i),
        };
        let _ = run::set_field(
            store,
            "ben",
            run::SetFieldReq {
                run: id.to_string(),
                field: f.id.clone(),
                value,
            },
        );
    }
    run::note(
        store,
        "ana",
        run::NoteReq {
            run: id.to_string(),
            text: "Payments latency watched for 15 minutes after the switch; stable.".into(),
            item: None,
        },
    )
    .expect("note");
}

/// A flag drill (act, with its intent first, and revert), a breaker trip recorded as about to be
/// sent with no outcome after it, and a flags check with one drifting flag, before the decision.
fn controls(store: &mut Store, id: &str) {
    use flightdeck_engine::controls::{
        BreakerAction, ControlIntent, ControlOutcome, ControlRecord, DriftRow, Setting, Target,
    };
    let flag = |enabled: bool, rollout: u8| Setting::Flag { enabled, rollout };
    let target = |enabled: bool, rollout: u8| Target::Flag {
        key: "rate_limiting_enabled".into(),
        enabled,
        rollout: Some(rollout),
    };
    let act = ControlRecord {
        env: "sandbox".into(),
        adapter: "http".into(),
        target: target(false, 0),
        reason: "§13 emergency disable drill".into(),
        from: Some(flag(true, 100)),
        to: flag(false, 0),
        inverse: Some(target(true, 100)),
        outcome: ControlOutcome::Applied,
        error: None,
        read_back: Some(flag(false, 0)),
        verified: true,
        step: Some("13.feature-flag-rollback.step".into()),
        revert: None,
        confirmed_on: None,
        read_again: None,
        attempt: Some("attempt-act".into()),
    };
    let intent = |attempt: &str, target: Target, from: Setting, to: Setting, inverse: Target| ControlIntent {
        attempt: attempt.into(),
        env: "sandbox".into(),
        adapter: "http".into(),
        target,
        reason: "§13 emergency disable drill".into(),
        from,
        to,
        inverse,
        step: None,
        confirmed_on: None,
    };
    let breaker = |action| Target::Breaker {
        provider: "stripe".into(),
        action,
    };
    let state = |s: &str| Setting::Breaker { state: s.into() };
    for i in [
        intent(
            "attempt-act",
            target(false, 0),
            flag(true, 100),
            flag(false, 0),
            target(true, 100),
        ),
        intent(
            "attempt-lost",
            breaker(BreakerAction::Trip),
            state("closed"),
            state("open"),
            breaker(BreakerAction::Reset),
        ),
    ] {
        let req = run::RecordIntentReq {
            run: id.to_string(),
            intent: i,
        };
        run::record_intent(store, "ana", req).expect("intent");
    }
    let undo = ControlRecord {
        target: target(true, 100),
        from: Some(flag(false, 0)),
        to: flag(true, 100),
        inverse: Some(target(false, 0)),
        read_back: Some(flag(true, 100)),
        revert: Some("drill".into()),
        attempt: None,
        ..act.clone()
    };
    let read = flightdeck_engine::controls::ReadAgain {
        env: "sandbox".into(),
        target: act.target.clone(),
        attempt: act.attempt.clone(),
        after_ms: 30_000,
        expected: act.to.clone(),
        state: Some(flag(true, 100)),
        error: None,
        held: false,
    };
    for record in [act, undo] {
        let req = run::RecordControlReq {
            run: id.to_string(),
            record,
        };
        run::record_control(store, "ana", req).expect("control");
    }
    let req = run::RecordReadAgainReq {
        run: id.to_string(),
        read,
    };
    run::record_read_again(store, "ana", req).expect("read again");
    let rows = vec![DriftRow {
        key: "community_enabled".into(),
        expected: "OFF (0%)".into(),
        actual: Some("ON (5%)".into()),
        drift: true,
        line: 157,
    }];
    let req = run::RecordDriftReq {
        run: id.to_string(),
        env: "sandbox".into(),
        adapter: "http".into(),
        step: None,
        rows,
    };
    run::record_drift(store, "ana", req).expect("drift");
}

/// Every sign-off (with an override), then GO over the open criterion.
fn sign_off_and_decide(store: &mut Store, id: &str, book: &runbook::Runbook) {
    for s in &book.signoffs {
        run::signoff(
            store,
            "carol",
            run::SignOffReq {
                run: id.to_string(),
                signoff: s.id.clone(),
                override_reason: Some("accepted by the change board".into()),
                solo_reason: None,
            },
        )
        .expect("signoff");
    }
    run::decide(
        store,
        "dana",
        run::DecideReq {
            run: id.to_string(),
            decision: Verdict::Go,
            rationale: "All gates green except the load test, re-run scheduled at D+1.".into(),
            override_reason: Some("load test environment down; risk accepted by VP Eng".into()),
            solo_reason: None,
        },
    )
    .expect("decide");
}

pub fn append(store: &mut Store, run_id: &str, event: Event) {
    let new = event.into_new("ana").expect("encodes");
    store
        .append(run_id, &new.actor, &new.kind, new.payload)
        .expect("append");
}

pub fn identity() -> Identity {
    let (identity, _) = Identity::self_signed(
        &Subject {
            name: "Ana Ruiz".into(),
            organisation: Some("Example Payments Ltd".into()),
        },
        datetime!(2025-01-01 00:00 UTC),
    )
    .expect("identity");
    identity
}

pub fn export(fx: &Fixture, who: &Identity) -> Vec<u8> {
    flightdeck_archive::export(
        &fx.store,
        &fx.run_id,
        who,
        &flightdeck_archive::ExportOpts { now: EXPORTED_AT },
    )
    .expect("export")
}
