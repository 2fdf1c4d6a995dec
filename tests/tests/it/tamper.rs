//! Tamper test: edit, delete and reorder event rows with SQL (dropping the append-only
//! triggers first, as an attacker with the file would) and check that `flightdeck run verify`
//! exits 5 naming the right first bad event.

use std::path::Path;

use assert_cmd::Command;
use flightdeck_engine::store::{NewRun, Store};
use serde_json::json;

/// A store with one run of 6 events (run_created + 5 notes); returns the run id.
fn store_with_run(path: &Path) -> String {
    let mut store = Store::open(path).expect("open store");
    let run = store
        .create_run(NewRun {
            runbook_name: "tamper.md".into(),
            runbook_source: "# Tamper\n- [ ] hold\n".into(),
            env: "sandbox".into(),
            release: "v1".into(),
            actor: "ana".into(),
        })
        .expect("create run");
    for i in 2..=6 {
        store
            .append(&run.id, "ana", "note_added", json!({"text": format!("note {i}")}))
            .expect("append");
    }
    run.id
}

fn attacker(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open with plain SQLite");
    conn.execute_batch("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;")
        .expect("drop the append-only triggers");
    conn
}

fn verify(path: &Path, run: &str) -> assert_cmd::assert::Assert {
    Command::cargo_bin("flightdeck")
        .expect("flightdeck binary")
        .args(["--store"])
        .arg(path)
        .args(["run", "verify", run])
        .assert()
}

/// Exit 5 with one `error:` line naming the event.
fn assert_caught(path: &Path, run: &str, expected: &str) {
    let out = verify(path, run).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "verify must fail with 5: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert_eq!(stderr.trim_end(), format!("error: run {run}: {expected}"));
}

#[test]
fn an_untouched_run_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    verify(&path, &run)
        .success()
        .stdout(predicates::str::contains("ok, 6 events, chain intact"));
}

#[test]
fn the_triggers_stop_a_plain_edit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    let conn = rusqlite::Connection::open(&path).expect("open");
    let err = conn
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 3", [&run])
        .expect_err("refused");
    assert!(err.to_string().contains("append-only"), "{err}");
    verify(&path, &run).success();
}

#[test]
fn an_edited_payload_is_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    attacker(&path)
        .execute(
            "UPDATE events SET payload = '{\"text\":\"all fine\"}' WHERE run_id = ?1 AND seq = 4",
            [&run],
        )
        .expect("edit");
    assert_caught(&path, &run, "event 4 was altered (hash mismatch)");
}

#[test]
fn a_deleted_middle_event_is_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    attacker(&path)
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 3", [&run])
        .expect("delete");
    assert_caught(
        &path,
        &run,
        "event 3 is missing (seq gap: event 4 follows event 2)",
    );
}

#[test]
fn a_deleted_last_event_is_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    attacker(&path)
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 6", [&run])
        .expect("delete");
    assert_caught(
        &path,
        &run,
        "event 6 is missing (the run's head checkpoint says the log ends at event 6, it ends at event 5)",
    );
}

#[test]
fn two_swapped_events_are_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    attacker(&path)
        .execute_batch(&format!(
            "UPDATE events SET seq = -1 WHERE run_id = '{run}' AND seq = 3;
             UPDATE events SET seq = 3 WHERE run_id = '{run}' AND seq = 5;
             UPDATE events SET seq = 5 WHERE run_id = '{run}' AND seq = -1;"
        ))
        .expect("swap");
    assert_caught(&path, &run, "event 3 was reordered (it was written as event 5)");
}

#[test]
fn verify_json_reports_the_first_bad_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run = store_with_run(&path);
    attacker(&path)
        .execute(
            "UPDATE events SET actor = 'mallory' WHERE run_id = ?1 AND seq = 2",
            [&run],
        )
        .expect("x");
    let out = Command::cargo_bin("flightdeck")
        .expect("flightdeck binary")
        .arg("--store")
        .arg(&path)
        .args(["run", "verify", &run[..8], "--json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["first_bad"]["seq"], json!(2));
    assert_eq!(v["first_bad"]["kind"], json!("altered"));
    assert_eq!(v["events"], json!(6));
}
