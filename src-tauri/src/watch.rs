//! Noticing writes made by other processes (the CLI, a second window): a thread polls the
//! store's run heads every `INTERVAL` on its own connection and sends them whenever they move.
//! On a shared Postgres store it does not poll: it follows the store's LISTEN/NOTIFY
//! (`Store::follow`) and reads the heads again on each change, and on each resync after a
//! reconnect (a notification sent while disconnected is never delivered).
//!
//! Owns only the polling; the UI decides what to reload. One watcher runs at a time: a newer
//! `watch_store` (a reloaded page) bumps the generation and the older thread ends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flightdeck_engine::store::{RunHead, Store};

use crate::error::IpcError;

/// Well under the one second a CLI change may take to show in the app; one indexed read.
pub const INTERVAL: Duration = Duration::from_millis(300);

/// Poll `path` until `send` fails or a newer watcher takes over. The first heads are sent at
/// once, so the UI starts from a known point.
pub fn spawn(
    path: PathBuf,
    generation: Arc<AtomicU64>,
    mut send: impl FnMut(&[RunHead]) -> bool + Send + 'static,
) -> Result<(), IpcError> {
    let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
    let store = Store::open(&path)?;
    let follower = store.follow()?;
    std::thread::Builder::new()
        .name("flightdeck-watch".into())
        .spawn(move || {
            let mut last: Option<Vec<RunHead>> = None;
            let mut stale = true;
            while generation.load(Ordering::SeqCst) == mine {
                // A failed read (the file busy past the timeout, the server away) is retried.
                if stale {
                    if let Ok(heads) = store.heads() {
                        stale = false;
                        if last.as_ref() != Some(&heads) {
                            if !send(&heads) {
                                break;
                            }
                            last = Some(heads);
                        }
                    }
                }
                match &follower {
                    // Postgres: read again when something changed (or after a resync).
                    Some(f) => {
                        if f.recv_timeout(INTERVAL).is_some() {
                            while f.try_recv().is_some() {}
                            stale = true;
                        }
                    }
                    None => {
                        std::thread::sleep(INTERVAL);
                        stale = true;
                    }
                }
            }
        })
        .map_err(|e| {
            IpcError::new(
                crate::error::ErrorCode::Internal,
                format!("cannot start the store watcher: {e}"),
            )
        })?;
    Ok(())
}
