//! Live updates: a follower hears each committed change as a run id and head, and after its
//! connection is dropped (the server ends it: `pg_terminate_backend`) it says so, reconnects and
//! yields a resync, after which a refetch shows what changed while it was away.

use std::time::{Duration, Instant};

use flightdeck_engine::store::{Followed, Follower};
use serde_json::json;

use super::{new_run, Shared};

/// The next item followed, within `within`.
fn next(f: &Follower, within: Duration) -> Followed {
    f.recv_timeout(within)
        .unwrap_or_else(|| panic!("nothing followed within {within:?}"))
}

#[test]
fn a_follower_hears_changes_and_resyncs_after_its_connection_is_terminated() {
    let Some(shared) = Shared::new("follow") else {
        return;
    };
    let mut writer = shared.open();
    let reader = shared.open();
    let follower = reader
        .follow()
        .expect("follow")
        .expect("a Postgres store follows");
    assert_eq!(
        next(&follower, Duration::from_secs(10)),
        Followed::Resync,
        "listening: resync first"
    );

    let run = writer.create_run(new_run("ana")).expect("create");
    match next(&follower, Duration::from_secs(5)) {
        Followed::Changed(head) => assert_eq!((head.run_id.as_str(), head.seq), (run.id.as_str(), 1)),
        other => panic!("expected the new run, got {other:?}"),
    }
    let e = writer
        .append(&run.id, "ana", "note_added", json!({"text": "one"}))
        .expect("append");
    match next(&follower, Duration::from_secs(5)) {
        Followed::Changed(head) => assert_eq!((head.seq, head.hash), (2, e.hash)),
        other => panic!("expected event 2, got {other:?}"),
    }

    // The server drops the follower's connection; a write lands while it is away.
    shared.exec(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = '{}' AND application_name = 'flightdeck-follow'",
        shared.name
    ));
    assert!(
        matches!(next(&follower, Duration::from_secs(10)), Followed::Lost(_)),
        "the drop is reported"
    );
    let missed = writer
        .append(&run.id, "ana", "note_added", json!({"text": "while away"}))
        .expect("append");
    let mut resynced = false;
    let until = Instant::now() + Duration::from_secs(15);
    while !resynced && Instant::now() < until {
        match follower.recv_timeout(Duration::from_millis(500)) {
            Some(Followed::Resync) => resynced = true,
            Some(Followed::Changed(_) | Followed::Lost(_)) | None => {}
        }
    }
    assert!(resynced, "a resync after reconnecting");
    let head = reader.head(&run.id).expect("head").expect("run");
    assert_eq!(
        (head.seq, head.hash),
        (3, missed.hash),
        "the refetch after the resync shows the missed write"
    );
    let e = writer
        .append(&run.id, "ana", "note_added", json!({"text": "back"}))
        .expect("append");
    match next(&follower, Duration::from_secs(5)) {
        Followed::Changed(head) => assert_eq!(head.seq, e.seq, "changes are heard again"),
        other => panic!("expected event 4, got {other:?}"),
    }
}
