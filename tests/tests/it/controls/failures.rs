use super::{control_events, flag, setup};
use flightdeck_testsupport::cli::exit::{REFUSED, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, streams};
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;

#[test]
fn failures_are_recorded_as_failures_with_the_state_read_after() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    let set = |code: i32, extra: &[&str]| {
        let mut args = vec![
            "--json",
            "flag",
            "set",
            "sandbox",
            "rate_limiting_enabled",
            "off",
            "--reason",
            "incident",
            "--run",
            &run,
            "--by",
            "rm",
        ];
        args.extend_from_slice(extra);
        json_of(&cli.exits(code, args))
    };
    // Down: nothing could be read, nothing was sent, nothing is claimed.
    sb.set_fault("down");
    let r = set(STEPS_FAILED, &[]);
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["from"], Value::Null);
    assert_eq!(r["read_back"], Value::Null);
    assert_eq!(r["verified"], false);
    assert!(r["error"].as_str().expect("error").contains("503"), "{r}");
    sb.set_fault("clear");
    assert_eq!(flag(&cli, "rate_limiting_enabled")["enabled"], true);

    // A 500 after the write: failed, and the state read afterwards says what it left.
    sb.set_fault("write-errors");
    let r = set(STEPS_FAILED, &[]);
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["verified"], false);
    assert!(r["error"].as_str().expect("error").contains("HTTP 500"), "{r}");
    assert_eq!(
        r["read_back"]["enabled"], false,
        "the read-back shows the change the 500 hid: {r}"
    );
    sb.set_fault("clear");
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "rate_limiting_enabled",
        "on",
        "--rollout",
        "100",
        "--reason",
        "restore",
    ]);

    // No answer in time: failed, state unreadable, nothing claimed.
    sb.set_fault("latency=2s");
    let r = set(STEPS_FAILED, &["--timeout", "300ms"]);
    assert_eq!(r["outcome"], "failed");
    assert!(r["error"].as_str().expect("error").contains("deadline"), "{r}");
    assert_eq!(r["read_back"], Value::Null);
    sb.set_fault("clear");
    assert_eq!(flag(&cli, "rate_limiting_enabled")["enabled"], true);

    let outcomes: Vec<Value> = control_events(&cli, &run)
        .iter()
        .map(|e| e["outcome"].clone())
        .collect();
    assert_eq!(outcomes, vec!["failed", "failed", "failed"]);
}

#[test]
fn a_change_between_preview_and_apply_is_refused() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    let p = cli.json([
        "flag",
        "set",
        "sandbox",
        "community_enabled",
        "on",
        "--reason",
        "x",
        "--dry-run",
    ]);
    assert_eq!(p["from"]["enabled"], false);
    // Someone else turns it on at 50% meanwhile.
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "community_enabled",
        "on",
        "--rollout",
        "50",
        "--reason",
        "other",
    ]);
    let out = cli.exits(
        REFUSED,
        [
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--from",
            "off:0",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    let text = streams(&out);
    assert!(text.contains("it was OFF (0%), it is now ON (50%)"), "{text}");
    assert_eq!(flag(&cli, "community_enabled")["rollout"], 50);
    let e = control_events(&cli, &run);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["outcome"], "refused");
}

/// `flag set --run` writes the attempt's intent before sending and its outcome after (one attempt
/// id); an intent left with no outcome (the process stopped in between) is `OUTCOME UNKNOWN` in
/// `run show`, and no longer once an outcome names it.
#[test]
fn an_attempt_with_no_outcome_shows_as_outcome_unknown_in_run_show() {
    use flightdeck_engine::controls::{ControlIntent, Setting, Target};
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "community_enabled",
        "on",
        "--rollout",
        "5",
        "--reason",
        "canary",
        "--run",
        &run,
        "--by",
        "rm",
    ]);
    let events = cli.json(["run", "events", &run]);
    let kinds: Vec<(String, String)> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("control_")))
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["payload"]["attempt"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(
        (kinds[0].0.as_str(), kinds[1].0.as_str()),
        ("control_attempted", "control_action")
    );
    assert!(!kinds[0].1.is_empty() && kinds[0].1 == kinds[1].1, "{kinds:?}");
    let show = String::from_utf8_lossy(&cli.output(["run", "show", &run]).stdout).to_string();
    assert!(!show.contains("OUTCOME UNKNOWN"), "{show}");

    // What a process stopping right after writing the intent leaves.
    let mut store = flightdeck_engine::store::Store::open(cli.store()).expect("store");
    let intent = ControlIntent {
        attempt: "lost-1".into(),
        env: "sandbox".into(),
        adapter: "http".into(),
        target: Target::Flag {
            key: "community_enabled".into(),
            enabled: false,
            rollout: Some(0),
        },
        reason: "rollback".into(),
        from: Setting::Flag {
            enabled: true,
            rollout: 5,
        },
        to: Setting::Flag {
            enabled: false,
            rollout: 0,
        },
        inverse: Target::Flag {
            key: "community_enabled".into(),
            enabled: true,
            rollout: Some(5),
        },
        step: None,
        confirmed_on: None,
    };
    flightdeck_engine::run::record_intent(
        &mut store,
        "rm",
        flightdeck_engine::run::RecordIntentReq {
            run: run.clone(),
            intent,
        },
    )
    .expect("intent");
    drop(store);
    let show = String::from_utf8_lossy(&cli.output(["run", "show", &run]).stdout).to_string();
    assert!(
        show.contains("by rm")
            && show.contains(
                "flag community_enabled off --rollout 0 ON (5%) → OFF (0%) in sandbox: OUTCOME UNKNOWN"
            ),
        "{show}"
    );
}
