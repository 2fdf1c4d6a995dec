//! Crash test: no acknowledged event is ever lost.
//!
//! A writer process (`src/bin/crash_writer.rs`) appends events through the engine and prints
//! `ack <seq> <hash>` after each append returns. It is SIGKILLed at 60 random moments (a fresh
//! process each time, 0–40 ms after start, all on the same store file). Afterwards every
//! acknowledged event must be in the store with the acknowledged hash, and the chain must verify.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flightdeck_engine::store::Store;
use flightdeck_testsupport::store::started_run;

const KILLS: usize = 60;
const MAX_DELAY_MS: u64 = 40;
/// Kills that land after the writer acknowledged something, for the test to prove anything.
const MIN_KILLS_AFTER_AN_ACK: usize = 10;
const MAX_ROUNDS: usize = 300;

/// xorshift64*: enough randomness for kill times, no dependency, and a seed we can print.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// `CRASH_SEED` when given, else the clock; made odd, so the generator never starts at zero.
fn seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
        | 1
}

/// Starts a writer on `run_id` in the store at `path`, SIGKILLs it after `delay` and reaps it;
/// what it printed, up to its last whole line: a line cut by the kill was never an
/// acknowledgement.
fn killed_writer(path: &Path, run_id: &str, delay: Duration) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
        .arg(path)
        .arg(run_id)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start writer");
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL the writer");
    child.wait().expect("reap the writer");
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut out)
        .expect("read acks");
    out.rfind('\n').map_or("", |end| &out[..end]).to_string()
}

/// Adds round `round`'s `ack <seq> <hash>` lines to `acked`; how many there were.
fn record_acks(round: usize, complete: &str, acked: &mut BTreeMap<u64, String>) -> usize {
    let mut acks = 0;
    for line in complete.lines() {
        let mut parts = line.split(' ');
        let (Some("ack"), Some(seq), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("round {round}: unexpected writer output {line:?}");
        };
        let seq: u64 = seq.parse().expect("numeric seq");
        // Had an acknowledged event been lost, a later writer would reuse its seq.
        if let Some(previous) = acked.insert(seq, hash.to_string()) {
            assert_eq!(
                previous, hash,
                "round {round}: acknowledged event {seq} was replaced"
            );
        }
        acks += 1;
    }
    acks
}

/// Every event in `acked` is in the store at `path` with the acknowledged hash, and the chain
/// verifies.
fn assert_every_ack_is_stored(path: &Path, run_id: &str, acked: &BTreeMap<u64, String>) {
    let store = Store::open(path).expect("reopen after the crashes");
    let events = store.events(run_id).expect("read events");
    for (seq, hash) in acked {
        let stored = events.iter().find(|e| e.seq == *seq);
        assert_eq!(
            stored.map(|e| e.hash.as_str()),
            Some(hash.as_str()),
            "acknowledged event {seq} is in the store"
        );
    }
    let v = store.verify(run_id).expect("verify");
    assert!(v.ok, "the chain verifies after {KILLS} kills: {:?}", v.first_bad);
    eprintln!(
        "{} acknowledged events over {KILLS} kills, {} events stored",
        acked.len(),
        events.len()
    );
}

#[test]
fn sigkilled_writers_never_lose_an_acknowledged_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crash.sqlite");
    let run_id = started_run(&path, 0);
    let seed = seed();
    eprintln!("crash test seed {seed} (rerun with CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut kills_after_an_ack = 0;
    let mut round = 0;
    // At least KILLS rounds; more if a loaded machine let too few writers get going in time.
    while round < KILLS || (kills_after_an_ack < MIN_KILLS_AFTER_AN_ACK && round < MAX_ROUNDS) {
        round += 1;
        let delay = Duration::from_millis(rng.next() % (MAX_DELAY_MS + 1));
        let complete = killed_writer(&path, &run_id, delay);
        if record_acks(round, &complete, &mut acked) > 0 {
            kills_after_an_ack += 1;
        }
    }

    assert!(
        kills_after_an_ack >= 10,
        "too few kills landed mid-stream ({kills_after_an_ack}); the test proves little"
    );
    assert_every_ack_is_stored(&path, &run_id, &acked);
}
