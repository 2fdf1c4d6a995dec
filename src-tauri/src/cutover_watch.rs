//! The D0–D7 watch inside the app: the engine's `watch::watch` run on a thread of its own while
//! the app is open, one per run, started and stopped from the window's Watch tab.
//!
//! Owns only the registry of running watches (so a second Start is refused and Stop finds the
//! watch), the clock a watch reads (the wall clock; `--watch-speed N` makes it run N times
//! faster from the moment a watch starts, for tests and demos), and the last failure of a watch
//! that ended on an error. The plan, the scheduler, what is recorded and the alerts are the
//! engine's; the window learns of each slot through the store watcher, as it does of the CLI's
//! writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flightdeck_engine::store::Store;
use flightdeck_engine::watch::{self, alert, ProbeRunner, WatchClock, WatchReq};
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::error::{ErrorCode, IpcError};

/// The wall clock, `speed` times faster from the moment it was made (1: the wall clock).
#[derive(Debug, Clone)]
pub struct WatchTime {
    start_wall: OffsetDateTime,
    start: Instant,
    speed: u32,
}

impl WatchTime {
    pub fn new(speed: u32) -> WatchTime {
        WatchTime {
            start_wall: OffsetDateTime::now_utc(),
            start: Instant::now(),
            speed: speed.max(1),
        }
    }
}

impl WatchClock for WatchTime {
    fn now(&self) -> OffsetDateTime {
        if self.speed == 1 {
            return OffsetDateTime::now_utc();
        }
        let scaled = self.start.elapsed().saturating_mul(self.speed);
        self.start_wall + scaled
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(d / self.speed))
    }
}

/// The watches running in this app, by run id, and how the last one of each run ended.
#[derive(Debug, Default)]
pub struct Watches {
    running: Mutex<HashMap<String, CancellationToken>>,
    failed: Mutex<HashMap<String, String>>,
}

impl Watches {
    pub fn is_running(&self, run_id: &str) -> bool {
        lock(&self.running).contains_key(run_id)
    }

    /// Why the last watch of `run_id` stopped on its own, if it failed.
    pub fn failure(&self, run_id: &str) -> Option<String> {
        lock(&self.failed).get(run_id).cloned()
    }

    /// Stop the watch of `run_id` (it records nothing more); `false` if none runs.
    pub fn stop(&self, run_id: &str) -> bool {
        match lock(&self.running).get(run_id) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    fn begin(&self, run_id: &str) -> Result<CancellationToken, IpcError> {
        let mut running = lock(&self.running);
        if running.contains_key(run_id) {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "the watch of this run is already running in this window",
            ));
        }
        let token = CancellationToken::new();
        running.insert(run_id.to_string(), token.clone());
        lock(&self.failed).remove(run_id);
        Ok(token)
    }

    fn end(&self, run_id: &str, failure: Option<String>) {
        lock(&self.running).remove(run_id);
        if let Some(f) = failure {
            lock(&self.failed).insert(run_id.to_string(), f);
        }
    }
}

/// What a watch needs that the command gathered: the run, who records, its checks' runner, the
/// alert routes and the notifier with the environment's secrets.
pub struct WatchJob {
    pub run_id: String,
    pub by: String,
    pub runner: ProbeRunner,
    pub alerts: alert::AlertConfig,
    pub notifier: alert::HttpNotifier,
    pub speed: u32,
}

/// Run `job` on a thread of its own until its last slot or Stop; a second watch of the same
/// run is refused with `conflict`.
pub fn spawn(watches: Arc<Watches>, store: Arc<Mutex<Store>>, job: WatchJob) -> Result<(), IpcError> {
    // Another process (`flightdeck watch`, another app) watching the run: say so now, not on
    // the watch's thread (which takes the lease for itself and would be refused the same way).
    {
        let s = lock(&store);
        drop(watch::acquire_lease(&s.local_path(), &job.run_id).map_err(IpcError::from)?);
    }
    let token = watches.begin(&job.run_id)?;
    let run_id = job.run_id.clone();
    let (thread_watches, thread_run) = (Arc::clone(&watches), run_id.clone());
    let spawned = std::thread::Builder::new()
        .name("flightdeck-d0d7-watch".into())
        .spawn(move || {
            let failure = run(&store, job, token).err().map(|e| e.message);
            thread_watches.end(&thread_run, failure);
        });
    if let Err(e) = spawned {
        watches.end(&run_id, None);
        return Err(IpcError::new(
            ErrorCode::Internal,
            format!("cannot start the watch's thread: {e}"),
        ));
    }
    Ok(())
}

fn run(store: &Mutex<Store>, job: WatchJob, cancel: CancellationToken) -> Result<(), IpcError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("cannot start the watch's runtime: {e}"),
            )
        })?;
    let clock = WatchTime::new(job.speed);
    let req = WatchReq {
        run: job.run_id.clone(),
        by: job.by.clone(),
        alerts: Some((job.alerts.clone(), &job.notifier as &dyn alert::Notifier)),
    };
    let live = |_: watch::WatchUpdate| {};
    rt.block_on(watch::watch(store, req, &job.runner, &clock, &live, cancel))
        .map_err(IpcError::from)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
