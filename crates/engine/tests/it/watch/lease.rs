//! One watch per run: a second watch of a run that is being watched (the app and
//! `flightdeck watch`, say) is refused before it records anything, and the run can be watched
//! again once the first watch has ended.

use std::sync::Arc;

use flightdeck_engine::error::{ErrorKind, HasKind};
use flightdeck_engine::watch::{self, parse_band};
use tokio_util::sync::CancellationToken;

use super::{req, slots, FakeRunner, SimClock, T0};

#[tokio::test]
async fn a_second_watch_of_a_watched_run_is_refused_and_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, run) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-1h/5m").expect("band")];
        p.end_min = 60;
    });
    let clock = Arc::new(SimClock::at(T0 - time::Duration::minutes(1)));
    let runner = FakeRunner {
        clock: clock.clone(),
        fail: vec![],
        budget_alerting: false,
    };
    let path = store.lock().expect("lock").path().to_path_buf();
    // The other watch (another process, or the app) holds the run's lease.
    let other = watch::acquire_lease(&path, &run).expect("the first watch takes the lease");
    let refused = watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect_err("a second watch of the same run is refused");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    let msg = refused.to_string();
    assert!(msg.contains("already being watched"), "{msg}");
    assert!(
        msg.contains(&other.path().display().to_string()),
        "names the lock: {msg}"
    );
    assert!(
        slots(&store, &run).is_empty(),
        "the refused watch recorded nothing"
    );

    drop(other);
    watch::watch(
        &store,
        req(&run),
        &runner,
        &*clock,
        &|_| {},
        CancellationToken::new(),
    )
    .await
    .expect("once the first watch has ended, the run can be watched");
    assert!(!slots(&store, &run).is_empty());
    // And its lease went with it: the run can be taken again.
    watch::acquire_lease(&path, &run).expect("the ended watch let go of the run");
}
