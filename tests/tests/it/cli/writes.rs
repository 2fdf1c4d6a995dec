//! The writes on a run's items, fields, header and notes: `run check` (and `--uncheck`), `run set`
//! validated by field kind, `run meta` and `run note`, with their refusals and suggestions.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, REFUSED};
use serde_json::{json, Value};

use super::{env, find, new_run};

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
    // Again: a no-op that says so (exit 0), so scripts can re-run.
    let again = env.ok([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    assert!(again.contains("already checked by ben"), "{again}");
    env.ok([
        "run", "people", "add", &run, "cy", "--role", "engineer", "--by", "ana",
    ]);
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
    assert_eq!(
        applied["event"]["seq"],
        json!(4 + flightdeck_testsupport::cli::CREW.len()),
        "after the crew and cy"
    );
    assert_eq!(applied["event"]["by"], json!("cy"));
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
fn a_blank_by_is_refused() {
    let env = env();
    let run = new_run(&env);
    env.fails(
        REFUSED,
        ["run", "check", &run, "1.database-migration-dry-run", "--by", " "],
    );
}

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
