//! Moving a run: `copy_run` (what `run push` / `run pull` do) from a local SQLite store to the
//! shared store and back to another local store, the chain byte for byte the same and `verify`
//! passing on every side; a copy onto a run that went on elsewhere is refused as a fork.

use std::sync::Arc;

use flightdeck_engine::store::{KeyedStatus, MemoryKeys, Store};
use serde_json::json;

use super::{new_run, Shared};

#[test]
fn push_then_pull_round_trip_keeps_the_chain_and_verifies_on_both_sides() {
    let Some(shared) = Shared::new("transfer") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = Arc::new(MemoryKeys::default());
    let mut laptop = Store::open(dir.path().join("laptop.sqlite"))
        .expect("open")
        .with_keys(keys.clone());
    let run = laptop.create_run(new_run("riley")).expect("create");
    for i in 0..20 {
        laptop
            .append(
                &run.id,
                "riley",
                "note_added",
                json!({"text": format!("step {i} done"), "n": i}),
            )
            .expect("append");
    }
    let mut server = shared.open();

    // push
    let pushed = laptop.copy_run(&run.id[..8], &mut server).expect("push");
    assert!(pushed.written && pushed.source.ok && pushed.copy.ok, "{pushed:?}");
    assert_eq!(pushed.events, 21);
    assert_eq!(
        server.events(&run.id).expect("events"),
        laptop.events(&run.id).expect("events")
    );
    let again = laptop
        .copy_run(&run.id, &mut server)
        .expect("the same head again is nothing to do");
    assert!(!again.written);

    // The run goes on on the shared store; then pull it for offline review.
    server
        .append(&run.id, "dana", "note_added", json!({"text": "reviewed"}))
        .expect("append");
    let mut review = Store::open(dir.path().join("review.sqlite"))
        .expect("open")
        .with_keys(keys.clone());
    let pulled = server.copy_run(&run.id, &mut review).expect("pull");
    assert!(pulled.written && pulled.copy.ok, "{pulled:?}");
    assert_eq!(
        review.events(&run.id).expect("events"),
        server.events(&run.id).expect("events")
    );
    assert_eq!(review.head(&run.id).expect("head").map(|h| h.seq), Some(22));
    assert!(
        matches!(pulled.copy.keyed, KeyedStatus::Keyed { since_seq: 22, .. }),
        "the pulled copy is keyed from its copied head: {:?}",
        pulled.copy.keyed
    );

    // The laptop's copy stops at event 21: pushing it again would fork the shared run.
    let err = laptop
        .copy_run(&run.id, &mut server)
        .expect_err("a fork is refused");
    assert!(err.to_string().contains("fork"), "{err}");
    assert!(server.verify(&run.id).expect("verify").ok);
    assert!(laptop.verify(&run.id).expect("verify").ok);
}
