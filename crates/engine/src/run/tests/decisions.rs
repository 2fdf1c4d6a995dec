//! The GO / NO-GO decision: GO needs an override while a criterion is unchecked, NO-GO never
//! does, a rationale is required, it is made once, and only where the runbook has the block.

use super::*;

fn decide_on(s: &RunState, verdict: &str, rationale: &str, over: Option<&str>) -> Result<Event, Error> {
    let req = DecideReq {
        run: "r".into(),
        decision: verdict.parse().expect("verdict"),
        rationale: rationale.into(),
        override_reason: over.map(str::to_string),
        solo_reason: None,
    };
    decide::to_event(&runbook(), s, &req, "fay", PLACE)
}

#[test]
fn go_needs_an_override_while_a_criterion_is_unchecked() {
    let s = state_after(&[("ben", "item_checked", json!({"item": "2.crit-1"}))]);
    let e = decide_on(&s, "go", "all green", None).expect_err("GO refused");
    assert_eq!(e.kind(), crate::ErrorKind::Incomplete);
    assert!(
        e.to_string()
            .contains("1 critical success criteria unchecked: 2.crit-2"),
        "{e}"
    );
    let event = decide_on(&s, "go", "all green", Some("crit-2 verified by phone")).expect("overridden");
    let Event::DecisionRecorded {
        decision,
        maker,
        rationale,
        override_reason,
        unchecked_criteria,
        solo_reason,
        head_seq,
        head_hash,
        evidence,
    } = event
    else {
        panic!("a decision: {event:?}");
    };
    assert_eq!(
        (decision, maker.as_str(), rationale.as_str()),
        (Verdict::Go, "fay", "all green")
    );
    assert_eq!(override_reason.as_deref(), Some("crit-2 verified by phone"));
    assert_eq!(unchecked_criteria, vec!["2.crit-2".to_string()]);
    assert_eq!(solo_reason, None);
    assert_eq!(
        (head_seq, head_hash.as_deref()),
        (Some(2), Some("h2")),
        "made on the head"
    );
    let evidence = evidence.expect("the evidence is frozen in the event");
    assert_eq!(evidence.criteria.len(), 2);
    assert!(evidence.criteria[0].checked && !evidence.criteria[1].checked);
}

#[test]
fn go_with_every_criterion_checked_needs_no_override() {
    let s = state_after(&[
        ("ben", "item_checked", json!({"item": "2.crit-1"})),
        ("ben", "item_checked", json!({"item": "2.crit-2"})),
    ]);
    let event = decide_on(&s, "GO", "all green", None).expect("GO");
    assert!(
        matches!(event, Event::DecisionRecorded { override_reason: None, ref unchecked_criteria, .. }
        if unchecked_criteria.is_empty())
    );
}

#[test]
fn no_go_never_needs_an_override() {
    let event = decide_on(&state_after(&[]), "no-go", "error rate above budget", None).expect("NO-GO");
    assert!(
        matches!(event, Event::DecisionRecorded { decision: Verdict::NoGo, override_reason: None, ref unchecked_criteria, .. }
        if unchecked_criteria.len() == 2),
        "the unchecked criteria are still recorded: {event:?}"
    );
}

#[test]
fn a_decision_needs_a_rationale_and_is_made_once() {
    assert_eq!(
        decide_on(&state_after(&[]), "no-go", "  ", None)
            .expect_err("no rationale")
            .kind(),
        crate::ErrorKind::Invalid
    );
    let s = state_after(&[(
        "fay",
        "decision_recorded",
        json!({"decision": "no-go", "maker": "fay", "rationale": "r"}),
    )]);
    let e = decide_on(&s, "no-go", "again", None).expect_err("twice");
    assert_eq!(e.kind(), crate::ErrorKind::Conflict);
    assert!(e.to_string().contains("NO-GO by fay"), "{e}");
}

#[test]
fn a_runbook_without_a_decision_block_cannot_be_decided() {
    let mut rb = runbook();
    rb.decision = None;
    let req = DecideReq {
        run: "r".into(),
        decision: Verdict::NoGo,
        rationale: "r".into(),
        override_reason: None,
        solo_reason: None,
    };
    assert_eq!(
        decide::to_event(&rb, &fold(&rb, &log(&[])), &req, "fay", PLACE)
            .expect_err("no block")
            .kind(),
        crate::ErrorKind::Invalid
    );
}
