//! Checking and unchecking items, and notes on the run or an item.

use super::*;

fn check_req(item: &str, checked: bool) -> CheckReq {
    CheckReq {
        run: "r".into(),
        item: item.into(),
        checked,
    }
}

#[test]
fn check_and_uncheck_make_their_events() {
    let s = state_after(&[]);
    assert_eq!(
        check::to_event(&runbook(), &s, &check_req("1.a", true), PLACE).expect("ok"),
        Event::ItemChecked { item: "1.a".into() }
    );
    assert_eq!(
        check::to_event(&runbook(), &s, &check_req("1.b", false), PLACE).expect("ok"),
        Event::ItemUnchecked { item: "1.b".into() }
    );
}

#[test]
fn check_of_an_unknown_item_suggests_the_nearest() {
    let e =
        check::to_event(&runbook(), &state_after(&[]), &check_req("1.aa", true), PLACE).expect_err("unknown");
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    assert_eq!(
        e.to_string(),
        "item `1.aa` not found in run 0193abcd (did you mean `1.a`?)"
    );
}

#[test]
fn check_of_a_checked_item_is_a_conflict_naming_who() {
    let s = state_after(&[("ben", "item_checked", json!({"item": "1.a"}))]);
    let e = check::to_event(&runbook(), &s, &check_req("1.a", true), PLACE).expect_err("twice");
    assert_eq!(e.kind(), crate::ErrorKind::Conflict);
    assert!(
        e.to_string()
            .contains("already checked by ben at 2025-06-01T12:00:01.000Z"),
        "{e}"
    );
}

#[test]
fn notes_need_text_and_a_known_item() {
    let note = |text: &str, item: Option<&str>| {
        let req = NoteReq {
            run: "r".into(),
            text: text.into(),
            item: item.map(str::to_string),
        };
        note::to_event(&runbook(), &state_after(&[]), &req, PLACE)
    };
    assert_eq!(
        note("ok", Some("1.a")).expect("ok"),
        Event::NoteAdded {
            text: "ok".into(),
            item: Some("1.a".into())
        }
    );
    assert_eq!(
        note("ok", None).expect("ok"),
        Event::NoteAdded {
            text: "ok".into(),
            item: None
        }
    );
    assert_eq!(
        note(" ", None).expect_err("empty").kind(),
        crate::ErrorKind::Invalid
    );
    assert_eq!(
        note("ok", Some("nope")).expect_err("unknown item").kind(),
        crate::ErrorKind::NotFound
    );
}
