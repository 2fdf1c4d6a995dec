//! `run new`, `run list`, `run show` (JSON and human) and `run events`, and naming a run by a
//! unique prefix of its id.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, REFUSED};
use serde_json::{json, Value};

use super::{env, find, new_run, M31};

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
    let run = find(&list, "run_id", id);
    assert_eq!(run["env"], json!("sandbox"), "the default environment");
    assert_eq!(run["release"], json!("v1.0.0"));
    assert_eq!(run["runbook_name"], json!("m31-production-cutover.md"));
    assert_eq!(run["event_count"], json!(1));
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
    assert_eq!(
        s["event_count"],
        json!(1 + flightdeck_testsupport::cli::CREW.len()),
        "run_created and the crew"
    );
    assert_eq!(
        s["people"].as_array().map(Vec::len),
        Some(1 + flightdeck_testsupport::cli::CREW.len()),
        "ana and the crew: {s}"
    );
    assert_eq!(s["min_approvers"], json!(1));
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
        s["head_hash"],
        events[flightdeck_testsupport::cli::CREW.len()]["hash"],
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
    assert!(
        out.contains(&format!(
            "events {}  head ",
            2 + flightdeck_testsupport::cli::CREW.len()
        )),
        "{out}"
    );
    assert!(
        out.contains("people\n  ana (run-creator)\n  ben (on-call-engineer)"),
        "{out}"
    );
}

#[test]
fn run_events_lists_the_log_in_order() {
    let env = env();
    let run = env.new_run_alone(super::M31, "sandbox");
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
