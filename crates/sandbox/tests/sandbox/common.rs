//! Helpers shared by the integration tests: starting sandboxes and an HTTP client with a timeout.

use std::time::Duration;

use flightdeck_sandbox::{start, Sandbox, SandboxConfig};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every test request gives up after this long, so a hung sandbox fails the test instead of hanging it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .build()
}

/// The config the tests use: fast synthetic traffic when on, everything else default.
pub fn config(db: Option<String>, traffic: bool) -> SandboxConfig {
    SandboxConfig {
        port: 0,
        db,
        traffic,
        traffic_interval: Duration::from_millis(50),
        ..Default::default()
    }
}

pub async fn sqlite_sandbox(traffic: bool) -> Result<Sandbox, flightdeck_sandbox::SandboxError> {
    start(config(None, traffic)).await
}
