//! Crash-test writer: appends events to one run through the engine, forever (or until a cap),
//! printing `ack <seq> <hash>` (flushed) after each append has returned. `tests/tests/it/crash.rs`
//! SIGKILLs it at random moments and checks that every acknowledged event survived.
//!
//! Usage: crash_writer STORE RUN_ID

use std::io::Write;
use std::process::ExitCode;

use flightdeck_engine::store::Store;

/// Stop by itself eventually, even if nobody kills it.
const MAX_APPENDS: u64 = 100_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, run_id] = args.as_slice() else {
        eprintln!("usage: crash_writer STORE RUN_ID");
        return ExitCode::from(2);
    };
    let mut store = match Store::open(store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(7);
        }
    };
    let mut out = std::io::stdout().lock();
    for i in 0..MAX_APPENDS {
        let payload =
            serde_json::json!({"text": format!("crash test append {i} by pid {}", std::process::id())});
        match store.append(run_id, "crash-writer", "note_added", payload) {
            Ok(event) => {
                // Only now is the event acknowledged: the append's transaction has committed.
                if writeln!(out, "ack {} {}", event.seq, event.hash)
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return ExitCode::from(1);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(7);
            }
        }
    }
    ExitCode::SUCCESS
}
