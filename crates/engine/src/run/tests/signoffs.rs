//! Sign-offs: refused while their scope is incomplete, an override that keeps the reason and what
//! was incomplete, once per slot, and naming a slot by its section or phase.

use super::*;

fn sign(s: &RunState, target: &str, over: Option<&str>) -> Result<Event, Error> {
    let req = SignOffReq {
        run: "r".into(),
        signoff: target.into(),
        override_reason: over.map(str::to_string),
        solo_reason: None,
    };
    signoff::to_event(&runbook(), s, &req, "eve", PLACE)
}

#[test]
fn signoff_is_refused_while_its_scope_is_incomplete() {
    let s = state_after(&[("ben", "field_set", json!({"field": "1.count", "value": "1"}))]);
    match sign(&s, "gate", None) {
        Err(Error::Incomplete { message, missing }) => {
            assert_eq!(
                missing,
                vec![Incomplete::item("1.a"), Incomplete::field("1.result")]
            );
            assert!(
                message.contains("item 1.a (unchecked), field 1.result (empty)"),
                "{message}"
            );
        }
        other => panic!("expected incomplete, got {other:?}"),
    }
    assert_eq!(
        sign(&s, "gate", Some("  "))
            .expect_err("a blank reason is none")
            .kind(),
        crate::ErrorKind::Incomplete
    );
}

#[test]
fn signoff_with_an_override_keeps_the_reason_and_what_was_incomplete() {
    let event = sign(&state_after(&[]), "gate", Some("DPO on leave, approved by CTO")).expect("overridden");
    assert_eq!(
        event,
        Event::SignoffRecorded {
            signoff: "gate".into(),
            by: "eve".into(),
            override_reason: Some("DPO on leave, approved by CTO".into()),
            incomplete: vec![
                Incomplete::item("1.a"),
                Incomplete::field("1.count"),
                Incomplete::field("1.result")
            ],
            solo_reason: None,
        }
    );
}

#[test]
fn signoff_of_a_complete_scope_needs_no_override() {
    let s = state_after(&[
        ("ben", "item_checked", json!({"item": "1.a"})),
        ("ben", "field_set", json!({"field": "1.count", "value": "1"})),
        (
            "ben",
            "field_set",
            json!({"field": "1.result", "value": "Success"}),
        ),
    ]);
    let event = sign(&s, "gate", None).expect("complete");
    assert!(
        matches!(event, Event::SignoffRecorded { override_reason: None, ref incomplete, .. } if incomplete.is_empty())
    );
}

#[test]
fn a_second_signoff_of_a_slot_is_refused_with_who_and_when() {
    let s = state_after(&[("eve", "signoff_recorded", json!({"signoff": "gate", "by": "eve"}))]);
    let e = sign(&s, "gate", Some("again")).expect_err("twice");
    assert_eq!(e.kind(), crate::ErrorKind::Conflict);
    assert!(
        e.to_string()
            .contains("already recorded by eve at 2025-06-01T12:00:01.000Z (event 2)"),
        "{e}"
    );
}

#[test]
fn signoff_accepts_a_section_or_phase_holding_exactly_one() {
    let rb = runbook();
    assert_eq!(resolve_signoff(&rb, "gate", PLACE).expect("id").id, "gate");
    assert_eq!(resolve_signoff(&rb, "GATE", PLACE).expect("any case").id, "gate");
    assert_eq!(resolve_signoff(&rb, "1", PLACE).expect("section").id, "gate");
    let e = resolve_signoff(&rb, "2", PLACE).expect_err("two sign-offs in section 2");
    assert_eq!(e.kind(), crate::ErrorKind::Invalid);
    assert!(e.to_string().contains("two-first, two-second"), "{e}");
    assert_eq!(
        resolve_signoff(&rb, "p", PLACE)
            .expect_err("three in phase p")
            .kind(),
        crate::ErrorKind::Invalid
    );
    let e = resolve_signoff(&rb, "gat", PLACE).expect_err("typo");
    assert_eq!(
        e.to_string(),
        "sign-off `gat` not found in run 0193abcd (did you mean `gate`?)"
    );
}
