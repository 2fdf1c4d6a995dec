//! Corrections: undoing work under a recorded sign-off marks it as covering changed work; a
//! sign-off or the decision revoked with a reason opens its slot again and is kept; a field
//! cleared is empty again.

use super::*;

const SIGNED: (&str, &str) = ("eve", "signoff_recorded");

fn signed_gate() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("ben", "item_checked", json!({"item": "1.a"})),
        ("ben", "field_set", json!({"field": "1.count", "value": "3"})),
        (
            SIGNED.0,
            SIGNED.1,
            json!({"signoff": "gate", "by": "eve", "override_reason": "r", "incomplete": []}),
        ),
    ]
}

#[test]
fn unchecking_an_item_under_a_recorded_signoff_marks_it_as_covering_changed_work() {
    let mut events = signed_gate();
    events.push(("ben", "item_unchecked", json!({"item": "1.a"})));
    events.push(("ben", "item_unchecked", json!({"item": "2.crit-1"})));
    let s = state_after(&events);
    let record = s
        .signoff("gate")
        .and_then(|g| g.recorded.clone())
        .expect("signed");
    assert_eq!(record.changed.len(), 1, "only 1.a is in its scope: {record:?}");
    assert_eq!(record.changed[0].what, Incomplete::item("1.a"));
    assert_eq!((record.changed[0].seq, record.changed[0].by.as_str()), (5, "ben"));
}

#[test]
fn clearing_a_field_empties_it_and_marks_the_signoff_over_it() {
    let mut events = signed_gate();
    events.push(("ben", "field_cleared", json!({"field": "1.count"})));
    let s = state_after(&events);
    let f = s.field("1.count").expect("field");
    assert_eq!((f.value.as_deref(), f.by.as_deref()), (None, Some("ben")));
    let record = s
        .signoff("gate")
        .and_then(|g| g.recorded.clone())
        .expect("signed");
    assert_eq!(record.changed[0].what, Incomplete::field("1.count"));

    let req = ClearFieldReq {
        run: "r".into(),
        field: "1.count".into(),
    };
    let e = req
        .to_event(&runbook(), &s, "ben", PLACE)
        .expect_err("already empty");
    assert_eq!(e.kind(), crate::ErrorKind::Conflict);
}

#[test]
fn a_revoked_signoff_is_kept_with_its_reason_and_the_slot_may_be_signed_again() {
    let s = state_after(&signed_gate());
    let req = RevokeSignOffReq {
        run: "r".into(),
        signoff: "gate".into(),
        reason: "signed the wrong section".into(),
    };
    let event = req.to_event(&runbook(), &s, "eve", PLACE).expect("revocable");
    assert_eq!(
        event,
        Event::SignoffRevoked {
            signoff: "gate".into(),
            revokes: 4,
            reason: "signed the wrong section".into()
        }
    );
    let mut events = signed_gate();
    events.push((
        "eve",
        "signoff_revoked",
        json!({"signoff": "gate", "revokes": 4, "reason": "wrong"}),
    ));
    let s = state_after(&events);
    let gate = s.signoff("gate").expect("slot");
    assert!(gate.recorded.is_none());
    assert_eq!(
        (gate.revoked[0].reason.as_str(), gate.revoked[0].record.seq),
        ("wrong", 4)
    );
    let again = req
        .to_event(&runbook(), &s, "eve", PLACE)
        .expect_err("nothing to revoke");
    assert_eq!(again.kind(), crate::ErrorKind::Conflict);
    let blank = RevokeSignOffReq {
        reason: " ".into(),
        ..req
    };
    assert_eq!(
        blank
            .to_event(&runbook(), &state_after(&signed_gate()), "eve", PLACE)
            .expect_err("a reason is required")
            .kind(),
        crate::ErrorKind::Invalid
    );
}

#[test]
fn a_revoked_decision_is_kept_and_a_new_one_may_be_recorded() {
    let decided = (
        "dana",
        "decision_recorded",
        json!({"decision": "go", "maker": "dana", "rationale": "ok", "override_reason": "r", "unchecked_criteria": []}),
    );
    let s = state_after(std::slice::from_ref(&decided));
    let req = RevokeDecisionReq {
        run: "r".into(),
        reason: "GO was premature".into(),
    };
    assert_eq!(
        req.to_event(&runbook(), &s, "dana", PLACE).expect("revocable"),
        Event::DecisionRevoked {
            revokes: 2,
            reason: "GO was premature".into()
        }
    );
    let s = state_after(&[
        decided,
        (
            "dana",
            "decision_revoked",
            json!({"revokes": 2, "reason": "premature"}),
        ),
    ]);
    assert!(s.decision.is_none());
    assert_eq!(s.revoked_decisions[0].decision.seq, 2);
    assert_eq!(s.revoked_decisions[0].reason, "premature");
    assert!(s.orphans.is_empty(), "{:?}", s.orphans);
    assert_eq!(
        req.to_event(&runbook(), &s, "dana", PLACE)
            .expect_err("none stands")
            .kind(),
        crate::ErrorKind::Conflict
    );
}
