//! Store tests: temp files, a fixed clock, and SQL tampering with the triggers dropped first.
//! The fixtures are shared with `checkpoint::tests`.

use std::sync::Arc;

use rusqlite::params;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::clock::FixedClock;
use crate::HasKind;

pub(super) fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::stepping(
        datetime!(2025-06-01 12:00:00.123456 UTC),
        time::Duration::milliseconds(1500),
    ))
}

pub(super) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_with_clock(dir.path().join("s.sqlite"), clock()).expect("open store");
    (dir, store)
}

pub(super) fn new_run(actor: &str) -> NewRun {
    NewRun {
        runbook_name: "demo.md".into(),
        runbook_source: "# Demo\n- [ ] one\n".into(),
        env: "sandbox".into(),
        release: "v1.0.0".into(),
        actor: actor.into(),
    }
}

/// A run with `n` events in all (run_created + n-1 notes).
pub(super) fn run_with_events(store: &mut Store, n: u64) -> RunRecord {
    let run = store.create_run(new_run("ana")).expect("create run");
    for i in 2..=n {
        store
            .append(&run.id, "ana", "note_added", json!({"text": format!("note {i}")}))
            .expect("append");
    }
    run
}

pub(super) fn raw(store: &Store) -> &Connection {
    &store.conn
}

pub(super) fn drop_triggers(store: &Store) {
    raw(store)
        .execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .expect("an attacker can drop the triggers");
}

fn first_bad(store: &Store, run_id: &str) -> Problem {
    let v = store.verify(run_id).expect("verify runs");
    assert!(!v.ok);
    v.first_bad.expect("a tampered log has a first bad event")
}

#[test]
fn open_applies_every_migration_with_wal_and_full_sync() {
    let (_dir, store) = temp_store();
    let versions = store.schema_versions().expect("versions");
    let expected: Vec<String> = migrate::MIGRATIONS
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(versions, expected);
    let mode: String = raw(&store)
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
    let sync: i64 = raw(&store)
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(sync, 2, "2 is FULL: a commit is on disk when it returns");
}

#[test]
fn reopening_applies_nothing_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let run_id = {
        let mut store = Store::open_with_clock(&path, clock()).expect("open");
        run_with_events(&mut store, 3).id
    };
    let store = Store::open_with_clock(&path, clock()).expect("reopen");
    assert_eq!(
        store.schema_versions().expect("versions").len(),
        migrate::MIGRATIONS.len()
    );
    assert_eq!(store.events(&run_id).expect("events").len(), 3);
}

#[test]
fn a_store_made_by_an_older_schema_still_opens_and_is_upgraded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.sqlite");
    let run_id = {
        // What a Flightdeck that knew only the first migration would have left behind.
        let mut old = Store::connect(&path, clock()).expect("connect");
        migrate::apply_first(&mut old.conn, old.clock.as_ref(), 1).expect("first migration");
        assert_eq!(
            old.schema_versions().expect("versions"),
            vec![migrate::MIGRATIONS[0].version.to_string()]
        );
        run_with_events(&mut old, 4).id
    };
    let mut store = Store::open_with_clock(&path, clock()).expect("an older store opens");
    assert_eq!(
        store.schema_versions().expect("versions").len(),
        migrate::MIGRATIONS.len()
    );
    assert!(
        store.verify(&run_id).expect("verify").ok,
        "the old run's chain survives the upgrade"
    );
    store
        .append(&run_id, "ana", "note_added", json!({"text": "after upgrade"}))
        .expect("append after upgrade");
    let err = raw(&store)
        .execute("DELETE FROM events WHERE seq = 2", [])
        .expect_err("trigger from migration 2");
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn events_chain_from_the_genesis_hash_and_move_the_checkpoint() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 3);
    let events = store.events(&run.id).expect("events");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(events[0].kind, RUN_CREATED);
    assert_eq!(events[0].prev_hash, GENESIS_HASH);
    assert_eq!(
        events[0].payload["runbook_sha256"],
        json!(sha256_hex(b"# Demo\n- [ ] one\n"))
    );
    assert_eq!(events[0].payload["release"], json!("v1.0.0"));
    for pair in events.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "each event names its predecessor's hash"
        );
    }
    for e in &events {
        let recomputed = e.computed_hash();
        assert_eq!(recomputed, e.hash);
    }
    let record = store.resolve_run(&run.id).expect("run");
    assert_eq!(
        (record.head_seq, record.head_hash.as_str()),
        (3, events[2].hash.as_str())
    );
    assert!(store.verify(&run.id).expect("verify").ok);
}

#[test]
fn event_times_are_rfc3339_utc_milliseconds_from_the_given_clock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = clock();
    let mut store = Store::open_with_clock(dir.path().join("s.sqlite"), clock.clone()).expect("open");
    // Opening read the clock for the migrations' applied_at; start the run at a known instant.
    clock.set(datetime!(2025-06-01 12:00:00.123456 UTC));
    let run = run_with_events(&mut store, 2);
    let events = store.events(&run.id).expect("events");
    assert_eq!(
        run.created_at, "2025-06-01T12:00:00.123Z",
        "microseconds are cut to milliseconds"
    );
    assert_eq!(events[0].time, run.created_at);
    assert_eq!(events[1].time, "2025-06-01T12:00:01.623Z");
    assert_eq!(
        format_time(datetime!(2025-01-02 03:04:05.006 +02:00)),
        "2025-01-02T01:04:05.006Z"
    );
}

#[test]
fn run_ids_are_uuid_v7_stamped_by_the_clock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = clock();
    let mut store = Store::open_with_clock(dir.path().join("s.sqlite"), clock.clone()).expect("open");
    clock.set(datetime!(2025-06-01 12:00:00.123456 UTC));
    let run = store.create_run(new_run("ana")).expect("create");
    let id = uuid::Uuid::parse_str(&run.id).expect("a UUID");
    assert_eq!(id.get_version_num(), 7);
    let (secs, _) = id.get_timestamp().expect("v7 has a timestamp").to_unix();
    assert_eq!(secs as i64, datetime!(2025-06-01 12:00:00 UTC).unix_timestamp());
}

#[test]
fn triggers_refuse_update_and_delete_of_events() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 2);
    let update = raw(&store).execute("UPDATE events SET actor = 'eve' WHERE run_id = ?1", [&run.id]);
    assert!(update
        .expect_err("update refused")
        .to_string()
        .contains("append-only"));
    let delete = raw(&store).execute("DELETE FROM events WHERE run_id = ?1", [&run.id]);
    assert!(delete
        .expect_err("delete refused")
        .to_string()
        .contains("append-only"));
    assert_eq!(store.events(&run.id).expect("events").len(), 2);
}

#[test]
fn resolve_run_takes_a_unique_prefix() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Same instant for both runs: their v7 ids share the 12-hex-digit timestamp prefix.
    let frozen = Arc::new(FixedClock::new(datetime!(2025-06-01 12:00 UTC)));
    let mut store = Store::open_with_clock(dir.path().join("s.sqlite"), frozen).expect("open");
    let a = store.create_run(new_run("ana")).expect("a");
    let b = store.create_run(new_run("ben")).expect("b");
    assert_eq!(store.resolve_run(&a.id).expect("full id").id, a.id);
    assert_eq!(
        store
            .resolve_run(&a.id.to_uppercase())
            .expect("case-insensitive")
            .id,
        a.id
    );
    let unique = (MIN_PREFIX..a.id.len())
        .map(|n| &a.id[..n])
        .find(|p| !b.id.starts_with(p))
        .expect("ids differ");
    assert_eq!(store.resolve_run(unique).expect("unique prefix").id, a.id);
    match store.resolve_run(&a.id[..8]) {
        Err(StoreError::AmbiguousRun { matches, .. }) => assert_eq!(matches.len(), 2),
        other => panic!("expected ambiguous, got {other:?}"),
    }
    assert!(matches!(
        store.resolve_run("019"),
        Err(StoreError::PrefixTooShort { .. })
    ));
    let missing = store.resolve_run("ffff").expect_err("no such run");
    assert_eq!(missing.kind(), crate::ErrorKind::NotFound);
    assert!(missing.to_string().contains("`ffff`"), "{missing}");
}

#[test]
fn append_checked_sees_the_log_and_appends_nothing_when_refused() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 2);
    let refused: Result<StoredEvent, StoreError> = store.append_checked(&run.id, |events| {
        assert_eq!(events.len(), 2);
        Err(StoreError::Corrupt {
            run_id: run.id.clone(),
            message: "refused".into(),
        })
    });
    assert!(refused.is_err());
    assert_eq!(
        store.events(&run.id).expect("events").len(),
        2,
        "a refusal leaves the log as it was"
    );
    let event = store
        .append_checked::<StoreError, _>(&run.id, |events| {
            Ok(NewEvent {
                actor: "ana".into(),
                kind: "note_added".into(),
                payload: json!({"n": events.len()}),
            })
        })
        .expect("append");
    assert_eq!((event.seq, &event.payload), (3, &json!({"n": 2})));
}

#[test]
fn two_handles_on_one_file_keep_one_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.sqlite");
    let mut app = Store::open_with_clock(&path, clock()).expect("app");
    let mut cli = Store::open_with_clock(&path, clock()).expect("cli");
    let run = app.create_run(new_run("ana")).expect("create");
    for i in 0..10 {
        let store = if i % 2 == 0 { &mut app } else { &mut cli };
        store
            .append(&run.id, "ana", "note_added", json!({"i": i}))
            .expect("append");
    }
    assert_eq!(app.events(&run.id).expect("events").len(), 11);
    assert!(cli.verify(&run.id).expect("verify").ok);
}

#[test]
fn append_to_an_unknown_run_is_not_found() {
    let (_dir, mut store) = temp_store();
    let err = store
        .append("nope", "ana", "note_added", json!({}))
        .expect_err("no run");
    assert_eq!(err.kind(), crate::ErrorKind::NotFound);
}

#[test]
fn verify_catches_an_edited_payload() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 5);
    drop_triggers(&store);
    raw(&store)
        .execute(
            "UPDATE events SET payload = '{\"text\":\"forged\"}' WHERE run_id = ?1 AND seq = 4",
            [&run.id],
        )
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (4, ProblemKind::Altered));
    assert_eq!(p.message, "event 4 was altered (hash mismatch)");
}

#[test]
fn verify_catches_a_payload_that_is_no_longer_json() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 3);
    drop_triggers(&store);
    raw(&store)
        .execute(
            "UPDATE events SET payload = 'oops' WHERE run_id = ?1 AND seq = 2",
            [&run.id],
        )
        .expect("x");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (2, ProblemKind::Altered));
    assert!(
        store.events(&run.id).is_err(),
        "reading a corrupt log is an error, not a panic"
    );
}

#[test]
fn verify_catches_a_deleted_middle_event() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 5);
    drop_triggers(&store);
    raw(&store)
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 3", [&run.id])
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (3, ProblemKind::Missing));
}

#[test]
fn verify_catches_a_deleted_last_event_and_append_refuses_to_cover_it() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 5);
    drop_triggers(&store);
    raw(&store)
        .execute("DELETE FROM events WHERE run_id = ?1 AND seq = 5", [&run.id])
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (5, ProblemKind::Missing));
    let err = store
        .append(&run.id, "ana", "note_added", json!({}))
        .expect_err("append refuses");
    assert_eq!(
        err.kind(),
        crate::ErrorKind::Integrity,
        "a log that lost its last event does not hold together: the CLI exits 5, as `run verify` does"
    );
    assert_eq!(
        first_bad(&store, &run.id).seq,
        5,
        "the refused append changed nothing"
    );
}

#[test]
fn verify_catches_two_swapped_events() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 5);
    drop_triggers(&store);
    raw(&store)
        .execute_batch(&format!(
            "UPDATE events SET seq = -1 WHERE run_id = '{id}' AND seq = 2;
             UPDATE events SET seq = 2 WHERE run_id = '{id}' AND seq = 4;
             UPDATE events SET seq = 4 WHERE run_id = '{id}' AND seq = -1;",
            id = run.id
        ))
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (2, ProblemKind::Reordered));
    assert_eq!(p.message, "event 2 was reordered (it was written as event 4)");
}

#[test]
fn verify_catches_an_event_replaced_with_a_recomputed_hash() {
    // An attacker who rewrites an event and recomputes its hash still breaks the next link.
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 4);
    drop_triggers(&store);
    let e = store.events(&run.id).expect("events").remove(2);
    let forged = json!({"text": "forged"});
    let hash = event_hash(HashInput {
        run_id: &e.run_id,
        seq: e.seq,
        time: &e.time,
        actor: &e.actor,
        kind: &e.kind,
        payload: &forged,
        prev_hash: &e.prev_hash,
    });
    raw(&store)
        .execute(
            "UPDATE events SET payload = ?3, hash = ?4 WHERE run_id = ?1 AND seq = ?2",
            params![run.id, e.seq as i64, canonical_json(&forged), hash],
        )
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (4, ProblemKind::BrokenLink));
}

#[test]
fn verify_catches_an_edited_runbook_source() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 2);
    raw(&store)
        .execute(
            "UPDATE runs SET runbook_source = '# Demo\n- [x] one\n' WHERE id = ?1",
            [&run.id],
        )
        .expect("runs has no trigger; the chain is what protects the source");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (1, ProblemKind::Source));
}

#[test]
fn verify_catches_an_event_added_behind_the_checkpoint() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 2);
    raw(&store)
        .execute("UPDATE runs SET head_seq = 1 WHERE id = ?1", [&run.id])
        .expect("tamper");
    let p = first_bad(&store, &run.id);
    assert_eq!((p.seq, p.kind), (2, ProblemKind::Checkpoint));
}
