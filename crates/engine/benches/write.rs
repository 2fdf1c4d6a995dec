//! The cost of one write on a long run against a new one, printed (no timed assertions).
//!
//! `run::check` on a file store under /var/tmp (WAL, `synchronous=FULL`, as shipped) on a new
//! bundled-M31 run and on an M31 run of 100,000 events, in two ways: "app", one `Store` kept open
//! (its in-memory checkpoint), and "CLI", a `Store` opened for each write (the stored checkpoint,
//! as each `flightdeck run check` does). Also printed: the one write that folds the whole log
//! (the first after an upgrade, or on a store made before checkpoints), and the old way of
//! writing (the whole log read and folded by every write) for comparison.
//!
//! The long log is what a D0–D7 watch leaves: steps started, their output, their results and
//! captured fields, with ticks, typed fields and a note every 100 events among them. It is
//! written straight into SQLite in one transaction (100,000 fsyncs would take an hour), with the
//! chain computed as the store computes it; `verify` checks it before anything is timed.
//!
//! Writes are keyed, as the app's and the CLI's are: each seals its run's head (an HMAC-SHA256
//! and one row, `store::keyed`) with a store key held in memory here. The OS keyring round trip
//! the shipped binaries make once per `Store` (once per CLI command) is not in these figures.
//! The long log is generated without the key, so the first write on it keys it afresh (one walk
//! of its chain, counted in "first write").
//!
//! Run: `cargo bench -p flightdeck-engine --bench write`
//!      `cargo bench -p flightdeck-engine --bench write -- --keep DIR [--generate-only]` leaves
//!      `new.sqlite` and `long.sqlite` (their run ids and the item written in `runs.txt`) in DIR,
//!      for timing the CLI (`crates/engine/benches/write-cli.sh`); `--generate-only` skips the
//!      timings.
//! Target: long-run median / new-run median ≤ 1.5.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use flightdeck_engine::probe::{ProbeResult, Provenance};
use flightdeck_engine::run::{self, CheckReq, Event};
use flightdeck_engine::runbook::{self, Runbook};
use flightdeck_engine::store::{canonical_json, event_hash, HashInput, MemoryKeys, Store, StoreKeys};
use flightdeck_testsupport::store::started_bundled;
use rusqlite::{params, Connection};

const LONG: u64 = 100_000;
const WRITES: usize = 200;
const OLD_WAY_WRITES: usize = 5;

fn main() {
    let keep = keep_dir();
    let dir = keep.clone().unwrap_or_else(|| {
        let base = if Path::new("/var/tmp").is_dir() {
            PathBuf::from("/var/tmp")
        } else {
            std::env::temp_dir()
        };
        base.join(format!("flightdeck-bench-write-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).expect("bench dir");
    let b = runbook::bundled("m31").expect("bundled m31");
    let book = runbook::parse(b.file, b.source.as_bytes()).expect("M31 imports");
    let item = book.items[0].id.clone();

    let new_path = dir.join("new.sqlite");
    let long_path = dir.join("long.sqlite");
    for p in [&new_path, &long_path] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
    let new_run = create(&new_path, b);
    let long_run = create(&long_path, b);
    let (t, ()) = time(|| extend(&long_path, &long_run, &book, LONG));
    let v = open(&long_path).verify(&long_run).expect("verify");
    assert!(v.ok && v.events == LONG, "the generated log is a sound chain");
    println!(
        "long run: {LONG} events written and verified ({} to generate)",
        ms(t)
    );

    // The generated log never touches the first item, so it stands as the source has it.
    let check = !book.items[0].checked;
    let (first, ()) = time(|| write(&mut open(&long_path), &long_run, &item, check));
    println!(
        "first write on the long run, no checkpoint yet (folds all {LONG} events once, and keys the run after one walk of its chain): {}",
        ms(first)
    );
    write(&mut open(&new_path), &new_run, &item, check);
    if !flag("--generate-only") {
        measure(&dir, (&new_path, &new_run), (&long_path, &long_run), &item);
    }

    match keep {
        Some(dir) => {
            std::fs::write(dir.join("runs.txt"), format!("{new_run} {long_run} {item}\n")).expect("runs.txt");
            println!(
                "kept: {} (new run {new_run}, long run {long_run}, item {item})",
                dir.display()
            );
        }
        None => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// The timed writes: `new` and `long` are `(store file, run id)`.
fn measure(dir: &Path, new: (&Path, &str), long: (&Path, &str), item: &str) {
    let ((new_path, new_run), (long_path, long_run)) = (new, long);
    let (new_app, long_app) = app_writes(new, long, item);
    let (new_cli, long_cli) = cli_writes(new, long, item);
    let (new_open, long_open) = interleaved(|| open_close(new_path), || open_close(long_path));
    println!(
        "run::check, M31, synchronous=FULL, {} ({WRITES} writes each, new and long in turn):",
        dir.display()
    );
    report("app (one Store open)", &new_app, &long_app);
    report("CLI (a Store opened per write)", &new_cli, &long_cli);
    report("of which opening and closing the store", &new_open, &long_open);
    let b = runbook::bundled("m31").expect("bundled m31");
    let imports: Vec<Duration> = (0..WRITES)
        .map(|_| time(|| runbook::parse(b.file, b.source.as_bytes()).expect("M31 imports")).0)
        .collect();
    println!(
        "  and importing the runbook (a CLI write does it once; an app write finds it kept): median {}",
        ms(median(&imports))
    );
    println!(
        "stored checkpoint: {} bytes on the new run, {} bytes on the long run",
        checkpoint_bytes(new_path, new_run),
        checkpoint_bytes(long_path, long_run)
    );
    let old = old_way(long_path, long_run, item);
    println!(
        "the old way on the long run (whole log read and folded per write): median {}  ({OLD_WAY_WRITES} writes)",
        ms(median(&old))
    );
}

/// Whether `name` was given after `--` on the `cargo bench` line.
fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// `--keep DIR` after `--` on the `cargo bench` line.
fn keep_dir() -> Option<PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn p90(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)]
}

fn report(how: &str, new: &[Duration], long: &[Duration]) {
    let ratio = median(long).as_secs_f64() / median(new).as_secs_f64();
    println!(
        "  {how}: new run median {} (p90 {}), {LONG}-event run median {} (p90 {}); ratio {ratio:.2} (target <= 1.5)",
        ms(median(new)),
        ms(p90(new)),
        ms(median(long)),
        ms(p90(long)),
    );
}

/// The store at `path`, keyed with this process's in-memory keys.
fn open(path: &Path) -> Store {
    static KEYS: OnceLock<Arc<MemoryKeys>> = OnceLock::new();
    let keys: Arc<dyn StoreKeys> = KEYS.get_or_init(|| Arc::new(MemoryKeys::new())).clone();
    Store::open(path).expect("open").with_keys(keys)
}

fn create(path: &Path, b: &runbook::Bundled) -> String {
    started_bundled(&mut open(path), b.name)
}

fn write(store: &mut Store, run_id: &str, item: &str, checked: bool) {
    run::check(
        store,
        "bench",
        CheckReq {
            run: run_id.into(),
            item: item.into(),
            checked,
        },
    )
    .expect("check");
}

fn current(path: &Path, run_id: &str, item: &str) -> bool {
    let store = open(path);
    let state = run::load(&store, run_id).expect("load").state;
    state.item(item).map(|i| i.checked).expect("the item")
}

/// `a` and `b` timed `WRITES` times each, in turn, so a change in the machine's load (other
/// builds, the disk) falls on both alike.
fn interleaved(mut a: impl FnMut(), mut b: impl FnMut()) -> (Vec<Duration>, Vec<Duration>) {
    (0..WRITES).map(|_| (time(&mut a).0, time(&mut b).0)).unzip()
}

/// Writes through one `Store` per run, kept open: `(store file, run id)` each.
fn app_writes(new: (&Path, &str), long: (&Path, &str), item: &str) -> (Vec<Duration>, Vec<Duration>) {
    let mut new_store = open(new.0);
    let mut long_store = open(long.0);
    let (mut new_checked, mut long_checked) = (current(new.0, new.1, item), current(long.0, long.1, item));
    interleaved(
        || {
            new_checked = !new_checked;
            write(&mut new_store, new.1, item, new_checked);
        },
        || {
            long_checked = !long_checked;
            write(&mut long_store, long.1, item, long_checked);
        },
    )
}

/// Writes each through a `Store` opened for it, as each CLI command opens one.
fn cli_writes(new: (&Path, &str), long: (&Path, &str), item: &str) -> (Vec<Duration>, Vec<Duration>) {
    let (mut new_checked, mut long_checked) = (current(new.0, new.1, item), current(long.0, long.1, item));
    interleaved(
        || {
            new_checked = !new_checked;
            write(&mut open(new.0), new.1, item, new_checked);
        },
        || {
            long_checked = !long_checked;
            write(&mut open(long.0), long.1, item, long_checked);
        },
    )
}

/// What every CLI command pays before and after its write: the store opened (schema checked)
/// and closed (SQLite checkpoints its WAL when the last connection closes).
fn open_close(path: &Path) {
    drop(open(path));
}

/// What a write cost before checkpoints: the runbook imported, the whole log read and folded.
fn old_way(path: &Path, run_id: &str, item: &str) -> Vec<Duration> {
    let mut store = open(path);
    let record = store.resolve_run(run_id).expect("run");
    (0..OLD_WAY_WRITES)
        .map(|_| {
            time(|| {
                let book =
                    runbook::parse(&record.runbook_name, record.runbook_source.as_bytes()).expect("import");
                store
                    .append_checked(run_id, |events| {
                        let state = run::fold(&book, events);
                        let checked = state.item(item).map(|i| i.checked).expect("the item");
                        let item = item.to_string();
                        let event = if checked {
                            Event::ItemUnchecked { item }
                        } else {
                            Event::ItemChecked { item }
                        };
                        event.into_new("bench")
                    })
                    .expect("append");
            })
            .0
        })
        .collect()
}

fn checkpoint_bytes(path: &Path, run_id: &str) -> i64 {
    Connection::open(path)
        .and_then(|c| {
            c.query_row(
                "SELECT length(state) FROM state_checkpoints WHERE run_id = ?1",
                [run_id],
                |r| r.get(0),
            )
        })
        .expect("a checkpoint")
}

/// The events a D0–D7 watch leaves, `i` of them: a step's start, output, result and captured
/// field, a tick or untick, a typed field, and a note every 100 events.
fn watch_event(book: &Runbook, i: u64) -> Event {
    let n = i as usize;
    let step = book.steps[n / 8 % book.steps.len()].id.clone();
    let field = book.fields[n % book.fields.len()].id.clone();
    let item = book.items[1 + n % (book.items.len() - 1)].id.clone();
    if i.is_multiple_of(100) {
        return Event::NoteAdded {
            text: format!("watch note {i}: p99 within budget"),
            item: None,
        };
    }
    match i % 8 {
        0 | 4 => Event::StepStarted {
            step,
            kind: "http".into(),
            what: "GET https://status.example/health".into(),
            confirmed_on: None,
        },
        1 => Event::StepOutput {
            step,
            stream: "body".into(),
            output: flightdeck_engine::probe::Excerpt {
                text: format!("{{\"status\":\"ok\",\"tick\":{i}}}"),
                bytes: 30,
                ..Default::default()
            },
        },
        2 | 5 => Event::StepFinished {
            step,
            result: Box::new(probe_result(i)),
        },
        3 => Event::FieldCaptured {
            field,
            value: format!("{}", i % 997),
            step,
        },
        6 => {
            if i % 16 == 6 {
                Event::ItemChecked { item }
            } else {
                Event::ItemUnchecked { item }
            }
        }
        _ => Event::FieldSet {
            field,
            value: format!("{}", i % 991),
        },
    }
}

fn probe_result(i: u64) -> ProbeResult {
    ProbeResult {
        kind: "http".into(),
        outcome: flightdeck_engine::probe::Outcome::Passed,
        failure: None,
        message: None,
        exit_code: None,
        http_status: Some(200),
        duration_ms: 40 + i % 60,
        captures: vec![],
        assertions: vec![],
        stdout: None,
        stderr: None,
        body: None,
        what: "GET https://status.example/health".into(),
        provenance: Provenance {
            host: "bench".into(),
            user: "bench".into(),
            flightdeck_version: "0.1.0".into(),
            command_sha256: "c".repeat(64),
            output_sha256: "o".repeat(64),
        },
    }
}

/// Append events 2..=`total` to `run_id`, chained as `Store::append` chains them, in one
/// transaction with `synchronous=OFF` (only the generation; the timed writes use the store).
fn extend(path: &Path, run_id: &str, book: &Runbook, total: u64) {
    let mut conn = Connection::open(path).expect("open raw");
    conn.pragma_update(None, "synchronous", "OFF").expect("pragma");
    let tx = conn.transaction().expect("transaction");
    let mut prev: String = tx
        .query_row(
            "SELECT hash FROM events WHERE run_id = ?1 AND seq = 1",
            [run_id],
            |r| r.get(0),
        )
        .expect("run_created");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO events (run_id, seq, time, actor, kind, payload, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .expect("prepare");
        for seq in 2..=total {
            let new = watch_event(book, seq).into_new("watch").expect("encode");
            let secs = seq * 6;
            let time = format!(
                "2026-01-{:02}T{:02}:{:02}:{:02}.000Z",
                1 + secs / 86_400,
                secs / 3600 % 24,
                secs / 60 % 60,
                secs % 60
            );
            let hash = event_hash(HashInput {
                run_id,
                seq,
                time: &time,
                actor: &new.actor,
                kind: &new.kind,
                payload: &new.payload,
                prev_hash: &prev,
            });
            insert
                .execute(params![
                    run_id,
                    seq as i64,
                    time,
                    new.actor,
                    new.kind,
                    canonical_json(&new.payload),
                    prev,
                    hash
                ])
                .expect("insert");
            prev = hash;
        }
    }
    tx.execute(
        "UPDATE runs SET head_seq = ?2, head_hash = ?3 WHERE id = ?1",
        params![run_id, total as i64, prev],
    )
    .expect("head");
    tx.commit().expect("commit");
}
