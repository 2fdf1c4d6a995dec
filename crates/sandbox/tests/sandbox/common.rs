//! What the scenarios share: their result type, an HTTP client with a timeout, and requests read
//! as a status and a JSON body. (Starting a sandbox is `flightdeck_testsupport::sandbox`.)

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every test request gives up after this long, so a hung sandbox fails the test instead of hanging it.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .build()
}

/// The status and JSON body of `r`.
pub async fn body(r: Response) -> Result<(StatusCode, Value), reqwest::Error> {
    let status = r.status();
    Ok((status, r.json().await?))
}

/// `GET url`: its status and JSON body.
pub async fn get(http: &Client, url: String) -> Result<(StatusCode, Value), reqwest::Error> {
    body(http.get(url).send().await?).await
}

/// `POST url` without a body: its status and JSON body.
pub async fn post(http: &Client, url: String) -> Result<(StatusCode, Value), reqwest::Error> {
    body(http.post(url).send().await?).await
}
