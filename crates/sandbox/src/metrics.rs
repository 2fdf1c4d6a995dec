//! Golden-signal metrics and their Prometheus text exposition (format 0.0.4), written by hand.
//!
//! Owns the request histogram and counters (by route template and status), the in-flight count, the
//! synthetic saturation gauges and the `/metrics` body. The middleware here wraps every route, faults
//! included, so injected latency and errors show in the numbers. What feeds it steady traffic is
//! `traffic`; what the breakers' states are is read from the database by `routes::metrics_text`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Histogram bucket bounds in seconds; dense around the M31 latency SLO (p95 < 500 ms).
pub const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Default)]
struct Series {
    /// Non-cumulative counts per bucket; the last slot is the +Inf overflow.
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Everything `/metrics` reports that the middleware records.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    series: Mutex<BTreeMap<(String, u16), Series>>,
    in_flight: AtomicU64,
    synthetic_ok: AtomicU64,
    synthetic_failed: AtomicU64,
    /// Sessions seen in the last minute (`active_users`).
    pub users: crate::usage::ActiveUsers,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            series: Mutex::new(BTreeMap::new()),
            in_flight: AtomicU64::new(0),
            synthetic_ok: AtomicU64::new(0),
            synthetic_failed: AtomicU64::new(0),
            users: crate::usage::ActiveUsers::default(),
        }
    }
}

/// Figures read elsewhere at scrape time.
#[derive(Debug, Clone, Default)]
pub struct ScrapeInputs {
    pub db_connections_in_use: usize,
    pub db_connections_max: usize,
    /// (provider, state) for every breaker.
    pub breakers: Vec<(String, String)>,
    /// Fault kinds that are on: "latency", "errors", "down".
    pub faults_on: Vec<&'static str>,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut series) = self.series.lock() else {
            return;
        };
        let s = series
            .entry((route.to_owned(), status))
            .or_insert_with(|| Series {
                buckets: vec![0; BUCKETS.len() + 1],
                ..Series::default()
            });
        let slot = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        s.buckets[slot] += 1;
        s.sum += seconds;
        s.count += 1;
    }

    pub fn record_synthetic(&self, ok: bool) {
        let counter = if ok {
            &self.synthetic_ok
        } else {
            &self.synthetic_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn uptime_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// A CPU-like ratio made up from the load the sandbox carries: a floor, a slow wave and a share per
    /// request in flight, so it rises when injected latency piles requests up.
    fn cpu_ratio(&self) -> f64 {
        let t = self.uptime_seconds();
        let in_flight = self.in_flight.load(Ordering::Relaxed) as f64;
        (0.12 + 0.04 * (t / 30.0).sin() + 0.06 * in_flight).clamp(0.0, 1.0)
    }

    fn memory_ratio(&self) -> f64 {
        let t = self.uptime_seconds();
        (0.35 + 0.03 * (t / 90.0).sin()).clamp(0.0, 1.0)
    }

    /// The Prometheus text exposition of everything.
    pub fn render(&self, inputs: &ScrapeInputs) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let series = self.series.lock().map(|s| s.clone()).unwrap_or_default();
        durations(&mut out, &series);
        requests(&mut out, &series);
        self.saturation(&mut out, inputs);
        breakers(&mut out, &inputs.breakers);
        faults(&mut out, &inputs.faults_on);
        self.synthetic(&mut out);
        out
    }

    /// The gauges: requests in flight, the synthetic CPU and memory ratios, database connections,
    /// uptime.
    fn saturation(&self, out: &mut String, inputs: &ScrapeInputs) {
        gauge(
            out,
            "http_requests_in_flight",
            "HTTP requests being answered right now.",
            self.in_flight.load(Ordering::Relaxed) as f64,
        );
        gauge(
            out,
            "process_cpu_ratio",
            "Synthetic CPU saturation (0-1), rising with requests in flight.",
            self.cpu_ratio(),
        );
        gauge(
            out,
            "process_memory_ratio",
            "Synthetic memory saturation (0-1).",
            self.memory_ratio(),
        );
        gauge(
            out,
            "db_connections_in_use",
            "Database connections busy right now.",
            inputs.db_connections_in_use as f64,
        );
        gauge(
            out,
            "db_connections_max",
            "Database connections the sandbox may hold.",
            inputs.db_connections_max as f64,
        );
        gauge(
            out,
            "process_uptime_seconds",
            "Seconds since the sandbox started.",
            self.uptime_seconds(),
        );
    }

    /// What the synthetic-traffic task sent, answered or not.
    fn synthetic(&self, out: &mut String) {
        header(
            out,
            "sandbox_synthetic_requests_total",
            "counter",
            "Requests the synthetic-traffic task sent, by whether an answer came back.",
        );
        let _ = writeln!(
            out,
            "sandbox_synthetic_requests_total{{outcome=\"answered\"}} {}",
            self.synthetic_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "sandbox_synthetic_requests_total{{outcome=\"failed\"}} {}",
            self.synthetic_failed.load(Ordering::Relaxed)
        );
    }
}

/// The request duration histogram: cumulative buckets, `+Inf`, sum and count per series.
fn durations(out: &mut String, series: &BTreeMap<(String, u16), Series>) {
    header(
        out,
        "http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request, by route template and status code.",
    );
    for ((route, status), s) in series {
        let labels = format!("route=\"{}\",status=\"{status}\"", escape(route));
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += s.buckets[i];
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {}",
            float(s.sum)
        );
        let _ = writeln!(out, "http_request_duration_seconds_count{{{labels}}} {}", s.count);
    }
}

/// The request counter per series.
fn requests(out: &mut String, series: &BTreeMap<(String, u16), Series>) {
    header(
        out,
        "http_requests_total",
        "counter",
        "HTTP requests answered, by route template and status code.",
    );
    for ((route, status), s) in series {
        let _ = writeln!(
            out,
            "http_requests_total{{route=\"{}\",status=\"{status}\"}} {}",
            escape(route),
            s.count
        );
    }
}

/// One line per provider and breaker state, 1 for the state it is in.
fn breakers(out: &mut String, breakers: &[(String, String)]) {
    header(
        out,
        "circuit_breaker_state",
        "gauge",
        "1 for the state each provider's circuit breaker is in, 0 for the others.",
    );
    for (provider, state) in breakers {
        for candidate in ["closed", "open", "half_open"] {
            let _ = writeln!(
                out,
                "circuit_breaker_state{{provider=\"{}\",state=\"{candidate}\"}} {}",
                escape(provider),
                u8::from(candidate == state)
            );
        }
    }
}

/// One line per fault kind, 1 while it is injected.
fn faults(out: &mut String, faults_on: &[&'static str]) {
    header(
        out,
        "sandbox_fault_active",
        "gauge",
        "1 while a fault of that kind is injected.",
    );
    for kind in ["latency", "errors", "down"] {
        let _ = writeln!(
            out,
            "sandbox_fault_active{{fault=\"{kind}\"}} {}",
            u8::from(faults_on.contains(&kind))
        );
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {}", float(value));
}

fn float(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else if v.is_nan() {
        "NaN".to_owned()
    } else if v > 0.0 {
        "+Inf".to_owned()
    } else {
        "-Inf".to_owned()
    }
}

/// Escapes a label value as the text format requires.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Keeps the in-flight gauge right even when a request is dropped half way.
struct InFlight<'a>(&'a AtomicU64);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Times every request and records it under its route template (`unmatched` for 404s off the map).
/// `/metrics` and `/__sandbox/*` are not recorded: scraping and fault switching are not platform traffic.
pub async fn middleware(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    if route == "/metrics" || route.starts_with("/__sandbox") {
        return next.run(req).await;
    }
    if let Some(session) = req
        .headers()
        .get(crate::usage::SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        metrics.users.seen(session);
    }
    metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let _guard = InFlight(&metrics.in_flight);
    let start = Instant::now();
    let response = next.run(req).await;
    metrics.observe(&route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_at_count() {
        let m = Metrics::default();
        m.observe("/health", 200, 0.003);
        m.observe("/health", 200, 0.3);
        m.observe("/health", 200, 42.0);
        let text = m.render(&ScrapeInputs::default());
        assert!(text.contains(
            "http_request_duration_seconds_bucket{route=\"/health\",status=\"200\",le=\"0.005\"} 1"
        ));
        assert!(text
            .contains("http_request_duration_seconds_bucket{route=\"/health\",status=\"200\",le=\"0.5\"} 2"));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{route=\"/health\",status=\"200\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("http_requests_total{route=\"/health\",status=\"200\"} 3"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
