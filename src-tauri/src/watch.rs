//! Noticing writes made by other processes (the CLI, a second window): a thread polls the
//! store's run heads every `INTERVAL` on its own connection and sends them whenever they move.
//! On a shared Postgres store it does not poll: it follows the store's LISTEN/NOTIFY
//! (`Store::follow`) and reads the heads again on each change, and on each resync after a
//! reconnect (a notification sent while disconnected is never delivered).
//!
//! Owns only the polling; the UI decides what to reload. The app runs one watcher for its
//! whole life, whatever pages ask (`Host::heads_feed`).

use std::path::PathBuf;
use std::time::Duration;

use flightdeck_engine::store::{RunHead, Store};

use crate::error::IpcError;

/// Well under the one second a CLI change may take to show in the app; one indexed read.
pub const INTERVAL: Duration = Duration::from_millis(300);

/// Poll `path`, giving `send` the heads whenever they move. The first heads are sent at once,
/// so the UI starts from a known point.
pub fn spawn(path: PathBuf, mut send: impl FnMut(&[RunHead]) + Send + 'static) -> Result<(), IpcError> {
    let store = Store::open(&path)?;
    let follower = store.follow()?;
    std::thread::Builder::new()
        .name("flightdeck-watch".into())
        .spawn(move || {
            let mut last: Option<Vec<RunHead>> = None;
            let mut stale = true;
            loop {
                // A failed read (the file busy past the timeout, the server away) is retried.
                if stale {
                    if let Ok(heads) = store.heads() {
                        stale = false;
                        if last.as_ref() != Some(&heads) {
                            send(&heads);
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
