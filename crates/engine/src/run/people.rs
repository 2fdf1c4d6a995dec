//! The people of a run: who is known to it, with which roles, and the two writes that change
//! that (`person_added`, `approvers_set`).
//!
//! A person is known to a run when one of these names them:
//! - the run's creator (the `run_created` event's actor, role `run-creator`);
//! - a role line of the runbook's header: a `**Label**: Name` whose label names a role
//!   (`Release Manager`, `On-Call Engineer`, `Rollback Decision Maker`, any label ending in
//!   manager, engineer, maker, owner, lead, approver, reviewer, officer or commander), as written
//!   in the runbook or as set since with `metadata_set` (`run meta RUN release-manager NAME`);
//! - a `person_added` event (`run people add RUN NAME --role ROLE`), made by someone known.
//!
//! Every write to a run is refused (rule `known-person`) when its actor is none of these; the
//! message lists who is known. The fold keeps `RunState::people` up to date (`refresh`).

use super::state::{Person, PersonRole, RunState};
use super::{require, write, Applied, Error, Event, Op};
use crate::runbook::{slug, Runbook};
use crate::store::Store;

/// The last word(s) of a header label that make it a role held by a person.
const ROLE_ENDINGS: &[&str] = &[
    "manager",
    "engineer",
    "maker",
    "owner",
    "lead",
    "approver",
    "reviewer",
    "officer",
    "commander",
];

/// Whether a header label (`Rollback Decision Maker`) names a role held by a person.
pub fn is_role_label(label: &str) -> bool {
    let lower = label.trim().to_ascii_lowercase();
    ROLE_ENDINGS.iter().any(|end| {
        lower == *end
            || lower
                .strip_suffix(end)
                .is_some_and(|head| head.ends_with([' ', '-']))
    })
}

/// A name as compared: trimmed, inner runs of spaces as one, case folded.
pub fn normal(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A header value that names nobody: blank, underscores, a reference in brackets.
fn names_somebody(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.chars().all(|c| c == '_' || c.is_whitespace()) && !v.starts_with('[')
}

/// Give `name` the role `role` (from `source`, at `seq`), adding the person when new.
pub(crate) fn grant(state: &mut RunState, name: &str, role: &str, source: &str, seq: Option<u64>) {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return;
    }
    let want = normal(&name);
    let at = match state.people.iter().position(|p| normal(&p.name) == want) {
        Some(i) => i,
        None => {
            state.people.push(Person {
                name,
                roles: Vec::new(),
            });
            state.people.len() - 1
        }
    };
    let roles = &mut state.people[at].roles;
    if !roles.iter().any(|r| r.role == role && r.source == source) {
        roles.push(PersonRole {
            role: role.to_string(),
            source: source.to_string(),
            seq,
        });
    }
}

/// Re-read the header's role lines (as the metadata has them now) into `state.people`.
pub(crate) fn refresh(state: &mut RunState) {
    for p in &mut state.people {
        p.roles.retain(|r| r.source != "header");
    }
    state.people.retain(|p| !p.roles.is_empty());
    let header: Vec<(String, String, Option<u64>)> = state
        .metadata
        .iter()
        .filter(|m| is_role_label(&m.label))
        .filter_map(|m| {
            let value = m.value.as_deref().filter(|v| names_somebody(v))?;
            // The event that set it, when it was set (its time is kept, not its seq).
            Some((value.to_string(), m.key.clone(), None))
        })
        .collect();
    for (name, role, seq) in header {
        grant(state, &name, &role, "header", seq);
    }
}

/// Refuse `actor` unless known to the run (rule `known-person`).
pub fn require_known(state: &RunState, actor: &str, place: &str) -> Result<(), Error> {
    if state.person(actor).is_some() {
        return Ok(());
    }
    let known: Vec<String> = state.people.iter().map(describe).collect();
    Err(Error::Rule {
        rule: super::rules::Rule::KnownPerson,
        message: format!(
            "`{}` is not a person known to {place}; known: {}. Act as one of them (--by NAME), add them \
             with `flightdeck run people add RUN \"NAME\" --role ROLE` (as someone known), or name them in \
             a role line of the header (`flightdeck run meta RUN release-manager \"NAME\"`)",
            actor.trim(),
            if known.is_empty() {
                "nobody".to_string()
            } else {
                known.join("; ")
            }
        ),
    })
}

/// `Riley Release (release-manager, run-creator)`.
pub fn describe(p: &Person) -> String {
    let roles: Vec<&str> = p.roles.iter().map(|r| r.role.as_str()).collect();
    format!("{} ({})", p.name, roles.join(", "))
}

/// `run people add`: make a person known to the run, with a role.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddPersonReq {
    pub run: String,
    pub name: String,
    /// Free text, kept as a slug: `decision-maker`, `on-call-engineer`, `pre-flight-gates-signoff`.
    pub role: String,
}

/// `req` checked against the run's people, appended as one `person_added` event by `by`.
pub fn add_person(store: &mut Store, by: &str, req: AddPersonReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for AddPersonReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, _runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        let name = require("the person's name", &self.name)?;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let role = slug(&require("the role (--role)", &self.role)?, 8);
        if role.is_empty() {
            return Err(Error::Invalid(format!(
                "role `{}` has no letters or digits",
                self.role.trim()
            )));
        }
        if let Some(p) = state.person(&name) {
            if p.roles.iter().any(|r| r.role == role) {
                return Err(Error::Conflict(format!(
                    "{} already holds role `{role}` in {place}",
                    describe(p)
                )));
            }
        }
        Ok(Event::PersonAdded { name, role })
    }
}

/// `run approvers`: how many distinct people must say GO.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetApproversReq {
    pub run: String,
    pub min: u32,
}

/// `req` checked against the run, appended as one `approvers_set` event by `by`.
pub fn set_approvers(store: &mut Store, by: &str, req: SetApproversReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for SetApproversReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, _runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        if !(1..=20).contains(&self.min) {
            return Err(Error::Invalid(format!(
                "the minimum of distinct approvers must be 1 to 20, not {}",
                self.min
            )));
        }
        if let Some(d) = state.decision.as_ref().filter(|d| d.stale.is_none()) {
            return Err(Error::Conflict(format!(
                "the decision of {place} is already made ({} at event {}); the minimum of approvers \
                 can change only before it, or once it is stale",
                d.decision.as_str().to_uppercase(),
                d.seq
            )));
        }
        Ok(Event::ApproversSet { min: self.min })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_labels_are_people_and_others_are_not() {
        for yes in [
            "Release Manager",
            "On-Call Engineer",
            "Rollback Decision Maker",
            "Decision Maker",
            "Tech Lead",
        ] {
            assert!(is_role_label(yes), "{yes}");
        }
        for no in [
            "Release Version",
            "Cutover Date",
            "Emergency Contacts",
            "Timemaker",
        ] {
            assert!(!is_role_label(no), "{no}");
        }
        assert!(!names_somebody("________________"));
        assert!(!names_somebody("[See M30 Release Checklist]"));
        assert!(names_somebody("Riley Release"));
        assert_eq!(normal("  Riley   release "), "riley release");
    }
}
