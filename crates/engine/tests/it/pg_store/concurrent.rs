//! Concurrent appends from several clients never fork a run's chain: 8 writers, each a client of
//! its own (its own connection, as another machine would be), append 1,000 events each to one
//! run at once; the log holds all 8,001 events in one unbroken chain and `verify` passes.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::json;

use super::{new_run, Shared};

const WRITERS: usize = 8;
const EACH: usize = 1_000;

#[test]
fn eight_writers_times_a_thousand_appends_never_fork_the_chain() {
    let Some(shared) = Shared::new("concurrent") else {
        return;
    };
    let run = shared.open().create_run(new_run("ana")).expect("create");
    let started = Instant::now();
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (shared, run_id) = (&shared, run.id.clone());
                s.spawn(move || {
                    let mut store = shared.open();
                    let mut seqs = Vec::with_capacity(EACH);
                    for i in 0..EACH {
                        let e = store
                            .append(
                                &run_id,
                                &format!("writer-{w}"),
                                "note_added",
                                json!({"writer": w, "i": i}),
                            )
                            .expect("append");
                        seqs.push(e.seq);
                    }
                    seqs
                })
            })
            .collect();
        let mut all = BTreeSet::new();
        for w in writers {
            let seqs = w.join().expect("a writer panicked");
            assert!(
                seqs.windows(2).all(|p| p[0] < p[1]),
                "each writer's events go forward"
            );
            for seq in seqs {
                assert!(all.insert(seq), "seq {seq} was handed out twice: a fork");
            }
        }
        assert_eq!(all.len(), WRITERS * EACH);
    });
    let elapsed = started.elapsed();
    let store = shared.open();
    let events = store.events(&run.id).expect("events");
    assert_eq!(events.len(), WRITERS * EACH + 1);
    for (i, pair) in events.windows(2).enumerate() {
        assert_eq!(pair[1].seq, i as u64 + 2);
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "event {} chains to event {}",
            pair[1].seq, pair[0].seq
        );
    }
    let v = store.verify(&run.id).expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!(v.events, (WRITERS * EACH + 1) as u64);
    eprintln!(
        "{} appends by {WRITERS} writers in {:.1} s ({:.0} per second)",
        WRITERS * EACH,
        elapsed.as_secs_f64(),
        (WRITERS * EACH) as f64 / elapsed.as_secs_f64()
    );
}
