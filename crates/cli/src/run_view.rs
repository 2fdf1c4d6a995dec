//! The parts of `run show` (and `archive show`, which draws the same view) beyond items, fields
//! and the decision line: each step and its latest result, what a sign-off left open, work changed
//! under it since, and what was revoked. Called from `render::run_state`.

use flightdeck_engine::run::{FieldState, RunState, SignOffState, StepStatus};

use crate::render::{count, millis, out};

/// ` [captured by step S]` after a field a step's probe filled, nothing after a typed one.
pub fn captured(f: &FieldState) -> String {
    match (&f.captured_from, &f.value) {
        (Some(step), Some(_)) => format!("  [captured by step {step}]"),
        _ => String::new(),
    }
}

/// Each step: its kind, and its latest run's verdict and duration (or that it has not run).
pub fn steps(o: &mut String, s: &RunState) {
    if s.steps.is_empty() {
        return;
    }
    let passed = s
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Passed)
        .count();
    o.push('\n');
    out!(o, "steps ({passed}/{} passed)", s.steps.len());
    for st in &s.steps {
        let runs = if st.runs > 1 {
            format!(", {}", count(st.runs as usize, "run", "runs"))
        } else {
            String::new()
        };
        let how = match (&st.status, &st.result) {
            (StepStatus::Idle, _) if st.kind == "manual" => "manual: left to people".to_string(),
            (StepStatus::Idle, _) => "not run".to_string(),
            (StepStatus::Running, _) => "started, no result (running, or cut short)".to_string(),
            (_, Some(r)) => {
                let verdict = if r.passed { "passed" } else { "FAILED" };
                let why = r
                    .failure
                    .as_deref()
                    .map(|f| format!(" [{f}]"))
                    .unwrap_or_default();
                format!("{verdict}{why} in {}{runs}", millis(r.duration_ms))
            }
            (_, None) => "finished".to_string(),
        };
        let who = match (&st.by, &st.started_at) {
            (Some(by), Some(at)) => format!("  ({by}, {at})"),
            _ => String::new(),
        };
        out!(o, "  {:<40} {:<12} {how}{who}", st.id, st.kind);
    }
}

/// Under a sign-off's line: what was open when it was signed (with an override), work undone
/// under it since (it covers changed work), and the sign-offs of the slot that were revoked.
pub fn signoff_details(o: &mut String, so: &SignOffState) {
    if let Some(r) = &so.recorded {
        if !r.incomplete.is_empty() {
            let open: Vec<String> = r.incomplete.iter().map(ToString::to_string).collect();
            out!(o, "    open when signed: {}", open.join(", "));
        }
        for c in &r.changed {
            out!(
                o,
                "    COVERS CHANGED WORK: {} by {} at {} (event {})",
                c.what,
                c.by,
                c.at,
                c.seq
            );
        }
    }
    for rv in &so.revoked {
        out!(
            o,
            "    revoked by {} at {} (event {}): {}; it was signed by {} at {} (event {})",
            rv.by,
            rv.at,
            rv.seq,
            rv.reason,
            rv.record.by,
            rv.record.at,
            rv.record.seq
        );
    }
}

/// Decisions recorded and then revoked, each with who revoked it, when and why.
pub fn revoked_decisions(o: &mut String, s: &RunState) {
    for rv in &s.revoked_decisions {
        let d = &rv.decision;
        out!(
            o,
            "  revoked: {} by {} at {} (event {}), revoked by {} at {} (event {}): {}",
            d.decision.as_str().to_uppercase(),
            d.maker,
            d.at,
            d.seq,
            rv.by,
            rv.at,
            rv.seq,
            rv.reason
        );
    }
}
