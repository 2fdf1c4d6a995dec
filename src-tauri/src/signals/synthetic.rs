//! Samples made up on the spot, for the chart benchmark: with `--synthetic-signals N` the
//! Signals view draws four golden classes × three signals × `N` samples each instead of asking
//! the environment's sources, so what is timed (from the samples' arrival to the painted frame)
//! is the view's own work: decimating, drawing, sending and painting. Nothing else uses it.

use flightdeck_charts::signals::{Fetched, Span};
use flightdeck_engine::signals::{Class, Data, Point, Points, SeriesResult, Signal, SourceKind, Unit};

/// Three signals of each golden class, `points` samples each spread over `span`, moving with
/// `span.to` so each refresh draws something new.
pub fn fetched(points: usize, span: &Span) -> Fetched {
    let points = points.max(2);
    let dt = (span.to - span.from) as f64 / (points - 1) as f64;
    let mut series = Vec::new();
    for (k, class) in Class::ALL.iter().enumerate() {
        let (unit, base) = match class {
            Class::Latency => (Unit::Seconds, 0.12),
            Class::Traffic => (Unit::PerSecond, 40.0),
            Class::Errors => (Unit::Ratio, 0.01),
            Class::Saturation => (Unit::Ratio, 0.4),
        };
        for s in 0..3 {
            let name = format!("{}_{s}", class.as_str());
            let phase = span.to as f64 / 60.0 + (k * 3 + s) as f64;
            let pts = (0..points)
                .map(|i| {
                    let t = span.from as f64 + i as f64 * dt;
                    let wave = ((t / 300.0) + phase).sin() * 0.3 + ((i * 7919 + s * 31) % 101) as f64 / 500.0;
                    Point {
                        t: t.round() as i64,
                        v: base * (1.0 + s as f64 * 0.5) * (1.0 + wave),
                    }
                })
                .collect();
            series.push(SeriesResult {
                signal: Signal {
                    name: name.clone(),
                    label: format!("{} {}", class.as_str(), s + 1),
                    class: *class,
                    unit,
                    query: "synthetic".into(),
                    source: SourceKind::Prometheus,
                },
                query: "synthetic".into(),
                data: Data::Ok {
                    value: Points {
                        points: pts,
                        dropped: 0,
                    },
                },
            });
        }
    }
    Fetched {
        series,
        burns: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_draws_four_classes_of_three_series_of_n_samples() {
        let span = Span {
            from: 0,
            to: 86_400,
            step: 30,
            columns: 500,
        };
        let f = fetched(2880, &span);
        assert_eq!(f.series.len(), 12);
        for class in Class::ALL {
            assert_eq!(f.series.iter().filter(|s| s.signal.class == class).count(), 3);
        }
        let n: Vec<usize> = f
            .series
            .iter()
            .map(|s| s.data.ok().map_or(0, |p| p.points.len()))
            .collect();
        assert!(n.iter().all(|&n| n == 2880), "{n:?}");
    }
}
