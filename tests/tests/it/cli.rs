//! The `flightdeck` CLI end to end on the M31 checklist (`tests/fixtures/m31-production-cutover.md`):
//! every command, its `--json` shape and its exit code. Each test uses its own store file.
//!
//! The binary comes from the `flightdeck-cli` package: `cargo test --workspace` builds it (its own
//! integration test makes cargo do so); with `-p flightdeck-tests` alone, `cargo build -p
//! flightdeck-cli` first.

use std::path::Path;

use flightdeck_testsupport::cli::exit::{IMPORT, NOT_FOUND, REFUSED, STORE, USAGE};
use flightdeck_testsupport::cli::{self, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::{json, Value};

const M31: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/m31-production-cutover.md");

/// A store in directories that do not exist yet: every command must make them.
fn env() -> Cli {
    Cli::with_store("nested/dir/flightdeck.sqlite")
}

/// A run of the M31 fixture, release v1.0.0, by ana.
fn new_run(env: &Cli) -> String {
    env.new_run(M31, "sandbox")
}

fn find<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|v| v[key] == json!(id)))
        .unwrap_or_else(|| panic!("no {key} = {id} in {list}"))
}

fn inspect(file: &str) -> Value {
    env().json(["runbook", "inspect", file])
}

// ---- runbook ----

#[test]
fn inspect_json_carries_the_m31_counts() {
    let model = inspect(M31);
    assert_eq!(model["counts"]["phases"], json!(6));
    assert_eq!(model["counts"]["sections"], json!(19));
    assert_eq!(model["counts"]["items"], json!(85));
    assert_eq!(model["counts"]["steps"], json!(27));
    assert_eq!(model["counts"]["signoffs"], json!(5));
    let fields = model["fields"].as_array().expect("fields").len();
    assert_eq!(
        model["counts"]["fields"],
        json!(fields),
        "counts agree with the model"
    );
    let keys: Vec<&str> = model["counts"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "exactly phases, sections, items, steps, fields, signoffs: {keys:?}"
    );
    assert_eq!(model["title"], json!("M31 Production Cutover Checklist"));
    assert_eq!(model["items"].as_array().expect("items").len(), 85);
}

#[test]
fn inspect_of_the_bundled_m31_matches_the_fixture() {
    // The bundled copy is the user's checklist plus annotations (HTML comments): the same
    // checklist, item for item and field for field, with the same ids. Lines move (the comments
    // take room); ids, texts, labels and kinds do not.
    let bundled = inspect("bundled:m31");
    let fixture = inspect(M31);
    assert_eq!(bundled["counts"], fixture["counts"]);
    let keys = |v: &serde_json::Value, list: &str, keys: &[&str]| -> Vec<String> {
        v[list]
            .as_array()
            .expect("list")
            .iter()
            .map(|e| {
                keys.iter()
                    .map(|k| e[*k].to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    for (list, k) in [
        ("items", &["id", "text", "checked", "parent"][..]),
        ("fields", &["id", "label", "kind", "unit"][..]),
        ("steps", &["id", "item", "code"][..]),
        ("signoffs", &["id", "name", "items", "fields"][..]),
        ("metadata", &["key", "value"][..]),
    ] {
        assert_eq!(keys(&bundled, list, k), keys(&fixture, list, k), "{list}");
    }
    assert_ne!(
        bundled["sha256"], fixture["sha256"],
        "the annotations are in the bundled source"
    );
}

#[test]
fn inspect_human_shows_title_counts_and_the_tree() {
    let out = env().ok(["runbook", "inspect", M31]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("M31 Production Cutover Checklist"));
    assert!(out.contains("6 phases, 19 sections, 85 items, 27 steps"), "{out}");
    assert!(out.contains("5 sign-offs"), "{out}");
    assert!(
        out.contains("phase pre-flight-gates-validation: Pre-Flight Gates Validation"),
        "{out}"
    );
    assert!(
        out.contains("section 3: 3. Backup & Recovery Validation"),
        "{out}"
    );
    assert!(out.contains("[ ] 1.database-migration-dry-run"), "{out}");
    assert!(out
        .contains("step 1.database-migration-dry-run.step (bash): python migrate.py up --dry-run --verbose"));
    assert!(
        out.contains("field 3.rto-achieved: RTO Achieved (duration, minutes)"),
        "{out}"
    );
    assert!(
        out.contains("sign-off pre-flight-gates: Pre-Flight Gates"),
        "{out}"
    );
    assert!(
        out.contains("decision: Final Go-Live Decision (GO / NO-GO)"),
        "{out}"
    );
}

#[test]
fn runbook_list_names_the_bundled_runbooks() {
    let env = env();
    assert!(env.ok(["runbook", "list"]).contains("bundled:m31"));
    let list = env.json(["runbook", "list"]);
    assert_eq!(list[0]["spec"], json!("bundled:m31"));
    assert_eq!(list[0]["file"], json!("m31-production-cutover.md"));
}

#[test]
fn a_runbook_that_cannot_be_read_is_an_import_error() {
    let env = env();
    let err = env.fails(IMPORT, ["runbook", "inspect", "/nonexistent/runbook.md"]);
    assert!(err.contains("/nonexistent/runbook.md"), "names the file: {err}");
    let err = env.fails(IMPORT, ["runbook", "inspect", "bundled:nope"]);
    assert!(err.contains("bundled:m31"), "lists what exists: {err}");
    env.fails(
        IMPORT,
        ["run", "new", "/nonexistent/runbook.md", "--release", "v1"],
    );
}

// ---- run new / list / show / events ----

#[test]
fn run_new_prints_the_id_alone_and_run_list_shows_it() {
    let env = env();
    let out = env.ok(["run", "new", M31, "--release", "v1.0.0", "--by", "ana"]);
    assert_eq!(out.lines().count(), 1);
    let id = out.trim();
    assert_eq!(id.len(), 36, "a hyphenated UUID: {id}");
    assert_eq!(&id[14..15], "7", "UUID version 7: {id}");
    assert!(env.ok(["run", "list"]).contains(id));
    let list = env.json(["run", "list"]);
    let run = find(&list, "id", id);
    assert_eq!(run["env"], json!("sandbox"), "the default environment");
    assert_eq!(run["release"], json!("v1.0.0"));
    assert_eq!(run["runbook_name"], json!("m31-production-cutover.md"));
    assert_eq!(run["head_seq"], json!(1));
    assert!(
        run.get("runbook_source").is_none(),
        "listings leave the source out"
    );
}

#[test]
fn run_new_takes_an_environment_and_the_bundled_runbook() {
    let env = env();
    let id = env.ok([
        "run",
        "new",
        "bundled:m31",
        "--release",
        "v2",
        "--env",
        "staging",
        "--by",
        "ana",
    ]);
    let state = env.show(id.trim());
    assert_eq!(
        (state["env"].clone(), state["release"].clone()),
        (json!("staging"), json!("v2"))
    );
}

#[test]
fn run_show_json_has_the_whole_state() {
    let env = env();
    let run = new_run(&env);
    let s = env.show(&run);
    for key in [
        "run_id",
        "env",
        "release",
        "metadata",
        "items",
        "fields",
        "signoffs",
        "decision",
        "event_count",
        "head_hash",
        "notes",
    ] {
        assert!(s.get(key).is_some(), "run show --json has `{key}`: {s}");
    }
    assert_eq!(s["run_id"], json!(run));
    assert_eq!(s["items"].as_array().expect("items").len(), 85);
    assert_eq!(s["signoffs"].as_array().expect("sign-offs").len(), 5);
    assert_eq!(s["event_count"], json!(1));
    assert_eq!(s["decision"], Value::Null);
    assert_eq!(
        find(&s["metadata"], "key", "release-version")["value"],
        json!("v1.0.0")
    );
    let item = &s["items"][0];
    assert_eq!(
        (item["checked"].clone(), item["by"].clone(), item["at"].clone()),
        (json!(false), Value::Null, Value::Null)
    );
    let events = env.json(["run", "events", &run]);
    assert_eq!(
        s["head_hash"], events[0]["hash"],
        "the head is the last event's hash"
    );
}

#[test]
fn run_show_human_lists_items_fields_signoffs_and_the_head() {
    let env = env();
    let run = new_run(&env);
    env.ok([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    let out = env.ok(["run", "show", &run]);
    assert!(out.contains(&format!("run {run}")), "{out}");
    assert!(out.contains("items (1/85 checked)"), "{out}");
    assert!(out.contains("[x] 1.database-migration-dry-run  (ben, "), "{out}");
    assert!(out.contains("pre-flight-gates           open"), "{out}");
    assert!(out.contains("decision: not made"), "{out}");
    assert!(out.contains("events 2  head "), "{out}");
}

#[test]
fn run_events_lists_the_log_in_order() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "note", &run, "window opened", "--by", "ana"]);
    let events = env.json(["run", "events", &run]);
    let kinds: Vec<&str> = events
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["run_created", "note_added"]);
    assert_eq!(events[0]["seq"], json!(1));
    assert_eq!(events[0]["prev_hash"], json!("0".repeat(64)));
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);
    assert_eq!(events[0]["payload"]["release"], json!("v1.0.0"));
    let text = env.ok(["run", "events", &run]);
    assert!(
        text.contains("note_added") && text.contains("window opened"),
        "{text}"
    );
}

// ---- run ids ----

#[test]
fn runs_are_named_by_a_unique_prefix() {
    let env = env();
    let run = new_run(&env);
    assert_eq!(env.show(&run[..8])["run_id"], json!(run));
    let err = env.fails(REFUSED, ["run", "show", &run[..3]]);
    assert!(err.contains("at least 4 characters"), "{err}");
    let err = env.fails(NOT_FOUND, ["run", "show", "ffffffff"]);
    assert!(err.contains("`ffffffff`"), "{err}");
}

#[test]
fn an_ambiguous_prefix_is_refused_with_the_candidates() {
    let env = env();
    let a = new_run(&env);
    let b = new_run(&env);
    let shared: String = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    if shared.len() >= 4 {
        let err = env.fails(REFUSED, ["run", "show", &shared]);
        assert!(
            err.contains("ambiguous") && err.contains(&a) && err.contains(&b),
            "{err}"
        );
    }
}

// ---- check ----

#[test]
fn check_and_uncheck_record_who_and_when() {
    let env = env();
    let run = new_run(&env);
    let out = env.ok([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    assert!(
        out.starts_with("checked 1.database-migration-dry-run (run "),
        "{out}"
    );
    let item = env.show(&run)["items"].clone();
    let item = find(&item, "id", "1.database-migration-dry-run");
    assert_eq!(
        (item["checked"].clone(), item["by"].clone()),
        (json!(true), json!("ben"))
    );
    assert!(
        item["at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 24),
        "RFC 3339 ms UTC: {item}"
    );
    let err = env.fails(
        REFUSED,
        [
            "run",
            "check",
            &run,
            "1.database-migration-dry-run",
            "--by",
            "ben",
        ],
    );
    assert!(err.contains("already checked by ben"), "{err}");
    let applied = env.json([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "cy",
        "--uncheck",
    ]);
    assert_eq!(applied["event"]["kind"], json!("item_unchecked"));
    assert_eq!(applied["event"]["seq"], json!(3));
    assert_eq!(applied["event"]["actor"], json!("cy"));
}

#[test]
fn check_of_an_unknown_item_suggests_the_nearest_id() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        NOT_FOUND,
        ["run", "check", &run, "1.database-migration-dryrun", "--by", "ben"],
    );
    assert!(
        err.contains("item `1.database-migration-dryrun` not found"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `1.database-migration-dry-run`?"),
        "{err}"
    );
}

#[test]
fn a_missing_by_is_a_usage_error() {
    let env = env();
    let run = new_run(&env);
    env.fails(USAGE, ["run", "check", &run, "1.database-migration-dry-run"]);
    env.fails(
        REFUSED,
        ["run", "check", &run, "1.database-migration-dry-run", "--by", " "],
    );
}

// ---- set ----

#[test]
fn set_validates_the_value_by_field_kind() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "set", &run, "1.pass-rate", "97.5%", "--by", "ben"]);
    env.ok(["run", "set", &run, "1.result", "success", "--by", "ben"]);
    env.ok(["run", "set", &run, "3.rto-achieved", "4", "--by", "ben"]);
    env.ok([
        "run",
        "set",
        &run,
        "3.backup-file",
        "pre_cutover.dump",
        "--by",
        "ben",
    ]);
    let fields = env.show(&run)["fields"].clone();
    assert_eq!(find(&fields, "id", "1.pass-rate")["value"], json!("97.5"));
    assert_eq!(
        find(&fields, "id", "1.result")["value"],
        json!("Success"),
        "the option as the runbook writes it"
    );
    assert_eq!(find(&fields, "id", "3.rto-achieved")["unit"], json!("minutes"));
    assert_eq!(find(&fields, "id", "3.backup-file")["by"], json!("ben"));
    for (field, value) in [
        ("1.pass-rate", "101"),
        ("1.result-passes", "many"),
        ("3.rto-achieved", "-1"),
        ("1.result", "maybe"),
        ("3.backup-file", ""),
    ] {
        let err = env.fails(REFUSED, ["run", "set", &run, field, value, "--by", "ben"]);
        assert!(err.contains(&format!("field `{field}`")), "{err}");
    }
    let err = env.fails(
        NOT_FOUND,
        ["run", "set", &run, "3.backup-fil", "x", "--by", "ben"],
    );
    assert!(err.contains("did you mean `3.backup-file`?"), "{err}");
}

// ---- meta ----

#[test]
fn meta_sets_a_header_value_by_key_or_label() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "meta", &run, "release-manager", "Ana Lopez", "--by", "ana"]);
    env.ok(["run", "meta", &run, "Cutover Date", "2025-06-01", "--by", "ana"]);
    let meta = env.show(&run)["metadata"].clone();
    assert_eq!(find(&meta, "key", "release-manager")["value"], json!("Ana Lopez"));
    assert_eq!(find(&meta, "key", "cutover-date")["value"], json!("2025-06-01"));
    let err = env.fails(NOT_FOUND, ["run", "meta", &run, "manager", "x", "--by", "ana"]);
    assert!(
        err.contains("release-version, cutover-date, release-manager"),
        "lists the keys: {err}"
    );
}

// ---- note ----

#[test]
fn notes_attach_to_the_run_or_an_item() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "note", &run, "bridge opened", "--by", "ana"]);
    env.ok([
        "run",
        "note",
        &run,
        "took 3 tries",
        "--by",
        "ben",
        "--item",
        "1.database-migration-dry-run",
    ]);
    let notes = env.show(&run)["notes"].clone();
    assert_eq!(notes[0]["text"], json!("bridge opened"));
    assert_eq!(notes[0]["item"], Value::Null);
    assert_eq!(notes[1]["item"], json!("1.database-migration-dry-run"));
    env.fails(
        NOT_FOUND,
        ["run", "note", &run, "x", "--by", "ana", "--item", "nope"],
    );
}

// ---- sign-off ----

#[test]
fn signoff_is_refused_while_incomplete_and_accepted_with_an_override() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        [
            "run",
            "signoff",
            &run,
            "pre-flight-gates-validation",
            "--by",
            "eve",
        ],
    );
    assert!(
        err.contains("sign-off `pre-flight-gates`") && err.contains("refused"),
        "{err}"
    );
    assert!(
        err.contains("item 1.all-m16-1-m31-modules-completed (unchecked)"),
        "{err}"
    );
    let applied = env.json([
        "run",
        "signoff",
        &run,
        "pre-flight-gates-validation",
        "--by",
        "eve",
        "--override",
        "CTO accepted the gaps",
    ]);
    let payload = &applied["event"]["payload"];
    assert_eq!(payload["signoff"], json!("pre-flight-gates"));
    assert_eq!(payload["override_reason"], json!("CTO accepted the gaps"));
    assert!(
        payload["incomplete"].as_array().is_some_and(|a| a.len() > 30),
        "what was incomplete is kept"
    );
    assert_eq!(
        payload["incomplete"][0],
        json!({"kind": "item", "id": "1.all-m16-1-m31-modules-completed"})
    );
    let err = env.fails(
        REFUSED,
        [
            "run",
            "signoff",
            &run,
            "pre-flight-gates",
            "--by",
            "eve",
            "--override",
            "again",
        ],
    );
    assert!(err.contains("already recorded by eve"), "{err}");
    let signed = find(&env.show(&run)["signoffs"], "id", "pre-flight-gates").clone();
    assert_eq!(signed["recorded"]["by"], json!("eve"));
}

#[test]
fn signoff_of_a_complete_scope_needs_no_override() {
    let env = env();
    let run = new_run(&env);
    let model = env.json(["runbook", "inspect", M31]);
    let slot = find(&model["signoffs"], "id", "d0-d7-monitoring").clone();
    for item in slot["items"].as_array().expect("items") {
        env.ok(["run", "check", &run, item.as_str().expect("id"), "--by", "ben"]);
    }
    for field in slot["fields"].as_array().expect("fields") {
        let id = field.as_str().expect("id");
        let value = match &find(&model["fields"], "id", id)["kind"]["kind"] {
            k if k == "choice" => find(&model["fields"], "id", id)["kind"]["options"][0]
                .as_str()
                .expect("option")
                .to_string(),
            k if k == "text" => "done".to_string(),
            _ => "1".to_string(),
        };
        env.ok(["run", "set", &run, id, &value, "--by", "ben"]);
    }
    let applied = env.json(["run", "signoff", &run, "d0-d7-monitoring", "--by", "eve"]);
    assert!(applied["event"]["payload"].get("override_reason").is_none());
    assert_eq!(applied["event"]["payload"]["incomplete"], json!([]));
}

#[test]
fn signoff_names_that_match_nothing_suggest_the_nearest() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        NOT_FOUND,
        ["run", "signoff", &run, "pre-flight-gate", "--by", "eve"],
    );
    assert!(err.contains("did you mean `pre-flight-gates`?"), "{err}");
}

// ---- decide ----

#[test]
fn go_over_unchecked_criteria_needs_an_override() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        [
            "run",
            "decide",
            &run,
            "go",
            "--by",
            "dana",
            "--rationale",
            "looks good",
        ],
    );
    assert!(
        err.contains("GO refused") && err.contains("10 critical success criteria unchecked"),
        "{err}"
    );
    let applied = env.json([
        "run",
        "decide",
        &run,
        "go",
        "--by",
        "dana",
        "--rationale",
        "looks good",
        "--override",
        "criteria verified on the bridge",
    ]);
    let p = &applied["event"]["payload"];
    assert_eq!(p["decision"], json!("go"));
    assert_eq!(p["maker"], json!("dana"));
    assert_eq!(p["override_reason"], json!("criteria verified on the bridge"));
    assert_eq!(p["unchecked_criteria"].as_array().map(Vec::len), Some(10));
    let err = env.fails(
        REFUSED,
        [
            "run",
            "decide",
            &run,
            "no-go",
            "--by",
            "dana",
            "--rationale",
            "changed my mind",
        ],
    );
    assert!(err.contains("already recorded: GO by dana"), "{err}");
    assert_eq!(env.show(&run)["decision"]["decision"], json!("go"));
}

#[test]
fn no_go_never_needs_an_override_but_always_a_rationale() {
    let env = env();
    let run = new_run(&env);
    env.fails(
        REFUSED,
        ["run", "decide", &run, "no-go", "--by", "dana", "--rationale", " "],
    );
    env.fails(
        USAGE,
        ["run", "decide", &run, "maybe", "--by", "dana", "--rationale", "x"],
    );
    let out = env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "p99 above SLO",
    ]);
    assert!(out.starts_with("decided NO-GO"), "{out}");
    let d = env.show(&run)["decision"].clone();
    assert_eq!(
        (d["decision"].clone(), d["rationale"].clone()),
        (json!("no-go"), json!("p99 above SLO"))
    );
    assert_eq!(d["override_reason"], Value::Null);
}

#[test]
fn go_with_every_criterion_checked_needs_no_override() {
    let env = env();
    let run = new_run(&env);
    let model = env.json(["runbook", "inspect", M31]);
    for id in model["decision"]["criteria"].as_array().expect("criteria") {
        env.ok(["run", "check", &run, id.as_str().expect("id"), "--by", "ben"]);
    }
    env.ok([
        "run",
        "decide",
        &run,
        "go",
        "--by",
        "dana",
        "--rationale",
        "all criteria met",
    ]);
}

// ---- verify and the store ----

#[test]
fn verify_passes_on_a_run_driven_through_every_command() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "meta", &run, "release-manager", "Ana", "--by", "ana"]);
    env.ok([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    env.ok(["run", "set", &run, "1.result", "Success", "--by", "ben"]);
    env.ok(["run", "note", &run, "ok", "--by", "ben"]);
    env.ok(["run", "signoff", &run, "5", "--by", "eve", "--override", "demo"]);
    env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "demo",
    ]);
    let out = env.ok(["run", "verify", &run]);
    assert!(out.contains("ok, 7 events, chain intact"), "{out}");
    let v = env.json(["run", "verify", &run]);
    assert_eq!(
        (v["ok"].clone(), v["events"].clone(), v["first_bad"].clone()),
        (json!(true), json!(7), Value::Null)
    );
    assert_eq!(v["head_hash"], env.show(&run)["head_hash"]);
}

#[test]
fn the_store_comes_from_flightdeck_store_when_no_flag_is_given() {
    let env = env();
    let store = env.dir().join("from-env.sqlite");
    let from_env = |args: &[&str]| {
        let out = cli::flightdeck()
            .env("FLIGHTDECK_STORE", &store)
            .args(args)
            .output()
            .expect("flightdeck runs");
        assert!(out.status.success(), "{args:?}\n{}", cli::streams(&out));
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    };
    let run = from_env(&["run", "new", "bundled:m31", "--release", "v1", "--by", "ana"]);
    assert!(
        store.exists(),
        "the store was created where FLIGHTDECK_STORE points"
    );
    assert!(
        from_env(&["run", "list"]).contains(run.trim()),
        "the run is listed from the same store"
    );
}

#[test]
fn a_store_that_is_not_a_database_is_a_store_error() {
    let env = env();
    let dir = env.store().parent().map(Path::to_path_buf).expect("parent");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        env.store(),
        b"this is not SQLite, just some text that is long enough to be read",
    )
    .expect("write");
    env.fails(STORE, ["run", "list"]);
}

/// `flightdeck sandbox` serves the demo target and `sandbox fault` switches it from another
/// process; SIGTERM stops it.
#[test]
fn sandbox_starts_and_faults_switch_from_another_process() {
    let sandbox = SandboxProcess::start(false);
    let out = sandbox.fault("latency=800ms");
    assert!(out.status.success(), "{}", cli::streams(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("latency=800ms"));
    let out = sandbox.fault("sideways");
    assert_eq!(
        out.status.code(),
        Some(REFUSED),
        "an unknown fault is refused as invalid"
    );
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: invalid fault"));
    sandbox.set_fault("clear");

    // SIGTERM, as a service manager would stop it.
    let status = sandbox.stop();
    assert!(
        status.success(),
        "the sandbox stops cleanly on SIGTERM: {status:?}"
    );
}
