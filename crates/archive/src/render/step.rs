//! A step's block in the body: its status line, the command as the runbook gives it (cut at
//! `COMMAND_LINES`), its latest result (facts, message, assertions, captures) and the evidence
//! each output stream left, cut at `EVIDENCE_LINES` (the attachment named beside it holds all).

use flightdeck_engine::run::{StepState, StepStatus, StepSummary};
use flightdeck_engine::runbook::Step;

use crate::layout::{Face, Pages, AMBER, GREEN, INK, MUTED, RED};
use crate::record::{Evidence, Record};

/// Evidence lines shown per stream on the page; the attachment holds all of it.
const EVIDENCE_LINES: usize = 60;
/// Command lines shown per step.
const COMMAND_LINES: usize = 14;

pub(super) fn step(p: &mut Pages, r: &Record, id: &str, x: f32) {
    let (Some(st), Some(model)) = (
        r.run.state.steps.iter().find(|s| s.id == id),
        r.run.runbook.step(id),
    ) else {
        return;
    };
    p.ensure(60.0);
    p.space(2.0);
    status_line(p, st, x);
    p.mono(x, 7.5, &format!("Step {id}"), command(st, model).trim_end());
    if let Some(res) = &st.result {
        result(p, st, res, x);
    }
    for ev in r.evidence.get(id).map(Vec::as_slice).unwrap_or_default() {
        evidence(p, id, ev, x);
    }
}

/// `Step <id> · <kind> · <status>`, coloured by the status.
fn status_line(p: &mut Pages, st: &StepState, x: f32) {
    let status = match st.status {
        StepStatus::Idle => ("not run", MUTED),
        StepStatus::Running => ("started, never finished", AMBER),
        StepStatus::Passed => ("PASSED", GREEN),
        StepStatus::Failed => ("FAILED", RED),
    };
    p.text_line(
        x,
        Face::Bold,
        9.0,
        status.1,
        &format!("Step {} · {} · {}", st.id, st.kind, status.0),
    );
}

/// The command as shown: the runbook's code cut at `COMMAND_LINES`, headed by what the run says
/// it did when the code does not already hold that.
fn command(st: &StepState, model: &Step) -> String {
    let code: Vec<&str> = model.code.lines().collect();
    let mut shown = code
        .iter()
        .take(COMMAND_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if code.len() > COMMAND_LINES {
        shown.push_str(&format!(
            "\n… {} more lines in runbook.md",
            code.len() - COMMAND_LINES
        ));
    }
    if let Some(what) = &st.what {
        if !model.code.contains(what.as_str()) {
            shown = format!("{what}\n{shown}");
        }
    }
    shown
}

/// The latest run: duration, exit code, HTTP status, who and when, then its message, each
/// assertion with the value it met, and what it captured.
fn result(p: &mut Pages, st: &StepState, res: &StepSummary, x: f32) {
    let mut facts = vec![format!("{} ms", res.duration_ms)];
    if let Some(code) = res.exit_code {
        facts.push(format!("exit {code}"));
    }
    if let Some(s) = res.http_status {
        facts.push(format!("HTTP {s}"));
    }
    if let (Some(by), Some(at)) = (&st.by, &st.finished_at) {
        facts.push(format!("run by {by}, finished {at}"));
    }
    if let Some(env) = &st.confirmed_on {
        facts.push(format!("changes the target: confirmed on {env}"));
    }
    if st.runs > 1 {
        facts.push(format!("{} runs, latest shown", st.runs));
    }
    p.para(x, Face::Sans, 8.5, INK, &facts.join(" · "));
    if let Some(m) = &res.message {
        p.para(x, Face::Sans, 8.5, RED, m);
    }
    for (expr, actual, verdict) in &res.assertions {
        let (mark, color) = if verdict == "pass" {
            ("✔", GREEN)
        } else {
            ("✘", RED)
        };
        p.para(
            x + 6.0,
            Face::Sans,
            8.5,
            color,
            &format!("{mark} {expr}  (actual: {actual})"),
        );
    }
    for (field, value) in &res.captures {
        p.para(
            x + 6.0,
            Face::Sans,
            8.5,
            INK,
            &format!("captured {field} = {value}"),
        );
    }
}

/// One output stream: a line naming its size, hash and attachment, then its first lines.
fn evidence(p: &mut Pages, id: &str, ev: &Evidence, x: f32) {
    let e = &ev.excerpt;
    let lines: Vec<&str> = e.text.lines().collect();
    let mut text = lines
        .iter()
        .take(EVIDENCE_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > EVIDENCE_LINES {
        text.push_str(&format!(
            "\n… {} more lines in {}",
            lines.len() - EVIDENCE_LINES,
            ev.attachment
        ));
    }
    let cut = if e.truncated {
        format!(", capped: {} bytes not kept", e.truncated_bytes)
    } else {
        String::new()
    };
    p.text_line(
        x,
        Face::Sans,
        7.5,
        MUTED,
        &format!(
            "{} · {} bytes · sha256 {}{cut} · {}",
            ev.stream,
            e.bytes,
            short(&e.sha256),
            ev.attachment
        ),
    );
    if !text.trim().is_empty() {
        p.mono(x, 7.0, &format!("{id} {}", ev.stream), text.trim_end());
    }
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}
