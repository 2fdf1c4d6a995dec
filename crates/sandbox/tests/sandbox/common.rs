//! What the scenarios share: their result type and an HTTP client with a timeout. (Starting a
//! sandbox is `flightdeck_testsupport::sandbox`.)

use std::time::Duration;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every test request gives up after this long, so a hung sandbox fails the test instead of hanging it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .build()
}
