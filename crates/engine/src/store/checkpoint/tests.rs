//! Checkpoint tests with a fold that only lists the seqs it was given: the list shows what a
//! state covers, and a counter shows how many events a call had to fold (the work a checkpoint
//! saves, counted rather than timed).

use std::cell::Cell;

use serde_json::json;

use super::super::tests::{clock, drop_triggers, raw, run_with_events, temp_store};
use super::super::{migrate, NewEvent, Store, StoreError, StoredEvent};
use super::{Fold, Resumed, REFRESH_AFTER};

struct Seqs {
    key: &'static str,
    folded: Cell<usize>,
}

impl Seqs {
    fn new(key: &'static str) -> Seqs {
        Seqs {
            key,
            folded: Cell::new(0),
        }
    }

    /// Events folded since the last call.
    fn taken(&self) -> usize {
        self.folded.replace(0)
    }
}

impl Fold for Seqs {
    type State = Vec<u64>;

    fn key(&self) -> &str {
        self.key
    }

    fn fold(&self, state: Option<Vec<u64>>, events: &[StoredEvent]) -> Vec<u64> {
        self.folded.set(self.folded.get() + events.len());
        let mut seqs = state.unwrap_or_default();
        seqs.extend(events.iter().map(|e| e.seq));
        seqs
    }
}

/// A note saying how many events the state it was decided on covered.
fn saw(state: &[u64]) -> Result<NewEvent, StoreError> {
    Ok(NewEvent {
        actor: "ana".into(),
        kind: "note_added".into(),
        payload: json!({"saw": state.len()}),
    })
}

fn all(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

#[test]
fn writes_fold_only_the_events_after_the_checkpoint() {
    let (dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 50);
    let fold = Seqs::new("seqs");

    let e = store.append_folded(&run.id, &fold, |s| saw(s)).expect("append");
    assert_eq!(
        e.payload,
        json!({"saw": 50}),
        "the first write decides on the whole log"
    );
    assert_eq!(
        fold.taken(),
        51,
        "no checkpoint yet: the 50 events, then the new one"
    );
    store.append_folded(&run.id, &fold, |s| saw(s)).expect("append");
    assert_eq!(
        fold.taken(),
        1,
        "resumed from memory: only the new event is folded"
    );

    let path = dir.path().join("s.sqlite");
    let mut cli = Store::open_with_clock(&path, clock()).expect("a second handle");
    let e = cli.append_folded(&run.id, &fold, |s| saw(s)).expect("append");
    assert_eq!((e.seq, e.payload), (53, json!({"saw": 52})));
    assert_eq!(
        fold.taken(),
        2,
        "resumed from the stored checkpoint (event 51): event 52, then the new one"
    );

    for i in 0..5 {
        store
            .append(&run.id, "ana", "note_added", json!({"plain": i}))
            .expect("a plain append");
    }
    let fresh = Store::open_with_clock(&path, clock()).expect("reopen");
    let (state, from) = fresh.folded_from(&run.id, &fold).expect("fold");
    assert_eq!((from, state), (Resumed::Stored, all(58)), "the whole log's state");
    assert_eq!(
        fold.taken(),
        7,
        "the events after the stored checkpoint, and nothing else"
    );
}

#[test]
fn the_stored_checkpoint_trails_the_head_by_less_than_refresh_after() {
    let (dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 3);
    let fold = Seqs::new("seqs");
    let path = dir.path().join("s.sqlite");
    for _ in 0..3 * REFRESH_AFTER {
        let e = store.append_folded(&run.id, &fold, |s| saw(s)).expect("append");
        let stored: i64 = raw(&store)
            .query_row("SELECT seq FROM state_checkpoints", [], |r| r.get(0))
            .expect("the first write stores one");
        let behind = e.seq - stored as u64;
        assert!(
            behind < REFRESH_AFTER,
            "event {}: the stored checkpoint is {behind} behind",
            e.seq
        );
        fold.taken();
        let fresh = Store::open_with_clock(&path, clock()).expect("reopen");
        let (state, from) = fresh.folded_from(&run.id, &fold).expect("fold");
        assert_eq!((from, state), (Resumed::Stored, all(e.seq)));
        assert_eq!(
            fold.taken() as u64,
            behind,
            "a new Store folds only what the row trails by"
        );
    }
}

#[test]
fn a_checkpoint_made_by_another_fold_is_not_resumed() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 7);
    store
        .append_folded(&run.id, &Seqs::new("seqs v1"), |s| saw(s))
        .expect("append");
    let v2 = Seqs::new("seqs v2");
    let (state, from) = store.folded_from(&run.id, &v2).expect("fold");
    assert_eq!((from, state), (Resumed::Log, all(8)));
    assert_eq!(v2.taken(), 8, "the whole log");
}

#[test]
fn a_checkpoint_past_the_end_of_the_log_is_not_resumed() {
    let (_dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 4);
    let fold = Seqs::new("seqs");
    store.append_folded(&run.id, &fold, |s| saw(s)).expect("append");
    drop_triggers(&store);
    raw(&store)
        .execute_batch(&format!(
            "DELETE FROM events WHERE seq = 5; UPDATE runs SET head_seq = 4, head_hash = \
             (SELECT hash FROM events WHERE seq = 4) WHERE id = '{}'",
            run.id
        ))
        .expect("remove the last event and its head");
    let (state, from) = store.folded_from(&run.id, &fold).expect("fold");
    assert_eq!(
        (from, state),
        (Resumed::Log, all(4)),
        "event 5 is gone, so is its checkpoint"
    );
}

#[test]
fn concurrent_writers_each_decide_on_the_head_of_the_log() {
    const EACH: usize = 25;
    let (dir, mut store) = temp_store();
    let run = run_with_events(&mut store, 3);
    let path = dir.path().join("s.sqlite");
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (path, run_id) = (path.clone(), run.id.clone());
            std::thread::spawn(move || -> Result<(), StoreError> {
                let mut store = Store::open_with_clock(&path, clock())?;
                let fold = Seqs::new("seqs");
                for i in 0..EACH {
                    store.append_folded(&run_id, &fold, |s| saw(s))?;
                    if (i + w) % 3 == 0 {
                        store.append(&run_id, "ben", "note_added", json!({"plain": i}))?;
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer thread").expect("every write lands");
    }
    let events = store.events(&run.id).expect("events");
    let decided: Vec<_> = events.iter().filter(|e| e.payload.get("saw").is_some()).collect();
    assert_eq!(decided.len(), 2 * EACH);
    for e in decided {
        assert_eq!(
            e.payload["saw"],
            json!(e.seq - 1),
            "event {} was decided on a state that did not reach the event before it",
            e.seq
        );
    }
    let (state, _) = store.folded_from(&run.id, &Seqs::new("seqs")).expect("fold");
    assert_eq!(state, all(events.len() as u64));
}

#[test]
fn a_store_made_before_checkpoints_opens_and_gets_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.sqlite");
    let run_id = {
        let mut old = Store::connect(&path, clock()).expect("connect");
        let before_checkpoints = migrate::MIGRATIONS
            .iter()
            .position(|m| m.name == "state_checkpoints")
            .expect("the state checkpoints migration");
        migrate::apply_first(&mut old.conn, old.clock.as_ref(), before_checkpoints)
            .expect("every migration before the checkpoints");
        run_with_events(&mut old, 6).id
    };
    let tables = |store: &Store| -> i64 {
        raw(store)
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'state_checkpoints'",
                [],
                |r| r.get(0),
            )
            .expect("schema")
    };
    let mut store = Store::open_with_clock(&path, clock()).expect("the older store opens");
    assert_eq!(tables(&store), 1, "the migration adds the table");
    let fold = Seqs::new("seqs");
    store.append_folded(&run_id, &fold, |s| saw(s)).expect("append");
    assert_eq!(fold.taken(), 7, "its first write folds the old log");
    let again = Store::open_with_clock(&path, clock()).expect("reopen");
    assert_eq!(
        again.folded_from(&run_id, &fold).expect("fold").1,
        Resumed::Stored
    );
    assert!(again.verify(&run_id).expect("verify").ok);
}
