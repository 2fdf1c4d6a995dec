//! Setting fields (validated by kind, stored canonically) and header metadata (by key or label).

use super::*;

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
