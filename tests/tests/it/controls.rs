//! Flag and breaker controls end to end, through the `flightdeck` binary against a real
//! `flightdeck sandbox` (SQLite, and Postgres under `.ci/services.sh`) and the SQL table adapter
//! on that real Postgres: each action and its revert, drift, failures recorded as failures,
//! concurrent changes refused, unknown names listing the known ones, production refused without
//! confirmation (exit 4), the bundled M31's §5/§10/§13, automatic reverts, and the admin token
//! never in any output, event, store or archive.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, OK, REFUSED, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, streams, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;
use flightdeck_testsupport::{leak, needs};
use serde_json::Value;

/// A store whose `sandbox` environment points at `sb`, and a run on it.
fn setup(sb: &SandboxProcess) -> (Cli, String) {
    let cli = Cli::new();
    cli.ok(["env", "set-var", "sandbox", "SANDBOX_URL", sb.url()]);
    let run = cli.new_run("bundled:m31", "sandbox");
    (cli, run)
}

fn control_events(cli: &Cli, run: &str) -> Vec<Value> {
    let events = cli.json(["run", "events", run]);
    events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "control_action")
        .map(|e| e["payload"].clone())
        .collect()
}

fn flag(cli: &Cli, key: &str) -> Value {
    cli.json(["flag", "show", "sandbox", key])["flags"][0].clone()
}

/// Sets a flag and then its inverse, both recorded with from, to, inverse, outcome, read-back.
fn toggle_and_revert(cli: &Cli, run: &str) {
    let done = json_of(&cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--rollout",
            "25",
            "--reason",
            "canary",
            "--run",
            run,
            "--by",
            "rm",
        ],
    ));
    assert_eq!(done["outcome"], "applied");
    assert_eq!(done["verified"], true);
    assert_eq!(
        done["from"],
        serde_json::json!({"type": "flag", "enabled": false, "rollout": 0})
    );
    assert_eq!(
        done["read_back"],
        serde_json::json!({"type": "flag", "enabled": true, "rollout": 25})
    );
    assert_eq!(done["inverse"]["enabled"], false);
    assert_eq!(flag(cli, "community_enabled")["rollout"], 25);
    // The inverse, as the record states it.
    let back = json_of(&cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "off",
            "--rollout",
            "0",
            "--reason",
            "undo canary",
            "--run",
            run,
            "--by",
            "rm",
        ],
    ));
    assert_eq!(back["outcome"], "applied");
    assert_eq!(flag(cli, "community_enabled")["enabled"], false);
    let events = control_events(cli, run);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["reason"], "canary");
    assert_eq!(events[0]["env"], "sandbox");
    assert_eq!(events[0]["adapter"], "http");
    assert_eq!(events[1]["reason"], "undo canary");
}

fn breaker_trip_and_reset(cli: &Cli, run: &str) {
    let preview = cli.json([
        "breaker",
        "trip",
        "sandbox",
        "stripe",
        "--reason",
        "x",
        "--dry-run",
    ]);
    assert_eq!(preview["from"]["state"], "closed");
    assert_eq!(preview["to"]["state"], "open");
    assert_eq!(preview["inverse"]["action"], "reset");
    let before = control_events(cli, run).len();
    for (action, state) in [("trip", "open"), ("reset", "closed")] {
        let r = json_of(&cli.exits(
            OK,
            [
                "--json", "breaker", action, "sandbox", "stripe", "--reason", "drill", "--run", run, "--by",
                "rm",
            ],
        ));
        assert_eq!(r["outcome"], "applied", "{r}");
        assert_eq!(r["read_back"]["state"], state);
        let status = cli.json(["breaker", "status", "sandbox", "stripe"]);
        assert_eq!(status["breakers"][0]["state"], state);
    }
    assert_eq!(control_events(cli, run).len(), before + 2);
}

#[test]
fn each_action_and_its_revert_on_the_sqlite_sandbox() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    toggle_and_revert(&cli, &run);
    breaker_trip_and_reset(&cli, &run);
    // A dry run changes nothing and records nothing.
    let n = control_events(&cli, &run).len();
    let p = cli.json([
        "flag",
        "set",
        "sandbox",
        "rate_limiting_enabled",
        "off",
        "--reason",
        "x",
        "--dry-run",
        "--run",
        &run,
    ]);
    assert_eq!(p["from"]["enabled"], true);
    assert_eq!(flag(&cli, "rate_limiting_enabled")["enabled"], true);
    assert_eq!(control_events(&cli, &run).len(), n);
}

#[test]
fn each_action_and_its_revert_on_the_postgres_sandbox_and_the_sql_adapter() {
    let Some(pg) = needs::postgres() else { return };
    let sb = SandboxProcess::start_with(false, Some(&pg), &[]);
    let (cli, run) = setup(&sb);
    // The sandbox reseeds nothing it finds: put the expected state back first.
    for (k, on, p) in [
        ("community_enabled", "off", "0"),
        ("rate_limiting_enabled", "on", "100"),
    ] {
        cli.ok([
            "flag",
            "set",
            "sandbox",
            k,
            on,
            "--rollout",
            p,
            "--reason",
            "reset",
        ]);
    }
    cli.ok(["breaker", "reset", "sandbox", "stripe", "--reason", "reset"]);
    toggle_and_revert(&cli, &run);
    breaker_trip_and_reset(&cli, &run);

    // The SQL table adapter on the same real Postgres.
    cli.ok(["env", "set-var", "sandbox", "FLAGS_DB_URL", &pg]);
    let list = cli.json(["flag", "list", "sandbox", "--adapter", "sql"]);
    assert_eq!(list["adapter"], "sql");
    assert!(list["flags"].as_array().expect("flags").len() >= 5);
    let set = |to: &str, p: &str| {
        json_of(&cli.exits(
            OK,
            [
                "--json",
                "flag",
                "set",
                "sandbox",
                "notifications_enabled",
                to,
                "--rollout",
                p,
                "--reason",
                "gradual",
                "--adapter",
                "sql",
                "--run",
                &run,
                "--by",
                "rm",
            ],
        ))
    };
    let on = set("on", "5");
    assert_eq!(on["adapter"], "sql");
    assert_eq!(
        on["read_back"],
        serde_json::json!({"type": "flag", "enabled": true, "rollout": 5})
    );
    // The HTTP API sees what the SQL adapter wrote.
    assert_eq!(flag(&cli, "notifications_enabled")["rollout"], 5);
    let off = set("off", "1");
    assert_eq!(off["outcome"], "applied");
    // A preview whose "from" no longer holds is refused inside the locked transaction.
    let out = cli.exits(
        REFUSED,
        [
            "flag",
            "set",
            "sandbox",
            "notifications_enabled",
            "on",
            "--from",
            "on:50",
            "--reason",
            "x",
            "--adapter",
            "sql",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    assert!(
        streams(&out).contains("changed since the preview"),
        "{}",
        streams(&out)
    );
    assert_eq!(flag(&cli, "notifications_enabled")["rollout"], 1);
    let last = control_events(&cli, &run).pop().expect("recorded");
    assert_eq!(last["outcome"], "refused");
    // An unknown flag lists the known ones, from the table.
    let why = cli.fails(NOT_FOUND, ["flag", "show", "sandbox", "nope", "--adapter", "sql"]);
    assert!(why.contains("known flags: budget_guards_enabled"), "{why}");
}

#[test]
fn ofrep_reads_the_same_state_and_refuses_to_write() {
    let sb = SandboxProcess::start(false);
    let (cli, _run) = setup(&sb);
    let http = cli.json(["flag", "list", "sandbox"]);
    let ofrep = cli.json(["flag", "list", "sandbox", "--adapter", "ofrep"]);
    assert_eq!(http["flags"], ofrep["flags"]);
    let why = cli.fails(
        REFUSED,
        [
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--adapter",
            "ofrep",
        ],
    );
    assert!(why.contains("read-only"), "{why}");
    let why = cli.fails(
        NOT_FOUND,
        ["flag", "show", "sandbox", "nope", "--adapter", "ofrep"],
    );
    assert!(
        why.contains("known flags: budget_guards_enabled, circuit_breakers_enabled"),
        "{why}"
    );
}

#[test]
fn unknown_flags_and_providers_list_the_known_ones() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    let why = cli.fails(
        NOT_FOUND,
        [
            "flag",
            "set",
            "sandbox",
            "comunity_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
        ],
    );
    assert!(
        why.contains("unknown flag `comunity_enabled`")
            && why.contains("budget_guards_enabled, circuit_breakers_enabled, community_enabled"),
        "{why}"
    );
    let why = cli.fails(
        NOT_FOUND,
        ["breaker", "trip", "sandbox", "strip", "--reason", "x"],
    );
    assert!(
        why.contains("known providers: stripe, square, twilio, fcm, apns"),
        "{why}"
    );
    assert!(
        control_events(&cli, &run).is_empty(),
        "naming nothing is not an attempt"
    );
}

#[test]
fn production_without_confirmation_is_refused_with_exit_4() {
    let sb = SandboxProcess::start(false);
    let cli = Cli::new();
    cli.ok(["env", "new", "prod", "--production"]);
    cli.ok(["env", "set-var", "prod", "ADMIN_URL", sb.url()]);
    let run = cli.new_run("bundled:m31", "prod");
    let why = cli.fails(
        REFUSED,
        [
            "flag",
            "set",
            "prod",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
        ],
    );
    assert!(why.contains("`prod` is marked production"), "{why}");
    let why = cli.fails(REFUSED, ["breaker", "trip", "prod", "stripe", "--reason", "x"]);
    assert!(why.contains("production"), "{why}");
    assert_eq!(
        cli.json(["flag", "show", "prod", "community_enabled"])["flags"][0]["enabled"],
        false
    );
    // The preview says so; with --yes it goes, and the event names the environment confirmed.
    let p = cli.json([
        "flag",
        "set",
        "prod",
        "community_enabled",
        "on",
        "--reason",
        "x",
        "--dry-run",
    ]);
    assert_eq!(p["needs_confirmation"], true);
    let r = json_of(&cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "prod",
            "community_enabled",
            "on",
            "--reason",
            "go",
            "--yes",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    ));
    assert_eq!(r["confirmed_on"], "prod");
    // Without a reason nothing happens either.
    let why = cli.fails(
        REFUSED,
        ["flag", "set", "prod", "community_enabled", "off", "--yes"],
    );
    assert!(why.contains("reason is required"), "{why}");
}

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
fn automatic_revert_after_a_deadline_and_when_a_named_check_fails() {
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
    assert_eq!(
        text.matches("\"outcome\": \"applied\"").count() + text.matches("\"outcome\":\"applied\"").count(),
        2,
        "{text}"
    );
    let e = control_events(&cli, &run);
    assert_eq!(e.len(), 2);
    assert!(
        e[1]["revert"].as_str().expect("revert").starts_with("deadline"),
        "{e:?}"
    );
    assert_eq!(flag(&cli, "notifications_enabled")["rollout"], 1);

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
    let mut child = Child(watcher.spawn().expect("spawn"));
    // Wait until the change is recorded, then run the check.
    while control_events(&cli, &run).len() < 3 {
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
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(e[3]["revert"]
        .as_str()
        .expect("revert")
        .contains("5.critical-feature-flags-set.step failed"));
    assert_eq!(flag(&cli, "community_enabled")["enabled"], false);
}

/// A child process killed if the test ends first.
struct Child(std::process::Child);

impl Child {
    fn wait(mut self) -> std::process::ExitStatus {
        self.0.wait().expect("wait")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn the_admin_token_is_never_in_any_output_event_store_or_archive() {
    if needs::keyring().is_none() {
        return;
    }
    let token = format!("adm-{}-tok", std::process::id());
    let sb = SandboxProcess::start_with(false, None, &[("FLIGHTDECK_SANDBOX_ADMIN_TOKEN", &token)]);
    let cli = Cli::new();
    cli.ok(["env", "new", "stage"]);
    cli.ok(["env", "set-var", "stage", "ADMIN_URL", sb.url()]);
    // Without the token the admin API refuses (401), recorded as a failure.
    let run = cli.new_run("bundled:m31", "stage");
    let denied = cli.exits(
        STEPS_FAILED,
        [
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    assert!(streams(&denied).contains("401"), "{}", streams(&denied));
    let mut cmd = cli.cmd();
    cmd.args(["secret", "set", "stage", "ADMIN_TOKEN"])
        .write_stdin(token.clone());
    let out = cmd.output().expect("secret set");
    assert!(out.status.success(), "{}", streams(&out));
    let mut outputs = Vec::new();
    for args in [
        vec!["flag", "list", "stage"],
        vec!["flag", "list", "stage", "--adapter", "ofrep"],
        vec![
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
        vec![
            "flag",
            "set",
            "stage",
            "community_enabled",
            "off",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
        vec![
            "breaker", "trip", "stage", "stripe", "--reason", "x", "--run", &run, "--by", "rm",
        ],
        vec![
            "breaker", "reset", "stage", "stripe", "--reason", "x", "--run", &run, "--by", "rm", "--json",
        ],
        vec!["run", "events", &run, "--json"],
    ] {
        let out = cli.exits(OK, args);
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    }
    sb.set_fault("write-errors");
    let out = cli.exits(
        STEPS_FAILED,
        [
            "flag",
            "set",
            "stage",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    outputs.extend([out.stdout, out.stderr]);
    sb.set_fault("clear");
    assert_eq!(control_events(&cli, &run).len(), 6);
    for o in &outputs {
        assert!(
            !leak::contains(o, &token),
            "the token leaked: {}",
            String::from_utf8_lossy(o)
        );
    }
    assert!(!leak::in_store(cli.store(), &token), "the token is in the store");
    let pdf = cli.dir().join("run.pdf");
    let out = cli.exits(
        OK,
        [
            "archive",
            "export",
            &run,
            "-o",
            pdf.to_str().expect("path"),
            "--signer-name",
            "RM",
        ],
    );
    assert!(!leak::contains(&out.stdout, &token) && !leak::contains(&out.stderr, &token));
    let bytes = std::fs::read(&pdf).expect("archive");
    assert!(!leak::contains(&bytes, &token), "the token is in the archive");
    let shown = cli.output(["archive", "show", pdf.to_str().expect("path"), "--json"]);
    assert!(
        !leak::contains(&shown.stdout, &token),
        "the token is in the archive's contents"
    );
}
