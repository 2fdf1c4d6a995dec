use super::{breaker_trip_and_reset, control_events, flag, setup, toggle_and_revert};
use flightdeck_testsupport::cli::exit::{NOT_FOUND, OK, REFUSED, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, streams, Cli};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::SandboxProcess;

#[test]
fn each_action_and_its_revert_on_the_sqlite_sandbox() {
    let sb = SandboxProcess::start(false);
    let (cli, run) = setup(&sb);
    toggle_and_revert(&cli, &run);
    breaker_trip_and_reset(&cli, &run);
    // A breaker read again after its open interval: still open, so still applied.
    let r = json_of(&cli.exits(
        OK,
        [
            "--json",
            "breaker",
            "trip",
            "sandbox",
            "fcm",
            "--reason",
            "x",
            "--recheck-after",
            "1s",
        ],
    ));
    assert_eq!(r["read_again"]["state"], "open", "{r}");
    assert_eq!(r["outcome"], "applied");
    cli.ok(["breaker", "reset", "sandbox", "fcm", "--reason", "x"]);
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

    sql_adapter(&cli, &run, &pg);
    m31_on_postgres(&cli, &run);
}

/// The SQL table adapter on the sandbox's real Postgres.
fn sql_adapter(cli: &Cli, run: &str, pg: &str) {
    cli.ok(["env", "set-var", "sandbox", "FLAGS_DB_URL", pg]);
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
                run,
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
    assert_eq!(flag(cli, "notifications_enabled")["rollout"], 5);
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
            run,
            "--by",
            "rm",
        ],
    );
    assert!(
        streams(&out).contains("changed since the preview"),
        "{}",
        streams(&out)
    );
    assert_eq!(flag(cli, "notifications_enabled")["rollout"], 1);
    let last = control_events(cli, run).pop().expect("recorded");
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
            "--by",
            "rm",
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
    // Nobody to record it under (a blank --by; without one, FLIGHTDECK_USER, the app's name or
    // the login name is taken): refused before anything is sent.
    let out = cli
        .cmd()
        .args([
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--reason",
            "x",
            "--run",
            &run,
            "--by",
            " ",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(REFUSED), "{}", streams(&out));
    assert!(streams(&out).contains("(--by) is required"), "{}", streams(&out));
    assert_eq!(flag(&cli, "community_enabled")["enabled"], false);
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
            "--by",
            "rm",
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

/// The bundled M31's §5 and §13 on the Postgres sandbox, §5's flags read through the SQL table:
/// green, then red naming the flag set against expectation.
fn m31_on_postgres(cli: &Cli, run: &str) {
    cli.ok(["env", "set-var", "sandbox", "FLAGS_ADAPTER", "sql"]);
    for section in ["5", "13"] {
        cli.exits(OK, ["run", "section", run, section, "--by", "rm"]);
    }
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "budget_guards_enabled",
        "off",
        "--reason",
        "oops",
        "--run",
        run,
        "--by",
        "rm",
    ]);
    let out = cli.exits(STEPS_FAILED, ["run", "section", run, "5", "--by", "rm"]);
    assert!(
        streams(&out).contains("flag drift: budget_guards_enabled (expected ON (100%), actual OFF (100%))"),
        "{}",
        streams(&out)
    );
    let events = cli.json(["run", "events", run]);
    let checks: Vec<&serde_json::Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "flags_checked")
        .collect();
    assert_eq!(checks.last().expect("a check")["payload"]["adapter"], "sql");
    cli.ok([
        "flag",
        "set",
        "sandbox",
        "budget_guards_enabled",
        "on",
        "--reason",
        "restore",
    ]);
}
