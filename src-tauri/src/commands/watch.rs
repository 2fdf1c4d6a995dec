//! Live updates: the store's run heads, answered to the page's long poll whenever any run's log
//! moves, whoever wrote it.
//!
//! A long poll, not a `Channel`: a channel's messages reach the page through `eval`, which starts
//! JavaScriptCore in the app's own process (~1 MiB of PSS for a window that never runs a script
//! there, issue 16); the answer to a call does not.

use std::time::Duration;

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::host::Host;

/// How long `store_heads` waits for a change before it answers the heads it has (the page asks
/// again at once): well inside any IPC deadline, and a bound on a call left by a closed page.
pub const WAIT: Duration = Duration::from_secs(20);

/// Every run's head, as of `version` (counts the changes the watcher saw; 0: none read yet).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StoreHeads {
    pub version: u64,
    pub heads: Vec<flightdeck_engine::store::RunHead>,
}

/// The store's run heads once they differ from version `seen` (0 at first): at once if they
/// already do, else when the watcher next sees a log move, or after `WAIT` with the same
/// version. The first call starts the watcher.
#[tauri::command]
pub async fn store_heads(host: State<'_, Host>, seen: u64) -> Result<StoreHeads, IpcError> {
    let mut rx = host.heads_feed()?;
    let newer = |v: &StoreHeads| v.version != seen && v.version != 0;
    if !newer(&rx.borrow_and_update()) {
        // A timeout answers what there is; a closed feed cannot happen while the host lives.
        let _ = tokio::time::timeout(WAIT, rx.wait_for(newer)).await;
    }
    let now = rx.borrow().clone();
    Ok(now)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use flightdeck_engine::run::{check, CheckReq};
    use flightdeck_engine::store::Store;
    use serde_json::json;

    use crate::tests::{call, named_app_with_run};

    /// Answered at once with the heads, then held until another writer (here, a second
    /// connection to the store, as the CLI would be) moves a run's log.
    #[test]
    fn store_heads_answers_at_once_then_when_another_writer_moves_a_log() {
        let (app, id) = named_app_with_run("bundled:m31", "sandbox");
        let id = id.as_str().expect("an id").to_string();
        let first = call(&app, "store_heads", json!({"seen": 0})).expect("heads");
        let version = first["version"].as_u64().expect("a version");
        assert!(version >= 1, "{first}");
        let head = |v: &serde_json::Value| {
            v["heads"]
                .as_array()
                .and_then(|h| h.iter().find(|h| h["run_id"] == id.as_str()))
                .map(|h| h["seq"].clone())
        };
        let seq = head(&first).expect("the run's head");

        let path = app._dir.path().join("store.sqlite");
        let run = id.clone();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            let mut other = Store::open(&path).expect("a second connection");
            let item = "1.m16-1-privacy-account-management".to_string();
            check(
                &mut other,
                "Riley",
                CheckReq {
                    run,
                    item,
                    checked: true,
                },
            )
            .expect("checked");
        });
        let t = Instant::now();
        let next = call(&app, "store_heads", json!({"seen": version})).expect("heads");
        let took = t.elapsed();
        writer.join().expect("the writer");
        assert!(
            took >= Duration::from_millis(700),
            "held while nothing moved ({took:?})"
        );
        assert!(
            took < super::WAIT,
            "answered on the change, not at the deadline ({took:?})"
        );
        assert!(next["version"].as_u64() > Some(version), "{next}");
        assert_ne!(head(&next), Some(seq), "the run's head moved: {next}");
    }
}
