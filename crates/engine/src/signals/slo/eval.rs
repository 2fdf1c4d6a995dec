//! Evaluating SLOs against an environment's Prometheus: the threshold check in the runbook's
//! words, each window's error ratio and burn rate, each pair's verdict, the state, and the budget.
//!
//! Owns [`status`] (one instant) and [`burn_range`] (burn rates over a range, for charts). All
//! queries of all SLOs go out concurrently, each window once even when two pairs share it. The
//! state is decided by [`decide`]: critical when a page pair fires, else no-data when any pair
//! lacks a window, else warning when a ticket pair fires, else ok — so missing data is never ok.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::burn::{self, Pair};
use crate::probe::prom_api::At;
use crate::signals::fetch::{one_series, prom, with_window};
use crate::signals::model::{
    Budget, Burn, BurnSeries, Data, PairStatus, Point, Severity, Signal, Slo, SloState, SloStatus,
    ThresholdCheck, Unit, WindowBurn,
};
use crate::signals::Target;

/// Queries in flight at once.
const CONCURRENCY: usize = 16;

/// One query to send: which SLO, what for, the PromQL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ask {
    /// The threshold check (the signal's query over the SLO's window).
    Threshold,
    /// The error ratio over a window of this many seconds.
    Window(u64),
}

/// Which SLO (its index) and what for.
type Key = (usize, Ask);
/// The query sent and its latest point.
type Answer = (String, Data<Point>);

/// How every SLO stands at `at` (unix seconds), in the order given.
pub async fn status(target: &Target, slos: &[Slo], at: i64, cancel: &CancellationToken) -> Vec<SloStatus> {
    let signals = crate::signals::for_env(target);
    let mut asks: Vec<(usize, Ask, Result<String, String>)> = Vec::new();
    for (i, slo) in slos.iter().enumerate() {
        let signal = match &signals {
            Ok(list) => list
                .iter()
                .find(|s| s.name == slo.signal)
                .ok_or_else(|| format!("environment `{}` has no signal `{}`", target.env, slo.signal)),
            Err(e) => Err(e.to_string()),
        };
        asks.push((
            i,
            Ask::Threshold,
            signal.map(|s| with_window(&s.query, slo.window_s)),
        ));
        for w in windows(slo) {
            let q = slo
                .error_ratio_query
                .as_deref()
                .map(|q| with_window(q, w))
                .ok_or_else(|| {
                    format!(
                        "signal `{}` has no error-ratio query (set SIGNAL_{}_ERROR_RATIO)",
                        slo.signal,
                        slo.signal.to_ascii_uppercase()
                    )
                });
            asks.push((i, Ask::Window(w), q));
        }
    }
    let jobs: Vec<_> = asks
        .into_iter()
        .map(|(i, ask, q)| ask_one(target, i, ask, q, at, cancel))
        .collect();
    let answers: Vec<(Key, Answer)> = futures_util::stream::iter(jobs)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut by: BTreeMap<Key, Answer> = answers.into_iter().collect();
    let unit_of = |slo: &Slo| {
        signals
            .as_ref()
            .ok()
            .and_then(|l| l.iter().find(|s: &&Signal| s.name == slo.signal))
            .map_or(Unit::Count, |s| s.unit)
    };
    slos.iter()
        .enumerate()
        .map(|(i, slo)| {
            let mut take = |ask: Ask| {
                by.remove(&(i, ask)).unwrap_or_else(|| {
                    (
                        String::new(),
                        Data::NoData {
                            reason: "not asked".into(),
                        },
                    )
                })
            };
            let (tq, tdata) = take(Ask::Threshold);
            let mut window_data: BTreeMap<u64, (String, Data<Point>)> = BTreeMap::new();
            for w in windows(slo) {
                window_data.insert(w, take(Ask::Window(w)));
            }
            judge(target, slo, at, unit_of(slo), (tq, tdata), &window_data)
        })
        .collect()
}

/// One instant query's latest point, or why there is none.
async fn ask_one(
    target: &Target,
    i: usize,
    ask: Ask,
    q: Result<String, String>,
    at: i64,
    cancel: &CancellationToken,
) -> (Key, Answer) {
    let answer = match q {
        Ok(q) => {
            let got = prom(target, &q, At::Instant(at as f64), cancel)
                .await
                .and_then(one_series);
            let data = match got.map(|p| p.points.last().copied()) {
                Ok(Some(p)) => Data::Ok { value: p },
                Ok(None) => Data::NoData {
                    reason: "no samples".into(),
                },
                Err(why) => Data::NoData { reason: why },
            };
            (q, data)
        }
        Err(why) => (String::new(), Data::NoData { reason: why }),
    };
    ((i, ask), answer)
}

/// The distinct windows an SLO's pairs and budget use, ascending.
fn windows(slo: &Slo) -> Vec<u64> {
    let mut w: Vec<u64> = burn::pairs(slo.period_s)
        .iter()
        .flat_map(|p| [p.long_s, p.short_s])
        .chain([slo.period_s])
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// One SLO's status from its answers.
fn judge(
    target: &Target,
    slo: &Slo,
    at: i64,
    unit: Unit,
    threshold: (String, Data<Point>),
    windows: &BTreeMap<u64, (String, Data<Point>)>,
) -> SloStatus {
    let where_ = |w: u64, why: &str| {
        format!(
            "SLO `{}` of environment `{}`, window {}: {why}",
            slo.id,
            target.env,
            crate::signals::promql_duration(w)
        )
    };
    let window = |w: u64| -> WindowBurn {
        let (query, data) = windows.get(&w).cloned().unwrap_or_else(|| {
            (
                String::new(),
                Data::NoData {
                    reason: "not asked".into(),
                },
            )
        });
        let data = match data {
            Data::Ok { value } => Data::Ok {
                value: Burn {
                    error_ratio: value.v,
                    burn_rate: burn::burn_rate(value.v, slo.objective),
                },
            },
            Data::NoData { reason } => Data::NoData {
                reason: where_(w, &reason),
            },
        };
        WindowBurn {
            window_s: w,
            query,
            data,
        }
    };
    let pairs: Vec<PairStatus> = burn::pairs(slo.period_s)
        .iter()
        .map(|p| pair_status(p, slo.objective, window(p.long_s), window(p.short_s)))
        .collect();
    let budget = match window(slo.period_s).data {
        Data::Ok { value } => Data::Ok {
            value: Budget {
                error_ratio: value.error_ratio,
                remaining: burn::remaining(value.error_ratio, slo.objective),
            },
        },
        Data::NoData { reason } => Data::NoData { reason },
    };
    let (tq, tdata) = threshold;
    let tdata = match tdata {
        Data::NoData { reason } => Data::NoData {
            reason: format!(
                "SLO `{}` of environment `{}`, signal `{}`: {reason}",
                slo.id, target.env, slo.signal
            ),
        },
        ok => ok,
    };
    let met = tdata.ok().map(|p| slo.op.holds(p.v, slo.threshold));
    let (state, reason) = decide(&pairs);
    SloStatus {
        slo: slo.clone(),
        state,
        reason,
        at,
        threshold: ThresholdCheck {
            signal: slo.signal.clone(),
            query: tq,
            window_s: slo.window_s,
            op: slo.op,
            threshold: slo.threshold,
            unit,
            data: tdata,
            met,
        },
        pairs,
        budget,
    }
}

fn pair_status(p: &Pair, objective: f64, long: WindowBurn, short: WindowBurn) -> PairStatus {
    let firing = match (long.data.ok(), short.data.ok()) {
        (Some(l), Some(s)) => Some(burn::fires(p, l.error_ratio, s.error_ratio, objective)),
        _ => None,
    };
    PairStatus {
        severity: p.severity,
        factor: p.factor,
        error_ratio_threshold: burn::ratio_threshold(p.factor, objective),
        long,
        short,
        firing,
    }
}

/// The state of an SLO from its pairs, and why.
pub(crate) fn decide(pairs: &[PairStatus]) -> (SloState, String) {
    let describe = |p: &PairStatus| {
        let rate = |w: &WindowBurn| w.data.ok().map_or(0.0, |b| b.burn_rate);
        format!(
            "burning {:.1}× over {} and {:.1}× over {}, above {}×",
            rate(&p.long),
            crate::signals::promql_duration(p.long.window_s),
            rate(&p.short),
            crate::signals::promql_duration(p.short.window_s),
            p.factor
        )
    };
    let firing = |sev: Severity| pairs.iter().find(|p| p.severity == sev && p.firing == Some(true));
    if let Some(p) = firing(Severity::Page) {
        return (SloState::Critical, format!("page: {}", describe(p)));
    }
    if let Some(p) = pairs.iter().find(|p| p.firing.is_none()) {
        let why = [&p.short, &p.long]
            .iter()
            .find_map(|w| w.data.reason().map(str::to_owned))
            .unwrap_or_default();
        return (SloState::NoData, format!("no data: {why}"));
    }
    if pairs.is_empty() {
        return (SloState::NoData, "no data: no window pairs".into());
    }
    if let Some(p) = firing(Severity::Ticket) {
        return (SloState::Warning, format!("ticket: {}", describe(p)));
    }
    (SloState::Ok, "every window pair burns below its factor".into())
}

/// Burn rates of every window of `slo`'s pairs over `[start, end]`, one point per `step`.
pub async fn burn_range(
    target: &Target,
    slo: &Slo,
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> Vec<BurnSeries> {
    let mut ws: Vec<u64> = burn::pairs(slo.period_s)
        .iter()
        .flat_map(|p| [p.long_s, p.short_s])
        .collect();
    ws.sort_unstable();
    ws.dedup();
    let step = step.max(1);
    let jobs: Vec<_> = ws
        .into_iter()
        .map(|w| burn_one(target, slo, w, start, end, step, cancel))
        .collect();
    futures_util::stream::iter(jobs)
        .buffered(CONCURRENCY)
        .collect()
        .await
}

async fn burn_one(
    target: &Target,
    slo: &Slo,
    w: u64,
    start: i64,
    end: i64,
    step: u32,
    cancel: &CancellationToken,
) -> BurnSeries {
    let Some(q) = slo.error_ratio_query.as_deref().map(|q| with_window(q, w)) else {
        return BurnSeries {
            slo: slo.id.clone(),
            window_s: w,
            query: String::new(),
            data: Data::NoData {
                reason: format!("signal `{}` has no error-ratio query", slo.signal),
            },
        };
    };
    let at = At::Range {
        start: start as f64,
        end: end as f64,
        step: f64::from(step),
    };
    let data = match prom(target, &q, at, cancel).await.and_then(one_series) {
        Ok(mut p) => {
            for pt in &mut p.points {
                pt.v = burn::burn_rate(pt.v, slo.objective);
            }
            Data::Ok { value: p }
        }
        Err(why) => Data::NoData {
            reason: format!("SLO `{}` of environment `{}`: {why}", slo.id, target.env),
        },
    };
    BurnSeries {
        slo: slo.id.clone(),
        window_s: w,
        query: q,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(window_s: u64, ratio: Option<f64>) -> WindowBurn {
        WindowBurn {
            window_s,
            query: String::new(),
            data: match ratio {
                Some(r) => Data::Ok {
                    value: Burn {
                        error_ratio: r,
                        burn_rate: burn::burn_rate(r, 0.999),
                    },
                },
                None => Data::NoData {
                    reason: "the query matched no series".into(),
                },
            },
        }
    }

    /// The four pairs of a 30-day SLO with the same ratio in every window (`None`: no data).
    fn all(ratio: Option<f64>) -> Vec<PairStatus> {
        burn::GOOGLE_30D
            .iter()
            .map(|p| pair_status(p, 0.999, w(p.long_s, ratio), w(p.short_s, ratio)))
            .collect()
    }

    #[test]
    fn no_data_is_never_ok() {
        assert_eq!(decide(&all(None)).0, SloState::NoData);
        assert_eq!(decide(&all(Some(0.0))).0, SloState::Ok);
        assert_eq!(decide(&[]).0, SloState::NoData, "nothing evaluated is not ok");
        // One missing short window is enough to withhold "ok".
        let mut pairs = all(Some(0.0));
        pairs[3] = pair_status(
            &burn::GOOGLE_30D[3],
            0.999,
            w(259_200, Some(0.0)),
            w(21_600, None),
        );
        let (state, reason) = decide(&pairs);
        assert_eq!(state, SloState::NoData);
        assert!(reason.contains("no series"), "{reason}");
    }

    #[test]
    fn states_follow_the_pairs_that_fire() {
        // 0.2 % errors burn 2×: only the 1× ticket pair fires.
        assert_eq!(decide(&all(Some(0.002))).0, SloState::Warning);
        // 5 % errors burn 50×: pages.
        let (state, reason) = decide(&all(Some(0.05)));
        assert_eq!(state, SloState::Critical);
        assert!(reason.starts_with("page: burning 50.0× over 1h"), "{reason}");
        // A page firing on the windows that have data beats a window without any.
        let mut pairs = all(Some(0.05));
        pairs[3] = pair_status(&burn::GOOGLE_30D[3], 0.999, w(259_200, None), w(21_600, None));
        assert_eq!(decide(&pairs).0, SloState::Critical);
    }
}
