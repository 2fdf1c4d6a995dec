//! The Prometheus HTTP API client every PromQL reader uses: the `prometheus` step kind and the
//! signals (`crate::signals`), so there is one client, one way to read an answer and one set of
//! limits.
//!
//! Owns building `/api/v1/query` and `/api/v1/query_range` URLs ([`url`]), one call under a total
//! deadline with an answer cap and bearer or basic auth ([`fetch`]), and reading an answer: its
//! `resultType` and `result` or why there is none ([`answer`]), a sample's value with Prometheus'
//! `NaN` / `±Inf` spellings ([`sample`]), and every series of a vector or matrix ([`series`]).
//! The HTTP client itself (timeouts, redirects, TLS) is `probe::http`'s.

use std::time::Duration;

use crate::secrets::Sensitive;

use super::http::classify;
use super::{Failure, FailureClass};

/// When a query is evaluated (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    Instant(f64),
    Range { start: f64, end: f64, step: f64 },
}

/// How a call authenticates.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(Sensitive<String>),
    Basic {
        user: String,
        password: Sensitive<String>,
    },
}

/// The URL of `query` at `at` under Prometheus' base URL `base`.
pub fn url(base: &str, query: &str, at: At) -> Result<reqwest::Url, String> {
    let ts = |t: f64| format!("{t:.3}");
    let (path, params) = match at {
        At::Range { start, end, step } => (
            "api/v1/query_range",
            vec![
                ("query", query.to_owned()),
                ("start", ts(start)),
                ("end", ts(end)),
                ("step", format!("{step}s")),
            ],
        ),
        At::Instant(t) => ("api/v1/query", vec![("query", query.to_owned()), ("time", ts(t))]),
    };
    let base = if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    };
    let mut url = reqwest::Url::parse(&base)
        .and_then(|b| b.join(path))
        .map_err(|e| format!("`{base}` is not a URL: {e}"))?;
    url.query_pairs_mut()
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(url)
}

/// What one call read.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    /// The answer, or its first `cap` bytes when `over`.
    pub body: Vec<u8>,
    /// The answer was larger than the cap; reading stopped there.
    pub over: bool,
}

/// One GET of `url`, done (answer read) within `deadline`, reading at most `cap` bytes.
pub async fn fetch(
    client: &reqwest::Client,
    url: reqwest::Url,
    auth: &Auth,
    deadline: Duration,
    cap: usize,
) -> Result<Fetched, Failure> {
    let mut req = client.get(url).timeout(deadline);
    req = match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.bearer_auth(t.expose()),
        Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
    };
    let too_late = || {
        Failure::new(
            FailureClass::Timeout,
            format!("no whole answer within {}", super::human_duration(deadline)),
        )
    };
    // The request's own timeout and the outer one are the same deadline: say so either way.
    let failed = |e: reqwest::Error| if e.is_timeout() { too_late() } else { classify(&e) };
    let work = async {
        let mut resp = req.send().await.map_err(failed)?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > cap {
                let room = cap - body.len();
                body.extend_from_slice(&chunk[..room]);
                return Ok(Fetched {
                    status,
                    body,
                    over: true,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            body,
            over: false,
        })
    };
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|_| Err(too_late()))
}

/// The `resultType` and `result` of a successful answer, or why there is none.
pub fn answer(status: u16, raw: &[u8]) -> Result<(String, serde_json::Value), Failure> {
    let doc: serde_json::Value = serde_json::from_slice(raw).map_err(|_| {
        Failure::new(
            if status >= 400 {
                FailureClass::HttpStatus
            } else {
                FailureClass::Transport
            },
            format!("HTTP {status}: the answer is not Prometheus JSON"),
        )
    })?;
    if doc.get("status").and_then(|s| s.as_str()) != Some("success") {
        let err = doc
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("no error message");
        return Err(Failure::new(
            FailureClass::QueryError,
            format!("Prometheus rejected the query (HTTP {status}): {err}"),
        ));
    }
    let data = doc.get("data");
    let result = data
        .and_then(|d| d.get("result"))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let kind = data
        .and_then(|d| d.get("resultType"))
        .and_then(|t| t.as_str())
        .unwrap_or("");
    Ok((kind.to_owned(), result))
}

/// A sample `[t, "v"]`'s value, reading `NaN`, `+Inf` and `-Inf` as Prometheus writes them.
pub fn sample(p: &serde_json::Value) -> Option<f64> {
    let v = p.get(1)?.as_str()?;
    match v {
        "NaN" => Some(f64::NAN),
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => v.parse().ok(),
    }
}

/// One series of an answer: its labels and its samples `(t, v)`, NaN and infinities included.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: serde_json::Value,
    pub points: Vec<(f64, f64)>,
}

/// Every series of a `vector`, `matrix` or `scalar` result (a `string` has none).
pub fn series(kind: &str, result: &serde_json::Value) -> Vec<Series> {
    let point = |p: &serde_json::Value| Some((p.get(0)?.as_f64()?, sample(p)?));
    match kind {
        "scalar" => point(result)
            .map(|p| Series {
                labels: serde_json::Value::Null,
                points: vec![p],
            })
            .into_iter()
            .collect(),
        "vector" | "matrix" => result
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|s| Series {
                labels: s.get("metric").cloned().unwrap_or(serde_json::Value::Null),
                points: if kind == "vector" {
                    s.get("value").and_then(point).into_iter().collect()
                } else {
                    s.get("values")
                        .and_then(|v| v.as_array())
                        .map(|ps| ps.iter().filter_map(point).collect())
                        .unwrap_or_default()
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_query_and_its_times() {
        let u = url("http://p:9090", "up", At::Instant(12.5)).expect("a URL");
        assert_eq!(u.as_str(), "http://p:9090/api/v1/query?query=up&time=12.500");
        let u = url(
            "http://p:9090/prom/",
            "sum(x)",
            At::Range {
                start: 1.0,
                end: 61.0,
                step: 15.0,
            },
        )
        .expect("a URL");
        assert_eq!(
            u.as_str(),
            "http://p:9090/prom/api/v1/query_range?query=sum%28x%29&start=1.000&end=61.000&step=15s"
        );
    }

    #[test]
    fn series_keep_nan_and_infinities_for_the_caller_to_judge() {
        let result =
            serde_json::json!([{"metric": {"a": "b"}, "values": [[1, "1.5"], [2, "NaN"], [3, "+Inf"]]}]);
        let s = series("matrix", &result);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].points[0], (1.0, 1.5));
        assert!(s[0].points[1].1.is_nan() && s[0].points[2].1.is_infinite());
        assert_eq!(series("vector", &serde_json::json!([])), vec![]);
    }
}
