//! "Timeline: planned against actual": T-0 as the Cutover Date gives it, then each phase's planned
//! window beside the first and last activity recorded in it, and how the two compare.
//!
//! Draws the rows only; computing them is `crate::timeline`'s.

use crate::layout::{Face, Pages, AMBER, GREEN, INK, LEFT, MUTED};
use crate::record::Record;
use crate::timeline::{self, Row, Verdict};

/// Each phase's planned window (relative to T-0, and on the clock when the Cutover Date reads as
/// a time) against the first and last activity recorded in it.
pub(super) fn planned_vs_actual(p: &mut Pages, r: &Record) {
    let rows = timeline::rows(&r.run.runbook, &r.run.state);
    p.heading(16.0, "Timeline: planned against actual", 60.0);
    let t0 = r.run.state.meta("cutover-date").and_then(|m| m.value.clone());
    let t0_line = match t0.as_deref().map(|t| (t, timeline::parse_t0(t))) {
        Some((_, Some(at))) => format!("T-0 (Cutover Date): {}", timeline::clock(at)),
        Some((text, None)) => {
            format!("T-0 (Cutover Date): \"{text}\", not a date and time: windows stay relative")
        }
        None => "T-0 (Cutover Date) was not recorded: windows stay relative".into(),
    };
    p.para(LEFT, Face::Sans, 9.0, MUTED, &t0_line);
    p.space(4.0);
    for row in &rows {
        phase_row(p, row);
    }
}

/// One phase: its name, the planned window, the actual span and the verdict.
fn phase_row(p: &mut Pages, row: &Row) {
    let w = 70.0;
    p.ensure(50.0);
    p.para(LEFT, Face::Bold, 10.0, INK, &row.phase);
    let planned = match (row.planned_min, row.planned_at) {
        (Some((a, b)), Some((x, y))) => format!(
            "{} to {}  ({} to {})",
            timeline::relative(a),
            timeline::relative(b),
            timeline::clock(x),
            timeline::clock(y)
        ),
        (Some((a, b)), None) => format!("{} to {}", timeline::relative(a), timeline::relative(b)),
        (None, _) => row
            .planned_text
            .clone()
            .unwrap_or_else(|| "no timeframe in the runbook".into()),
    };
    p.field(LEFT + 10.0, w, "Planned", &planned, 9.0, INK);
    let actual = match row.actual {
        Some((a, b)) if a == b => timeline::clock(a),
        Some((a, b)) => format!("{} to {}", timeline::clock(a), timeline::clock(b)),
        None => "-".into(),
    };
    p.field(LEFT + 10.0, w, "Actual", &actual, 9.0, INK);
    let color = match row.verdict {
        Verdict::Within => GREEN,
        Verdict::Early(_) | Verdict::Late(_) => AMBER,
        Verdict::NotStarted | Verdict::Unplanned => MUTED,
    };
    p.field(
        LEFT + 10.0,
        w,
        "",
        &timeline::verdict_text(row.verdict),
        9.0,
        color,
    );
    p.space(3.0);
}
