//! "Step timing": a bar per step that ran, its latest run's duration, green passed and red
//! failed. The chart itself (SVG, then a `usvg` tree) is `crate::chart`'s.

use crate::chart::{self, Bar};
use crate::error::{Error, Result};
use crate::layout::{self, Face, Pages, LEFT, MUTED};
use crate::record::Record;

pub(super) fn timing(p: &mut Pages, r: &Record, svgs: &mut Vec<usvg::Tree>) -> Result<()> {
    let bars: Vec<Bar> = r
        .run
        .state
        .steps
        .iter()
        .filter_map(|st| {
            st.result.as_ref().map(|res| Bar {
                label: st.id.clone(),
                ms: res.duration_ms,
                passed: res.passed,
            })
        })
        .collect();
    let w = (layout::RIGHT - LEFT) as u32;
    let h = (40 + bars.len() as u32 * 16).clamp(120, 640);
    // The heading stays with its chart.
    p.heading(16.0, "Step timing", if bars.is_empty() { 20.0 } else { h as f32 });
    if bars.is_empty() {
        p.para(LEFT, Face::Sans, 10.0, MUTED, "No step was run.");
        return Ok(());
    }
    let svg = chart::step_timing_svg(&bars, w, h).map_err(|e| Error::Pdf(format!("chart: {e}")))?;
    let tree = chart::parse(&svg).map_err(|e| Error::Pdf(format!("chart SVG: {e}")))?;
    svgs.push(tree);
    p.svg(svgs.len() - 1, w as f32, h as f32);
    p.para(
        LEFT,
        Face::Sans,
        8.0,
        MUTED,
        "Each bar is a step's latest run: green passed, red failed. Durations as the probe measured them.",
    );
    Ok(())
}
