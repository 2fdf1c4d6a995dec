//! What every command works with: the open store, the settings, and how the app was started.
//!
//! Owns the one write connection (behind a mutex; rusqlite work always runs on the blocking
//! pool through `Host::blocking`), the user's name, and the store watcher's feed of run heads. It
//! decides nothing about runs: that is the engine's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use flightdeck_engine::environments::Environments;
use flightdeck_engine::run::{self, Applied};
use flightdeck_engine::secrets::{Keyring, KeyringError, OsStoreKeys};
use flightdeck_engine::store::Store;
use tokio_util::sync::CancellationToken;

use crate::commands::watch::StoreHeads;
use crate::cutover_watch::Watches;
use crate::error::{ErrorCode, IpcError};
use crate::launch::Launch;
use crate::settings::{Settings, SettingsFile};
use crate::view::{self, RunLive};

pub struct Host {
    store: Arc<Mutex<Store>>,
    launch: Launch,
    settings_file: SettingsFile,
    settings: Mutex<Settings>,
    started: Instant,
    painted: AtomicBool,
    /// The store watcher's latest run heads (`store_heads`), once it is started.
    heads: Mutex<Option<tokio::sync::watch::Sender<StoreHeads>>>,
    keyring: KeyringCell,
    /// Steps running now, by `run/step`, so Cancel can stop them.
    running: Mutex<HashMap<String, CancellationToken>>,
    /// The D0–D7 watches running in this app, by run.
    watches: Arc<Watches>,
}

impl Host {
    /// Open (creating if needed) the store the app was started with, and read the settings.
    pub fn open(launch: Launch, started: Instant) -> Result<Host, IpcError> {
        // A shared Postgres store (`postgres://…`) is no file: no folder to make for it.
        let file = !flightdeck_engine::store::pg::is_postgres(&launch.store);
        if let Some(dir) = launch
            .store
            .parent()
            .filter(|d| file && !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                IpcError::new(
                    ErrorCode::Store,
                    format!("cannot create the store directory {}: {e}", dir.display()),
                )
            })?;
        }
        // Each write seals its run's head with the store's key in the OS keyring (asked on the
        // first write, then kept); a store that cannot be written opens read-only.
        let store = Store::open(&launch.store)?.with_keys(Arc::new(OsStoreKeys::new()));
        let settings_file = SettingsFile::new(&launch.config_dir);
        let settings = settings_file.load()?;
        Ok(Host {
            store: Arc::new(Mutex::new(store)),
            launch,
            settings_file,
            settings: Mutex::new(settings),
            started,
            painted: AtomicBool::new(false),
            heads: Mutex::new(None),
            keyring: KeyringCell::default(),
            running: Mutex::new(HashMap::new()),
            watches: Arc::new(Watches::default()),
        })
    }

    /// A receiver of the store's run heads, starting the watcher (one for the app, whatever
    /// pages ask) the first time.
    pub fn heads_feed(&self) -> Result<tokio::sync::watch::Receiver<StoreHeads>, IpcError> {
        let mut started = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = started.as_ref() {
            return Ok(tx.subscribe());
        }
        let (tx, rx) = tokio::sync::watch::channel(StoreHeads {
            version: 0,
            heads: Vec::new(),
        });
        let feed = tx.clone();
        crate::watch::spawn(self.store_path(), move |heads| {
            feed.send_modify(|now| {
                now.version += 1;
                now.heads = heads.to_vec();
            });
        })?;
        *started = Some(tx);
        Ok(rx)
    }

    /// The shared store, for engine work that locks it only around each write (running steps).
    pub fn store(&self) -> Arc<Mutex<Store>> {
        Arc::clone(&self.store)
    }

    /// The D0–D7 watches running in this app.
    pub fn watches(&self) -> Arc<Watches> {
        Arc::clone(&self.watches)
    }

    pub fn launch(&self) -> &Launch {
        &self.launch
    }

    pub fn store_path(&self) -> PathBuf {
        self.launch.store.clone()
    }

    /// The config folder (settings, the trusted archive signers).
    pub fn config_dir(&self) -> PathBuf {
        self.launch.config_dir.clone()
    }

    pub fn window_title(&self) -> String {
        match flightdeck_engine::store::default_path() {
            Some(p) if p == self.launch.store => "Flightdeck".into(),
            _ => format!("Flightdeck — {}", self.launch.store.display()),
        }
    }

    /// Run `f` with the store on this thread (before the window exists: nothing else holds it).
    pub fn read_now<T>(&self, f: impl FnOnce(&Store) -> Result<T, IpcError>) -> Result<T, IpcError> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&store)
    }

    /// Run `f` with the store on tokio's blocking pool: rusqlite never runs on the async
    /// workers, and a slow write never blocks the window.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, IpcError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, IpcError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tauri::async_runtime::spawn_blocking(move || {
            // A panic in an earlier command cannot leave SQLite half-written (each write is
            // one transaction), so a poisoned lock still guards a consistent store.
            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut store)
        })
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("store task failed: {e}")))?
    }

    /// One engine write on the blocking pool, recorded under the user's name; answers the run's
    /// state after it. Every checklist command is this with its operation.
    pub async fn write<Req, Op>(&self, req: Req, op: Op) -> Result<RunLive, IpcError>
    where
        Req: Send + 'static,
        Op: FnOnce(&mut Store, &str, Req) -> Result<Applied, run::Error> + Send + 'static,
    {
        let by = self.user_name()?;
        self.blocking(move |store| {
            let applied = op(store, &by, req)?;
            view::run_live(store, &applied.run_id)
        })
        .await
    }

    /// The environments of the store: their own connection, opened under the store lock and
    /// then used without it (keyring calls can take seconds).
    pub async fn environments(&self) -> Result<Environments, IpcError> {
        self.blocking(|s| Ok(Environments::open(s)?)).await
    }

    /// The OS keyring, opened on first use; clone it into blocking work.
    pub fn keyring(&self) -> KeyringCell {
        self.keyring.clone()
    }

    /// Register a running step; `None` if that step is already running. The step stays
    /// registered (cancellable) until the guard drops, however the command ends.
    pub fn start_step(&self, key: &str) -> Option<RunningStep<'_>> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.contains_key(key) {
            return None;
        }
        let token = CancellationToken::new();
        running.insert(key.to_string(), token.clone());
        Some(RunningStep {
            host: self,
            key: key.to_string(),
            token,
        })
    }

    /// Cancel a running step; `false` if it is not running.
    pub fn cancel_step(&self, key: &str) -> bool {
        match self.running.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The name events are recorded under, or `no_user` until one is set.
    pub fn user_name(&self) -> Result<String, IpcError> {
        self.settings()
            .user_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::NoUser,
                    "set your name first: every event records who did it",
                )
            })
    }

    pub fn set_user_name(&self, name: &str) -> Result<Settings, IpcError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(IpcError::new(ErrorCode::Invalid, "the name must not be empty"));
        }
        let mut settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        let next = Settings {
            user_name: Some(name.to_string()),
        };
        self.settings_file.save(&next)?;
        *settings = next.clone();
        Ok(next)
    }

    /// Milliseconds from process start to the UI's first paint, the first time it is reported.
    pub fn first_paint(&self) -> Option<u128> {
        (!self.painted.swap(true, Ordering::SeqCst)).then(|| self.started.elapsed().as_millis())
    }
}

/// The OS keyring, once a canary proved it persists; opened on the first secret use. A failure
/// is not remembered, so unlocking the keyring and trying again works.
#[derive(Debug, Clone, Default)]
pub struct KeyringCell(Arc<Mutex<Option<Keyring>>>);

impl KeyringCell {
    /// Blocking (a D-Bus round trip the first time): call it from the blocking pool.
    pub fn get(&self) -> Result<Keyring, KeyringError> {
        let mut cached = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = cached.as_ref() {
            return Ok(k.clone());
        }
        let k = Keyring::open()?;
        *cached = Some(k.clone());
        Ok(k)
    }
}

/// A step registered as running; dropping it unregisters the step.
pub struct RunningStep<'a> {
    host: &'a Host,
    key: String,
    pub token: CancellationToken,
}

impl Drop for RunningStep<'_> {
    fn drop(&mut self) {
        self.host
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}
