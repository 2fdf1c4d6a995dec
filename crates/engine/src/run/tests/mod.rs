//! Run tests: the fold and every operation's rules, on a hand-built runbook and synthetic logs.
//! The same rules through a real store and the M31 runbook are in `tests/tests/it/cli/`.
//!
//! One module per subject (`fold`, `items`, `fields`, `signoffs`, `decisions`); this one holds
//! the runbook and logs they share.

mod corrections;
mod decisions;
mod fields;
mod fold;
mod items;
mod rules;
mod signoffs;

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
