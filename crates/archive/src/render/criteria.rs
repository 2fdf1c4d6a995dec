//! Critical Success Criteria, first after the cover: each criterion with who checked it and when,
//! then a summary of the run (items checked, steps run and how they ended, sign-offs, events).

use flightdeck_engine::run::StepStatus;

use crate::layout::{Face, Pages, INK, LEFT, MUTED, RED};
use crate::record::Record;

use super::body::item_line;

pub(super) fn criteria(p: &mut Pages, r: &Record) {
    let s = &r.run.state;
    p.heading(16.0, "Critical Success Criteria", 40.0);
    let ids: Vec<String> = r
        .run
        .runbook
        .decision
        .as_ref()
        .map(|d| d.criteria.clone())
        .unwrap_or_else(|| {
            s.items
                .iter()
                .filter(|i| i.critical)
                .map(|i| i.id.clone())
                .collect()
        });
    if ids.is_empty() {
        p.para(
            LEFT,
            Face::Sans,
            10.0,
            MUTED,
            "The runbook names no critical success criteria.",
        );
    }
    for id in &ids {
        if let Some(item) = s.item(id) {
            item_line(p, item, LEFT);
        }
    }
    p.space(6.0);
    summary(p, r);
}

/// How far the run got, in counts.
fn summary(p: &mut Pages, r: &Record) {
    let s = &r.run.state;
    let checked = s.items.iter().filter(|i| i.checked).count();
    let passed = s
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Passed)
        .count();
    let failed = s
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Failed)
        .count();
    let run = s.steps.iter().filter(|st| st.runs > 0).count();
    let signed = s.signoffs.iter().filter(|x| x.recorded.is_some()).count();
    p.heading(12.0, "Summary", 40.0);
    let w = 130.0;
    p.field(
        LEFT,
        w,
        "Items checked",
        &format!("{checked} of {}", s.items.len()),
        10.0,
        INK,
    );
    p.field(
        LEFT,
        w,
        "Steps",
        &format!("{run} of {} run: {passed} passed, {failed} failed", s.steps.len()),
        10.0,
        if failed > 0 { RED } else { INK },
    );
    p.field(
        LEFT,
        w,
        "Sign-offs",
        &format!("{signed} of {} recorded", s.signoffs.len()),
        10.0,
        INK,
    );
    p.field(
        LEFT,
        w,
        "Events",
        &format!("{} (head {})", s.event_count, r.manifest.head_hash),
        10.0,
        INK,
    );
}
