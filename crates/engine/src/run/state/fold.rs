//! The fold: the state before any event (`initial`), then one small function per event kind
//! (dispatched by `apply`). An event that names an id the runbook does not have, repeats a
//! one-time record, or is not understood by this build becomes an orphan, never a panic.

use std::collections::HashMap;

use super::{
    DecisionState, FieldState, ItemState, MetaState, Note, OpenAttempt, Orphan, RtoSummary, RunState,
    SignOffRecord, SignOffState, StepState, StepStatus, StepSummary,
};
use crate::probe::ProbeResult;
use crate::run::event::Event;
use crate::runbook::Runbook;
use crate::store::StoredEvent;

/// Fold `events` (in seq order) over `runbook`.
pub fn fold(runbook: &Runbook, events: &[StoredEvent]) -> RunState {
    fold_from(initial(runbook), events)
}

/// Fold `events` on, after the ones `state` already holds (the incremental form of `fold`:
/// `fold_from(fold(rb, a), b)` equals `fold(rb, a ++ b)`, so a checkpoint of the state plus the
/// events after it gives the same state as the whole log).
pub fn fold_from(mut state: RunState, events: &[StoredEvent]) -> RunState {
    if state.run_id.is_empty() {
        state.run_id = events.first().map(|e| e.run_id.clone()).unwrap_or_default();
    }
    state.event_count += events.len() as u64;
    if let Some(last) = events.last() {
        state.head_hash = Some(last.hash.clone());
    }
    let ids = Ids::of(&state);
    for e in events {
        match Event::decode(e) {
            Ok(event) => apply(&mut state, &ids, e, event),
            Err(err) => state.orphan(e, format!("not understood by this version: {err}")),
        }
        super::decision::check_stale(&mut state, e);
    }
    crate::run::people::refresh(&mut state);
    state
}

/// The run before any event: the runbook's metadata, items, fields, sign-off slots and steps as
/// written; the run's id, event count and head come with the events (`fold_from`).
fn initial(runbook: &Runbook) -> RunState {
    RunState {
        run_id: String::new(),
        runbook_name: runbook.name.clone(),
        runbook_title: runbook.title.clone(),
        runbook_sha256: runbook.sha256.clone(),
        env: String::new(),
        release: String::new(),
        created_at: String::new(),
        created_by: String::new(),
        metadata: runbook.metadata.iter().map(MetaState::of).collect(),
        items: runbook.items.iter().map(ItemState::of).collect(),
        fields: runbook.fields.iter().map(FieldState::of).collect(),
        notes: Vec::new(),
        signoffs: runbook.signoffs.iter().map(SignOffState::of).collect(),
        decision: None,
        steps: runbook.steps.iter().map(StepState::of).collect(),
        event_count: 0,
        head_hash: None,
        orphans: Vec::new(),
        controls_open: Vec::new(),
        decision_criteria: runbook
            .decision
            .as_ref()
            .map(|d| d.criteria.clone())
            .unwrap_or_default(),
        people: Vec::new(),
        min_approvers: 1,
        votes: Vec::new(),
        revoked_decisions: Vec::new(),
    }
}

/// Where each id sits in the state's lists.
struct Ids {
    items: HashMap<String, usize>,
    fields: HashMap<String, usize>,
    metas: HashMap<String, usize>,
    signoffs: HashMap<String, usize>,
    steps: HashMap<String, usize>,
}

impl Ids {
    fn of(state: &RunState) -> Ids {
        Ids {
            items: index(state.items.iter().map(|i| i.id.as_str())),
            fields: index(state.fields.iter().map(|f| f.id.as_str())),
            metas: index(state.metadata.iter().map(|m| m.key.as_str())),
            signoffs: index(state.signoffs.iter().map(|s| s.id.as_str())),
            steps: index(state.steps.iter().map(|s| s.id.as_str())),
        }
    }
}

/// One event (stored as `e`) applied to the state.
fn apply(state: &mut RunState, ids: &Ids, e: &StoredEvent, event: Event) {
    match event {
        Event::RunCreated {
            runbook_sha256,
            env,
            release,
            ..
        } => run_created(state, e, runbook_sha256, env, release),
        Event::MetadataSet { key, value } => metadata_set(state, ids, e, key, value),
        Event::ItemChecked { item } => item_checked(state, ids, e, item, true),
        Event::ItemUnchecked { item } => {
            super::corrections::reopen(state, e, &super::Incomplete::item(&item));
            item_checked(state, ids, e, item, false);
        }
        Event::FieldSet { field, value } => field_set(state, ids, e, field, value, None),
        Event::FieldCaptured { field, value, step } => field_set(state, ids, e, field, value, Some(step)),
        Event::NoteAdded { text, item } => note_added(state, ids, e, text, item),
        Event::SignoffRecorded {
            signoff,
            by,
            override_reason,
            incomplete,
            solo_reason,
        } => {
            let record = SignOffRecord {
                seq: e.seq,
                by,
                at: e.time.clone(),
                override_reason,
                incomplete,
                solo_reason,
                changed: Vec::new(),
            };
            signoff_recorded(state, ids, e, signoff, record);
        }
        Event::DecisionRecorded {
            decision,
            maker,
            rationale,
            override_reason,
            unchecked_criteria,
            solo_reason,
            head_seq,
            head_hash,
            evidence,
        } => {
            let decision = DecisionState {
                seq: e.seq,
                decision,
                maker,
                rationale,
                at: e.time.clone(),
                override_reason,
                unchecked_criteria,
                approvers: Vec::new(),
                solo_reason,
                head_seq,
                head_hash,
                evidence: evidence.map(|b| *b),
                stale: None,
            };
            super::decision::recorded(state, e, decision);
        }
        Event::PersonAdded { name, role } => {
            crate::run::people::grant(state, &name, &role, "added", Some(e.seq));
        }
        Event::ApproversSet { min } => {
            state.min_approvers = min.max(1);
            super::decision::quorum(state);
        }
        Event::StepStarted {
            step,
            kind,
            what,
            confirmed_on,
        } => step_started(state, ids, e, step, kind, what, confirmed_on),
        Event::StepOutput { step, stream, output } => step_output(state, ids, e, step, &stream, &output),
        Event::StepFinished { step, result } => step_finished(state, ids, e, step, &result),
        // An attempt is open from its intent until its outcome; both stay in the log, read from
        // it by the CLI and the archive's Controls section.
        Event::ControlAttempted(i) => state.controls_open.push(OpenAttempt {
            attempt: i.attempt.clone(),
            seq: e.seq,
            by: e.actor.clone(),
            at: e.time.clone(),
            env: i.env.clone(),
            what: i.target.describe(),
            from: i.from.to_string(),
            to: i.to.to_string(),
        }),
        Event::ControlAction(r) => {
            if let Some(a) = &r.attempt {
                state.controls_open.retain(|o| &o.attempt != a);
            }
        }
        Event::ControlReadAgain(_) | Event::FlagsChecked { .. } => {}
        // The watch's band run clean checks its items; its other events are read by `watch`.
        Event::WatchBandClean(b) => {
            for item in b.items {
                item_checked(state, ids, e, item, true);
            }
        }
        Event::WatchPlanSet(_) | Event::WatchSlot(_) | Event::AlertNotified(_) => {}
        Event::FieldCleared { field } => match ids.fields.get(field.as_str()) {
            Some(&i) => super::corrections::field_cleared(state, e, i),
            None => state.orphan(e, format!("field `{field}` is not in the runbook")),
        },
        Event::SignoffRevoked { signoff, reason, .. } => match ids.signoffs.get(signoff.as_str()) {
            Some(&i) => super::corrections::signoff_revoked(state, e, i, reason),
            None => state.orphan(e, format!("sign-off `{signoff}` is not in the runbook")),
        },
        Event::DecisionRevoked { reason, .. } => super::corrections::decision_revoked(state, e, reason),
    }
}

fn run_created(state: &mut RunState, e: &StoredEvent, runbook_sha256: String, env: String, release: String) {
    state.runbook_sha256 = runbook_sha256;
    state.env = env;
    state.release = release;
    state.created_at = e.time.clone();
    state.created_by = e.actor.clone();
    crate::run::people::grant(state, &e.actor, "run-creator", "creator", Some(e.seq));
}

fn metadata_set(state: &mut RunState, ids: &Ids, e: &StoredEvent, key: String, value: String) {
    match ids.metas.get(key.as_str()) {
        Some(&i) => {
            let m = &mut state.metadata[i];
            m.value = Some(value);
            (m.by, m.at) = stamp(e);
        }
        None => state.orphan(e, format!("metadata key `{key}` is not in the runbook")),
    }
}

fn item_checked(state: &mut RunState, ids: &Ids, e: &StoredEvent, item: String, checked: bool) {
    match ids.items.get(item.as_str()) {
        Some(&i) => {
            let it = &mut state.items[i];
            it.checked = checked;
            (it.by, it.at) = stamp(e);
        }
        None => state.orphan(e, format!("item `{item}` is not in the runbook")),
    }
}

/// A field typed (`field_set`) or filled by a step's probe (`field_captured`, with the step).
fn field_set(
    state: &mut RunState,
    ids: &Ids,
    e: &StoredEvent,
    field: String,
    value: String,
    captured_from: Option<String>,
) {
    match ids.fields.get(field.as_str()) {
        Some(&i) => {
            let f = &mut state.fields[i];
            f.value = Some(value);
            (f.by, f.at) = stamp(e);
            f.captured_from = captured_from;
        }
        None => {
            let what = if captured_from.is_some() {
                "captured field"
            } else {
                "field"
            };
            state.orphan(e, format!("{what} `{field}` is not in the runbook"));
        }
    }
}

fn note_added(state: &mut RunState, ids: &Ids, e: &StoredEvent, text: String, item: Option<String>) {
    if let Some(id) = item.as_deref().filter(|id| !ids.items.contains_key(*id)) {
        state.orphan(e, format!("note on item `{id}`, which is not in the runbook"));
    }
    state.notes.push(Note {
        seq: e.seq,
        text,
        item,
        by: e.actor.clone(),
        at: e.time.clone(),
    });
}

fn signoff_recorded(
    state: &mut RunState,
    ids: &Ids,
    e: &StoredEvent,
    signoff: String,
    record: SignOffRecord,
) {
    match ids.signoffs.get(signoff.as_str()) {
        // The first record of a slot stands; the operation refuses a second one.
        Some(&i) if state.signoffs[i].recorded.is_none() => state.signoffs[i].recorded = Some(record),
        Some(_) => state.orphan(e, format!("sign-off `{signoff}` was already recorded")),
        None => state.orphan(e, format!("sign-off `{signoff}` is not in the runbook")),
    }
}

fn step_started(
    state: &mut RunState,
    ids: &Ids,
    e: &StoredEvent,
    step: String,
    kind: String,
    what: String,
    confirmed_on: Option<String>,
) {
    match ids.steps.get(step.as_str()) {
        Some(&i) => {
            let s = &mut state.steps[i];
            s.status = StepStatus::Running;
            s.runs += 1;
            s.kind = kind;
            s.what = Some(what);
            s.confirmed_on = confirmed_on;
            (s.by, s.started_at) = stamp(e);
            s.finished_at = None;
            s.result = None;
            s.pending_rto = None;
        }
        None => state.orphan(e, format!("step `{step}` is not in the runbook")),
    }
}

/// A drill's body (its report) gives the RTO its result will show (the body is recorded just
/// before the result).
fn step_output(
    state: &mut RunState,
    ids: &Ids,
    e: &StoredEvent,
    step: String,
    stream: &str,
    output: &crate::probe::Excerpt,
) {
    match ids.steps.get(step.as_str()) {
        Some(&i) if stream == "body" => {
            let s = &mut state.steps[i];
            s.pending_rto = RtoSummary::of(&s.kind, output);
        }
        Some(_) => {}
        None => state.orphan(e, format!("output of step `{step}`, which is not in the runbook")),
    }
}

fn step_finished(state: &mut RunState, ids: &Ids, e: &StoredEvent, step: String, result: &ProbeResult) {
    match ids.steps.get(step.as_str()) {
        Some(&i) => {
            let s = &mut state.steps[i];
            s.status = if result.passed() {
                StepStatus::Passed
            } else {
                StepStatus::Failed
            };
            s.finished_at = Some(e.time.clone());
            let mut summary = StepSummary::of(result);
            summary.rto = s.pending_rto.take().filter(|_| result.kind == "pg-restore");
            s.result = Some(summary);
        }
        None => state.orphan(e, format!("step `{step}` is not in the runbook")),
    }
}

/// Who did it and when: the event's actor and time.
fn stamp(e: &StoredEvent) -> (Option<String>, Option<String>) {
    (Some(e.actor.clone()), Some(e.time.clone()))
}

impl MetaState {
    fn of(m: &crate::runbook::MetaField) -> MetaState {
        MetaState {
            key: m.key.clone(),
            label: m.label.clone(),
            value: m.value.clone(),
            by: None,
            at: None,
        }
    }
}

impl ItemState {
    fn of(i: &crate::runbook::Item) -> ItemState {
        ItemState {
            id: i.id.clone(),
            text: i.text.clone(),
            depth: i.depth,
            section: i.section.clone(),
            critical: i.critical,
            checked: i.checked,
            by: None,
            at: None,
        }
    }
}

impl FieldState {
    fn of(f: &crate::runbook::Field) -> FieldState {
        FieldState {
            id: f.id.clone(),
            label: f.label.clone(),
            unit: f.unit.clone(),
            kind: f.kind.clone(),
            item: f.item.clone(),
            section: f.section.clone(),
            value: None,
            by: None,
            at: None,
            captured_from: None,
        }
    }
}

impl SignOffState {
    fn of(s: &crate::runbook::SignOff) -> SignOffState {
        SignOffState {
            id: s.id.clone(),
            name: s.name.clone(),
            section: s.section.clone(),
            phase: s.phase.clone(),
            recorded: None,
            covers: s
                .items
                .iter()
                .map(|i| super::Incomplete::item(i))
                .chain(s.fields.iter().map(|f| super::Incomplete::field(f)))
                .collect(),
            revoked: Vec::new(),
        }
    }
}

impl RunState {
    /// Keeps an event the runbook cannot place, with why.
    pub(super) fn orphan(&mut self, e: &StoredEvent, reason: String) {
        self.orphans.push(Orphan {
            seq: e.seq,
            kind: e.kind.clone(),
            reason,
        });
    }
}

fn index<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.to_string(), i)).collect()
}
