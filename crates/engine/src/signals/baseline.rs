//! A baseline: each golden signal's average and p95 over a window, captured into a run so a later
//! SLO gate can compare with it ("p95 at most 20 % above baseline").
//!
//! Owns [`Baseline`] (what the `baseline` step records as its body, so it lands in the run's
//! events), [`capture`], [`latest`] (the run's most recent baseline, read back from its events)
//! and [`above`] (how far a value is above a signal's baseline p95).

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::model::{Class, Data, Signal, Unit};
use super::Target;
use crate::store::StoredEvent;

/// One signal's baseline figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stats {
    pub avg: f64,
    pub p95: f64,
    pub min: f64,
    pub max: f64,
    pub samples: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BaselineSignal {
    pub signal: String,
    pub class: Class,
    pub unit: Unit,
    pub query: String,
    pub data: Data<Stats>,
}

/// Every signal's figures over `[at - window_s, at]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Baseline {
    pub environment: String,
    pub at: i64,
    pub window_s: u64,
    pub step_s: u32,
    pub signals: Vec<BaselineSignal>,
}

impl Baseline {
    /// Signals with figures.
    pub fn captured(&self) -> usize {
        self.signals.iter().filter(|s| s.data.ok().is_some()).count()
    }

    pub fn get(&self, signal: &str) -> Option<&Stats> {
        self.signals.iter().find(|s| s.signal == signal)?.data.ok()
    }
}

/// Captures `signals` over the `window_s` seconds before `at`, sampled about 60 times (never
/// finer than the scrape interval).
pub async fn capture(
    target: &Target,
    signals: &[Signal],
    at: i64,
    window_s: u64,
    cancel: &CancellationToken,
) -> Baseline {
    let scrape = target
        .prometheus
        .as_ref()
        .map_or(1, |p| p.scrape_interval.as_secs().max(1));
    let step = u32::try_from((window_s / 60).max(scrape)).unwrap_or(u32::MAX);
    let start = at - i64::try_from(window_s).unwrap_or(i64::MAX);
    let series = super::range(target, signals, start, at, step, cancel).await;
    let signals = series
        .into_iter()
        .map(|r| BaselineSignal {
            signal: r.signal.name.clone(),
            class: r.signal.class,
            unit: r.signal.unit,
            query: r.query,
            data: match r.data {
                Data::Ok { value } => Data::Ok {
                    value: stats(value.points.iter().map(|p| p.v).collect()),
                },
                Data::NoData { reason } => Data::NoData { reason },
            },
        })
        .collect();
    Baseline {
        environment: target.env.clone(),
        at,
        window_s,
        step_s: step,
        signals,
    }
}

/// Average, nearest-rank p95, min and max of at least one value.
pub fn stats(mut values: Vec<f64>) -> Stats {
    values.sort_by(f64::total_cmp);
    let n = values.len().max(1);
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1;
    Stats {
        avg: values.iter().sum::<f64>() / n as f64,
        p95: values.get(rank).copied().unwrap_or(f64::NAN),
        min: values.first().copied().unwrap_or(f64::NAN),
        max: values.last().copied().unwrap_or(f64::NAN),
        samples: u32::try_from(values.len()).unwrap_or(u32::MAX),
    }
}

/// The run's most recent baseline: the body of the latest `baseline` step that passed.
pub fn latest(events: &[StoredEvent]) -> Option<Baseline> {
    let mut kinds = std::collections::HashMap::new();
    let mut pending: std::collections::HashMap<String, Baseline> = std::collections::HashMap::new();
    let mut found = None;
    for e in events {
        let step = e.payload.get("step").and_then(|s| s.as_str()).unwrap_or_default();
        match e.kind.as_str() {
            "step_started" => {
                let kind = e.payload.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
                kinds.insert(step.to_owned(), kind.to_owned());
                pending.remove(step);
            }
            "step_output" if kinds.get(step).map(String::as_str) == Some("baseline") => {
                let text = e.payload.pointer("/output/text").and_then(|t| t.as_str());
                if let Some(b) = text.and_then(|t| serde_json::from_str::<Baseline>(t).ok()) {
                    pending.insert(step.to_owned(), b);
                }
            }
            "step_finished" => {
                let passed = e.payload.pointer("/result/outcome").and_then(|o| o.as_str()) == Some("passed");
                if let (true, Some(b)) = (passed, pending.remove(step)) {
                    found = Some(b);
                }
            }
            _ => {}
        }
    }
    found
}

/// How far `value` is above the baseline p95 of `signal`, as a share (0.25 = 25 % above), or
/// `None` without a baseline for it (or a zero baseline, where a share means nothing).
pub fn above(baseline: &Baseline, signal: &str, value: f64) -> Option<f64> {
    let p95 = baseline.get(signal)?.p95;
    (p95.abs() > f64::EPSILON).then(|| value / p95 - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_give_the_nearest_rank_p95() {
        let s = stats((1..=100).map(f64::from).collect());
        assert_eq!((s.p95, s.min, s.max, s.samples), (95.0, 1.0, 100.0, 100));
        assert!((s.avg - 50.5).abs() < 1e-9);
        assert_eq!(stats(vec![7.0]).p95, 7.0, "one sample is its own p95");
    }
}
