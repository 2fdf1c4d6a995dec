//! One JSON vocabulary across commands (`run_id`, `event_count`, `by`, `outcome`, object
//! assertions), errors under `--json` as `{"error": {code, message, exit, ...}}` with the app's
//! codes, and the schemas in docs/json/ that every `--json` output of these tests is checked
//! against (`flightdeck_testsupport::schema`, called by every `Cli` command with `--json`).

use flightdeck_testsupport::cli::exit::{IMPORT, NOT_FOUND, OK, REFUSED, STEPS_FAILED, USAGE};
use flightdeck_testsupport::cli::{check_json, json_error, Cli};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::SandboxProcess;
use flightdeck_testsupport::schema;
use serde_json::{json, Value};

use super::{env, new_run, M31};

const ITEM: &str = "1.all-m16-1-m31-modules-completed";

const STEPS: &str = "# Steps

## Checks

### 1. Tools
- [ ] **Fails**
  ```bash
  exit 3
  ```
- [ ] **Counts**
  ```bash
  echo 12
  ```
  <!-- flightdeck: shell
  expect: stdout contains 12
  -->
";

/// Every key in `v`, at any depth, except inside event payloads (those are as recorded).
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                out.push(k.clone());
                if k != "payload" {
                    keys(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

fn assert_vocabulary(what: &str, v: &Value) {
    let mut found = Vec::new();
    keys(v, &mut found);
    for old in ["head_seq", "actor", "maker", "passed", "verdict", "events"] {
        assert!(!found.iter().any(|k| k == old), "{what} still says `{old}`: {v}");
    }
}

#[test]
fn a_run_is_run_id_its_length_event_count_and_its_actor_by_in_every_command() {
    let env = env();
    let run = new_run(&env);
    let checked = env.json(["run", "check", &run, ITEM, "--by", "ben"]);
    assert_eq!(checked["event"]["by"], "ben");
    env.json([
        "run",
        "decide",
        &run,
        "no-go",
        "--rationale",
        "not yet",
        "--by",
        "eve",
    ]);
    let listed = env.json(["run", "list"]);
    let shown = env.show(&run);
    let verified = env.json(["run", "verify", &run]);
    let events = env.json(["run", "events", &run]);
    assert_eq!(listed[0]["run_id"], json!(run));
    assert_eq!(shown["run_id"], json!(run));
    assert_eq!(verified["run_id"], json!(run));
    assert_eq!(events[0]["run_id"], json!(run));
    // `new_run` adds the crew (a `person_added` each): the check and the decision come last.
    let count = events.as_array().map_or(0, Vec::len);
    assert!(count >= 3, "{events}");
    assert_eq!(listed[0]["event_count"], json!(count));
    assert_eq!(shown["event_count"], json!(count));
    assert_eq!(verified["event_count"], json!(count));
    assert_eq!(shown["decision"]["by"], "eve");
    assert_eq!(events[count - 1]["by"], "eve");
    assert_eq!(
        events[count - 1]["payload"]["maker"],
        "eve",
        "a payload stays as recorded (hashed)"
    );
    for (what, v) in [
        ("run list", &listed),
        ("run show", &shown),
        ("run verify", &verified),
        ("run events", &events),
        ("run check", &checked),
    ] {
        assert_vocabulary(what, v);
    }
}

#[test]
fn a_verdict_is_an_outcome_and_assertions_are_objects_in_run_step_and_run_show() {
    let env = env();
    let book = env.write("steps.md", STEPS);
    let run = env.new_run(&book, "sandbox");
    let out = env.exits(
        STEPS_FAILED,
        ["--json", "run", "section", &run, "1", "--by", "ana"],
    );
    let ran: Value = serde_json::from_slice(&out.stdout).expect("the results");
    let shown = env.show(&run);
    assert_vocabulary("run section", &ran);
    assert_vocabulary("run show", &shown);
    let step = |id: &str| {
        shown["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == json!(id)).cloned())
            .unwrap_or_else(|| panic!("no step {id}: {shown}"))
    };
    let counts = step("1.counts.step");
    assert_eq!(counts["result"]["outcome"], "passed");
    assert_eq!(step("1.fails.step")["result"]["outcome"], "failed");
    let shown_a = &counts["result"]["assertions"][0];
    let ran_a = ran
        .as_array()
        .and_then(|r| r.iter().find(|r| r["step"] == "1.counts.step"))
        .map(|r| r["result"]["assertions"][0].clone())
        .expect("the counts step ran");
    for a in [shown_a, &ran_a] {
        assert!(a.is_object(), "an assertion is an object: {a}");
        assert_eq!(a["outcome"], "passed", "{a}");
        assert_eq!(a["expr"], ran_a["expr"], "one shape in both commands");
    }
    // The failure, as JSON on stderr, after the results on stdout.
    let err = json_error(&out);
    assert_eq!(
        (err["code"].as_str(), err["exit"].as_i64()),
        (Some("steps_failed"), Some(8))
    );
}

#[test]
fn errors_under_json_are_one_json_object_with_the_apps_codes_and_where() {
    let env = env();
    let run = new_run(&env);
    let out = env.exits(
        NOT_FOUND,
        [
            "--json",
            "run",
            "check",
            &run,
            "1.all-m16-1-m31-modules-complete",
            "--by",
            "ben",
        ],
    );
    assert!(out.stdout.is_empty());
    let e = json_error(&out);
    assert_eq!(e["code"], "not_found");
    assert_eq!(e["exit"], 3);
    assert_eq!(e["what"], "item");
    assert_eq!(e["suggestion"], ITEM, "{e}");

    let e = json_error(&env.exits(
        REFUSED,
        [
            "--json",
            "run",
            "signoff",
            &run,
            "pre-flight-gates",
            "--by",
            "ana",
        ],
    ));
    assert_eq!(e["code"], "incomplete");
    assert!(
        e["missing"]
            .as_array()
            .is_some_and(|m| m.contains(&json!({"kind": "item", "id": ITEM}))),
        "what is not done, as the app's IpcError lists it: {e}"
    );

    let e = json_error(&env.exits(USAGE, ["run", "chek", "--json"]));
    assert_eq!((e["code"].as_str(), e["exit"].as_i64()), (Some("usage"), Some(2)));
    assert!(
        e["detail"].as_str().is_some_and(|d| d.contains("check")),
        "clap's suggestion: {e}"
    );

    let bad = env.write("empty.md", "");
    let out = env.exits(
        IMPORT,
        [
            "--json",
            "run",
            "new",
            bad.to_str().expect("utf-8 path"),
            "--release",
            "v1",
        ],
    );
    let e = json_error(&out);
    assert_eq!(e["code"], "import");
    assert!(
        e["file"].is_string() && e["line"].as_u64().is_some_and(|l| l > 0),
        "where: {e}"
    );
}

#[test]
fn every_schema_in_docs_json_is_a_valid_2020_12_schema() {
    let all = schema::all();
    assert!(
        all.len() > 50,
        "docs/json/ holds a schema per command: {}",
        all.len()
    );
    for (name, v) in all {
        assert!(
            jsonschema::draft202012::meta::is_valid(v),
            "docs/json/{name} is not a valid draft 2020-12 schema"
        );
        assert_eq!(
            v["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
    }
}

#[test]
fn an_output_that_drifts_from_its_schema_fails_and_a_command_without_one_is_named() {
    let env = Cli::new();
    new_run_of(&env);
    let listed = env.json(["run", "list"]);
    assert!(schema::errors("run-list.schema.json", &listed).is_empty());
    // The names `run list` printed before: each a drift its schema catches.
    let mut old = listed.clone();
    if let Some(r) = old[0].as_object_mut() {
        let id = r.remove("run_id").expect("run_id");
        r.insert("id".into(), id);
    }
    assert!(
        !schema::errors("run-list.schema.json", &old).is_empty(),
        "`id` is not `run_id`"
    );
    let mut extra = listed.clone();
    extra[0]["head_seq"] = json!(1);
    assert!(
        !schema::errors("run-list.schema.json", &extra).is_empty(),
        "no unknown member"
    );
    let args: Vec<std::ffi::OsString> = ["frobnicate", "now", "--json"].iter().map(Into::into).collect();
    let missing = std::panic::catch_unwind(|| schema::schema_of(&args)).expect_err("no schema");
    let msg = missing.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("flightdeck frobnicate now"),
        "names the command: {msg}"
    );
}

fn new_run_of(env: &Cli) -> String {
    env.new_run(M31, "sandbox")
}

/// `watch RUN --json` is a stream, one update a line (its schema checks each); a slot's lines say
/// `outcome` as a step's result does.
#[test]
fn a_watch_streams_a_json_object_a_line_whose_lines_have_an_outcome() {
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let t0 = (time::OffsetDateTime::now_utc() - time::Duration::minutes(10))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    cli.ok([
        "watch",
        "plan",
        &run,
        "--t0",
        &t0,
        "--band",
        "0m-10m/5m",
        "--until",
        "10m",
        "--summary",
        "off",
        "--budget",
        "10m",
        "--checks",
        "8.health-check-validation.step",
        "--by",
        "ana",
    ]);
    let var = format!("SANDBOX_URL={}", sandbox.url());
    let out = cli.exits(
        OK,
        [
            "--json",
            "watch",
            &run,
            "--no-alerts",
            "--var",
            &var,
            "--by",
            "watcher",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let updates: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line ({e}): {l}")))
        .collect();
    let lines: Vec<&Value> = updates
        .iter()
        .filter_map(|u| u["record"]["lines"].as_array())
        .flatten()
        .collect();
    assert!(!lines.is_empty(), "a slot ran its check: {text}");
    for l in lines {
        assert!(l["outcome"] == "passed" || l["outcome"] == "failed", "{l}");
        assert!(l.get("passed").is_none(), "{l}");
    }
}

/// `sandbox fault --json` is the sandbox's answer, and a fault it does not know is refused as
/// `invalid` (exit 4), in JSON.
#[test]
fn sandbox_fault_answers_in_json_and_refuses_an_unknown_fault_in_json() {
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let on = cli.json(["sandbox", "fault", "latency=100ms", "--url", sandbox.url()]);
    assert_eq!(on["active"], json!(["latency=100ms"]));
    let off = cli.json(["sandbox", "fault", "clear", "--url", sandbox.url()]);
    assert_eq!(off["active"], json!([]));
    let e = json_error(&cli.exits(
        REFUSED,
        ["--json", "sandbox", "fault", "gremlins", "--url", sandbox.url()],
    ));
    assert_eq!(e["code"], "invalid", "{e}");
}

/// The commands no other test runs with `--json`, each checked against its schema on the way:
/// environments, `run set | meta`, `watch plan` (shown and edited), `alert routes`, `breaker list`.
#[test]
fn environment_field_metadata_watch_plan_alert_and_breaker_commands_print_their_schemas() {
    let sandbox = SandboxProcess::start(false);
    let env = env();
    let run = new_run(&env);
    assert_eq!(
        env.json(["env", "new", "stage"]),
        json!({"env": "stage", "production": false})
    );
    let set = env.json(["env", "set-var", "sandbox", "SANDBOX_URL", sandbox.url()]);
    assert_eq!(set["key"], "SANDBOX_URL");
    assert!(env.json(["env", "list"]).as_array().is_some_and(|l| l.len() >= 2));
    assert_eq!(env.json(["env", "show", "sandbox"])["name"], "sandbox");
    assert_eq!(
        env.json(["run", "set", &run, "1.result-passes", "12", "--by", "ana"])["event"]["by"],
        "ana"
    );
    let meta = [
        "run",
        "meta",
        &run,
        "cutover-date",
        "2026-12-04T09:00:00Z",
        "--by",
        "ana",
    ];
    assert_eq!(env.json(meta)["event"]["kind"], "metadata_set");
    assert!(env.json(["watch", "plan", &run])["bands"].is_array());
    let edited = env.json(["watch", "plan", &run, "--band", "0h-4h/10m", "--by", "ana"]);
    assert_eq!(edited["event"]["kind"], "watch_plan_set");
    assert!(env.json(["alert", "routes"])["routes"].is_array());
    assert!(env.json(["breaker", "list", "sandbox"])["breakers"].is_array());
}

/// With the OS keyring: `secret set | list | rm`, `archive export | cert | trust add | list | rm`
/// and `watch report`, each checked against its schema.
#[test]
fn keyring_secret_archive_trust_and_watch_report_commands_print_their_schemas() {
    if needs::keyring().is_none() {
        return;
    }
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let args = ["--json", "secret", "set", "sandbox", "TOKEN"];
    let out = cli
        .cmd()
        .args(args)
        .write_stdin("s3cret\n")
        .output()
        .expect("secret set");
    let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    check_json(&args, &out);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    assert_eq!(cli.json(["secret", "list", "sandbox"])[0]["name"], "TOKEN");
    assert_eq!(cli.json(["secret", "rm", "sandbox", "TOKEN"])["removed"], true);

    let t0 = (time::OffsetDateTime::now_utc() - time::Duration::minutes(10))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    cli.ok([
        "watch",
        "plan",
        &run,
        "--t0",
        &t0,
        "--band",
        "0m-10m/5m",
        "--until",
        "10m",
        "--summary",
        "off",
        "--budget",
        "10m",
        "--checks",
        "8.health-check-validation.step",
        "--by",
        "ana",
    ]);
    let dir = cli.dir().to_str().expect("utf-8").to_string();
    let archive = format!("{dir}/archive.pdf");
    let exported = cli.json([
        "archive",
        "export",
        &run,
        "-o",
        &archive,
        "--signer-name",
        "Ana Test",
    ]);
    assert_eq!(exported["verified"], true, "{exported}");
    let var = format!("SANDBOX_URL={}", sandbox.url());
    cli.ok(["watch", &run, "--no-alerts", "--var", &var, "--by", "watcher"]);
    let report = format!("{dir}/report.pdf");
    let written = cli.json(["watch", "report", &run, "--archive", &archive, "-o", &report]);
    assert_eq!(written["verified"], true, "{written}");
    let cert = format!("{dir}/signer.pem");
    assert!(cli.json(["archive", "cert", "-o", &cert])["sha256"].is_string());
    let added = cli.json(["archive", "trust", "add", &cert, "--name", "ana"]);
    assert_eq!(added["already"], false);
    assert_eq!(cli.json(["archive", "trust", "list"])[0]["name"], "ana");
    assert_eq!(cli.json(["archive", "trust", "rm", "ana"])["name"], "ana");
}
