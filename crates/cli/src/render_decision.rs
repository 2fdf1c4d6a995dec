//! `run show`'s people and decision: who is known to the run, the GO votes so far, and the
//! decision with the head it was made on, its overrides, and whether it is stale (and why).

use flightdeck_engine::run::RunState;

pub(crate) fn state_decision(o: &mut String, s: &RunState) {
    o.push('\n');
    if !s.people.is_empty() {
        crate::render::out!(o, "people");
        for p in &s.people {
            crate::render::out!(o, "  {}", flightdeck_engine::run::people::describe(p));
        }
        o.push('\n');
    }
    if s.min_approvers > 1 {
        crate::render::out!(o, "GO needs {} distinct approvers", s.min_approvers);
    }
    for v in s.votes.iter().filter(|v| v.stale.is_none()) {
        crate::render::out!(
            o,
            "vote GO by {} at {} (event {}): {}",
            v.maker,
            v.at,
            v.seq,
            v.rationale
        );
    }
    match &s.decision {
        Some(d) => {
            if let Some(st) = &d.stale {
                crate::render::out!(
                    o,
                    "STALE DECISION: {} by {} no longer stands: {} (event {} by {} at {}); make it again",
                    d.decision.as_str().to_uppercase(),
                    d.approvers.join(", "),
                    st.reason,
                    st.seq,
                    st.by,
                    st.at
                );
            }
            crate::render::out!(
                o,
                "decision {} by {} at {}: {}",
                d.decision.as_str().to_uppercase(),
                d.approvers.join(", "),
                d.at,
                d.rationale
            );
            if let (Some(seq), Some(hash)) = (d.head_seq, &d.head_hash) {
                crate::render::out!(o, "  made on event {seq} (head {})", crate::render::short(hash));
            }
            if let Some(r) = &d.override_reason {
                crate::render::out!(
                    o,
                    "  override: {r} (unchecked: {})",
                    d.unchecked_criteria.join(", ")
                );
            }
            if let Some(r) = &d.solo_reason {
                crate::render::out!(o, "  SOLO override (one-person team): {r}");
            }
        }
        None => {
            crate::render::out!(o, "decision: not made");
        }
    }
    crate::run_view::revoked_decisions(o, s);
}
