//! The shared store on Postgres against the SQLite file, printed (no timed assertions).
//!
//! 1. A change made on one client, seen on another: 200 changes, each an append by client A; the
//!    time until client B knows of it and has refetched its head from the table. On Postgres, B
//!    follows the store (LISTEN/NOTIFY, `Store::follow`) as the app's watcher does there; on
//!    SQLite, B polls the heads every 300 ms as the app's watcher does on a file (the reference).
//!    Changes are made at random offsets (0-300 ms apart), so a poll meets them anywhere in its
//!    interval. Goal: p95 ≤ 1 s.
//! 2. Append latency: 1,000 appends by one client, one event each (`Store::append`, a transaction
//!    each: the run's advisory lock on Postgres, `BEGIN IMMEDIATE` and `synchronous=FULL` on
//!    SQLite), p50 / p99, on the same machine.
//!
//! Needs the Postgres `.ci/services.sh` starts (a database of its own is made and dropped):
//!   FLIGHTDECK_TEST_PG_PORT=25440 .ci/services.sh cargo bench -p flightdeck-engine --bench shared_store
//! The SQLite file lives under /var/tmp (a disk, not tmpfs). Postgres there runs with
//! `fsync=off` (the test server), so its append figures leave out the disk flush SQLite's include.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flightdeck_engine::clock::SystemClock;
use flightdeck_engine::store::{Followed, NewRun, Store};
use serde_json::json;
use sqlx::{Connection, PgConnection};

const CHANGES: usize = 200;
const APPENDS: usize = 1_000;
const POLL: Duration = Duration::from_millis(300);

fn new_run() -> NewRun {
    NewRun {
        runbook_name: "bench.md".into(),
        runbook_source: "# Bench\n".into(),
        env: "staging".into(),
        release: "v1".into(),
        actor: "bench".into(),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn summary(name: &str, mut xs: Vec<Duration>) {
    xs.sort();
    println!(
        "{name:<44} n={:<5} p50 {:>9}  p95 {:>9}  p99 {:>9}  max {:>9}",
        xs.len(),
        ms(pct(&xs, 0.50)),
        ms(pct(&xs, 0.95)),
        ms(pct(&xs, 0.99)),
        ms(pct(&xs, 1.0))
    );
}

/// A pseudo-random pause of 0-300 ms (xorshift; no dependency for a bench's jitter).
fn jitter(state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    Duration::from_millis(*state % 300)
}

fn database(admin: &str, name: &str, create: bool) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut c = PgConnection::connect(admin)
            .await
            .expect("connect to the test Postgres");
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut c).await;
        if create {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .expect("create the bench database");
        }
    });
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

/// Postgres: B follows; each change's latency is append start → B has refetched that head.
fn propagation_postgres(url: &str, local: &std::path::Path) -> Vec<Duration> {
    let open = || Store::open_postgres(url, local, Arc::new(SystemClock)).expect("open");
    let mut a = open();
    let b = open();
    let follower = b.follow().expect("follow").expect("a follower");
    assert_eq!(
        follower.recv_timeout(Duration::from_secs(10)),
        Some(Followed::Resync)
    );
    let run = a.create_run(new_run()).expect("create");
    let _ = follower.recv_timeout(Duration::from_secs(5));
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        std::thread::sleep(jitter(&mut seed));
        let t0 = Instant::now();
        let e = a
            .append(&run.id, "a", "note_added", json!({ "i": i }))
            .expect("append");
        loop {
            match follower.recv_timeout(Duration::from_secs(5)) {
                Some(Followed::Changed(h)) if h.run_id == run.id && h.seq >= e.seq => break,
                Some(_) => {}
                None => panic!("change {i} not heard within 5 s"),
            }
        }
        let head = b.head(&run.id).expect("head").expect("run");
        assert!(head.seq >= e.seq);
        out.push(t0.elapsed());
    }
    out
}

/// SQLite: B polls the heads every 300 ms, as the app's watcher does on a file.
fn propagation_sqlite(path: &std::path::Path) -> Vec<Duration> {
    let mut a = Store::open(path).expect("open");
    let run = a.create_run(new_run()).expect("create");
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<(u64, Instant)>();
    let reader_path = path.to_path_buf();
    let run_id = run.id.clone();
    let poller = std::thread::spawn(move || {
        let b = Store::open(&reader_path).expect("open");
        let mut last = 1;
        loop {
            if let Ok(Some(h)) = b.head(&run_id) {
                if h.seq != last {
                    last = h.seq;
                    if seen_tx.send((h.seq, Instant::now())).is_err() {
                        return;
                    }
                }
            }
            if last > CHANGES as u64 {
                return;
            }
            std::thread::sleep(POLL);
        }
    });
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        std::thread::sleep(jitter(&mut seed));
        let t0 = Instant::now();
        let e = a
            .append(&run.id, "a", "note_added", json!({ "i": i }))
            .expect("append");
        loop {
            let (seq, at) = seen_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("seen within 5 s");
            if seq >= e.seq {
                out.push(at.duration_since(t0));
                break;
            }
        }
    }
    let _ = poller.join();
    out
}

fn appends(store: &mut Store) -> Vec<Duration> {
    let run = store.create_run(new_run()).expect("create");
    (0..APPENDS)
        .map(|i| {
            let t = Instant::now();
            store
                .append(
                    &run.id,
                    "bench",
                    "note_added",
                    json!({ "i": i, "text": "a note of moderate length" }),
                )
                .expect("append");
            t.elapsed()
        })
        .collect()
}

fn main() {
    let Ok(admin) = std::env::var("FLIGHTDECK_TEST_PG_URL") else {
        eprintln!("skipped: FLIGHTDECK_TEST_PG_URL is not set; run under .ci/services.sh");
        return;
    };
    let name = format!("fd_bench_{}", std::process::id());
    let url = database(&admin, &name, true);
    let dir = tempfile::Builder::new()
        .prefix("fd-bench-shared")
        .tempdir_in("/var/tmp")
        .expect("temp dir");
    let local = dir.path().join("local.sqlite");
    println!(
        "shared store bench ({} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    summary(
        "change seen on another client, Postgres",
        propagation_postgres(&url, &local),
    );
    summary(
        "change seen on another client, SQLite 300 ms",
        propagation_sqlite(&dir.path().join("poll.sqlite")),
    );
    let mut pg = Store::open_postgres(&url, &local, Arc::new(SystemClock)).expect("open");
    summary("append, Postgres (advisory lock, fsync=off)", appends(&mut pg));
    let mut file = Store::open(dir.path().join("append.sqlite")).expect("open");
    summary("append, SQLite (synchronous=FULL)", appends(&mut file));
    drop(pg);
    database(&admin, &name, false);
}
