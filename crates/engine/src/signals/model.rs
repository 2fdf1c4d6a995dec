//! The data of signals and SLOs, as the engine hands them to the CLI, the window and the archive.
//!
//! Owns the plain types only: what a signal is ([`Signal`], [`Class`], [`Unit`], [`SourceKind`]),
//! what a query over it gives back ([`Point`], [`Points`], [`SeriesResult`], [`ValueResult`], [`Data`]), and
//! what an SLO is and how it stands ([`Slo`], [`SloState`], [`SloStatus`], [`PairStatus`],
//! [`WindowBurn`], [`ThresholdCheck`]). Fetching lives in `signals::fetch`, evaluating in
//! `signals::slo`. Every shape here is stored in run events and archive attachments: it only
//! grows. Timestamps are unix seconds; a value that could not be had is [`Data::NoData`] with the
//! reason, never an empty series or a zero.

use serde::{Deserialize, Serialize};

/// The four golden signals (Google SRE book, "Monitoring Distributed Systems").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Class {
    Latency,
    Traffic,
    Errors,
    Saturation,
}

impl Class {
    pub const ALL: [Class; 4] = [Class::Latency, Class::Traffic, Class::Errors, Class::Saturation];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Latency => "latency",
            Class::Traffic => "traffic",
            Class::Errors => "errors",
            Class::Saturation => "saturation",
        }
    }

    /// `latency`, `traffic`, `errors` (or `error`), `saturation`, any case.
    pub fn parse(s: &str) -> Option<Class> {
        match s.trim().to_ascii_lowercase().as_str() {
            "latency" => Some(Class::Latency),
            "traffic" => Some(Class::Traffic),
            "errors" | "error" => Some(Class::Errors),
            "saturation" => Some(Class::Saturation),
            _ => None,
        }
    }
}

/// What a signal's values count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Unit {
    /// Seconds (latencies): shown as ms or s.
    Seconds,
    /// Events per second (requests/s).
    PerSecond,
    /// A share between 0 and 1 (error rate, CPU): shown as %.
    Ratio,
    /// A plain count (active users, connections in use).
    Count,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::PerSecond => "per_second",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
        }
    }

    /// `seconds`/`s`, `per_second`/`req/s`/`/s`, `ratio`/`%`, `count`.
    pub fn parse(s: &str) -> Option<Unit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "seconds" | "s" | "second" => Some(Unit::Seconds),
            "per_second" | "req/s" | "/s" | "rps" => Some(Unit::PerSecond),
            "ratio" | "%" | "percent" => Some(Unit::Ratio),
            "count" | "n" => Some(Unit::Count),
            _ => None,
        }
    }

    /// `v` for people: `412 ms`, `1.25 s`, `12.5 req/s`, `0.4 %`, `17`.
    pub fn format(self, v: f64) -> String {
        let num = |x: f64| {
            if x.abs() >= 100.0 || x == x.trunc() {
                format!("{x:.0}")
            } else if x.abs() >= 10.0 {
                format!("{x:.1}")
            } else {
                format!("{x:.2}")
            }
        };
        match self {
            Unit::Seconds if v.abs() < 1.0 => format!("{} ms", num(v * 1000.0)),
            Unit::Seconds => format!("{} s", num(v)),
            Unit::PerSecond => format!("{} /s", num(v)),
            Unit::Ratio => format!("{} %", num(v * 100.0)),
            Unit::Count => num(v),
        }
    }
}

/// Where a signal's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SourceKind {
    /// The environment's Prometheus (`PROMETHEUS_URL`), HTTP API; `query` is PromQL.
    Prometheus,
    /// The environment's Postgres (`SIGNALS_DATABASE_URL`), through sqlx; `query` is SQL.
    Sql,
}

/// One golden signal of an environment: a query whose answer is one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Signal {
    /// Stable id (`latency_p95`): what SLOs bind to and charts key on.
    pub name: String,
    /// For people (`Latency P95`).
    pub label: String,
    pub class: Class,
    pub unit: Unit,
    /// PromQL, where `$window` stands for the rate window (see `signals::fetch`); or SQL, with
    /// `$1` the start and `$2` the end (unix seconds, float8) and `$3` the step in seconds,
    /// answering rows `(t, value)` with `t` in unix seconds.
    pub query: String,
    pub source: SourceKind,
}

/// One sample: unix seconds and a finite value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Point {
    pub t: i64,
    pub v: f64,
}

/// What a query gave: points, or no data and why. Never an empty `Ok`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Data<T> {
    Ok {
        value: T,
    },
    /// The source failed, answered nothing, or answered only NaN/Inf: `reason` says which, naming
    /// the signal and the environment.
    NoData {
        reason: String,
    },
}

impl<T> Data<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Data::Ok { value } => Some(value),
            Data::NoData { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Data::Ok { .. } => None,
            Data::NoData { reason } => Some(reason),
        }
    }
}

/// A series' points, oldest first (at least one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Points {
    pub points: Vec<Point>,
    /// Samples the source sent that were NaN or infinite, left out of `points`.
    pub dropped: u32,
}

/// One signal over a range ([`crate::signals::range`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeriesResult {
    pub signal: Signal,
    /// The query as sent (`$window` filled).
    pub query: String,
    pub data: Data<Points>,
}

/// One signal now ([`crate::signals::instant`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ValueResult {
    pub signal: Signal,
    pub query: String,
    pub data: Data<Point>,
}

/// How an SLO stands. Missing data is never [`SloState::Ok`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SloState {
    /// Every window pair has data and none burns above its factor; the threshold holds.
    Ok,
    /// A ticket pair burns (3× over 1 d & 2 h, or 1× over 3 d & 6 h, scaled).
    Warning,
    /// A page pair burns (14.4× over 1 h & 5 m, or 6× over 6 h & 30 m, scaled). The threshold
    /// check in the runbook's own words is reported beside it ([`ThresholdCheck::met`]); the
    /// `slo` step counts a failed one as a breach too.
    Critical,
    /// Not known: a window has no samples, or the source failed. Never read as ok.
    NoData,
}

impl SloState {
    pub fn as_str(self) -> &'static str {
        match self {
            SloState::Ok => "ok",
            SloState::Warning => "warning",
            SloState::Critical => "critical",
            SloState::NoData => "no-data",
        }
    }
}

/// `<`, `<=`, `>`, `>=` as written in the runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    pub fn holds(self, value: f64, target: f64) -> bool {
        match self {
            Op::Lt => value < target,
            Op::Le => value <= target,
            Op::Gt => value > target,
            Op::Ge => value >= target,
        }
    }
}

/// An SLO: the runbook's threshold (`API latency P95 < 500ms (5min window)`), the signal it binds
/// to, and the same objective read as a good/all ratio for the error budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Slo {
    /// Stable id: the item's id when imported from a runbook, else the signal's name.
    pub id: String,
    /// As written (`API latency P95 < 500ms (5min window)`).
    pub text: String,
    /// Line in the runbook (0 when not from one).
    pub line: u32,
    /// The signal the threshold is checked on (`latency_p95`).
    pub signal: String,
    pub op: Op,
    /// In the signal's unit: seconds for `500ms`, a ratio for `1%`.
    pub threshold: f64,
    /// The threshold check's window in seconds (`5min window` → 300).
    pub window_s: u64,
    /// The good/all objective (default 0.999).
    pub objective: f64,
    /// The error budget's period in seconds (default 30 days).
    pub period_s: u64,
    /// PromQL for the share of bad events over `$window` (0–1): what burns the budget. `None`
    /// when the signal has none (a gauge): the budget is then no data.
    pub error_ratio_query: Option<String>,
}

/// Page or ticket (SRE workbook, "Alerting on SLOs", table 5-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    Page,
    Ticket,
}

/// One window of a pair: its error ratio and burn rate now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WindowBurn {
    pub window_s: u64,
    /// The PromQL sent (`$window` filled).
    pub query: String,
    /// Share of bad events over the window, and the burn rate (that share over the budget,
    /// `1 - objective`).
    pub data: Data<Burn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Burn {
    pub error_ratio: f64,
    pub burn_rate: f64,
}

/// One window pair: fires when both windows burn at or above `factor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PairStatus {
    pub severity: Severity,
    /// The burn-rate threshold (14.4, 6, 3, 1).
    pub factor: f64,
    /// The error-ratio threshold: `factor × (1 - objective)`.
    pub error_ratio_threshold: f64,
    pub long: WindowBurn,
    pub short: WindowBurn,
    /// `None` when either window has no data.
    pub firing: Option<bool>,
}

/// The runbook's own check: the signal over its window against the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThresholdCheck {
    pub signal: String,
    pub query: String,
    pub window_s: u64,
    pub op: Op,
    pub threshold: f64,
    pub unit: Unit,
    pub data: Data<Point>,
    /// `None` without data.
    pub met: Option<bool>,
}

/// How one SLO stands at one instant ([`crate::signals::slo::status`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SloStatus {
    pub slo: Slo,
    pub state: SloState,
    /// Why the state is what it is, in a sentence (which pair fires, which window lacks data).
    pub reason: String,
    /// Evaluated at (unix seconds).
    pub at: i64,
    pub threshold: ThresholdCheck,
    /// Page pairs first, then ticket pairs, each with its scaled windows.
    pub pairs: Vec<PairStatus>,
    /// The period's error budget; no data when the period's error ratio is not known.
    pub budget: Data<Budget>,
}

/// The error budget over the SLO's period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Budget {
    /// Share of bad events over the whole period.
    pub error_ratio: f64,
    /// Share of the budget left: 1 untouched, 0 spent, below 0 overspent.
    pub remaining: f64,
}

/// The worst state over many SLOs: critical, then no-data, then warning, then ok. An empty list
/// is no-data (nothing says it is fine).
pub fn worst(states: impl IntoIterator<Item = SloState>) -> SloState {
    let rank = |s: SloState| match s {
        SloState::Critical => 3,
        SloState::NoData => 2,
        SloState::Warning => 1,
        SloState::Ok => 0,
    };
    states
        .into_iter()
        .max_by_key(|s| rank(*s))
        .unwrap_or(SloState::NoData)
}

/// One window's burn rate over a range, for an SLO's burn-rate chart ([`crate::signals::slo::burn_range`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BurnSeries {
    pub slo: String,
    pub window_s: u64,
    pub query: String,
    /// Burn rates (error ratio over `1 - objective`): the thresholds to draw are the factors of
    /// the pairs this window belongs to.
    pub data: Data<Points>,
}
