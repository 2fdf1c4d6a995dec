//! What one chart shows: a golden-signal class with up to three series, or an SLO's burn rate
//! with its thresholds; the moments marked on it (T-0, now, the decision, the export), the
//! gate verdicts, and why it has nothing to draw when it has not.
//!
//! Owns the panel's description and how its numbers read (values by unit, clock times); the
//! same `Panel` is drawn by `draw` as SVG and sent to the window as it is. Where the samples
//! come from is the caller's.

use serde::{Deserialize, Serialize};

use crate::decimate::{self, Columns, Point};

/// How the value axis runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scale {
    Linear,
    /// Log10, values below `floor` drawn at it (a burn rate of 0 is common, and thresholds
    /// from 1× to 14.4× must all be readable next to a 1000× outage).
    Log {
        floor: f64,
    },
}

/// One series: its label, its decimated points, and why it has none when it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Line {
    pub label: String,
    /// The unit its legend reads in (a panel may mix, e.g. requests/s and active users).
    pub unit: String,
    /// `(unix seconds, value)`, time-ordered; `null` where the line breaks.
    pub points: Vec<Point>,
    /// The signal failed: this says why (shown instead of a line, never a blank).
    pub no_data: Option<String>,
}

/// What a vertical mark stands for (it decides the colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// T-0, the cutover start.
    Cutover,
    Now,
    Decision,
    Export,
}

/// A moment marked across the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Mark {
    pub at: f64,
    pub label: String,
    pub kind: MarkKind,
}

/// How bad crossing a threshold is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ThresholdKind {
    /// A page (critical).
    Page,
    /// A ticket (warning).
    Ticket,
    /// A reference line: the objective itself (1×), a baseline.
    Reference,
}

/// A horizontal line: a burn-rate threshold or an SLO's objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Threshold {
    pub value: f64,
    pub label: String,
    pub kind: ThresholdKind,
}

/// A gate's verdict at the moment it was taken (an `slo` step's result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerdictMark {
    pub at: f64,
    pub passed: bool,
    pub label: String,
}

/// One chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Panel {
    /// Stable across refreshes: `latency`, `traffic`, `errors`, `saturation`, `slo:<id>`.
    pub id: String,
    pub title: String,
    /// The value axis' unit (`s`, `/s`, `ratio`, `count`, `x` for a burn rate; see `format_value`).
    pub unit: String,
    /// The time axis, unix seconds.
    pub from: f64,
    pub to: f64,
    pub scale: Scale,
    /// Up to three.
    pub lines: Vec<Line>,
    pub marks: Vec<Mark>,
    pub thresholds: Vec<Threshold>,
    pub verdicts: Vec<VerdictMark>,
    /// Why the panel as a whole has nothing to draw (no signal bound, the source down, …).
    pub no_data: Option<String>,
}

/// The most series one panel draws.
pub const MAX_LINES: usize = 3;

impl Panel {
    /// An empty panel over `from..to`.
    pub fn new(id: &str, title: &str, unit: &str, from: f64, to: f64) -> Panel {
        Panel {
            id: id.into(),
            title: title.into(),
            unit: unit.into(),
            from,
            to,
            scale: Scale::Linear,
            lines: Vec::new(),
            marks: Vec::new(),
            thresholds: Vec::new(),
            verdicts: Vec::new(),
            no_data: None,
        }
    }

    /// Add a series, decimated to `columns` pixel columns of this panel's time axis; a line
    /// past `MAX_LINES` is not drawn.
    pub fn add_series<I>(&mut self, label: &str, points: I, columns: usize, max_gap: Option<f64>)
    where
        I: IntoIterator<Item = (f64, f64)>,
    {
        let cols = Columns {
            from: self.from,
            to: self.to,
            columns,
        };
        self.lines.push(Line {
            label: label.into(),
            unit: self.unit.clone(),
            points: decimate::min_max(points, cols, max_gap),
            no_data: None,
        });
        self.lines.truncate(MAX_LINES);
    }

    /// Add a series that failed, with why.
    pub fn add_failed(&mut self, label: &str, why: &str) {
        self.lines.push(Line {
            label: label.into(),
            unit: self.unit.clone(),
            points: Vec::new(),
            no_data: Some(why.into()),
        });
        self.lines.truncate(MAX_LINES);
    }

    /// Mark `at` when it falls on the time axis.
    pub fn mark(&mut self, at: f64, label: &str, kind: MarkKind) {
        if (self.from..=self.to).contains(&at) {
            self.marks.push(Mark {
                at,
                label: label.into(),
                kind,
            });
        }
    }

    /// Whether any line has a value to draw.
    pub fn has_points(&self) -> bool {
        self.lines.iter().any(|l| l.points.iter().any(|p| p.1.is_some()))
    }

    /// Why the panel draws no line: its own reason, else each failed line's, else "no samples".
    pub fn why_empty(&self) -> Option<String> {
        if self.has_points() {
            return None;
        }
        if let Some(why) = &self.no_data {
            return Some(why.clone());
        }
        let failed: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| l.no_data.as_ref().map(|w| format!("{}: {w}", l.label)))
            .collect();
        Some(if failed.is_empty() {
            "no samples in this window".to_string()
        } else {
            failed.join("; ")
        })
    }
}

/// `v` as people read it in `unit`: seconds (`s`) as ms below one, bytes in binary units,
/// ratios and percents with a `%`, a burn rate (`x`) with `×`, a rate (`/s`) with `/s`,
/// anything else compact (`1.2k`).
pub fn format_value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    match unit {
        "s" if v.abs() < 1.0 => format!("{}ms", compact(v * 1000.0)),
        "s" => format!("{}s", compact(v)),
        "ratio" => format!("{}%", compact(v * 100.0)),
        "%" => format!("{}%", compact(v)),
        "x" => format!("{}×", compact(v)),
        "/s" => format!("{}/s", compact(v)),
        "bytes" => bytes(v),
        _ => compact(v),
    }
}

fn compact(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let digits = if x.abs() >= 100.0 || x == x.trunc() {
        0
    } else if x.abs() >= 10.0 {
        1
    } else if x.abs() >= 0.1 {
        2
    } else {
        3
    };
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = v;
    let mut i = 0;
    while x.abs() >= 1024.0 && i < UNITS.len() - 1 {
        x /= 1024.0;
        i += 1;
    }
    format!("{}{}", compact(x), UNITS[i])
}

/// Unix seconds `t` as `HH:MM` at `offset_min` minutes east of UTC.
pub fn clock(t: f64, offset_min: i32) -> String {
    if !t.is_finite() {
        return String::new();
    }
    let local = t.floor() as i64 + i64::from(offset_min) * 60;
    let day = local.rem_euclid(86_400);
    format!("{:02}:{:02}", day / 3600, (day % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_unit() {
        assert_eq!(
            format_value(0.25, "s"),
            "250ms",
            "latency under a second reads in ms"
        );
        assert_eq!(format_value(1.5, "s"), "1.5s");
        assert_eq!(format_value(0.05, "ratio"), "5%", "a ratio reads as a percent");
        assert_eq!(
            format_value(14.4, "x"),
            "14.4×",
            "a burn rate reads as a multiple"
        );
        assert_eq!(format_value(3.0 * 1024.0 * 1024.0, "bytes"), "3MiB");
        assert_eq!(format_value(12_345.0, "/s"), "12.3k/s");
        assert_eq!(format_value(17.0, "count"), "17");
        assert_eq!(
            format_value(f64::NAN, "s"),
            "—",
            "a value that is not a number is a dash"
        );
    }

    #[test]
    fn clock_times_honour_the_viewer_offset() {
        // 2026-12-01 13:05:00 UTC.
        let t = 1_796_130_300.0;
        assert_eq!(clock(t, 0), "13:05");
        assert_eq!(clock(t, 60), "14:05", "one hour east");
        assert_eq!(clock(t, -14 * 60), "23:05", "the day before, fourteen hours west");
    }

    #[test]
    fn an_empty_panel_says_why_from_its_failed_lines() {
        let mut p = Panel::new("latency", "Latency", "s", 0.0, 60.0);
        p.add_failed("p95", "Prometheus answered 500");
        p.add_series("p50", Vec::<(f64, f64)>::new(), 100, None);
        assert_eq!(p.why_empty().as_deref(), Some("p95: Prometheus answered 500"));
        p.add_series("p99", vec![(1.0, 0.2)], 100, None);
        assert_eq!(p.why_empty(), None, "one line with a value is enough to draw");
    }

    #[test]
    fn a_panel_keeps_three_lines_and_only_marks_on_its_axis() {
        let mut p = Panel::new("traffic", "Traffic", "req/s", 100.0, 200.0);
        for l in ["a", "b", "c", "d"] {
            p.add_series(l, vec![(150.0, 1.0)], 10, None);
        }
        assert_eq!(p.lines.len(), MAX_LINES, "a fourth series is not drawn");
        p.mark(50.0, "T-0", MarkKind::Cutover);
        p.mark(150.0, "now", MarkKind::Now);
        assert_eq!(
            p.marks.len(),
            1,
            "T-0 before the window is left off, not drawn at its edge"
        );
    }
}
