//! "Golden signals and SLOs": the cutover window's four golden panels (T-24h to the decision,
//! then to the export), each SLO's burn rate with the `slo` gates' verdicts, and the verdicts in
//! words; or why there are no charts. Panels are `flightdeck_charts`' (the Signals view's own),
//! drawn as SVG and placed as vector graphics; the samples are `crate::signals`' attachments.

use flightdeck_charts::signals as charts;
use flightdeck_charts::{Frame, MarkKind, Panel, Theme, VerdictMark};
use time::OffsetDateTime;

use crate::chart;
use crate::error::{Error, Result};
use crate::layout::{Face, Pages, GREEN, LEFT, MUTED, RED};
use crate::record::Record;
use crate::signals::{chart_width, GateVerdict, Present, Signals};

const PANEL_H: u32 = 150;

pub(super) fn signals(p: &mut Pages, r: &Record, svgs: &mut Vec<usvg::Tree>) -> Result<()> {
    p.heading(16.0, "Golden signals and SLOs", 40.0);
    let s = match &r.signals {
        Signals::Absent(why) => {
            p.para(
                LEFT,
                Face::Sans,
                10.0,
                MUTED,
                &format!("No golden-signal charts: {why}."),
            );
            return Ok(());
        }
        Signals::Present(s) => s,
    };
    let t0 = if s.t0_is_cutover {
        format!("T-0 is the Cutover Date, {}", clock(s.t0))
    } else {
        format!(
            "no Cutover Date was set: T-0 stands for the run's creation, {}",
            clock(s.t0)
        )
    };
    p.para(
        LEFT,
        Face::Sans,
        9.0,
        MUTED,
        &format!(
            "Read from {} (environment `{}`) at the export; {t0}. Each series is decimated to the chart's width \
             (min and max per point column); the samples behind every chart are attached as signals/*.json.",
            s.source, s.env
        ),
    );
    for w in &s.windows {
        p.heading(12.0, &format!("Golden signals, {}", w.title), PANEL_H as f32);
        for mut panel in charts::golden_panels(&w.fetched.series, &s.env, &w.span) {
            marks(&mut panel, s);
            place(p, svgs, &panel)?;
        }
    }
    burn_rates(p, s, svgs)?;
    gate_verdicts(p, s);
    Ok(())
}

fn burn_rates(p: &mut Pages, s: &Present, svgs: &mut Vec<usvg::Tree>) -> Result<()> {
    let Some(w) = s.windows.iter().find(|w| w.key == "export") else {
        return Ok(());
    };
    if w.fetched.burns.is_empty() {
        p.para(
            LEFT,
            Face::Sans,
            10.0,
            MUTED,
            "No SLO is defined for this run or its environment.",
        );
        return Ok(());
    }
    p.heading(12.0, &format!("SLO burn rates, {}", w.title), PANEL_H as f32);
    for (slo, burns) in &w.fetched.burns {
        let mut panel = charts::burn_panel(slo, burns, &w.span);
        marks(&mut panel, s);
        for v in s.verdicts.iter().filter(|v| v.slo == slo.id) {
            panel.verdicts.push(VerdictMark {
                at: v.at as f64,
                passed: !v.breached,
                label: format!("{}: {}", v.step, v.state),
            });
        }
        place(p, svgs, &panel)?;
    }
    p.para(
        LEFT,
        Face::Sans,
        8.0,
        MUTED,
        "Burn rate: the error ratio over the budget's (1 − objective), on a log axis; dashed lines are the \
         multi-window alert factors (page red, ticket amber, 1× the budget). Dots at the top are the slo \
         gates' verdicts: green met, red breached.",
    );
    Ok(())
}

fn gate_verdicts(p: &mut Pages, s: &Present) {
    p.heading(12.0, "SLO gate verdicts", 30.0);
    if s.verdicts.is_empty() {
        p.para(LEFT, Face::Sans, 10.0, MUTED, "No slo step was run.");
        return;
    }
    // One entry per gate run: its breaches with why, the SLOs it found met on one line.
    let mut runs: Vec<(&str, i64, Vec<&GateVerdict>)> = Vec::new();
    for v in &s.verdicts {
        match runs.last_mut() {
            Some((step, at, vs)) if *step == v.step && *at == v.at => vs.push(v),
            _ => runs.push((&v.step, v.at, vec![v])),
        }
    }
    let text = |v: &GateVerdict| {
        s.slos
            .iter()
            .find(|x| x.id == v.slo)
            .map_or(v.slo.clone(), |x| x.text.clone())
    };
    for (step, at, vs) in runs {
        let breached: Vec<&&GateVerdict> = vs.iter().filter(|v| v.breached).collect();
        let head = format!(
            "Step {step} at {}: {} of {} SLOs breached",
            clock(at),
            breached.len(),
            vs.len()
        );
        let color = if breached.is_empty() { GREEN } else { RED };
        p.para(LEFT, Face::Bold, 9.0, color, &head);
        for v in &breached {
            let line = format!("{}: BREACHED ({})", text(v), v.state);
            p.para(LEFT + 12.0, Face::Bold, 8.5, RED, &line);
            for why in &v.why {
                p.para(LEFT + 24.0, Face::Sans, 8.0, MUTED, why);
            }
        }
        let met: Vec<String> = vs
            .iter()
            .filter(|v| !v.breached)
            .map(|v| format!("{} ({})", text(v), v.state))
            .collect();
        if !met.is_empty() {
            p.para(
                LEFT + 12.0,
                Face::Sans,
                8.0,
                MUTED,
                &format!("met: {}", met.join("; ")),
            );
        }
    }
}

fn marks(panel: &mut Panel, s: &Present) {
    panel.mark(s.t0 as f64, "T-0", MarkKind::Cutover);
    if let Some(d) = s.decision {
        panel.mark(d as f64, "decision", MarkKind::Decision);
    }
    panel.mark(s.export as f64, "export", MarkKind::Export);
}

fn place(p: &mut Pages, svgs: &mut Vec<usvg::Tree>, panel: &Panel) -> Result<()> {
    let w = chart_width();
    let frame = Frame {
        width: w,
        height: PANEL_H,
        theme: Theme::of(false),
        utc_offset_min: 0,
    };
    let svg =
        flightdeck_charts::svg(panel, &frame).map_err(|e| Error::Pdf(format!("chart {}: {e}", panel.id)))?;
    let tree = chart::parse(&svg).map_err(|e| Error::Pdf(format!("chart {} SVG: {e}", panel.id)))?;
    svgs.push(tree);
    p.svg(svgs.len() - 1, w as f32, PANEL_H as f32);
    Ok(())
}

/// `2025-06-01 20:00:05 UTC`.
fn clock(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).map_or_else(
        |_| unix.to_string(),
        |t| {
            let m = crate::timeline::clock(t);
            let secs = format!(":{:02} UTC", t.second());
            m.replacen(" UTC", &secs, 1)
        },
    )
}
