//! Engine figures, printed (no timed assertions): runbook import (the bundled M31 checklist and
//! a generated 10,000-item runbook), event append p50/p99 with `synchronous=FULL` on a file under
//! /var/tmp, and the fold of 100,000 events.
//!
//! Run: `cargo bench -p flightdeck-engine --bench engine`
//! Targets: M31 < 5 ms, 10k items < 300 ms, append p99 ≤ 10 ms.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use flightdeck_engine::run::fold;
use flightdeck_engine::runbook::{self, Runbook};
use flightdeck_engine::store::{Store, StoredEvent};
use flightdeck_testsupport::store::started_run;
use serde_json::json;

fn main() {
    let m31 = runbook::bundled("m31").expect("bundled m31").source.as_bytes();
    let m31_book = import_m31(m31);
    import_generated();
    append();
    fold_events(&m31_book);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn import_m31(source: &[u8]) -> Runbook {
    const RUNS: usize = 200;
    let mut times = Vec::with_capacity(RUNS);
    let mut book = None;
    for _ in 0..RUNS {
        let (t, b) = time(|| runbook::parse("m31-production-cutover.md", black_box(source)));
        times.push(t);
        book = Some(b.expect("M31 imports"));
    }
    times.sort();
    let book = book.expect("at least one run");
    println!(
        "import M31 ({} bytes, {} items): median {}  p90 {}  (target < 5 ms, {RUNS} runs)",
        source.len(),
        book.items.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9))
    );
    book
}

/// 10 phases × 10 sections × 100 items; with `rich`, every item has a field line and every
/// tenth a step.
fn generated_runbook(rich: bool) -> String {
    let mut md =
        String::from("# Generated Runbook\n\n**Release Version**: v9.9.9\n**Release Manager**: ____\n\n");
    let mut n = 0;
    for p in 0..10 {
        let _ = writeln!(
            md,
            "## Phase {p}\n\n**Timeframe**: T-{} to T-{} Hours\n",
            10 - p,
            9 - p
        );
        for s in 0..10 {
            let _ = writeln!(md, "### {}. Section {p}-{s}\n", p * 10 + s + 1);
            for i in 0..100 {
                n += 1;
                let _ = writeln!(md, "- [ ] **Task {n}** for phase {p} section {s} item {i}");
                if rich {
                    let _ = writeln!(md, "  **Result**: ____ **Duration**: ____ seconds");
                }
                if rich && i % 10 == 0 {
                    let _ = writeln!(md, "  ```bash\n  ./check.sh {n}\n  # Expected: ok\n  ```");
                }
            }
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "**Phase {p} Sign-Off**: ________________ **Time**: ________\n"
        );
    }
    md
}

fn import_generated() {
    import_generated_kind(false, "items only");
    import_generated_kind(true, "items + 10k field lines + 1k steps");
}

fn import_generated_kind(rich: bool, what: &str) {
    const RUNS: usize = 7;
    let md = generated_runbook(rich);
    let mut times = Vec::with_capacity(RUNS);
    let mut items = 0;
    for _ in 0..RUNS {
        let (t, b) = time(|| runbook::parse("generated.md", black_box(md.as_bytes())));
        times.push(t);
        items = b.expect("generated runbook imports").items.len();
    }
    times.sort();
    println!(
        "import generated, {what} ({} bytes, {items} items): median {}  max {}  (target < 300 ms, {RUNS} runs)",
        md.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 1.0))
    );
}

fn append() {
    const APPENDS: usize = 2000;
    let dir = std::env::temp_dir().join(format!("flightdeck-bench-{}", std::process::id()));
    let dir = if std::path::Path::new("/var/tmp").is_dir() {
        std::path::PathBuf::from(format!("/var/tmp/flightdeck-bench-{}", std::process::id()))
    } else {
        dir
    };
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join("bench.sqlite");
    {
        let run = started_run(&path, 0);
        let mut store = Store::open(&path).expect("open store");
        let mut times = Vec::with_capacity(APPENDS);
        for i in 0..APPENDS {
            let payload = json!({"field": "1.result", "value": format!("value {i}")});
            let (t, r) = time(|| store.append(&run, "bench", "field_set", payload));
            r.expect("append");
            times.push(t);
        }
        times.sort();
        println!(
            "append (synchronous=FULL, WAL, {}): p50 {}  p99 {}  max {}  (target p99 <= 10 ms, {APPENDS} appends)",
            path.display(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(percentile(&times, 1.0))
        );
        let (t, v) = time(|| store.verify(&run).expect("verify"));
        assert!(v.ok, "the bench run verifies");
        println!("verify of {} events: {}", v.events, ms(t));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn fold_events(book: &Runbook) {
    const EVENTS: usize = 100_000;
    let item_ids: Vec<&str> = book.items.iter().map(|i| i.id.as_str()).collect();
    let field_ids: Vec<&str> = book.fields.iter().map(|f| f.id.as_str()).collect();
    let mut events = Vec::with_capacity(EVENTS);
    events.push(stored(
        1,
        "run_created",
        json!({"runbook_name": book.name, "runbook_sha256": book.sha256, "env": "b", "release": "v"}),
    ));
    for i in 2..=EVENTS as u64 {
        let n = i as usize;
        let (kind, payload) = match n % 4 {
            0 => ("item_checked", json!({"item": item_ids[n % item_ids.len()]})),
            1 => ("item_unchecked", json!({"item": item_ids[n % item_ids.len()]})),
            2 => (
                "field_set",
                json!({"field": field_ids[n % field_ids.len()], "value": format!("{n}")}),
            ),
            _ => ("note_added", json!({"text": format!("note {n}")})),
        };
        events.push(stored(i, kind, payload));
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let (t, state) = time(|| fold(book, black_box(&events)));
        assert_eq!(state.event_count, EVENTS as u64);
        times.push(t);
    }
    times.sort();
    println!(
        "fold of {EVENTS} events over M31: median {}  max {}  (5 runs)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 1.0))
    );
}

fn stored(seq: u64, kind: &str, payload: serde_json::Value) -> StoredEvent {
    StoredEvent {
        run_id: "bench".into(),
        seq,
        time: "2025-06-01T12:00:00.000Z".into(),
        actor: "bench".into(),
        kind: kind.into(),
        payload,
        prev_hash: String::new(),
        hash: format!("{seq:064x}"),
    }
}
