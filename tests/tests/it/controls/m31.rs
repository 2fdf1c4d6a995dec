use super::{control_events, flag, setup, Child};
use flightdeck_testsupport::cli::exit::{OK, STEPS_FAILED};
use flightdeck_testsupport::cli::streams;
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;

#[test]
fn m31_sections_5_10_and_13_run_green_and_drift_turns_5_red() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    for section in ["5", "10", "13"] {
        cli.exits(OK, ["run", "section", &run, section, "--by", "rm"]);
    }
    let drills = control_events(&cli, &run);
    assert_eq!(drills.len(), 4, "two drills, act and revert each: {drills:?}");
    assert!(drills.iter().all(|d| d["outcome"] == "applied"), "{drills:?}");
    // The two drills run side by side: each has its act and then its revert.
    for step in [
        "13.feature-flag-rollback.step",
        "13.circuit-breaker-manual-trip.step",
    ] {
        let own: Vec<&Value> = drills.iter().filter(|d| d["step"] == step).collect();
        assert_eq!(own.len(), 2, "{step}: {drills:?}");
        assert_eq!(own[0]["revert"], Value::Null);
        assert_eq!(own[1]["revert"], "drill");
        assert_eq!(own[1]["read_back"], own[0]["from"], "{step} is back where it was");
    }
    assert_eq!(
        flag(&cli, "rate_limiting_enabled")["enabled"],
        true,
        "the drill put it back"
    );
    let show = cli.show(&run);
    let field = |id: &str| {
        show["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["id"] == id)
            .expect(id)["value"]
            .clone()
    };
    assert_eq!(field("13.feature-flag-rollback"), "Working");
    assert_eq!(field("13.manual-circuit-breaker-control"), "Working");

    // A flag set against expectation: §5 goes red naming it; the CLI shows the drift.
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "community_enabled",
        "on",
        "--rollout",
        "5",
        "--reason",
        "oops",
    ]);
    let out = cli.exits(STEPS_FAILED, ["run", "section", &run, "5", "--by", "rm"]);
    let text = streams(&out);
    assert!(
        text.contains("flag drift: community_enabled (expected OFF (0%), actual ON (5%))"),
        "{text}"
    );
    let list = cli.ok(["flag", "list", "sandbox", "--run", &run]);
    assert!(
        list.contains("OFF (0%)  DRIFT") && list.contains("5 expected, 1 drift"),
        "{list}"
    );
    let events = cli.json(["run", "events", &run]);
    let checks: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "flags_checked")
        .collect();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[1]["payload"]["rows"][0]["drift"], true);
}

#[test]
fn automatic_revert_after_a_deadline() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    let out = cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "sandbox",
            "notifications_enabled",
            "on",
            "--rollout",
            "10",
            "--reason",
            "ramp",
            "--run",
            &run,
            "--by",
            "rm",
            "--revert-after",
            "1s",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // A stream with --json: the change, then its revert, one JSON object a line.
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line ({e}): {l}")))
        .collect();
    assert_eq!(records.len(), 2, "{text}");
    assert!(records.iter().all(|r| r["outcome"] == "applied"), "{text}");
    assert!(
        records[1]["revert"].is_string(),
        "the second is the revert: {text}"
    );
    let e = control_events(&cli, &run);
    assert_eq!(e.len(), 2);
    assert!(
        e[1]["revert"].as_str().expect("revert").starts_with("deadline"),
        "{e:?}"
    );
    assert_eq!(flag(&cli, "notifications_enabled")["rollout"], 1);
}

#[test]
fn automatic_revert_when_a_named_check_fails_within_its_window() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    // Turn community on and watch §5's check: the check fails on that very drift, the
    // waiting command reverts on its own.
    let mut watcher = std::process::Command::new(flightdeck_testsupport::cli::binary());
    watcher
        .env_remove("FLIGHTDECK_STORE")
        .args(["--store"])
        .arg(cli.store())
        .args([
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--reason",
            "try",
            "--run",
            &run,
            "--by",
            "rm",
            "--revert-if-fails",
            "5.critical-feature-flags-set.step",
            "--within",
            "10m",
        ]);
    watcher.stdout(std::process::Stdio::null());
    let mut child = Child(watcher.spawn().expect("spawn"));
    // Wait until the change is recorded, then run the check.
    while control_events(&cli, &run).is_empty() {
        assert!(
            matches!(child.0.try_wait(), Ok(None)),
            "the watcher ended before recording its change"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    cli.exits(
        STEPS_FAILED,
        [
            "run",
            "step",
            &run,
            "5.critical-feature-flags-set.step",
            "--by",
            "rm",
        ],
    );
    let status = child.wait();
    assert!(status.success(), "the watcher exits 0 after reverting");
    let e = control_events(&cli, &run);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[1]["revert"]
        .as_str()
        .expect("revert")
        .contains("5.critical-feature-flags-set.step failed"));
    assert_eq!(flag(&cli, "community_enabled")["enabled"], false);
}
