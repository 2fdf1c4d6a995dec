//! Tamper test: edit, delete and reorder event rows with SQL (dropping the append-only
//! triggers first, as an attacker with the file would) and check that `flightdeck run verify`
//! exits 5 naming the right first bad event.

use flightdeck_testsupport::cli::exit::VERIFY_FAILED;
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::store::started_run;
use serde_json::json;

/// A CLI on a store with one run of 6 events (run_created + 5 notes); the run's id.
fn store_with_run() -> (Cli, String) {
    let cli = Cli::new();
    let run = started_run(cli.store(), 5);
    (cli, run)
}

/// Runs `sql` on the store as an attacker would: plain SQLite, the append-only triggers dropped
/// first, `RUN` standing for the run's id.
fn tamper(cli: &Cli, run: &str, sql: &str) {
    let conn = rusqlite::Connection::open(cli.store()).expect("open with plain SQLite");
    conn.execute_batch("DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;")
        .expect("drop the append-only triggers");
    conn.execute_batch(&sql.replace("RUN", run))
        .unwrap_or_else(|e| panic!("tamper with {sql}: {e}"));
}

/// After `sql`, `run verify` exits 5 with one `error:` line naming the first bad event.
fn caught_after(sql: &str, expected: &str) {
    let (cli, run) = store_with_run();
    tamper(&cli, &run, sql);
    let err = cli.fails(VERIFY_FAILED, ["run", "verify", &run]);
    assert_eq!(err, format!("error: run {run}: {expected}"));
}

#[test]
fn an_untouched_run_verifies() {
    let (cli, run) = store_with_run();
    let out = cli.ok(["run", "verify", &run]);
    assert!(out.contains("ok, 6 events, chain intact"), "{out}");
}

#[test]
fn the_triggers_stop_a_plain_edit() {
    let (cli, run) = store_with_run();
    let conn = rusqlite::Connection::open(cli.store()).expect("open");
    let err = conn
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 3", [&run])
        .expect_err("refused");
    assert!(err.to_string().contains("append-only"), "{err}");
    cli.ok(["run", "verify", &run]);
}

#[test]
fn an_edited_payload_is_caught() {
    caught_after(
        "UPDATE events SET payload = '{\"text\":\"all fine\"}' WHERE run_id = 'RUN' AND seq = 4",
        "event 4 was altered (hash mismatch)",
    );
}

#[test]
fn a_deleted_middle_event_is_caught() {
    caught_after(
        "DELETE FROM events WHERE run_id = 'RUN' AND seq = 3",
        "event 3 is missing (seq gap: event 4 follows event 2)",
    );
}

#[test]
fn a_deleted_last_event_is_caught() {
    caught_after(
        "DELETE FROM events WHERE run_id = 'RUN' AND seq = 6",
        "event 6 is missing (the run's head checkpoint says the log ends at event 6, it ends at event 5)",
    );
}

#[test]
fn two_swapped_events_are_caught() {
    caught_after(
        "UPDATE events SET seq = -1 WHERE run_id = 'RUN' AND seq = 3;
         UPDATE events SET seq = 3 WHERE run_id = 'RUN' AND seq = 5;
         UPDATE events SET seq = 5 WHERE run_id = 'RUN' AND seq = -1;",
        "event 3 was reordered (it was written as event 5)",
    );
}

#[test]
fn verify_json_reports_the_first_bad_event() {
    let (cli, run) = store_with_run();
    tamper(
        &cli,
        &run,
        "UPDATE events SET actor = 'mallory' WHERE run_id = 'RUN' AND seq = 2",
    );
    let v = json_of(&cli.exits(VERIFY_FAILED, ["run", "verify", &run[..8], "--json"]));
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["first_bad"]["seq"], json!(2));
    assert_eq!(v["first_bad"]["kind"], json!("altered"));
    assert_eq!(v["event_count"], json!(6));
}
