//! The cover page: the runbook's title, release and environment, the run's dates and signer, the
//! header fields and roles, and the GO / NO-GO decision (also drawn where the runbook places it).

use crate::layout::{self, Face, Pages, AMBER, GREEN, INK, LEFT, MUTED, RED};
use crate::record::Record;

use super::{completed_at, or_dash};

pub(super) fn cover(p: &mut Pages, r: &Record, signer: &str) {
    let s = &r.run.state;
    p.space(40.0);
    p.text_line(
        LEFT,
        Face::Sans,
        11.0,
        MUTED,
        "FLIGHTDECK · SIGNED CUTOVER RECORD",
    );
    p.space(6.0);
    let title = s.runbook_title.clone().unwrap_or_else(|| s.runbook_name.clone());
    for line in p.wrap(Face::Bold, 22.0, layout::RIGHT - LEFT, &title) {
        p.text_line(LEFT, Face::Bold, 22.0, INK, &line);
    }
    p.space(4.0);
    p.text_line(
        LEFT,
        Face::Sans,
        13.0,
        INK,
        &format!(
            "Release {} · environment {}",
            r.run.record.release, r.run.record.env
        ),
    );
    p.space(14.0);
    p.rule();
    let w = 150.0;
    p.field(LEFT, w, "Run", &r.run.record.id, 10.0, INK);
    p.field(
        LEFT,
        w,
        "Started",
        &format!("{} by {}", s.created_at, s.created_by),
        10.0,
        INK,
    );
    p.field(LEFT, w, "Completed", &or_dash(Some(&completed_at(r))), 10.0, INK);
    p.field(LEFT, w, "Archive id", &r.manifest.archive_id, 10.0, INK);
    p.field(LEFT, w, "Exported", &r.manifest.exported_at, 10.0, INK);
    p.field(LEFT, w, "Signed by", signer, 10.0, INK);
    p.rule();
    p.heading(13.0, "Header and roles", 30.0);
    for m in &s.metadata {
        let who = match (&m.by, &m.at) {
            (Some(by), Some(at)) => format!("  (set by {by} at {at})"),
            _ => String::new(),
        };
        p.field(
            LEFT,
            w,
            &m.label,
            &format!("{}{who}", or_dash(m.value.as_deref())),
            10.0,
            INK,
        );
    }
    if !s.people.is_empty() {
        p.heading(13.0, "People known to the run", 30.0);
        for person in &s.people {
            let roles: Vec<&str> = person.roles.iter().map(|x| x.role.as_str()).collect();
            p.field(LEFT, w, &person.name, &roles.join(", "), 10.0, INK);
        }
    }
    p.space(8.0);
    p.heading(13.0, "Decision", 60.0);
    decision(p, r);
}

pub(super) fn decision(p: &mut Pages, r: &Record) {
    let w = 150.0;
    match &r.run.state.decision {
        None => p.text_line(LEFT, Face::Bold, 14.0, AMBER, "No decision recorded"),
        Some(d) => {
            let (text, color) = match d.decision {
                flightdeck_engine::run::Verdict::Go => ("GO", GREEN),
                flightdeck_engine::run::Verdict::NoGo => ("NO-GO", RED),
            };
            p.text_line(LEFT, Face::Bold, 20.0, color, &format!("Decision: {text}"));
            if let Some(st) = &d.stale {
                p.text_line(
                    LEFT,
                    Face::Bold,
                    14.0,
                    RED,
                    "STALE: this decision no longer stands on its evidence",
                );
                p.field(LEFT, w, "Stale because", &st.reason, 10.0, RED);
                p.field(
                    LEFT,
                    w,
                    "Changed by",
                    &format!("event #{} by {} at {}", st.seq, st.by, st.at),
                    10.0,
                    RED,
                );
            }
            p.field(LEFT, w, "Decision maker", &d.maker, 10.0, INK);
            if d.approvers.len() > 1 {
                p.field(LEFT, w, "Approvers", &d.approvers.join(", "), 10.0, INK);
            }
            if let Some(reason) = &d.solo_reason {
                p.field(
                    LEFT,
                    w,
                    "Solo override",
                    &format!("one-person team: {reason}"),
                    10.0,
                    RED,
                );
            }
            if let (Some(seq), Some(hash)) = (d.head_seq, &d.head_hash) {
                p.field(
                    LEFT,
                    w,
                    "Made on",
                    &format!("event #{seq}, head {hash}"),
                    10.0,
                    MUTED,
                );
            }
            p.field(LEFT, w, "Time", &d.at, 10.0, INK);
            p.field(LEFT, w, "Rationale", &d.rationale, 10.0, INK);
            if let Some(reason) = &d.override_reason {
                p.field(LEFT, w, "Override", reason, 10.0, RED);
            }
            if !d.unchecked_criteria.is_empty() {
                p.field(
                    LEFT,
                    w,
                    "Unchecked at decision",
                    &d.unchecked_criteria.join(", "),
                    10.0,
                    RED,
                );
            }
            p.field(LEFT, w, "Event", &format!("#{}", d.seq), 10.0, MUTED);
        }
    }
}
