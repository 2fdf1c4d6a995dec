//! Min/max decimation: a series cut down to what a panel's pixel columns can show, before
//! anything is drawn.
//!
//! Owns the reduction only. Each pixel column of the time axis keeps its lowest and its highest
//! sample, in the order they occurred, so a one-sample spike survives and the drawn envelope is
//! the one the full series would draw; a column with one sample keeps it. A non-finite value
//! (Prometheus' NaN, ±Inf) or a silence longer than `max_gap` becomes a gap (`None`), so a
//! line breaks where the data does instead of bridging an outage. What the points mean and how
//! they are drawn belong to `panel` and `draw`.

/// One decimated point: unix seconds and a value, `None` where the line breaks.
pub type Point = (f64, Option<f64>);

/// The time axis `from..=to` (unix seconds) split into `columns` equal pixel columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Columns {
    pub from: f64,
    pub to: f64,
    pub columns: usize,
}

impl Columns {
    /// The column of time `t`; `None` outside the axis (or on an empty one).
    fn of(&self, t: f64) -> Option<usize> {
        let span = self.to - self.from;
        if self.columns == 0 || span.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        if !(self.from..=self.to).contains(&t) {
            return None;
        }
        let c = ((t - self.from) / span * self.columns as f64) as usize;
        Some(c.min(self.columns - 1))
    }
}

/// The lowest and highest sample of one column so far, each with its time.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    column: usize,
    low: (f64, f64),
    high: (f64, f64),
}

impl Bucket {
    fn new(column: usize, t: f64, v: f64) -> Bucket {
        Bucket {
            column,
            low: (t, v),
            high: (t, v),
        }
    }

    fn add(&mut self, t: f64, v: f64) {
        if v < self.low.1 {
            self.low = (t, v);
        }
        if v > self.high.1 {
            self.high = (t, v);
        }
    }

    /// Its extremes in time order (one point when they are the same sample).
    fn flush(self, out: &mut Vec<Point>) {
        let (a, b) = if self.low.0 <= self.high.0 {
            (self.low, self.high)
        } else {
            (self.high, self.low)
        };
        out.push((a.0, Some(a.1)));
        if b != a {
            out.push((b.0, Some(b.1)));
        }
    }
}

/// `points` (time-ordered `(unix seconds, value)`) reduced to at most two per pixel column of
/// `cols`, gaps marked. Samples outside the axis are dropped: a chart draws its own window.
pub fn min_max<I>(points: I, cols: Columns, max_gap: Option<f64>) -> Vec<Point>
where
    I: IntoIterator<Item = (f64, f64)>,
{
    let mut out: Vec<Point> = Vec::with_capacity(cols.columns.saturating_mul(2).min(1 << 16));
    let mut bucket: Option<Bucket> = None;
    let mut last_t: Option<f64> = None;
    let gap = |out: &mut Vec<Point>, t: f64| {
        if out.last().is_some_and(|p| p.1.is_some()) {
            out.push((t, None));
        }
    };
    for (t, v) in points {
        let Some(column) = cols.of(t) else { continue };
        let silent = matches!((last_t, max_gap), (Some(prev), Some(g)) if t - prev > g);
        last_t = Some(t);
        if !v.is_finite() || silent {
            if let Some(b) = bucket.take() {
                b.flush(&mut out);
            }
            gap(&mut out, t);
            if !v.is_finite() {
                continue;
            }
        }
        match bucket.as_mut() {
            Some(b) if b.column == column => b.add(t, v),
            _ => {
                if let Some(b) = bucket.replace(Bucket::new(column, t, v)) {
                    b.flush(&mut out);
                }
            }
        }
    }
    if let Some(b) = bucket {
        b.flush(&mut out);
    }
    if out.last().is_some_and(|p| p.1.is_none()) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(from: f64, to: f64, columns: usize) -> Columns {
        Columns { from, to, columns }
    }

    fn values(out: &[Point]) -> Vec<Option<f64>> {
        out.iter().map(|p| p.1).collect()
    }

    #[test]
    fn a_series_sparser_than_the_pixels_comes_back_as_it_was() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64 * 10.0, (i * i) as f64)).collect();
        let out = min_max(pts.iter().copied(), cols(0.0, 100.0, 400), None);
        let want: Vec<Point> = pts.iter().map(|&(t, v)| (t, Some(v))).collect();
        assert_eq!(
            out, want,
            "ten samples over 400 columns: one per column, nothing to drop"
        );
    }

    #[test]
    fn each_column_keeps_its_lowest_and_highest_sample_and_nothing_else() {
        // 2,880 samples of a wobbly series onto 100 columns.
        let pts: Vec<(f64, f64)> = (0..2880)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64 + (i as f64 / 100.0).sin()))
            .collect();
        let c = cols(0.0, 2880.0, 100);
        let out = min_max(pts.iter().copied(), c, None);
        assert!(out.len() <= 200, "at most two points per column: {}", out.len());
        for col in 0..100 {
            let inside: Vec<f64> = pts
                .iter()
                .filter(|p| c.of(p.0) == Some(col))
                .map(|p| p.1)
                .collect();
            let kept: Vec<f64> = out
                .iter()
                .filter(|p| c.of(p.0) == Some(col))
                .filter_map(|p| p.1)
                .collect();
            let lo = inside.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = inside.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut want = vec![lo, hi];
            let mut got = kept.clone();
            want.sort_by(f64::total_cmp);
            got.sort_by(f64::total_cmp);
            assert_eq!(got, want, "column {col} draws the same envelope as its samples");
        }
        assert!(
            out.windows(2).all(|w| w[0].0 <= w[1].0),
            "points stay in time order, so the line never runs backwards"
        );
    }

    #[test]
    fn a_one_sample_spike_survives_decimation() {
        let mut pts: Vec<(f64, f64)> = (0..2880).map(|i| (i as f64, 1.0)).collect();
        pts[1234].1 = 950.0;
        let out = min_max(pts, cols(0.0, 2880.0, 300), None);
        assert!(
            out.contains(&(1234.0, Some(950.0))),
            "the spike is the maximum of its column, so it is kept with its own time"
        );
    }

    #[test]
    fn a_non_finite_value_breaks_the_line_once_and_is_never_drawn() {
        let pts = vec![
            (0.0, 1.0),
            (1.0, f64::NAN),
            (2.0, f64::INFINITY),
            (3.0, 2.0),
            (4.0, 3.0),
        ];
        let out = min_max(pts, cols(0.0, 4.0, 1000), None);
        assert_eq!(
            values(&out),
            vec![Some(1.0), None, Some(2.0), Some(3.0)],
            "two bad samples in a row make one gap; NaN and Inf never reach the drawing"
        );
    }

    #[test]
    fn a_silence_longer_than_the_allowed_gap_breaks_the_line() {
        let pts = vec![(0.0, 1.0), (1.0, 1.0), (60.0, 2.0), (61.0, 2.0)];
        let out = min_max(pts.clone(), cols(0.0, 100.0, 1000), Some(5.0));
        assert_eq!(
            values(&out),
            vec![Some(1.0), Some(1.0), None, Some(2.0), Some(2.0)],
            "59 s without a sample where 5 s are allowed: the outage is not bridged"
        );
        let bridged = min_max(pts, cols(0.0, 100.0, 1000), None);
        assert!(
            bridged.iter().all(|p| p.1.is_some()),
            "no limit given, no gap made"
        );
    }

    #[test]
    fn samples_outside_the_axis_are_dropped_and_an_empty_axis_draws_nothing() {
        let pts = vec![(-5.0, 9.0), (0.0, 1.0), (5.0, 2.0), (10.0, 3.0), (11.0, 9.0)];
        let out = min_max(pts.clone(), cols(0.0, 10.0, 1000), None);
        assert_eq!(
            values(&out),
            vec![Some(1.0), Some(2.0), Some(3.0)],
            "the window's edges included"
        );
        assert!(
            min_max(pts.clone(), cols(0.0, 10.0, 0), None).is_empty(),
            "no columns"
        );
        assert!(
            min_max(pts.clone(), cols(10.0, 10.0, 100), None).is_empty(),
            "no time span"
        );
        assert!(
            min_max(pts, cols(f64::NAN, 10.0, 100), None).is_empty(),
            "a broken axis"
        );
    }

    #[test]
    fn a_series_that_ends_in_bad_samples_has_no_trailing_gap() {
        let out = min_max(vec![(0.0, 1.0), (1.0, f64::NAN)], cols(0.0, 1.0, 10), None);
        assert_eq!(values(&out), vec![Some(1.0)]);
        let only_bad = min_max(vec![(0.0, f64::NAN)], cols(0.0, 1.0, 10), None);
        assert!(
            only_bad.is_empty(),
            "nothing drawable: nothing at all, not a lone gap"
        );
    }
}
