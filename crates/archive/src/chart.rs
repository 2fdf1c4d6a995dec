//! The step-timing chart: how long each executed step took, drawn by plotters as SVG and
//! embedded in the PDF as vector graphics (krilla-svg), with the same renderer the app uses.
//!
//! Owns the chart's SVG text, its parse into a `usvg::Tree` with the archive's fonts, and what goes
//! wrong in either (`ChartError`). Where the chart sits in the document is `render::timing`'s.

use std::sync::Arc;

use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;

use crate::layout;

/// Why the chart could not be made: plotters failed to draw it, or its SVG does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Draw(#[from] DrawingAreaErrorKind<std::io::Error>),
    #[error(transparent)]
    Svg(#[from] usvg::Error),
}

/// One bar: a step id, its duration and whether it passed.
pub struct Bar {
    pub label: String,
    pub ms: u64,
    pub passed: bool,
}

/// The chart as SVG text, `w` x `h` pixels (1 px = 1 pt in the PDF).
pub fn step_timing_svg(bars: &[Bar], w: u32, h: u32) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let max = bars.iter().map(|b| b.ms).max().unwrap_or(1).max(1) as f64 * 1.08;
        let n = bars.len().max(1);
        let label_w = bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48) as u32
            * 5
            + 10;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(label_w)
            .build_cartesian_2d(0f64..max, -0.5f64..(n as f64 - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v: &f64| {
                let i = v.round();
                if (v - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                bars.get(i as usize)
                    .map(|b| short(&b.label, 48))
                    .unwrap_or_default()
            })
            .x_desc("duration (ms)")
            .label_style(("sans-serif", 10))
            .axis_desc_style(("sans-serif", 10))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(row, b)| {
            let i = (n - 1 - row) as f64;
            let color = if b.passed {
                RGBColor(22, 120, 60)
            } else {
                RGBColor(170, 30, 30)
            };
            Rectangle::new([(0.0, i - 0.32), (b.ms as f64, i + 0.32)], color.filled())
        }))?;
        root.present()?;
    }
    Ok(svg)
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max - 1).collect();
    format!("{head}…")
}

/// Parse SVG text with the archive's own fonts (never the system's), so text draws the same
/// on every machine.
pub fn parse(svg: &str) -> Result<usvg::Tree, ChartError> {
    let mut db = usvg::fontdb::Database::new();
    for data in layout::font_data() {
        db.load_font_data(data.to_vec());
    }
    db.set_sans_serif_family("DejaVu Sans");
    db.set_monospace_family("DejaVu Sans Mono");
    let options = usvg::Options {
        fontdb: Arc::new(db),
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    };
    Ok(usvg::Tree::from_str(svg, &options)?)
}
