//! The D0–D7 watch report's pages: which archive it follows, the plan, what the slots came to,
//! every slot that failed, was missed or ran late, every alert with how long it took to go out,
//! and the bands run clean. Its data is `crate::watch_report`'s.

use flightdeck_engine::watch::SlotStatus;

use crate::layout::{self, Face, Pages, AMBER, GREEN, INK, LEFT, MUTED, RED};
use crate::record::Record;
use crate::watch_report::WatchReport;

pub(super) fn pages(p: &mut Pages, r: &Record, w: &WatchReport, signer: &str) {
    cover(p, r, w, signer);
    slots(p, w);
    alerts(p, w);
    p.heading(13.0, "Bands run clean", 30.0);
    if w.bands_clean.is_empty() {
        p.para(LEFT, Face::Sans, 9.5, MUTED, "No band has run clean yet.");
    }
    for b in &w.bands_clean {
        p.text_line(LEFT, Face::Sans, 9.5, GREEN, &format!("✓ {b}"));
    }
    p.space(10.0);
    p.rule();
    p.para(
        LEFT,
        Face::Sans,
        8.5,
        MUTED,
        "This report is a second signed file that names its archive by id and by the sha256 of \
         its bytes; its embedded event log continues the archive's. Verify both together: \
         flightdeck archive verify ARCHIVE.pdf --watch-report REPORT.pdf",
    );
}

fn cover(p: &mut Pages, r: &Record, w: &WatchReport, signer: &str) {
    p.space(30.0);
    p.text_line(
        LEFT,
        Face::Sans,
        11.0,
        MUTED,
        "FLIGHTDECK · SIGNED D0–D7 WATCH REPORT",
    );
    p.space(6.0);
    let s = &r.run.state;
    let title = s.runbook_title.clone().unwrap_or_else(|| s.runbook_name.clone());
    for line in p.wrap(Face::Bold, 20.0, layout::RIGHT - LEFT, &title) {
        p.text_line(LEFT, Face::Bold, 20.0, INK, &line);
    }
    p.text_line(
        LEFT,
        Face::Sans,
        12.0,
        INK,
        &format!(
            "Release {} · environment {}",
            r.run.record.release, r.run.record.env
        ),
    );
    p.space(10.0);
    p.rule();
    let lw = 150.0;
    let t = &w.archive;
    p.field(LEFT, lw, "Run", &r.run.record.id, 10.0, INK);
    p.field(LEFT, lw, "Archive id", &t.archive_id, 10.0, INK);
    p.field(LEFT, lw, "Archive sha256", &t.archive_sha256, 9.0, INK);
    p.field(
        LEFT,
        lw,
        "Archive ends at",
        &format!("event {} ({})", t.event_count, t.head_hash),
        9.0,
        INK,
    );
    p.field(LEFT, lw, "Report id", &r.manifest.archive_id, 10.0, INK);
    p.field(
        LEFT,
        lw,
        "Report ends at",
        &format!("event {} ({})", r.manifest.event_count, r.manifest.head_hash),
        9.0,
        INK,
    );
    p.field(LEFT, lw, "Made", &r.manifest.exported_at, 10.0, INK);
    p.field(LEFT, lw, "Signed by", signer, 10.0, INK);
    p.rule();
    p.heading(13.0, "Plan", 30.0);
    match &w.plan {
        Some(plan) => {
            p.field(LEFT, lw, "T-0", &plan.t0, 10.0, INK);
            p.field(LEFT, lw, "Bands", &plan.bands.join(", "), 10.0, INK);
            p.field(LEFT, lw, "Until", &format!("T+{} min", plan.end_min), 10.0, INK);
            p.field(LEFT, lw, "Checks", &plan.checks.join(", "), 10.0, INK);
        }
        None => p.para(LEFT, Face::Sans, 9.5, AMBER, "No watch plan (no T-0 set)."),
    }
    let c = &w.counts;
    p.heading(13.0, "Summary", 40.0);
    p.field(
        LEFT,
        lw,
        "Slots",
        &format!(
            "{} recorded: {} passed, {} failed, {} missed, {} run late as catch-up",
            c.slots, c.passed, c.failed, c.missed, c.catch_up
        ),
        10.0,
        if c.failed + c.missed == 0 { GREEN } else { AMBER },
    );
    p.field(
        LEFT,
        lw,
        "Alerts",
        &format!(
            "{} notices sent, {} failed; the slowest went out {} after its first failing slot",
            c.alerts_sent,
            c.alerts_failed,
            duration(c.max_delay_ms)
        ),
        10.0,
        if c.alerts_failed == 0 { INK } else { RED },
    );
}

fn slots(p: &mut Pages, w: &WatchReport) {
    p.heading(13.0, "Slots that failed, were missed or ran late", 30.0);
    if w.slots.is_empty() {
        p.para(
            LEFT,
            Face::Sans,
            9.5,
            GREEN,
            "Every recorded slot passed on time.",
        );
    }
    for s in &w.slots {
        let (word, color) = match s.status {
            SlotStatus::Passed => ("passed", GREEN),
            SlotStatus::Failed => ("FAILED", RED),
            SlotStatus::Missed => ("missed", AMBER),
        };
        let mut line = format!("#{} {} due {}: {word}", s.seq, s.slot, s.due);
        if let Some(why) = &s.reason {
            line.push_str(&format!(" ({why})"));
        }
        if s.catch_up {
            line.push_str(" (catch-up)");
        }
        p.para(LEFT, Face::Sans, 9.0, color, &line);
        for f in &s.failed {
            p.para(LEFT + 16.0, Face::Sans, 8.5, MUTED, f);
        }
    }
}

fn alerts(p: &mut Pages, w: &WatchReport) {
    p.heading(13.0, "Alerts, and how long each took to go out", 30.0);
    if w.alerts.is_empty() {
        p.para(LEFT, Face::Sans, 9.5, MUTED, "No alert was sent.");
    }
    for row in &w.alerts {
        let a = &row.alert;
        let what = if a.firing.is_empty() {
            format!("resolved {}", a.resolved.len())
        } else {
            format!("{} firing, {} resolved", a.firing.len(), a.resolved.len())
        };
        let outcome = if a.sent {
            format!("sent after {} attempt(s)", a.attempts)
        } else {
            format!(
                "FAILED after {} attempt(s): {}",
                a.attempts,
                a.error.as_deref().unwrap_or("no answer")
            )
        };
        let line = format!(
            "#{} {} {} {} → {} ({}): {what}{}; {outcome}; out {} after the condition",
            row.seq,
            row.at,
            a.severity.as_str(),
            a.category,
            a.receiver,
            a.receiver_kind,
            if a.repeat { ", repeat" } else { "" },
            duration(a.delay_ms)
        );
        p.para(LEFT, Face::Sans, 9.0, if a.sent { INK } else { RED }, &line);
        for key in a.firing.iter().chain(&a.resolved) {
            p.para(LEFT + 16.0, Face::Mono, 7.5, MUTED, key);
        }
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms / 1000) % 60)
    }
}
