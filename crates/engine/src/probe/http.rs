//! `http` steps: one request, judged on status, headers, body, JSON path and latency.
//!
//! Owns [`HttpSpec`], the HTTP client every network probe builds (rustls, connect timeout and
//! total timeout always set, at most 5 redirects, no decompression) and the mapping of transport
//! errors to failure classes. The body is read in chunks and never held past [`OUTPUT_CAP`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::{Stream, OUTPUT_CAP};
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;

/// Redirects followed before the 3xx answer itself becomes the result.
pub const MAX_REDIRECTS: usize = 5;

/// An HTTP request step.
#[derive(Debug, Clone, Serialize)]
pub struct HttpSpec {
    pub method: String,
    pub url: Template,
    /// `header: Name: value` lines.
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    /// Accept any certificate (`tls-insecure: true`): for a staging host with a self-signed one.
    pub tls_insecure: bool,
    pub max_redirects: usize,
}

/// Method, URL, headers and body as written: shared by `http` and `http-burst`.
pub(crate) type RequestKeys = (String, Template, Vec<(String, Template)>, Option<Template>);

pub(crate) fn request_keys(keys: &mut Keys) -> Result<RequestKeys, AnnotationError> {
    let method = match keys.one("method")? {
        None => "GET".to_owned(),
        Some((m, line)) => {
            let m = m.trim().to_ascii_uppercase();
            if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(AnnotationError::new(
                    line,
                    format!("`method: {m}` is not an HTTP method"),
                ));
            }
            m
        }
    };
    let (url, line) = keys.required_template("url")?;
    let src = url.source.trim_start();
    if !(src.starts_with("http://") || src.starts_with("https://") || src.starts_with("${")) {
        return Err(AnnotationError::new(
            line,
            format!("`url: {}` must start with http:// or https://", url.source),
        ));
    }
    let mut headers = Vec::new();
    for (h, line) in keys.all("header") {
        let (name, value) = h.split_once(':').ok_or_else(|| {
            AnnotationError::new(line, format!("`header: {h}` needs the form `Name: value`"))
        })?;
        let name = name.trim();
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(AnnotationError::new(
                line,
                format!("`{name}` is not a header name"),
            ));
        }
        let t = Template::parse(value.trim()).map_err(|m| AnnotationError::new(line, m))?;
        headers.push((name.to_owned(), t));
    }
    let body = keys.template("body")?.map(|(t, _)| t);
    Ok((method, url, headers, body))
}

impl ProbeKind for HttpSpec {
    const NAME: &'static str = "http";
    const KEYS: &'static [&'static str] = &["method", "url", "header", "body", "tls-insecure", "redirects"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["status", "latency", "body", "duration"],
        item_subjects: &[],
        headers: true,
        json: true,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "status",
        expr: "status in 200..299",
    }];
    const STATUS_SUBJECT: Option<&'static str> = Some("status");

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let (method, url, headers, body) = request_keys(keys)?;
        let tls_insecure = keys.bool("tls-insecure")?.unwrap_or(false);
        let max_redirects = match keys.number::<usize>("redirects")? {
            None => MAX_REDIRECTS,
            Some((n, line)) if n > 20 => return Err(AnnotationError::new(line, "`redirects` is at most 20")),
            Some((n, _)) => n,
        };
        Ok(HttpSpec {
            method,
            url,
            headers,
            body,
            tls_insecure,
            max_redirects,
        })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.headers.iter().map(|(_, t)| t))
            .chain(self.body.iter())
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        describe_request(&self.method, &self.url, &self.headers, self.body.as_ref(), env)
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let req = match Prepared::new(
            &self.method,
            &self.url,
            &self.headers,
            self.body.as_ref(),
            ctx.env,
        ) {
            Ok(r) => r,
            Err(f) => return Observation::failed(f),
        };
        let client = match client(ctx.spec.connect_timeout, self.max_redirects, self.tls_insecure) {
            Ok(c) => c,
            Err(f) => return Observation::failed(f),
        };
        let sent = Instant::now();
        let mut resp = match req.build(&client, ctx.spec.deadline).send().await {
            Ok(r) => r,
            Err(e) => return Observation::failed(classify(&e)),
        };
        let mut obs = Observation::default();
        let status = resp.status().as_u16();
        obs.http_status = Some(status);
        obs.facts.scalars.insert("status", Value::Num(f64::from(status)));
        obs.facts.headers = headers_of(&resp);
        let length = resp.content_length();
        let mut read: u64 = 0;
        // Time spent handing chunks to the output streams is ours, not the server's: latency
        // leaves it out.
        let mut own = Duration::ZERO;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = (OUTPUT_CAP as u64).saturating_sub(read) as usize;
                    let t = Instant::now();
                    if chunk.len() > room {
                        ctx.streams.push(Stream::Body, &chunk[..room]).await;
                        read += room as u64;
                        // Stop reading: the rest is never fetched, let alone held.
                        let more = length.map(|l| l.saturating_sub(read));
                        ctx.streams.cut(Stream::Body, more);
                        break;
                    }
                    ctx.streams.push(Stream::Body, &chunk).await;
                    own += t.elapsed();
                    read += chunk.len() as u64;
                }
                Ok(None) => break,
                Err(e) => {
                    obs.failure = Some(classify(&e));
                    break;
                }
            }
        }
        let latency = sent.elapsed().saturating_sub(own);
        drop(resp);
        ctx.streams.finish(Stream::Body).await;
        obs.facts
            .scalars
            .insert("latency", Value::Num(latency.as_secs_f64() * 1000.0));
        let body = ctx.streams.text(Stream::Body);
        obs.facts.json = serde_json::from_str(&body).ok();
        obs.facts.scalars.insert("body", Value::Str(body));
        if (300..400).contains(&status) && obs.failure.is_none() {
            ctx.progress(
                0,
                None,
                format!(
                    "stopped at a {status} after following {} redirects",
                    self.max_redirects
                ),
            )
            .await;
        }
        obs
    }
}

/// A request with its templates filled.
pub(crate) struct Prepared {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub headers: reqwest::header::HeaderMap,
    pub body: Option<String>,
}

impl Prepared {
    pub fn new(
        method: &str,
        url: &Template,
        headers: &[(String, Template)],
        body: Option<&Template>,
        env: &ProbeEnv,
    ) -> Result<Self, Failure> {
        let spawn = |m: String| Failure::new(FailureClass::SpawnError, m);
        let mut used = Vec::new();
        let url_s = url.render(env, &mut used).map_err(|e| spawn(e.to_string()))?;
        let url = reqwest::Url::parse(url_s.trim())
            .map_err(|e| spawn(format!("`{}` is not a URL: {e}", url.describe(env))))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(spawn(format!("`{}` is not an http(s) URL", url.scheme())));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| spawn(format!("`{method}` is not an HTTP method")))?;
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let v = value.render(env, &mut used).map_err(|e| spawn(e.to_string()))?;
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| spawn(format!("`{name}` is not a header name")))?;
            let v = reqwest::header::HeaderValue::from_str(&v)
                .map_err(|_| spawn(format!("the value of header {name} is not valid")))?;
            map.append(name, v);
        }
        let body = match body {
            Some(b) => Some(b.render(env, &mut used).map_err(|e| spawn(e.to_string()))?),
            None => None,
        };
        Ok(Prepared {
            method,
            url,
            headers: map,
            body,
        })
    }

    pub fn build(&self, client: &reqwest::Client, deadline: Duration) -> reqwest::RequestBuilder {
        let mut r = client
            .request(self.method.clone(), self.url.clone())
            .timeout(deadline)
            .headers(self.headers.clone());
        if let Some(b) = &self.body {
            r = r.body(b.clone());
        }
        r
    }
}

pub(crate) fn describe_request(
    method: &str,
    url: &Template,
    headers: &[(String, Template)],
    body: Option<&Template>,
    env: &ProbeEnv,
) -> String {
    let mut s = format!("{method} {}", url.describe(env));
    for (k, v) in headers {
        s.push_str(&format!("\n{k}: {}", v.describe(env)));
    }
    if let Some(b) = body {
        s.push_str(&format!("\n\n{}", b.describe(env)));
    }
    s
}

pub(crate) fn headers_of(resp: &reqwest::Response) -> Vec<(String, String)> {
    resp.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The client every network probe uses: connect timeout and a total timeout always set (the
/// step's deadline goes on each request too), bounded redirects, no decompression (the `gzip` /
/// `brotli` features are off), no cookies, and no idle connections kept: every probe opens its
/// own, so its latency and its evidence include connecting. Clients are built once per setting
/// and shared (building one loads the trusted roots, milliseconds of CPU).
pub(crate) fn client(
    connect_timeout: Duration,
    max_redirects: usize,
    tls_insecure: bool,
) -> Result<reqwest::Client, Failure> {
    type Key = (Duration, usize, bool);
    static CLIENTS: OnceLock<Mutex<HashMap<Key, reqwest::Client>>> = OnceLock::new();
    let key = (connect_timeout, max_redirects, tls_insecure);
    let cache = CLIENTS.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned cache only holds finished clients: still good.
    if let Some(c) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    super::tls_ready();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let client = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(super::MAX_DEADLINE)
        .pool_max_idle_per_host(0)
        .redirect(policy)
        .tls_danger_accept_invalid_certs(tls_insecure)
        .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            Failure::new(
                FailureClass::SpawnError,
                format!("could not build the HTTP client: {e}"),
            )
        })?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, client.clone());
    Ok(client)
}

/// Maps a transport error to its failure class by walking its causes.
pub(crate) fn classify(e: &reqwest::Error) -> Failure {
    let chain = error_chain(e);
    let text = chain.join(": ");
    let lower = text.to_ascii_lowercase();
    let mut class = None;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<rustls::Error>().is_some() {
            class = Some(FailureClass::Tls);
            break;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                class = Some(FailureClass::Tls);
                break;
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    class = Some(FailureClass::ConnectRefused);
                    break;
                }
                std::io::ErrorKind::TimedOut => {
                    class = Some(FailureClass::Timeout);
                    break;
                }
                _ => {}
            }
        }
        cur = err.source();
    }
    let class = class.unwrap_or(if e.is_timeout() || lower.contains("timed out") {
        FailureClass::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
    {
        FailureClass::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        FailureClass::Tls
    } else if lower.contains("connection refused") || e.is_connect() {
        FailureClass::ConnectRefused
    } else if e.is_builder() {
        FailureClass::SpawnError
    } else {
        FailureClass::Transport
    });
    Failure::new(class, text)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.iter().any(|o| o.contains(&s)) {
            out.push(s);
        }
        cur = err.source();
    }
    out
}
