//! Faults switched at run time: added latency, a share of 500s, or the whole platform down.
//!
//! Owns the fault syntax (`latency=800ms`, `errors=5%`, `down`, `clear`), the set of active faults and the
//! middleware that applies them to every route except `/metrics` and `/__sandbox/*`. Health handlers read
//! `down` themselves so their JSON keeps its shape; the admin endpoint that switches faults over HTTP lives
//! in `routes::sandbox`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::SandboxError;
use crate::routes::ApiError;

/// One fault switch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Add this delay to every faultable answer.
    Latency(Duration),
    /// Answer this percentage (0–100) of faultable requests with 500.
    Errors(f64),
    /// Health endpoints report Unhealthy with 503; every other faultable route answers 503, and
    /// `/metrics` too (`routes::metrics_text`): nothing is left to scrape.
    Down,
    /// Remove every active fault.
    Clear,
}

const ACCEPTED: &str = "accepted: latency=<N>ms|<N>s (e.g. latency=800ms), errors=<P>% with 0 <= P <= 100 \
                        (e.g. errors=5%), down, clear";

/// Parses one fault: `latency=800ms`, `latency=1.5s`, `errors=5%`, `down` or `clear`
/// (case and surrounding whitespace ignored).
pub fn parse_fault(s: &str) -> Result<Fault, SandboxError> {
    let text = s.trim().to_ascii_lowercase();
    let invalid = |why: &str| SandboxError::InvalidFault {
        input: s.trim().to_owned(),
        reason: format!("{why}; {ACCEPTED}"),
    };
    match text.as_str() {
        "down" => return Ok(Fault::Down),
        "clear" => return Ok(Fault::Clear),
        "" => return Err(invalid("empty fault")),
        _ => {}
    }
    let Some((key, value)) = text.split_once('=') else {
        return Err(invalid("unknown fault"));
    };
    let value = value.trim();
    match key.trim() {
        "latency" => {
            let (number, scale) = if let Some(n) = value.strip_suffix("ms") {
                (n, 0.001)
            } else if let Some(n) = value.strip_suffix('s') {
                (n, 1.0)
            } else {
                return Err(invalid("latency needs a unit, ms or s"));
            };
            let n: f64 = number
                .trim()
                .parse()
                .map_err(|_| invalid("latency is not a number"))?;
            if !n.is_finite() || n < 0.0 || n * scale > 3600.0 {
                return Err(invalid("latency must be between 0 and 3600 s"));
            }
            Ok(Fault::Latency(Duration::from_secs_f64(n * scale)))
        }
        "errors" => {
            let number = value.strip_suffix('%').unwrap_or(value).trim();
            let p: f64 = number.parse().map_err(|_| invalid("errors is not a number"))?;
            if !p.is_finite() || !(0.0..=100.0).contains(&p) {
                return Err(invalid("errors must be between 0% and 100%"));
            }
            Ok(Fault::Errors(p))
        }
        _ => Err(invalid("unknown fault")),
    }
}

/// The faults in force, as `GET /__sandbox/fault` shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActiveFaults {
    /// Added latency in milliseconds, or null.
    pub latency_ms: Option<u64>,
    /// Share of requests answered 500, in percent, or null.
    pub errors_percent: Option<f64>,
    pub down: bool,
    /// The same faults in the syntax `parse_fault` reads, e.g. `["latency=800ms", "down"]`.
    pub active: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Switches {
    latency: Option<Duration>,
    errors: Option<f64>,
    down: bool,
}

/// The shared fault switches; latency, errors and down combine, each set replaces its own kind.
#[derive(Debug, Default)]
pub struct Faults {
    switches: RwLock<Switches>,
    /// Counts faultable requests so `errors=P%` fails exactly P in every 100, spread evenly.
    seen: AtomicU64,
}

impl Faults {
    pub fn set(&self, fault: Fault) {
        let Ok(mut s) = self.switches.write() else {
            return;
        };
        match fault {
            Fault::Latency(d) if d.is_zero() => s.latency = None,
            Fault::Latency(d) => s.latency = Some(d),
            Fault::Errors(p) if p <= 0.0 => s.errors = None,
            Fault::Errors(p) => s.errors = Some(p),
            Fault::Down => s.down = true,
            Fault::Clear => *s = Switches::default(),
        }
    }

    fn get(&self) -> Switches {
        self.switches.read().map(|s| *s).unwrap_or_default()
    }

    pub fn is_down(&self) -> bool {
        self.get().down
    }

    pub fn active(&self) -> ActiveFaults {
        let s = self.get();
        let mut active = Vec::new();
        if let Some(d) = s.latency {
            active.push(format!("latency={}ms", d.as_millis()));
        }
        if let Some(p) = s.errors {
            active.push(format!("errors={p}%"));
        }
        if s.down {
            active.push("down".to_owned());
        }
        ActiveFaults {
            latency_ms: s.latency.map(|d| d.as_millis() as u64),
            errors_percent: s.errors,
            down: s.down,
            active,
        }
    }

    /// Whether the next request should fail under `errors=P%`: request n fails when the running total
    /// of failures owed, floor(n·P/100), steps up.
    fn next_fails(&self, percent: f64) -> bool {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * percent / 100.0).floor() > (n * percent / 100.0).floor()
    }
}

/// Whether a path is never faulted.
pub fn is_exempt(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/__sandbox")
}

/// True for the three health endpoints, which answer `down` themselves.
pub fn is_health(path: &str) -> bool {
    path == "/health" || path.starts_with("/api/health/")
}

/// Applies the active faults: latency first (so a 500 or 503 is slow too), then down, then errors.
pub async fn middleware(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_exempt(&path) {
        return next.run(req).await;
    }
    let s = faults.get();
    if let Some(delay) = s.latency {
        tokio::time::sleep(delay).await;
    }
    if s.down && !is_health(&path) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (sandbox fault: down)",
        )
        .into_response();
    }
    if let Some(p) = s.errors {
        if faults.next_fails(p) {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal error (sandbox fault: errors={p}%)"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() -> Result<(), SandboxError> {
        assert_eq!(
            parse_fault("latency=800ms")?,
            Fault::Latency(Duration::from_millis(800))
        );
        assert_eq!(
            parse_fault(" Latency=1.5s ")?,
            Fault::Latency(Duration::from_millis(1500))
        );
        assert_eq!(parse_fault("errors=5%")?, Fault::Errors(5.0));
        assert_eq!(parse_fault("errors=100")?, Fault::Errors(100.0));
        assert_eq!(parse_fault("down")?, Fault::Down);
        assert_eq!(parse_fault("CLEAR")?, Fault::Clear);
        Ok(())
    }

    #[test]
    fn rejects_other_text_and_says_what_is_accepted() {
        for bad in [
            "",
            "slow",
            "latency=800",
            "latency=-1ms",
            "latency=abcms",
            "errors=101%",
            "errors=x%",
            "up",
        ] {
            let err = parse_fault(bad).err();
            let msg = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("accepted: latency="), "{bad:?} gave {msg:?}");
        }
    }

    #[test]
    fn errors_share_is_exact_over_a_hundred_requests() {
        let faults = Faults::default();
        let failed = (0..100).filter(|_| faults.next_fails(5.0)).count();
        assert_eq!(failed, 5);
        let faults = Faults::default();
        assert!((0..10).all(|_| faults.next_fails(100.0)));
    }

    #[test]
    fn faults_combine_and_clear_removes_all() {
        let faults = Faults::default();
        faults.set(Fault::Latency(Duration::from_millis(800)));
        faults.set(Fault::Errors(5.0));
        faults.set(Fault::Down);
        assert_eq!(faults.active().active, vec!["latency=800ms", "errors=5%", "down"]);
        faults.set(Fault::Clear);
        assert_eq!(faults.active(), ActiveFaults::default());
    }
}
