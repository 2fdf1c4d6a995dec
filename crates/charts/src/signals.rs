//! The engine's signal data as panels: the four golden-signal panels (up to three series each,
//! in the environment's order) and one burn-rate panel per SLO with its pairs' factors drawn.
//!
//! Owns which series go on which panel, their labels and units, the windows a burn-rate panel
//! shows, its thresholds, and a line's "no data" reason (the engine's words). The window and
//! the archive both build their panels here, so they show the same thing; the marks (T-0, now,
//! the decision, the export) and verdicts are theirs to add. Reading the sources is the
//! engine's (`flightdeck_engine::signals`).

use flightdeck_engine::signals::slo::{self, burn};
use flightdeck_engine::signals::{
    promql_duration, BurnSeries, Class, Data, SeriesResult, Severity as Sev, Signal, Slo, Target, Unit,
};
use tokio_util::sync::CancellationToken;

use crate::panel::{Panel, Scale, Threshold, ThresholdKind};

/// The time axis and how finely to draw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Unix seconds.
    pub from: i64,
    pub to: i64,
    /// The step the samples were asked at, in seconds: a silence longer than a few steps
    /// breaks the line.
    pub step: u32,
    /// Pixel columns of the plot (`draw::plot_columns`).
    pub columns: usize,
}

impl Span {
    fn max_gap(&self) -> Option<f64> {
        Some(f64::from(self.step.max(1)) * 3.5)
    }
}

/// What one drawing of the signals reads: every signal over the span, and each SLO's burn rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub series: Vec<SeriesResult>,
    pub burns: Vec<(Slo, Vec<BurnSeries>)>,
}

/// Read `signals` and the burn rates of `slos` over `span` from `target`, all at once. Never
/// fails: a source that does not answer gives its lines "no data" and the reason.
pub async fn fetch(
    target: &Target,
    signals: &[Signal],
    slos: &[Slo],
    span: &Span,
    cancel: &CancellationToken,
) -> Fetched {
    let series = flightdeck_engine::signals::range(target, signals, span.from, span.to, span.step, cancel);
    let burns = futures_util::future::join_all(slos.iter().map(|s| async move {
        let b = slo::burn_range(target, s, span.from, span.to, span.step, cancel).await;
        (s.clone(), b)
    }));
    let (series, burns) = tokio::join!(series, burns);
    Fetched { series, burns }
}

/// Every panel of `fetched`: the four golden ones, then one per SLO.
pub fn panels(fetched: &Fetched, env: &str, span: &Span) -> Vec<Panel> {
    let mut out = golden_panels(&fetched.series, env, span);
    out.extend(fetched.burns.iter().map(|(slo, b)| burn_panel(slo, b, span)));
    out
}

/// The unit word a chart uses for an engine unit (`panel::format_value`).
pub fn unit(u: Unit) -> &'static str {
    match u {
        Unit::Seconds => "s",
        Unit::PerSecond => "/s",
        Unit::Ratio => "ratio",
        Unit::Count => "count",
    }
}

/// A golden class's panel title.
pub fn class_title(c: Class) -> &'static str {
    match c {
        Class::Latency => "Latency",
        Class::Traffic => "Traffic",
        Class::Errors => "Errors",
        Class::Saturation => "Saturation",
    }
}

/// The four golden-signal panels, latency, traffic, errors, saturation: each with the first
/// three of `series` of its class. A class without any signal is a panel that says so.
pub fn golden_panels(series: &[SeriesResult], env: &str, span: &Span) -> Vec<Panel> {
    Class::ALL
        .iter()
        .map(|&class| {
            let of_class: Vec<&SeriesResult> = series.iter().filter(|s| s.signal.class == class).collect();
            let axis_unit = of_class.first().map_or("", |s| unit(s.signal.unit));
            let mut p = Panel::new(
                class.as_str(),
                class_title(class),
                axis_unit,
                span.from as f64,
                span.to as f64,
            );
            for s in of_class.iter().take(crate::panel::MAX_LINES) {
                let label = s.signal.label.as_str();
                match &s.data {
                    Data::Ok { value } => {
                        let pts = value.points.iter().map(|pt| (pt.t as f64, pt.v));
                        p.add_series(label, pts, span.columns, span.max_gap());
                    }
                    Data::NoData { reason } => p.add_failed(label, reason),
                }
                if let Some(line) = p.lines.last_mut() {
                    line.unit = unit(s.signal.unit).to_string();
                }
            }
            if of_class.is_empty() {
                p.no_data = Some(format!("environment `{env}` has no {} signal", class.as_str()));
            }
            p
        })
        .collect()
}

/// The windows a burn-rate panel draws: the fast page pair's short and long windows and the
/// slow page pair's long one (what decides a page), shortest first.
pub fn burn_windows(slo: &Slo) -> Vec<u64> {
    let pairs = burn::pairs(slo.period_s);
    let mut w: Vec<u64> = pairs
        .iter()
        .filter(|p| p.severity == Sev::Page)
        .flat_map(|p| [p.short_s, p.long_s])
        .collect();
    w.sort_unstable();
    w.dedup();
    // Fast short, fast long, slow long: drop the slow pair's short window when there are four.
    if w.len() > crate::panel::MAX_LINES {
        let slow_short = pairs
            .iter()
            .filter(|p| p.severity == Sev::Page)
            .map(|p| p.short_s)
            .max();
        w.retain(|x| Some(*x) != slow_short);
    }
    w.truncate(crate::panel::MAX_LINES);
    w
}

/// One SLO's burn-rate panel (log axis): the burn rate over `burn_windows`, each pair's factor
/// as a dashed threshold (page red, ticket amber), 1× (the budget spent exactly over the
/// period) as the reference.
pub fn burn_panel(slo: &Slo, series: &[BurnSeries], span: &Span) -> Panel {
    let mut p = Panel::new(
        &format!("slo:{}", slo.id),
        &slo.text,
        "x",
        span.from as f64,
        span.to as f64,
    );
    p.scale = Scale::Log { floor: 0.1 };
    for w in burn_windows(slo) {
        let label = format!("{} burn", promql_duration(w));
        match series.iter().find(|s| s.window_s == w).map(|s| &s.data) {
            Some(Data::Ok { value }) => {
                let pts = value.points.iter().map(|pt| (pt.t as f64, pt.v));
                p.add_series(&label, pts, span.columns, span.max_gap());
            }
            Some(Data::NoData { reason }) => p.add_failed(&label, reason),
            None => p.add_failed(&label, "not asked"),
        }
        if let Some(line) = p.lines.last_mut() {
            line.unit = "x".into();
        }
    }
    for pair in burn::pairs(slo.period_s) {
        let (word, kind) = match pair.severity {
            Sev::Page => ("page", ThresholdKind::Page),
            Sev::Ticket => ("ticket", ThresholdKind::Ticket),
        };
        let label = format!(
            "{word} {}× ({} & {})",
            pair.factor,
            promql_duration(pair.long_s),
            promql_duration(pair.short_s)
        );
        match p.thresholds.iter_mut().find(|t| t.value == pair.factor) {
            Some(t) => t.label = format!("{} · {label}", t.label),
            None => p.thresholds.push(Threshold {
                value: pair.factor,
                label,
                kind: if pair.factor <= 1.0 {
                    ThresholdKind::Reference
                } else {
                    kind
                },
            }),
        }
    }
    if slo.error_ratio_query.is_none() {
        p.no_data = Some(format!(
            "signal `{}` has no error-ratio query: no error budget to burn",
            slo.signal
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_engine::signals::{Op, Point, Points, Signal, SourceKind};

    fn signal(name: &str, class: Class, unit: Unit) -> Signal {
        Signal {
            name: name.into(),
            label: name.to_uppercase(),
            class,
            unit,
            query: "q".into(),
            source: SourceKind::Prometheus,
        }
    }

    fn ok(name: &str, class: Class, unit: Unit, v: f64) -> SeriesResult {
        SeriesResult {
            signal: signal(name, class, unit),
            query: "q".into(),
            data: Data::Ok {
                value: Points {
                    points: (0..60).map(|t| Point { t: 1000 + t, v }).collect(),
                    dropped: 0,
                },
            },
        }
    }

    fn span() -> Span {
        Span {
            from: 1000,
            to: 1060,
            step: 1,
            columns: 400,
        }
    }

    fn slo(period_s: u64) -> Slo {
        Slo {
            id: "error-rate".into(),
            text: "Error rate < 1% (5min window)".into(),
            line: 0,
            signal: "errors_5xx".into(),
            op: Op::Lt,
            threshold: 0.01,
            window_s: 300,
            objective: 0.999,
            period_s,
            error_ratio_query: Some("sum(rate(x[$window]))".into()),
        }
    }

    #[test]
    fn four_golden_panels_take_three_series_of_their_class_in_order() {
        let series = vec![
            ok("p50", Class::Latency, Unit::Seconds, 0.1),
            ok("p95", Class::Latency, Unit::Seconds, 0.2),
            ok("p99", Class::Latency, Unit::Seconds, 0.3),
            ok("db_p95", Class::Latency, Unit::Seconds, 0.05),
            ok("rps", Class::Traffic, Unit::PerSecond, 12.0),
            ok("users", Class::Traffic, Unit::Count, 30.0),
            SeriesResult {
                signal: signal("5xx", Class::Errors, Unit::Ratio),
                query: "q".into(),
                data: Data::NoData {
                    reason: "signal `5xx` of environment `sandbox`: Prometheus answered 500".into(),
                },
            },
        ];
        let panels = golden_panels(&series, "sandbox", &span());
        let ids: Vec<&str> = panels.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["latency", "traffic", "errors", "saturation"],
            "always the four, in order"
        );
        let labels: Vec<&str> = panels[0].lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            ["P50", "P95", "P99"],
            "three per panel, the environment's first three"
        );
        assert_eq!(
            panels[1].lines[1].unit, "count",
            "each series keeps its own unit for its legend"
        );
        assert_eq!(
            panels[2].why_empty().as_deref(),
            Some("5XX: signal `5xx` of environment `sandbox`: Prometheus answered 500"),
            "a failed signal carries the engine's reason"
        );
        assert_eq!(
            panels[3].why_empty().as_deref(),
            Some("environment `sandbox` has no saturation signal")
        );
    }

    #[test]
    fn a_burn_panel_draws_the_page_windows_and_every_pairs_factor() {
        let s = slo(86_400);
        assert_eq!(
            burn_windows(&s),
            vec![10, 120, 720],
            "1-day SLO: 10 s and 2 m (fast page), 12 m (slow page)"
        );
        let series = vec![BurnSeries {
            slo: s.id.clone(),
            window_s: 120,
            query: "q".into(),
            data: Data::Ok {
                value: Points {
                    points: vec![Point { t: 1030, v: 50.0 }],
                    dropped: 0,
                },
            },
        }];
        let p = burn_panel(&s, &series, &span());
        assert_eq!(p.scale, Scale::Log { floor: 0.1 });
        let labels: Vec<&str> = p.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["10s burn", "2m burn", "12m burn"]);
        assert_eq!(
            p.lines[0].no_data.as_deref(),
            Some("not asked"),
            "a window the engine did not answer says so"
        );
        let factors: Vec<f64> = p.thresholds.iter().map(|t| t.value).collect();
        assert_eq!(factors, [14.4, 6.0, 3.0, 1.0], "the workbook's four factors");
        assert_eq!(p.thresholds[0].label, "page 14.4× (2m & 10s)");
        assert_eq!(
            p.thresholds[3].kind,
            ThresholdKind::Reference,
            "1× is the budget line, not an alert"
        );
    }

    #[test]
    fn a_30_day_slo_shows_its_5m_1h_and_6h_burn() {
        assert_eq!(burn_windows(&slo(30 * 86_400)), vec![300, 3600, 21_600]);
    }
}
