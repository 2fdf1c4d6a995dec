//! Run tests: the fold and every operation's rules, on a hand-built runbook and synthetic logs.
//! The same rules through a real store and the M31 runbook are in `tests/tests/it/cli.rs`.

use serde_json::{json, Value};

use super::*;
use crate::runbook::{Decision, Field, FieldKind, Item, MetaField, Phase, Section, SignOff};
use crate::HasKind;

const PLACE: &str = "run 0193abcd";

fn item(id: &str, section: &str, checked: bool, critical: bool) -> Item {
    Item {
        id: id.into(),
        text: format!("do {id}"),
        section: Some(section.into()),
        phase: Some("p".into()),
        checked,
        critical,
        ..Default::default()
    }
}

fn field(id: &str, kind: FieldKind, unit: Option<&str>) -> Field {
    Field {
        id: id.into(),
        label: id.into(),
        kind,
        unit: unit.map(str::to_string),
        section: Some("1".into()),
        ..Default::default()
    }
}

fn signoff(id: &str, section: &str, items: &[&str], fields: &[&str]) -> SignOff {
    SignOff {
        id: id.into(),
        name: id.into(),
        section: Some(section.into()),
        phase: Some("p".into()),
        items: items.iter().map(|s| s.to_string()).collect(),
        fields: fields.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// One phase `p`; section 1 with two items (one `[x]` in the source), five fields and the
/// `gate` sign-off; section 2 with two critical items and two sign-offs; the decision.
fn runbook() -> Runbook {
    Runbook {
        name: "demo.md".into(),
        title: Some("Demo".into()),
        sha256: "ab".repeat(32),
        metadata: vec![
            MetaField {
                key: "release-version".into(),
                label: "Release Version".into(),
                line: 3,
                value: Some("v1".into()),
            },
            MetaField {
                key: "release-manager".into(),
                label: "Release Manager".into(),
                line: 4,
                value: None,
            },
        ],
        phases: vec![Phase {
            id: "p".into(),
            title: "P".into(),
            sections: vec!["1".into(), "2".into()],
            ..Default::default()
        }],
        sections: vec![
            Section {
                id: "1".into(),
                number: Some("1".into()),
                title: "One".into(),
                phase: Some("p".into()),
                ..Default::default()
            },
            Section {
                id: "2".into(),
                number: Some("2".into()),
                title: "Two".into(),
                phase: Some("p".into()),
                ..Default::default()
            },
        ],
        items: vec![
            item("1.a", "1", false, false),
            item("1.b", "1", true, false),
            item("2.crit-1", "2", false, true),
            item("2.crit-2", "2", false, true),
        ],
        fields: vec![
            field("1.count", FieldKind::Number, None),
            field("1.rate", FieldKind::Percent, Some("%")),
            field("1.rto", FieldKind::Duration, Some("minutes")),
            field(
                "1.result",
                FieldKind::Choice {
                    options: vec!["Success".into(), "Failed".into()],
                },
                None,
            ),
            field("1.file", FieldKind::Text, None),
        ],
        signoffs: vec![
            signoff("gate", "1", &["1.a", "1.b"], &["1.count", "1.result"]),
            signoff("two-first", "2", &[], &[]),
            signoff("two-second", "2", &[], &[]),
        ],
        decision: Some(Decision {
            line: 40,
            label: "Decision".into(),
            section: Some("2".into()),
            options: vec!["GO".into(), "NO-GO".into()],
            criteria: vec!["2.crit-1".into(), "2.crit-2".into()],
        }),
        ..Default::default()
    }
}

/// A synthetic log: run_created, then the given `(actor, kind, payload)` events.
fn log(events: &[(&str, &str, Value)]) -> Vec<StoredEvent> {
    let created = (
        "ana",
        "run_created",
        json!({"runbook_name": "demo.md", "runbook_sha256": "ab".repeat(32), "env": "sandbox", "release": "v1.2.3"}),
    );
    std::iter::once(&created)
        .chain(events.iter())
        .enumerate()
        .map(|(i, (actor, kind, payload))| StoredEvent {
            run_id: "0193abcd-0000-7000-8000-000000000000".into(),
            seq: i as u64 + 1,
            time: format!("2025-06-01T12:00:{:02}.000Z", i),
            actor: actor.to_string(),
            kind: kind.to_string(),
            payload: payload.clone(),
            prev_hash: String::new(),
            hash: format!("h{}", i + 1),
        })
        .collect()
}

fn state_after(events: &[(&str, &str, Value)]) -> RunState {
    fold(&runbook(), &log(events))
}

// ---- fold ----

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

// ---- check ----

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

// ---- set field ----

fn set(field: &str, value: &str) -> Result<Event, Error> {
    let req = SetFieldReq {
        run: "r".into(),
        field: field.into(),
        value: value.into(),
    };
    field::to_event(&runbook(), &state_after(&[]), &req, PLACE)
}

#[test]
fn set_field_validates_by_kind_and_stores_the_canonical_value() {
    let value = |r: Result<Event, Error>| match r.expect("accepted") {
        Event::FieldSet { value, .. } => value,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(value(set("1.count", "42")), "42");
    assert_eq!(value(set("1.rate", "99.5%")), "99.5");
    assert_eq!(value(set("1.rto", "3")), "3");
    assert_eq!(value(set("1.result", "success")), "Success");
    assert_eq!(value(set("1.file", " b.sql ")), "b.sql");
    for (field, bad) in [
        ("1.count", "many"),
        ("1.rate", "120"),
        ("1.rto", "-2"),
        ("1.result", "meh"),
        ("1.file", " "),
    ] {
        let e = set(field, bad).expect_err("refused");
        assert_eq!(e.kind(), crate::ErrorKind::Invalid, "{field} = {bad:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("field `{field}` in run 0193abcd: ")),
            "{e}"
        );
    }
}

#[test]
fn set_field_of_an_unknown_field_suggests_the_nearest() {
    let e = set("1.cont", "1").expect_err("unknown");
    assert_eq!(
        e.to_string(),
        "field `1.cont` not found in run 0193abcd (did you mean `1.count`?)"
    );
}

// ---- metadata ----

fn meta(key: &str, value: &str) -> Result<Event, Error> {
    let req = SetMetaReq {
        run: "r".into(),
        key: key.into(),
        value: value.into(),
    };
    meta::to_event(&runbook(), &state_after(&[]), &req, PLACE)
}

#[test]
fn metadata_takes_a_key_or_its_label() {
    let expected = Event::MetadataSet {
        key: "release-manager".into(),
        value: "Ana".into(),
    };
    assert_eq!(meta("release-manager", "Ana").expect("key"), expected);
    assert_eq!(meta("Release Manager", "Ana").expect("label"), expected);
    assert_eq!(
        meta("release-manager", "").expect_err("empty").kind(),
        crate::ErrorKind::Invalid
    );
}

#[test]
fn metadata_with_an_unknown_key_lists_the_keys() {
    let e = meta("release-manger", "Ana").expect_err("unknown");
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    let msg = e.to_string();
    assert!(msg.contains("did you mean `release-manager`?"), "{msg}");
    assert!(msg.contains("keys: release-version, release-manager"), "{msg}");
}

// ---- note ----

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

// ---- sign-off ----

fn sign(s: &RunState, target: &str, over: Option<&str>) -> Result<Event, Error> {
    let req = SignOffReq {
        run: "r".into(),
        signoff: target.into(),
        override_reason: over.map(str::to_string),
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

// ---- decision ----

fn decide_on(s: &RunState, verdict: &str, rationale: &str, over: Option<&str>) -> Result<Event, Error> {
    let req = DecideReq {
        run: "r".into(),
        decision: verdict.parse().expect("verdict"),
        rationale: rationale.into(),
        override_reason: over.map(str::to_string),
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
    assert_eq!(
        event,
        Event::DecisionRecorded {
            decision: Verdict::Go,
            maker: "fay".into(),
            rationale: "all green".into(),
            override_reason: Some("crit-2 verified by phone".into()),
            unchecked_criteria: vec!["2.crit-2".into()],
        }
    );
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
    };
    assert_eq!(
        decide::to_event(&rb, &fold(&rb, &log(&[])), &req, "fay", PLACE)
            .expect_err("no block")
            .kind(),
        crate::ErrorKind::Invalid
    );
}
