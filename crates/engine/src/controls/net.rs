//! The HTTP client the HTTP adapters share: a connect timeout, a deadline on every call, no
//! redirects, and answers read in chunks up to [`BODY_CAP`](super::BODY_CAP).

use std::sync::OnceLock;
use std::time::Duration;

use super::{ControlError, BODY_CAP, CONNECT_TIMEOUT};

/// One client for every adapter (it keeps idle connections, so an apply and its read-back share
/// one).
pub(crate) fn client() -> Result<reqwest::Client, ControlError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::probe::tls_ready();
            reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(crate::probe::MAX_DEADLINE)
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(30))
                .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("could not build the HTTP client: {e}"))
        })
        .clone()
        .map_err(ControlError::Config)
}

/// An answer: status and body (at most `BODY_CAP` bytes).
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self, what: &str) -> Result<serde_json::Value, ControlError> {
        serde_json::from_slice(&self.body).map_err(|e| ControlError::Transport {
            what: what.to_string(),
            message: format!("the answer is not JSON: {e}"),
        })
    }

    /// A successful answer's `field` list (`flags`, `breakers`): the status checked, the body
    /// read as JSON, the field an array; each failure says which.
    pub fn list(&self, what: &str, field: &str) -> Result<Vec<serde_json::Value>, ControlError> {
        if !self.ok() {
            return Err(self.status_error(what));
        }
        match self.json(what)?.get_mut(field).map(serde_json::Value::take) {
            Some(serde_json::Value::Array(list)) => Ok(list),
            _ => Err(ControlError::Transport {
                what: what.into(),
                message: format!("unexpected answer: no `{field}` list"),
            }),
        }
    }

    /// The answer's `error` (or `errorDetails`) field, else its first 200 characters.
    pub fn message(&self) -> String {
        let v: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        if let Some(m) = v.as_ref().and_then(|v| {
            v.get("error")
                .or_else(|| v.get("errorDetails"))
                .and_then(|m| m.as_str())
        }) {
            return m.to_string();
        }
        String::from_utf8_lossy(&self.body).chars().take(200).collect()
    }

    pub fn status_error(&self, what: &str) -> ControlError {
        ControlError::Status {
            what: what.to_string(),
            status: self.status,
            message: self.message(),
        }
    }
}

/// Sends `req` and reads its answer, all within `deadline`.
pub(crate) async fn send(
    req: reqwest::RequestBuilder,
    what: &str,
    deadline: Duration,
) -> Result<Answer, ControlError> {
    let work = async {
        let mut resp = req
            .timeout(deadline)
            .send()
            .await
            .map_err(|e| transport(what, &e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(what, &e))? {
            if body.len() + chunk.len() > BODY_CAP {
                return Err(ControlError::Transport {
                    what: what.to_string(),
                    message: format!("the answer is larger than {BODY_CAP} bytes; not read"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(r) => r,
        Err(_) => Err(ControlError::Timeout {
            what: what.to_string(),
            deadline,
        }),
    }
}

fn transport(what: &str, e: &reqwest::Error) -> ControlError {
    if e.is_timeout() {
        return ControlError::Timeout {
            what: what.to_string(),
            deadline: Duration::ZERO,
        };
    }
    let mut message = e.to_string();
    let mut cur = std::error::Error::source(e);
    while let Some(s) = cur {
        let t = s.to_string();
        if !message.contains(&t) {
            message.push_str(": ");
            message.push_str(&t);
        }
        cur = s.source();
    }
    ControlError::Transport {
        what: what.to_string(),
        message,
    }
}

/// `base` with `segments` appended, each percent-encoded as one path segment.
pub(crate) fn url(base: &str, segments: &[&str]) -> Result<reqwest::Url, ControlError> {
    let mut u = reqwest::Url::parse(base.trim())
        .map_err(|e| ControlError::Config(format!("`{base}` is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(ControlError::Config(format!("`{base}` is not an http(s) URL")));
    }
    {
        let mut path = u
            .path_segments_mut()
            .map_err(|_| ControlError::Config(format!("`{base}` cannot take a path")))?;
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    Ok(u)
}
