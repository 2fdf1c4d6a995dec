//! One watch per run at a time. The CLI on a server and the app on a laptop watching the same
//! run would run every check twice and page the on-call engineer twice, so a watch holds a lease
//! on its run for as long as it runs: an OS file lock on a file beside the store, named after the
//! run. The OS drops the lock when the process ends however it ends (a crash, a kill, a laptop
//! shut), so there is nothing stale to clean up and a restarted watch takes the run over.
//! The file is beside this machine's own store file; with a shared Postgres store that makes it
//! one watch per run per machine (a Postgres advisory lock would be the cross-machine lease).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::run::Error;

/// Held while a watch runs; the lock goes with it.
#[derive(Debug)]
pub struct Lease {
    _file: File,
    path: PathBuf,
}

impl Lease {
    /// The lock file (beside the store), for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file of `run_id`'s watch for the store at `store`.
pub fn lease_path(store: &Path, run_id: &str) -> PathBuf {
    let mut name = store.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".watch-{run_id}.lock"));
    store.with_file_name(name)
}

/// Take the run's watch lease, or say that another watch holds it.
pub fn acquire(store: &Path, run_id: &str) -> Result<Lease, Error> {
    let path = lease_path(store, run_id);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            Error::Invalid(format!(
                "cannot open the watch's lock file {}: {e}",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Lease { _file: file, path }),
        Err(TryLockError::WouldBlock) => Err(Error::Conflict(format!(
            "run {run_id} is already being watched (by the app or `flightdeck watch`, on this machine or \
             another sharing the store): stop that watch first; it holds {}",
            path.display()
        ))),
        Err(TryLockError::Error(e)) => Err(Error::Invalid(format!(
            "cannot lock the watch's lock file {}: {e}",
            path.display()
        ))),
    }
}
