//! Flightdeck's sandbox: a local target shaped like the platform the M31 checklist cuts over.
//!
//! [`start`] serves on 127.0.0.1: health endpoints, a rate-limited endpoint (429 + `Retry-After`),
//! register / orders / payments, circuit-breaker admin, feature-flag and budget admin, Prometheus
//! `/metrics` fed by synthetic traffic, and fault switches (`/__sandbox/fault`). Data lives in SQLite by
//! default or in Postgres when the config names one, in the tables the checklist queries
//! (`feature_flags`, `circuit_breakers`, `budget_categories`, plus `users`, `orders`, `payments`).
//! The CLI's `flightdeck sandbox` is a thin face over this crate; no Tauri here.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod auth;
pub mod breakers;
pub mod config;
pub mod db;
pub mod error;
pub mod faults;
pub mod metrics;
pub mod ratelimit;
pub mod routes;
pub mod state;
pub mod traffic;
pub mod usage;

pub use auth::DEFAULT_TEST_TOKEN;
pub use config::SandboxConfig;
pub use db::Backend;
pub use error::SandboxError;
pub use faults::{parse_fault, ActiveFaults, Fault};

use config::{redact_url, DbTarget};
use db::Db;
use state::AppState;

/// How long `shutdown` waits for the server to finish answering before it stops it hard.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running sandbox. Dropping it stops it too, but [`Sandbox::shutdown`] waits until it has stopped.
pub struct Sandbox {
    addr: SocketAddr,
    database: String,
    state: AppState,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    traffic: Option<JoinHandle<()>>,
    // Kept so the default SQLite file lives as long as the sandbox; removed on drop.
    _tempdir: Option<tempfile::TempDir>,
}

/// reqwest is built with `rustls-no-provider` in this workspace (the engine picks ring): every
/// process that builds an HTTP client must install the provider first. Idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts a sandbox and returns once it accepts connections.
pub async fn start(cfg: SandboxConfig) -> Result<Sandbox, SandboxError> {
    install_tls_provider();
    let (db, database, tempdir) = open_db(cfg.db.as_deref()).await?;
    db.migrate_and_seed().await?;
    let state = app_state(db, &cfg);
    let (listener, addr) = bind(cfg.port).await?;
    let (stop, _) = watch::channel(false);
    let server = serve(listener, state.clone(), stop.subscribe());
    let traffic = if cfg.traffic {
        let client = traffic::client()?;
        Some(tokio::spawn(traffic::run(
            client,
            format!("http://{addr}"),
            cfg.traffic_interval,
            Arc::clone(&state.tokens),
            Arc::clone(&state.metrics),
            stop.subscribe(),
        )))
    } else {
        None
    };

    Ok(Sandbox {
        addr,
        database,
        state,
        stop,
        server: Some(server),
        traffic,
        _tempdir: tempdir,
    })
}

/// The database the config names (a temporary SQLite file when it names none), how to show where
/// it lives, and the temporary directory to keep while it is in use.
async fn open_db(db: Option<&str>) -> Result<(Db, String, Option<tempfile::TempDir>), SandboxError> {
    Ok(match DbTarget::from_config(db) {
        DbTarget::TempSqlite => {
            let dir = tempfile::Builder::new()
                .prefix("flightdeck-sandbox-")
                .tempdir()
                .map_err(SandboxError::TempDir)?;
            let path = dir.path().join("sandbox.db");
            let db = Db::sqlite(&path).await?;
            (db, format!("sqlite:{}", path.display()), Some(dir))
        }
        DbTarget::Sqlite(path) => {
            let db = Db::sqlite(&path).await?;
            (db, format!("sqlite:{}", path.display()), None)
        }
        DbTarget::Postgres(url) => (Db::postgres(&url).await?, redact_url(&url), None),
    })
}

/// What every route shares: the database, faults, metrics, breakers, rate limiter and tokens.
fn app_state(db: Db, cfg: &SandboxConfig) -> AppState {
    AppState {
        db: db.clone(),
        faults: Arc::new(faults::Faults::default()),
        metrics: Arc::new(metrics::Metrics::default()),
        breakers: Arc::new(breakers::Breakers::new(
            db,
            cfg.breaker_threshold,
            cfg.breaker_cooldown,
        )),
        limiter: Arc::new(ratelimit::RateLimiter::new(cfg.rate_limit, cfg.rate_window)),
        tokens: Arc::new(auth::Tokens::new(cfg.test_token.clone())),
    }
}

/// A listener on 127.0.0.1:`port` (0: any free port) and the address it got.
async fn bind(port: u16) -> Result<(TcpListener, SocketAddr), SandboxError> {
    let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| SandboxError::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { addr: bind, source })?;
    Ok((listener, addr))
}

/// The server task: every route on `listener` until `stop` says so or its sender is gone.
fn serve(listener: TcpListener, state: AppState, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let app = routes::router(state);
    tokio::spawn(async move {
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                // Stop when told, or when the Sandbox (the sender) is gone.
                while stop.changed().await.is_ok() {
                    if *stop.borrow() {
                        break;
                    }
                }
            });
        // The only error `serve` reports is from the listener; nothing is left to tell it to.
        let _ = serve.await;
    })
}

impl Sandbox {
    /// The address it listens on (127.0.0.1 and the bound port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where the data lives: `sqlite:/path/to/file` or the Postgres URL with its password redacted.
    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn backend(&self) -> Backend {
        self.state.db.backend()
    }

    /// Switches one fault on (or all off with [`Fault::Clear`]); takes effect for the next request.
    pub fn set_fault(&self, fault: Fault) {
        self.state.faults.set(fault);
    }

    pub fn clear_faults(&self) {
        self.state.faults.set(Fault::Clear);
    }

    /// The faults in force.
    pub fn faults(&self) -> ActiveFaults {
        self.state.faults.active()
    }

    /// Stops the traffic task and the server (letting in-flight answers finish, up to 5 s) and closes
    /// the database.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(traffic) = self.traffic.take() {
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, traffic).await;
        }
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await.is_err() {
                server.abort();
            }
        }
        self.state.db.close().await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in [self.traffic.take(), self.server.take()].into_iter().flatten() {
            task.abort();
        }
    }
}
