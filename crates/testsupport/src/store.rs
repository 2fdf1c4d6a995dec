//! A run started straight in a store, for tests of the store and its log rather than of the
//! runbook: crashes mid-write, tampering, appends measured in a bench.
//!
//! [`started_run`]'s runbook is one item; its events are `run_created` and then as many
//! `note_added` as asked. [`started_bundled`] starts a bundled runbook (the M31 cutover) through
//! the engine's own operation, for fixtures and benches that go on to fill it in. (Through the
//! CLI it is [`crate::cli::Cli::new_run`].)

use std::path::Path;

use flightdeck_engine::run;
use flightdeck_engine::store::{NewRun, Store};
use serde_json::json;

/// The run [`started_run`] creates: `one-item.md`, env `sandbox`, release `v1`, by `ana`.
pub fn one_item_run() -> NewRun {
    NewRun {
        runbook_name: "one-item.md".into(),
        runbook_source: "# One item\n- [ ] hold\n".into(),
        env: "sandbox".into(),
        release: "v1".into(),
        actor: "ana".into(),
    }
}

/// Opens (creating) the store at `path` and starts [`one_item_run`] in it, followed by `notes`
/// notes by `ana` (`note 2`, `note 3`, … after their seq): `notes + 1` events in all. The run's
/// id; the store is closed again, so another process or connection may open it.
pub fn started_run(path: &Path, notes: u64) -> String {
    let mut store = Store::open(path).unwrap_or_else(|e| panic!("open the store {}: {e}", path.display()));
    let run = store.create_run(one_item_run()).expect("create the run");
    for seq in 2..=notes + 1 {
        store
            .append(
                &run.id,
                "ana",
                "note_added",
                json!({"text": format!("note {seq}")}),
            )
            .expect("append a note");
    }
    run.id
}

/// Who [`started_bundled`] makes known to its run besides its creator `ana` (every write to a
/// run must be by a person known to it: `run::people`), as `run people add` would.
pub const CREW: &[&str] = &["rm", "bench", "watch", "watcher"];

/// Starts a run of the bundled runbook `name` (`m31`) in `store` through `run::create`, as
/// `flightdeck run new bundled:NAME` does: env `sandbox`, release `v1.0.0`, by `ana`, with
/// [`CREW`] added as people (`person_added`, by `ana`). Its id.
pub fn started_bundled(store: &mut Store, name: &str) -> String {
    let id = run::create(
        store,
        "ana",
        run::CreateReq {
            source: format!("bundled:{name}"),
            env: "sandbox".into(),
            release: "v1.0.0".into(),
        },
    )
    .unwrap_or_else(|e| panic!("start a run of bundled:{name}: {e}"))
    .id;
    for who in CREW {
        let req = run::AddPersonReq {
            run: id.clone(),
            name: (*who).to_string(),
            role: "engineer".into(),
        };
        run::add_person(store, "ana", req).unwrap_or_else(|e| panic!("add {who} to the run: {e}"));
    }
    id
}
