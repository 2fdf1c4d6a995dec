//! `http-burst` steps: N requests at a rate, judged on status counts and headers
//! (`count(status == 429) >= 1`, `any(status == 429 and header(Retry-After) exists)`).
//!
//! Owns [`BurstSpec`] and the burst itself: requests start on a fixed schedule (they do not
//! wait for each other), each response's status, latency and headers become one item of the
//! facts, and the body excerpt is a one-line-per-request summary.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Facts, Names, Value};
use super::env::{ProbeEnv, Template};
use super::http::{classify, client, describe_request, headers_of, request_keys, Prepared};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::{Ctx, Failure, Observation, NETWORK_DEADLINE};
use crate::runbook::Step;

/// Most requests one burst may send.
pub const MAX_COUNT: u32 = 10_000;
/// Bytes read from each response body (the rest is dropped unread).
const BODY_READ: usize = 64 * 1024;

/// A burst of identical requests.
#[derive(Debug, Clone, Serialize)]
pub struct BurstSpec {
    pub method: String,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub count: u32,
    /// Requests per second (`rate: 20/s`, `rate: 120/m`); 0 sends them all at once.
    pub rate_per_s: f64,
}

impl ProbeKind for BurstSpec {
    const NAME: &'static str = "http-burst";
    const KEYS: &'static [&'static str] = &["method", "url", "header", "body", "count", "rate"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["total", "errors", "status", "latency", "duration"],
        item_subjects: &["status", "latency"],
        headers: true,
        json: false,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "errors",
        expr: "errors == 0",
    }];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let (method, url, headers, body) = request_keys(keys)?;
        let count = match keys.number::<u32>("count")? {
            None => {
                return Err(AnnotationError::new(
                    keys.line(),
                    "http-burst steps need `count:`",
                ))
            }
            Some((n, line)) if n == 0 || n > MAX_COUNT => {
                return Err(AnnotationError::new(
                    line,
                    format!("`count` must be 1 to {MAX_COUNT}"),
                ))
            }
            Some((n, _)) => n,
        };
        let rate_per_s = match keys.one("rate")? {
            None => 10.0,
            Some((r, line)) => parse_rate(&r).ok_or_else(|| {
                AnnotationError::new(
                    line,
                    format!("`rate: {r}` is not a rate (e.g. 20/s, 120/m, 0 for all at once)"),
                )
            })?,
        };
        Ok(BurstSpec {
            method,
            url,
            headers,
            body,
            count,
            rate_per_s,
        })
    }

    /// Room for the whole burst at its rate, plus the usual 10 s for the answers.
    fn default_deadline(&self) -> Duration {
        NETWORK_DEADLINE.saturating_add(self.spread())
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.headers.iter().map(|(_, t)| t))
            .chain(self.body.iter())
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        format!(
            "{} × {} at {}/s",
            self.count,
            describe_request(&self.method, &self.url, &self.headers, self.body.as_ref(), env),
            super::cond::format_num(self.rate_per_s)
        )
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
        let client = match client(ctx.spec.connect_timeout, super::http::MAX_REDIRECTS, false) {
            Ok(c) => c,
            Err(f) => return Observation::failed(f),
        };
        let replies = self.send(&req, &client, ctx).await;
        let (obs, summary) = observe(&replies);
        ctx.streams.push(Stream::Body, summary.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        obs
    }
}

impl BurstSpec {
    /// How long sending the whole burst takes at its rate.
    pub fn spread(&self) -> Duration {
        if self.rate_per_s <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(f64::from(self.count.saturating_sub(1)) / self.rate_per_s)
    }

    /// Sends the burst on its schedule and collects every answer, in request order.
    async fn send(
        &self,
        req: &Prepared,
        client: &reqwest::Client,
        ctx: &Ctx<'_>,
    ) -> Vec<(u32, Result<Reply, Failure>)> {
        let start = tokio::time::Instant::now();
        // Dropping the set (deadline, cancel) aborts requests still in flight.
        let mut set: JoinSet<(u32, Result<Reply, Failure>)> = JoinSet::new();
        let mut replies: Vec<(u32, Result<Reply, Failure>)> = Vec::new();
        for i in 0..self.count {
            if self.rate_per_s > 0.0 {
                let at = start + Duration::from_secs_f64(f64::from(i) / self.rate_per_s);
                // Collect answers while waiting for the next slot.
                loop {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => break,
                        Some(done) = set.join_next() => {
                            if let Ok(r) = done { replies.push(r); }
                            ctx.progress(replies.len() as u64, Some(u64::from(self.count)), "responses".into()).await;
                        }
                    }
                }
            }
            let rb = req.build(client, ctx.spec.deadline);
            set.spawn(async move { (i, one(rb).await) });
        }
        while let Some(done) = set.join_next().await {
            if let Ok(r) = done {
                replies.push(r);
            }
            ctx.progress(
                replies.len() as u64,
                Some(u64::from(self.count)),
                "responses".into(),
            )
            .await;
        }
        replies.sort_by_key(|(i, _)| *i);
        replies
    }
}

/// The facts of a burst (one item per answer; the last status; every header name once; totals)
/// and its one-line-per-request summary.
fn observe(replies: &[(u32, Result<Reply, Failure>)]) -> (Observation, String) {
    let mut obs = Observation::default();
    let mut errors = 0u32;
    let mut first_error: Option<Failure> = None;
    let mut max_latency: f64 = 0.0;
    let mut summary = String::new();
    for (i, r) in replies {
        match r {
            Ok(reply) => {
                let mut item = Facts::default();
                item.scalars.insert("status", Value::Num(f64::from(reply.status)));
                item.scalars.insert("latency", Value::Num(reply.latency_ms));
                item.headers = reply.headers.clone();
                max_latency = max_latency.max(reply.latency_ms);
                obs.http_status = Some(reply.status);
                obs.facts
                    .scalars
                    .insert("status", Value::Num(f64::from(reply.status)));
                for (k, v) in &reply.headers {
                    if !obs.facts.headers.iter().any(|(h, _)| h == k) {
                        obs.facts.headers.push((k.clone(), v.clone()));
                    }
                }
                summary.push_str(&reply.summary(*i));
                obs.facts.items.push(item);
            }
            Err(f) => {
                errors += 1;
                summary.push_str(&format!("#{} error ({:?}): {}\n", i + 1, f.class, f.message));
                if first_error.is_none() {
                    first_error = Some(f.clone());
                }
            }
        }
    }
    obs.facts
        .scalars
        .insert("total", Value::Num(obs.facts.items.len() as f64));
    obs.facts.scalars.insert("errors", Value::Num(f64::from(errors)));
    obs.facts.scalars.insert("latency", Value::Num(max_latency));
    // Nothing answered at all: that is the transport's failure, not an assertion's.
    if obs.facts.items.is_empty() {
        obs.failure = first_error;
    }
    (obs, summary)
}

struct Reply {
    status: u16,
    latency_ms: f64,
    headers: Vec<(String, String)>,
}

impl Reply {
    /// `#3 429 12 ms retry-after=10`: its line in the body summary (`i` counts from 0).
    fn summary(&self, i: u32) -> String {
        let retry = self
            .headers
            .iter()
            .find(|(k, _)| k == "retry-after")
            .map(|(_, v)| format!(" retry-after={v}"))
            .unwrap_or_default();
        format!(
            "#{} {} {} ms{retry}\n",
            i + 1,
            self.status,
            super::cond::format_num(self.latency_ms)
        )
    }
}

async fn one(rb: reqwest::RequestBuilder) -> Result<Reply, Failure> {
    let sent = Instant::now();
    let mut resp = rb.send().await.map_err(|e| classify(&e))?;
    let status = resp.status().as_u16();
    let headers = headers_of(&resp);
    let mut read = 0usize;
    while read < BODY_READ {
        match resp.chunk().await {
            Ok(Some(c)) => read += c.len(),
            Ok(None) => break,
            Err(e) => return Err(classify(&e)),
        }
    }
    Ok(Reply {
        status,
        latency_ms: sent.elapsed().as_secs_f64() * 1000.0,
        headers,
    })
}

/// `20/s`, `120/m`, `20` (per second), `0` (all at once).
fn parse_rate(s: &str) -> Option<f64> {
    let s = s.trim();
    let (n, per) = match s.split_once('/') {
        Some((n, u)) => (n.trim(), u.trim()),
        None => (s, "s"),
    };
    let n: f64 = n.parse().ok()?;
    let per_s = match per {
        "s" | "sec" => n,
        "m" | "min" => n / 60.0,
        "h" => n / 3600.0,
        _ => return None,
    };
    (per_s.is_finite() && per_s >= 0.0).then_some(per_s)
}
