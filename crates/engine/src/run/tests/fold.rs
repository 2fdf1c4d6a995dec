//! The fold: the state a run starts from, each event applied with who and when, events the
//! runbook cannot place kept as orphans, and an empty log.

use super::*;

#[test]
fn fold_starts_from_the_runbook() {
    let s = state_after(&[]);
    assert_eq!(
        (s.env.as_str(), s.release.as_str(), s.created_by.as_str()),
        ("sandbox", "v1.2.3", "ana")
    );
    assert!(!s.item("1.a").expect("1.a").checked);
    assert!(
        s.item("1.b").expect("1.b").checked,
        "`[x]` in the source arrives checked"
    );
    assert_eq!(
        s.item("1.b").expect("1.b").by,
        None,
        "nobody checked it during the run"
    );
    assert_eq!(
        s.meta("release-version").expect("meta").value.as_deref(),
        Some("v1")
    );
    assert!(s.fields.iter().all(|f| f.value.is_none()));
    assert_eq!((s.event_count, s.head_hash.as_deref()), (1, Some("h1")));
    assert!(s.orphans.is_empty() && s.decision.is_none());
}

#[test]
fn fold_applies_each_event_with_who_and_when() {
    let s = state_after(&[
        ("ben", "item_checked", json!({"item": "1.a"})),
        ("ben", "item_unchecked", json!({"item": "1.b"})),
        ("cy", "field_set", json!({"field": "1.count", "value": "12"})),
        ("cy", "field_set", json!({"field": "1.count", "value": "13"})),
        (
            "cy",
            "metadata_set",
            json!({"key": "release-version", "value": "v2"}),
        ),
        ("dee", "note_added", json!({"text": "slow", "item": "1.a"})),
        (
            "eve",
            "signoff_recorded",
            json!({"signoff": "gate", "by": "eve", "incomplete": []}),
        ),
        (
            "fay",
            "decision_recorded",
            json!({"decision": "no-go", "maker": "fay", "rationale": "r"}),
        ),
    ]);
    let a = s.item("1.a").expect("1.a");
    assert_eq!(
        (a.checked, a.by.as_deref(), a.at.as_deref()),
        (true, Some("ben"), Some("2025-06-01T12:00:01.000Z"))
    );
    assert!(!s.item("1.b").expect("1.b").checked);
    let count = s.field("1.count").expect("field");
    assert_eq!(
        (count.value.as_deref(), count.by.as_deref()),
        (Some("13"), Some("cy")),
        "the last value wins"
    );
    let meta = s.meta("release-version").expect("meta");
    assert_eq!(
        (meta.value.as_deref(), meta.by.as_deref()),
        (Some("v2"), Some("cy")),
        "events override defaults"
    );
    assert_eq!(s.notes.len(), 1);
    assert_eq!((s.notes[0].seq, s.notes[0].item.as_deref()), (7, Some("1.a")));
    let gate = s
        .signoff("gate")
        .expect("gate")
        .recorded
        .as_ref()
        .expect("recorded");
    assert_eq!((gate.by.as_str(), gate.seq), ("eve", 8));
    let d = s.decision.as_ref().expect("decided");
    assert_eq!((d.decision, d.maker.as_str(), d.seq), (Verdict::NoGo, "fay", 9));
    assert_eq!((s.event_count, s.head_hash.as_deref()), (9, Some("h9")));
    assert!(s.orphans.is_empty());
}

#[test]
fn fold_keeps_events_the_runbook_cannot_place_as_orphans() {
    let s = state_after(&[
        ("ben", "item_checked", json!({"item": "gone"})),
        ("ben", "field_set", json!({"field": "gone", "value": "1"})),
        ("ben", "metadata_set", json!({"key": "gone", "value": "1"})),
        ("ben", "signoff_recorded", json!({"signoff": "gone", "by": "ben"})),
        ("ben", "note_added", json!({"text": "t", "item": "gone"})),
        ("ben", "flag_toggled", json!({"flag": "x"})),
        ("ben", "item_checked", json!({"wrong": "shape"})),
    ]);
    assert_eq!(
        s.orphans.iter().map(|o| o.seq).collect::<Vec<_>>(),
        vec![2, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(s.notes.len(), 1, "the note itself is kept");
    assert_eq!(s.event_count, 8);
}

#[test]
fn fold_of_an_empty_log_does_not_panic() {
    let s = fold(&runbook(), &[]);
    assert_eq!((s.event_count, s.head_hash.clone()), (0, None));
}
