//! `prometheus` steps: a PromQL query over the Prometheus HTTP API, instant or range, judged on
//! the value (`value < 0.5`, `max < 500`, `series >= 1`).
//!
//! Owns [`PromSpec`] and what a step observes of an answer; the HTTP API itself (URLs, the call
//! under its deadline and cap, reading an answer) is `prom_api`'s, shared with the signals. "Now"
//! comes from the environment's clock. Facts: `value` (the first series' latest sample, or the
//! scalar), `series`, `min` / `max` / `avg` over every sample, and `json(...)` over `data.result`.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::http::client;
use super::kind::ProbeKind;
use super::output::{Stream, OUTPUT_CAP};
use super::prom_api;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::Step;

/// A PromQL query step.
#[derive(Debug, Clone, Serialize)]
pub struct PromSpec {
    /// Prometheus' base URL (`http://127.0.0.1:9090`).
    pub url: Template,
    /// `query:`, or the fence's code for a ```promql block.
    pub query: Template,
    /// A range query over the last `range` (`range: 5m`), sampled every `step`.
    #[serde(serialize_with = "ser_opt_ms")]
    pub range: Option<Duration>,
    #[serde(serialize_with = "ser_opt_ms")]
    pub step: Option<Duration>,
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        None => s.serialize_none(),
    }
}

impl ProbeKind for PromSpec {
    const NAME: &'static str = "prometheus";
    const KEYS: &'static [&'static str] = &["url", "query", "range", "step"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["value", "series", "min", "max", "avg", "latency", "duration"],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };

    fn from_keys(keys: &mut Keys, step: &Step) -> Result<Self, AnnotationError> {
        let (url, _) = keys.required_template("url")?;
        let query = match keys.template("query")? {
            Some((q, _)) => q,
            None if matches!(step.lang.as_deref(), Some("promql" | "prometheus"))
                && !step.code.trim().is_empty() =>
            {
                Template::parse(step.code.trim()).map_err(|m| AnnotationError::new(step.line, m))?
            }
            None => {
                return Err(AnnotationError::new(
                    keys.line(),
                    "prometheus steps need `query:` (or a ```promql fence holding it)",
                ))
            }
        };
        let range = keys.duration("range")?;
        let step_d = keys.duration("step")?;
        if step_d.is_some() && range.is_none() {
            return Err(AnnotationError::new(
                keys.line(),
                "`step:` only goes with `range:`",
            ));
        }
        if step_d.is_some_and(|s| s.is_zero()) {
            return Err(AnnotationError::new(keys.line(), "`step:` must be above 0"));
        }
        Ok(PromSpec {
            url,
            query,
            range,
            step: step_d,
        })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        [&self.url, &self.query].into_iter()
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let mut s = format!("{} {}", self.url.describe(env), self.query.describe(env));
        if let Some(r) = self.range {
            s.push_str(&format!(" [range {}", super::human_duration(r)));
            if let Some(st) = self.step {
                s.push_str(&format!(", step {}", super::human_duration(st)));
            }
            s.push(']');
        }
        s
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let url = match self.request_url(ctx.env) {
            Ok(u) => u,
            Err(f) => return Observation::failed(f),
        };
        let client = match client(ctx.spec.connect_timeout, super::http::MAX_REDIRECTS, false) {
            Ok(c) => c,
            Err(f) => return Observation::failed(f),
        };
        let sent = Instant::now();
        let got =
            match prom_api::fetch(&client, url, &prom_api::Auth::None, ctx.spec.deadline, OUTPUT_CAP).await {
                Ok(got) => got,
                Err(f) => return Observation::failed(f),
            };
        ctx.streams.push(Stream::Body, &got.body).await;
        if got.over {
            ctx.streams.cut(Stream::Body, None);
            return Observation::failed(Failure::new(
                FailureClass::QueryError,
                "the answer is larger than 1 MiB: narrow the query",
            ));
        }
        ctx.streams.finish(Stream::Body).await;
        let mut obs = Observation {
            http_status: Some(got.status),
            ..Observation::default()
        };
        obs.facts
            .scalars
            .insert("latency", Value::Num(sent.elapsed().as_secs_f64() * 1000.0));
        match prom_api::answer(got.status, &got.body) {
            Ok((kind, result)) => observe(&mut obs, kind, result),
            Err(f) => obs.failure = Some(f),
        }
        obs
    }
}

impl PromSpec {
    /// The step of a range query: as given, else 1/60 of the range but at least 1 s.
    pub fn effective_step(&self) -> Option<Duration> {
        self.range
            .map(|r| self.step.unwrap_or_else(|| (r / 60).max(Duration::from_secs(1))))
    }

    /// `/api/v1/query` at the environment's now, or `/api/v1/query_range` over the last `range`.
    fn request_url(&self, env: &ProbeEnv) -> Result<reqwest::Url, Failure> {
        let spawn = |m: String| Failure::new(FailureClass::SpawnError, m);
        let mut used = Vec::new();
        let base = self
            .url
            .render(env, &mut used)
            .map_err(|e| spawn(e.to_string()))?;
        let query = self
            .query
            .render(env, &mut used)
            .map_err(|e| spawn(e.to_string()))?;
        let now = env.clock.now();
        let now_s = now.unix_timestamp_nanos() as f64 / 1e9;
        let at = match (self.range, self.effective_step()) {
            (Some(r), Some(st)) => prom_api::At::Range {
                start: now_s - r.as_secs_f64(),
                end: now_s,
                step: st.as_secs_f64(),
            },
            _ => prom_api::At::Instant(now_s),
        };
        prom_api::url(&base, &query, at)
            .map_err(|_| spawn(format!("`{}` is not a URL", self.url.describe(env))))
    }
}

/// `value`, `series`, `min` / `max` / `avg` over the finite samples, and the result for `json(...)`.
fn observe(obs: &mut Observation, kind: String, result: serde_json::Value) {
    let (value, series, samples) = summarize(&kind, &result);
    obs.facts.scalars.insert("value", value);
    obs.facts.scalars.insert("series", Value::Num(series as f64));
    let finite: Vec<f64> = samples.into_iter().filter(|v| v.is_finite()).collect();
    if !finite.is_empty() {
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let avg = finite.iter().sum::<f64>() / finite.len() as f64;
        obs.facts.scalars.insert("min", Value::Num(min));
        obs.facts.scalars.insert("max", Value::Num(max));
        obs.facts.scalars.insert("avg", Value::Num(avg));
    }
    obs.facts.json = Some(result);
}

/// (value, number of series, every sample) of a `vector`, `matrix`, `scalar` or `string` result.
fn summarize(kind: &str, result: &serde_json::Value) -> (Value, usize, Vec<f64>) {
    let sample = prom_api::sample;
    match kind {
        "scalar" => {
            let v = sample(result);
            (v.map_or(Value::Missing, Value::Num), 1, v.into_iter().collect())
        }
        "string" => (
            result.get(1).map_or(Value::Missing, Value::from_json),
            1,
            Vec::new(),
        ),
        "vector" | "matrix" => {
            let series = result.as_array().map(Vec::as_slice).unwrap_or(&[]);
            let mut all = Vec::new();
            let mut first = Value::Missing;
            for (i, s) in series.iter().enumerate() {
                let points: Vec<f64> = if kind == "vector" {
                    s.get("value").and_then(sample).into_iter().collect()
                } else {
                    s.get("values")
                        .and_then(|v| v.as_array())
                        .map(|ps| ps.iter().filter_map(sample).collect())
                        .unwrap_or_default()
                };
                if i == 0 {
                    first = points.last().copied().map_or(Value::Missing, Value::Num);
                }
                all.extend(points);
            }
            (first, series.len(), all)
        }
        _ => (Value::Missing, 0, Vec::new()),
    }
}
