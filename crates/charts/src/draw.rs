//! A `Panel` drawn by plotters as SVG text: the same drawing for the window's Signals view and
//! for the archive, so the archive shows what the room saw.
//!
//! Owns the layout of one chart: a header strip with the title and a legend (each series'
//! latest value, or "no data" and why), the plot with its clock-time axis, thresholds as
//! dashed lines, T-0 / now / decision / export as vertical marks, gate verdicts as dots on the
//! top edge, and a panel that has nothing to draw saying so in words. The points arrive
//! decimated (`decimate`); turning the text into PDF vectors is the archive's business.

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::panel::{clock, format_value, Line, Panel, Scale};
use crate::theme::Theme;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;
type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Plotters could not draw a panel.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart `{id}`: {source}")]
pub struct ChartError {
    pub id: String,
    #[source]
    pub source: DrawingAreaErrorKind<std::io::Error>,
}

/// How a panel is drawn: its size in pixels (1 px = 1 pt in the archive), colours, and the
/// viewer's offset from UTC for clock times (0 in the archive, which says UTC).
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub width: u32,
    pub height: u32,
    pub theme: &'a Theme,
    pub utc_offset_min: i32,
}

/// Height of the header strip (title and legend).
const HEAD: u32 = 20;
/// Width of the value labels left of the plot; the plot is `width - Y_LABELS - RIGHT` wide.
pub const Y_LABELS: u32 = 46;
const RIGHT: u32 = 10;

/// How many pixel columns the plot of a panel `width` wide has: what to decimate to.
pub fn plot_columns(width: u32) -> usize {
    width.saturating_sub(Y_LABELS + RIGHT).max(1) as usize
}

/// plotters writes a font size as `size / 1.24`; this is the size that comes out as `px`.
fn px(px: f64) -> f64 {
    px * 1.24
}

/// `panel` as SVG text.
pub fn svg(panel: &Panel, frame: &Frame<'_>) -> Result<String, ChartError> {
    let points: usize = panel.lines.iter().map(|l| l.points.len()).sum();
    let mut out = String::with_capacity(8_192 + points * 12);
    draw(&mut out, panel, frame).map_err(|source| ChartError {
        id: panel.id.clone(),
        source,
    })?;
    Ok(out)
}

fn draw(out: &mut String, panel: &Panel, f: &Frame<'_>) -> DrawResult {
    let root = SVGBackend::with_string(out, (f.width, f.height)).into_drawing_area();
    root.fill(&f.theme.background)?;
    let (head, body) = root.split_vertically(HEAD);
    header(&head, panel, f.theme)?;
    match panel.why_empty() {
        Some(why) => empty(&body, &why, f.theme)?,
        None => plot(&body, panel, f)?,
    }
    root.present()
}

/// Title, then each series' swatch, label and latest value (or "no data").
fn header(area: &Area<'_>, panel: &Panel, t: &Theme) -> DrawResult {
    let title = TextStyle::from(("sans-serif", px(12.0), FontStyle::Bold).into_font()).color(&t.text);
    area.draw(&Text::new(panel.title.clone(), (6, 4), title))?;
    let mut x = 6 + text_width(&panel.title, 12.0, true) + 14;
    for (i, line) in panel.lines.iter().enumerate() {
        let color = t.series[i % t.series.len()];
        area.draw(&Rectangle::new([(x, 9), (x + 10, 12)], color.filled()))?;
        x += 14;
        let (text, c) = legend(line, t);
        let style = TextStyle::from(("sans-serif", px(10.5)).into_font()).color(&c);
        area.draw(&Text::new(text.clone(), (x, 5), style))?;
        x += text_width(&text, 10.5, false) + 12;
    }
    Ok(())
}

fn legend(line: &Line, t: &Theme) -> (String, RGBColor) {
    if let Some(why) = &line.no_data {
        return (format!("{} — no data: {}", line.label, short(why, 60)), t.bad);
    }
    match line.points.iter().rev().find_map(|p| p.1) {
        Some(v) => (format!("{} {}", line.label, format_value(v, &line.unit)), t.muted),
        None => (format!("{} — no samples", line.label), t.muted),
    }
}

/// A rough width of `text` at `size` px: DejaVu Sans averages about 0.6 em.
fn text_width(text: &str, size: f64, bold: bool) -> i32 {
    let em = if bold { 0.66 } else { 0.58 };
    (text.chars().count() as f64 * size * em).round() as i32
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{head}…")
}

/// A panel with nothing to draw: its frame, "no data", and why, never a blank.
fn empty(area: &Area<'_>, why: &str, t: &Theme) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new([(6, 2), (w - 6, h - 4)], t.grid.stroke_width(1)))?;
    let center = Pos::new(HPos::Center, VPos::Center);
    let big = TextStyle::from(("sans-serif", px(13.0), FontStyle::Bold).into_font())
        .color(&t.bad)
        .pos(center);
    area.draw(&Text::new("no data", (w / 2, h / 2 - 10), big))?;
    let per_line = ((w - 24).max(40) as f64 / (10.5 * 0.58)) as usize;
    let small = TextStyle::from(("sans-serif", px(10.5)).into_font())
        .color(&t.muted)
        .pos(center);
    for (i, row) in wrap(why, per_line).iter().take(3).enumerate() {
        area.draw(&Text::new(
            row.clone(),
            (w / 2, h / 2 + 8 + i as i32 * 14),
            small.clone(),
        ))?;
    }
    Ok(())
}

/// `text` in rows of at most `width` characters, broken at spaces where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = vec![String::new()];
    for word in text.split_whitespace() {
        let last = rows.last_mut().map(|r| r.chars().count()).unwrap_or(0);
        if last > 0 && last + 1 + word.chars().count() > width {
            rows.push(String::new());
        }
        if let Some(row) = rows.last_mut() {
            if !row.is_empty() {
                row.push(' ');
            }
            row.push_str(&short(word, width));
        }
    }
    rows
}

/// Where a value sits on the value axis.
fn to_axis(v: f64, scale: Scale) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log { floor } => v.max(floor).log10(),
    }
}

/// The value axis: every drawn value and threshold inside it, with some room above.
fn y_range(panel: &Panel) -> (f64, f64) {
    let values = panel
        .lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .chain(panel.thresholds.iter().map(|t| t.value))
        .filter(|v| v.is_finite())
        .map(|v| to_axis(v, panel.scale));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    match panel.scale {
        Scale::Linear => {
            let lo = if lo.is_finite() { lo.min(0.0) } else { 0.0 };
            let hi = if hi.is_finite() && hi > lo { hi } else { lo + 1.0 };
            (lo, hi + (hi - lo) * 0.08)
        }
        Scale::Log { floor } => {
            let bottom = floor.max(f64::MIN_POSITIVE).log10().floor();
            let top = if hi.is_finite() {
                hi.max(bottom + 1.0)
            } else {
                bottom + 1.0
            };
            (bottom, (top + 0.15).ceil())
        }
    }
}

fn plot(area: &Area<'_>, panel: &Panel, f: &Frame<'_>) -> DrawResult {
    let t = f.theme;
    let (y0, y1) = y_range(panel);
    let scale = panel.scale;
    let offset = f.utc_offset_min;
    let (step, ticks) = time_ticks(panel.from, panel.to, (f.width / 90).max(2) as usize, offset);
    let mut chart = ChartBuilder::on(area)
        .margin_right(RIGHT)
        .margin_top(6)
        .x_label_area_size(20)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d(panel.from..panel.to, y0..y1)?;
    let unit = panel.unit.as_str();
    let y_fmt = |v: &f64| match scale {
        Scale::Linear => format_value(*v, unit),
        Scale::Log { .. } => format_value(10f64.powf(*v), unit),
    };
    chart
        .configure_mesh()
        .y_labels(if matches!(scale, Scale::Log { .. }) {
            (y1 - y0) as usize + 1
        } else {
            5
        })
        .y_label_formatter(&y_fmt)
        .label_style(TextStyle::from(("sans-serif", px(10.0)).into_font()).color(&t.muted))
        .axis_style(t.axis)
        .bold_line_style(t.grid)
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .x_labels(0)
        .draw()?;
    time_axis(&mut chart, &ticks, step, offset, (y0, y1), t)?;
    for th in &panel.thresholds {
        let y = to_axis(th.value, scale);
        let c = t.threshold(th.kind);
        chart.draw_series(DashedLineSeries::new(
            [(panel.from, y), (panel.to, y)],
            5,
            4,
            c.stroke_width(1),
        ))?;
        let pos = Pos::new(HPos::Right, VPos::Bottom);
        chart.draw_series(std::iter::once(Text::new(
            th.label.clone(),
            (panel.to, y),
            small(&c, pos),
        )))?;
    }
    for (i, line) in panel.lines.iter().enumerate() {
        let c = t.series[i % t.series.len()];
        for seg in segments(line, scale) {
            match seg.as_slice() {
                [only] => chart.draw_series(std::iter::once(Circle::new(*only, 2, c.filled())))?,
                _ => chart.draw_series(std::iter::once(PathElement::new(seg, c.stroke_width(2))))?,
            };
        }
    }
    overlays(&mut chart, panel, (y0, y1), t)
}

/// The time axis on round clock times (plotters' own ticks would fall on round seconds).
fn time_axis(
    chart: &mut Chart<'_, '_>,
    ticks: &[f64],
    step: f64,
    offset: i32,
    (y0, y1): (f64, f64),
    t: &Theme,
) -> DrawResult {
    let tick_style = TextStyle::from(("sans-serif", px(10.0)).into_font())
        .color(&t.muted)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for &x in ticks {
        chart.draw_series(std::iter::once(PathElement::new(
            [(x, y0), (x, y1)],
            t.grid.stroke_width(1),
        )))?;
        let text = if step < 60.0 {
            format!("{}:{:02}", clock(x, offset), (x.floor() as i64).rem_euclid(60))
        } else {
            clock(x, offset)
        };
        let label = EmptyElement::at((x, y0)) + Text::new(text, (0, 5), tick_style.clone());
        chart.draw_series(std::iter::once(label))?;
    }
    Ok(())
}

/// T-0 / now / decision / export as dashed verticals, and the gate verdicts as dots on the top.
fn overlays(chart: &mut Chart<'_, '_>, panel: &Panel, (y0, y1): (f64, f64), t: &Theme) -> DrawResult {
    for m in &panel.marks {
        let c = t.mark(m.kind);
        chart.draw_series(DashedLineSeries::new(
            [(m.at, y0), (m.at, y1)],
            3,
            3,
            c.stroke_width(1),
        ))?;
        let pos = Pos::new(HPos::Left, VPos::Top);
        chart.draw_series(std::iter::once(Text::new(
            format!(" {}", m.label),
            (m.at, y1),
            small(&c, pos),
        )))?;
    }
    let top = y1 - (y1 - y0) * 0.05;
    chart.draw_series(panel.verdicts.iter().map(|v| {
        let c = if v.passed { t.ok } else { t.bad };
        Circle::new((v.at, top), 4, c.filled())
    }))?;
    Ok(())
}

/// Round clock times on `from..to` (at most about `most` of them, on whole steps of the
/// viewer's clock), and the step.
fn time_ticks(from: f64, to: f64, most: usize, offset_min: i32) -> (f64, Vec<f64>) {
    const STEPS: [f64; 17] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0,
        21600.0, 43200.0,
    ];
    let span = to - from;
    if !span.is_finite() || span <= 0.0 {
        return (60.0, Vec::new());
    }
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= most as f64)
        .unwrap_or(86400.0);
    let shift = f64::from(offset_min) * 60.0;
    let first = ((from + shift) / step).ceil() * step - shift;
    let ticks = (0..)
        .map(|i| first + i as f64 * step)
        .take_while(|t| *t <= to)
        .take(64)
        .collect();
    (step, ticks)
}

/// The labels of thresholds and marks.
fn small<'a>(c: &'a RGBColor, pos: Pos) -> TextStyle<'a> {
    TextStyle::from(("sans-serif", px(9.5)).into_font())
        .color(c)
        .pos(pos)
}

/// A line's points on the axes, in unbroken runs.
fn segments(line: &Line, scale: Scale) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for &(t, v) in &line.points {
        match v {
            Some(v) => {
                if let Some(seg) = out.last_mut() {
                    seg.push((t, to_axis(v, scale)));
                }
            }
            None => out.push(Vec::new()),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::{MarkKind, Threshold, ThresholdKind, VerdictMark};

    fn frame() -> Frame<'static> {
        Frame {
            width: 480,
            height: 200,
            theme: &Theme::LIGHT,
            utc_offset_min: 0,
        }
    }

    fn golden() -> Panel {
        let mut p = Panel::new("latency", "Latency", "s", 0.0, 3600.0);
        let cols = plot_columns(480);
        p.add_series("p50", (0..2880).map(|i| (i as f64 * 1.25, 0.1)), cols, None);
        p.add_series("p95", (0..2880).map(|i| (i as f64 * 1.25, 0.4)), cols, None);
        p.add_failed("p99", "Prometheus answered 500 <Internal Server Error>");
        p.mark(1800.0, "T-0", MarkKind::Cutover);
        p.mark(3500.0, "now", MarkKind::Now);
        p
    }

    #[test]
    fn a_golden_panel_draws_its_lines_marks_and_legend_as_svg() {
        let svg = svg(&golden(), &frame()).expect("draws");
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "a whole SVG document"
        );
        assert!(svg.contains("\nLatency\n"), "the title");
        assert!(
            svg.contains("p95 400ms"),
            "each series with its latest value in its unit"
        );
        assert!(
            svg.contains("p99 — no data: Prometheus answered 500 &lt;Internal"),
            "a failed series says why, escaped"
        );
        assert!(
            svg.contains("\n T-0\n") && svg.contains("\n now\n"),
            "T-0 and now are marked"
        );
        for hm in ["00:00", "00:15", "00:45", "01:00"] {
            assert!(
                svg.contains(&format!("\n{hm}\n")),
                "the time axis reads in round clock times: {hm}"
            );
        }
        for color in ["#1F5EC4", "#D66E00"] {
            let line = format!("stroke=\"{color}\" stroke-width=\"2\"");
            assert_eq!(
                svg.matches(&line).count(),
                1,
                "each drawn series is one unbroken line ({color})"
            );
        }
    }

    #[test]
    fn a_series_is_decimated_to_the_plot_width_before_it_is_drawn() {
        let p = golden();
        let cols = plot_columns(480);
        for line in p.lines.iter().filter(|l| l.no_data.is_none()) {
            assert!(
                line.points.len() <= 2 * cols,
                "2,880 samples become at most two per pixel column: {} for {cols} columns",
                line.points.len()
            );
        }
    }

    #[test]
    fn a_panel_without_data_says_no_data_and_why_instead_of_a_blank() {
        let mut p = Panel::new("errors", "Errors", "ratio", 0.0, 60.0);
        p.add_failed("5xx", "connection refused (127.0.0.1:9090)");
        let svg = svg(&p, &frame()).expect("draws");
        assert!(svg.contains("\nno data\n"), "the panel says it has no data");
        assert!(
            svg.contains("5xx: connection refused (127.0.0.1:9090)"),
            "and why, in words"
        );
        assert!(
            !svg.contains("<polyline"),
            "no axes or lines pretend there is something to read"
        );
    }

    #[test]
    fn a_burn_rate_panel_draws_its_thresholds_and_verdicts_on_a_log_axis() {
        let mut p = Panel::new("slo:latency", "API latency P95 < 500ms", "x", 0.0, 600.0);
        p.scale = Scale::Log { floor: 0.1 };
        p.add_series(
            "5m",
            (0..600).map(|i| (i as f64, if i < 300 { 0.0 } else { 1000.0 })),
            400,
            None,
        );
        for (v, l, s) in [
            (14.4, "page 14.4×", ThresholdKind::Page),
            (6.0, "page 6×", ThresholdKind::Page),
            (1.0, "budget 1×", ThresholdKind::Reference),
        ] {
            p.thresholds.push(Threshold {
                value: v,
                label: l.into(),
                kind: s,
            });
        }
        p.verdicts.push(VerdictMark {
            at: 500.0,
            passed: false,
            label: "12.slo".into(),
        });
        assert_eq!(
            y_range(&p),
            (-1.0, 4.0),
            "0.1× to 1000× and a little room: four decades and one"
        );
        let svg = svg(&p, &frame()).expect("draws");
        assert!(
            svg.contains("page 14.4×") && svg.contains("budget 1×"),
            "every threshold is labelled"
        );
        assert!(
            svg.contains("\n1000×\n") && svg.contains("\n0.1×\n"),
            "the axis reads in multiples"
        );
        assert!(svg.contains("<circle"), "the failed gate is a dot");
    }

    #[test]
    fn a_broken_line_is_drawn_as_separate_runs() {
        let line = Line {
            label: "x".into(),
            unit: "s".into(),
            points: vec![(0.0, Some(1.0)), (1.0, Some(2.0)), (2.0, None), (3.0, Some(3.0))],
            no_data: None,
        };
        assert_eq!(
            segments(&line, Scale::Linear),
            vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 3.0)]],
            "the gap is not bridged"
        );
    }

    #[test]
    fn time_ticks_fall_on_round_minutes_of_the_viewers_clock() {
        let (step, ticks) = time_ticks(100.0, 100.0 + 900.0, 6, 0);
        assert_eq!(step, 300.0, "15 minutes on six labels: every 5 minutes");
        assert_eq!(ticks, vec![300.0, 600.0, 900.0], "on the minute, never 00:01:40");
        let (_, half) = time_ticks(0.0, 7200.0, 2, 30);
        assert_eq!(half[0], 1800.0, "in a +00:30 zone the hour falls on :30 UTC");
    }

    #[test]
    fn long_reasons_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(
            wrap("abcdefgh", 4),
            vec!["abc…"],
            "a word longer than a row is cut, not spilled"
        );
    }
}
