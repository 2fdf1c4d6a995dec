//! Golden signals and SLOs of an environment: what they are, reading them, judging them.
//!
//! Owns the signal model (`model`: [`Signal`], [`Class`], [`Unit`], [`Point`], [`SeriesResult`],
//! [`SloStatus`], ...), where an environment's signals come from ([`Target`]: its Prometheus and
//! its Postgres, from the environment's variables and keyring secrets; `defaults`: the golden set
//! every environment with a Prometheus gets, shaped on the sandbox's metrics; `custom`: the
//! `SIGNAL_<NAME>` variables), reading them (`fetch`: Prometheus instant and range queries and
//! SQL through sqlx, each under a deadline and a body cap), and SLOs (`slo`: the grammar of the
//! runbook's "SLO Alert Rules Configured" lines, the error budget, and multi-window multi-burn-rate
//! evaluation as in the SRE workbook). Drawing charts is the archive's and the window's; the `slo`
//! and `baseline` step kinds (in `probe`) are thin faces over this module.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo(probe_env: flightdeck_engine::probe::ProbeEnv) -> Result<(), Box<dyn std::error::Error>> {
//! use flightdeck_engine::signals::{self, slo, Target};
//! use tokio_util::sync::CancellationToken;
//!
//! // The environment's variables and secrets (`Environments::probe_env`), as steps get them.
//! let target = Target::from_env("sandbox", &probe_env)?;
//! let list = signals::for_env(&target)?; // the golden set, plus SIGNAL_<NAME> variables
//! let now = signals::now(&probe_env);
//! let cancel = CancellationToken::new();
//! // One series per signal; a signal that failed is `Data::NoData { reason }`, never empty.
//! let series = signals::range(&target, &list, now - 3600, now, 15, &cancel).await;
//! // SLOs: from a runbook's "SLO Alert Rules Configured" items, else the environment's defaults.
//! let slos = slo::for_env(&target, None)?;
//! let statuses = slo::status(&target, &slos, now, &cancel).await;
//! let worst = signals::worst(statuses.iter().map(|s| s.state));
//! # let _ = (series, worst); Ok(()) }
//! ```
//!
//! Every function here that talks to a source returns data, never an error: a source that
//! fails, times out, answers too much, answers NaN or matches nothing gives that signal (or that
//! window) [`Data::NoData`] with a reason naming the signal and the environment. Errors
//! ([`SignalError`]) are for configuration that cannot be read (a bad `SIGNAL_*` variable, a
//! missing secret).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub mod baseline;
mod custom;
mod defaults;
mod fetch;
mod model;
pub mod slo;
mod target;

pub use model::*;
pub use target::{PromAuth, Target};

/// Longest a single call to a source may take, unless the environment says otherwise
/// (`SIGNALS_DEADLINE`).
pub const DEADLINE: Duration = Duration::from_secs(10);
/// Largest answer read from a source; a bigger one is no data ("narrow the query").
pub const BODY_CAP: usize = 8 << 20;
/// Points asked of one range query at most (Prometheus refuses more than 11,000).
pub const MAX_POINTS: i64 = 11_000;

/// A signal configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// A variable of the environment does not read (`SIGNAL_X`, `PROMETHEUS_URL`, `SLO_PERIOD`).
    #[error("environment `{env}`: variable {var}: {message}")]
    BadVar {
        env: String,
        var: String,
        message: String,
    },
    /// A secret the configuration names cannot be had.
    #[error("environment `{env}`: {message}")]
    Secret { env: String, message: String },
    /// An SLO line or binding that does not hold together.
    #[error("{0}")]
    Invalid(String),
}

impl crate::error::HasKind for SignalError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            SignalError::BadVar { .. } | SignalError::Invalid(_) => ErrorKind::Invalid,
            SignalError::Secret { .. } => ErrorKind::NotFound,
        }
    }
}

/// The environment's signals: the golden set (its Prometheus ones when it has a Prometheus, its
/// SQL ones when it has a database), then its own `SIGNAL_<NAME>` variables, which replace a
/// default of the same name.
pub fn for_env(target: &Target) -> Result<Vec<Signal>, SignalError> {
    let mut list = defaults::signals(target);
    for s in custom::signals(target)? {
        match list.iter_mut().find(|d| d.name == s.name) {
            Some(d) => *d = s,
            None => list.push(s),
        }
    }
    Ok(list)
}

/// Every signal over `[start, end]` (unix seconds), one point per `step` seconds, fetched
/// concurrently. Results come back in the order of `signals`.
pub async fn range(
    target: &Target,
    signals: &[Signal],
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> Vec<SeriesResult> {
    fetch::range_all(target, signals, start, end, step, cancel).await
}

/// Every signal's value at `at` (unix seconds), its rate window `window` seconds.
pub async fn instant(
    target: &Target,
    signals: &[Signal],
    at: i64,
    window: u32,
    cancel: &CancellationToken,
) -> Vec<ValueResult> {
    fetch::instant_all(target, signals, at, window, cancel).await
}

/// "Now" in unix seconds from the environment's clock.
pub fn now(env: &crate::probe::ProbeEnv) -> i64 {
    env.clock.now().unix_timestamp()
}

/// `5m`, `2h`, `1d`, `90s`, `250ms` (rounded down to seconds), `1w`: a PromQL-style duration, in
/// seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" => 0.001,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    };
    let secs = n * scale;
    (0.0..1e12).contains(&secs).then_some(secs as u64)
}

/// Seconds as PromQL writes a duration: `10s`, `2m`, `1h30m`, `3d`.
pub fn promql_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_as_promql_does() {
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("5min"), Some(300));
        assert_eq!(parse_duration("30 d"), Some(2_592_000));
        assert_eq!(parse_duration("1.5h"), Some(5400));
        assert_eq!(parse_duration("fast"), None);
        assert_eq!(parse_duration("5"), None, "a bare number has no unit");
        assert_eq!(promql_duration(10), "10s");
        assert_eq!(promql_duration(120), "2m");
        assert_eq!(promql_duration(5400), "1h30m");
        assert_eq!(promql_duration(259_200), "3d");
    }

    #[test]
    fn the_worst_state_puts_missing_data_above_a_ticket() {
        use SloState::*;
        assert_eq!(worst([Ok, Warning]), Warning);
        assert_eq!(worst([Ok, NoData, Warning]), NoData);
        assert_eq!(worst([NoData, Critical]), Critical);
        assert_eq!(worst([]), NoData, "no SLOs at all is not ok");
    }
}
