//! The M31 checklist as the user wrote it: its counts (ours and cmark-gfm's), header, sign-offs,
//! decision, fields, steps, timeframes and prose, and ids that are unique and survive unrelated
//! edits.

use flightdeck_engine::runbook::{parse, FieldKind};

use super::reference::{cmark_counts, ours, reference};
use super::{m31, M31};

#[test]
fn m31_counts_match_the_issue() {
    let c = m31().counts();
    assert_eq!(
        (c.phases, c.sections, c.items, c.steps, c.signoffs),
        (6, 19, 85, 27, 5)
    );
}

#[test]
fn m31_counts_match_cmark_gfm() {
    let c = cmark_counts(M31.as_bytes());
    assert_eq!(
        (c.own_line, c.quoted),
        ((c.counts.items, c.counts.checked), 0),
        "for M31 the reference is cmark-gfm's count as it stands"
    );
    assert_eq!(ours(&m31()), reference(M31.as_bytes()));
}

#[test]
fn m31_header_metadata() {
    let rb = m31();
    assert_eq!(rb.title.as_deref(), Some("M31 Production Cutover Checklist"));
    let keys: Vec<_> = rb.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "release-version",
            "cutover-date",
            "release-manager",
            "on-call-engineer",
            "emergency-contacts",
            "rollback-decision-maker"
        ]
    );
    assert_eq!(
        rb.meta("release-version").and_then(|m| m.value.as_deref()),
        Some("v1.0.0")
    );
    assert_eq!(
        rb.meta("cutover-date").and_then(|m| m.value.as_deref()),
        None,
        "a blank is not a value"
    );
}

#[test]
fn m31_signoffs_and_decision() {
    let rb = m31();
    let names: Vec<_> = rb.signoffs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Pre-Flight Gates",
            "Cutover Execution",
            "Post-Cutover Validation",
            "Rollback Readiness",
            "D0-D7 Monitoring"
        ]
    );
    let ids: Vec<_> = rb.signoffs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "pre-flight-gates",
            "cutover-execution",
            "post-cutover-validation",
            "rollback-readiness",
            "d0-d7-monitoring"
        ]
    );
    // The pre-flight sign-off vouches for sections 1–5 and nothing after them.
    let pre = &rb.signoffs[0];
    assert!(pre.items.iter().all(|i| rb
        .item(i)
        .and_then(|i| i.section.as_deref())
        .is_some_and(|s| { ["1", "2", "3", "4", "5"].contains(&s) })));
    assert_eq!(
        pre.items.len(),
        rb.items
            .iter()
            .filter(|i| i.phase.as_deref() == Some("pre-flight-gates-validation"))
            .count()
    );
    let d = rb
        .decision
        .as_ref()
        .expect("the M31 checklist has a GO / NO-GO decision");
    assert_eq!(d.options, ["GO", "NO-GO"]);
    assert_eq!(d.criteria.len(), 10, "ten Critical Success Criteria");
    // Decision maker, time and rationale are the decision's, not loose fields.
    assert!(rb
        .fields
        .iter()
        .all(|f| !f.label.to_lowercase().contains("rationale") && f.label != "Decision Maker"));
}

#[test]
fn m31_fields_have_labels_units_and_kinds() {
    let rb = m31();
    let f = |id: &str| rb.field(id).unwrap_or_else(|| panic!("field {id} exists"));
    assert_eq!(f("1.result-passes").label, "passes");
    assert_eq!(f("1.result-passes").kind, FieldKind::Number);
    assert_eq!(f("1.result-total").label, "total");
    assert_eq!(f("1.pass-rate").kind, FieldKind::Percent);
    assert_eq!(f("1.pass-rate").unit.as_deref(), Some("%"));
    assert_eq!(f("3.backup-file").kind, FieldKind::Text);
    assert_eq!(f("3.size").unit.as_deref(), Some("GB"));
    assert_eq!(f("3.rto-achieved").unit.as_deref(), Some("minutes"));
    assert_eq!(f("3.rto-achieved").kind, FieldKind::Duration);
    assert_eq!(
        f("3.result").kind,
        FieldKind::Choice {
            options: vec!["Success".into(), "Failed".into()]
        }
    );
    assert_eq!(
        f("8.database").kind,
        FieldKind::Choice {
            options: vec!["Healthy".into(), "Degraded".into(), "Unhealthy".into()]
        }
    );
    assert_eq!(f("4.breakers-active-apns").label, "APNs");
    assert_eq!(f("11.response-time").unit.as_deref(), Some("ms"));
    assert_eq!(
        f("1.pass-rate").item.as_deref(),
        Some("1.security-testing-owasp-wstg-smoke-tests")
    );
}

#[test]
fn m31_steps_belong_to_their_items_and_keep_expectations() {
    let rb = m31();
    let s = rb
        .step("1.security-testing-owasp-wstg-smoke-tests.step")
        .expect("step id");
    assert_eq!(s.lang.as_deref(), Some("bash"));
    assert_eq!(s.expected, [">95% pass rate"]);
    assert!(s.code.contains("python test_m30_security_readiness.py"));
    assert!(
        rb.steps.iter().all(|s| s.item.is_some()),
        "every M31 step sits under an item"
    );
}

#[test]
fn m31_timeframes_and_prose_are_kept() {
    let rb = m31();
    let tf = rb.phases[0].timeframe.as_ref().expect("pre-flight timeframe");
    assert_eq!((tf.start_min, tf.end_min), (Some(-24 * 60), Some(-4 * 60)));
    // "Expected State" bullets are not understood as anything: they stay, as prose, under their item.
    let item = rb.item("5.critical-feature-flags-set").expect("item");
    let prose: String = item
        .blocks
        .iter()
        .filter_map(|b| match b {
            flightdeck_engine::runbook::Block::Prose { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        prose.contains("`community_enabled`: OFF (0%)"),
        "prose kept: {prose}"
    );
}

#[test]
fn ids_are_unique_per_kind() {
    let rb = m31();
    for ids in [
        rb.items.iter().map(|i| &i.id).collect::<Vec<_>>(),
        rb.steps.iter().map(|i| &i.id).collect(),
        rb.fields.iter().map(|i| &i.id).collect(),
        rb.signoffs.iter().map(|i| &i.id).collect(),
    ] {
        let set: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
    }
}

#[test]
fn ids_survive_unrelated_edits() {
    let before = m31();
    // Edit prose, add an item to section 2, add a whole new phase at the end.
    let edited =
        M31.replace(
            "# Run security validation suite",
            "# Run the security validation suite (edited)",
        )
        .replace(
            "  - [ ] Consent management operational",
            "  - [ ] Consent management operational\n  - [ ] A new GDPR item",
        ) + "\n## Appendix\n\n### 99. Extra\n- [ ] Something new\n";
    let after = parse("m31.md", edited.as_bytes()).expect("imports");
    for item in &before.items {
        let moved = after
            .item(&item.id)
            .unwrap_or_else(|| panic!("{} still exists", item.id));
        assert_eq!(moved.text, item.text);
    }
    for f in &before.fields {
        assert_eq!(after.field(&f.id).map(|g| &g.label), Some(&f.label));
    }
    for s in &before.steps {
        assert!(after.step(&s.id).is_some(), "{} still exists", s.id);
    }
    assert_eq!(after.items.len(), before.items.len() + 2);
}
