//! The `flightdeck` CLI end to end on the M31 checklist (`tests/fixtures/m31-production-cutover.md`):
//! every command, its `--json` shape and its exit code. Each test uses its own store file.
//!
//! The binary comes from the `flightdeck-cli` package: `cargo test --workspace` builds it (its own
//! integration test makes cargo do so); with `-p flightdeck-tests` alone, `cargo build -p
//! flightdeck-cli` first.
//!
//! One module per group of commands; this one holds what they share (the store, a new run, the
//! fixture, finding an entry in a JSON list).

mod agree;
mod archive;
mod backup;
mod corrections;
mod decisions;
mod envs;
mod ids;
mod json;
mod output;
mod plan;
mod readable;
mod roles;
mod runbook;
mod runs;
mod sandbox;
mod signals;
mod signoffs;
mod silent;
mod store;
mod usage;
mod who;
mod writes;

use flightdeck_testsupport::cli::Cli;
use serde_json::{json, Value};

const M31: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/m31-production-cutover.md");

/// A store in directories that do not exist yet: every command must make them.
fn env() -> Cli {
    Cli::with_store("nested/dir/flightdeck.sqlite")
}

/// A run of the M31 fixture, release v1.0.0, by ana.
fn new_run(env: &Cli) -> String {
    env.new_run(M31, "sandbox")
}

fn find<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|v| v[key] == json!(id)))
        .unwrap_or_else(|| panic!("no {key} = {id} in {list}"))
}

fn inspect(file: &str) -> Value {
    env().json(["runbook", "inspect", file])
}
