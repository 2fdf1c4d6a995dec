//! Checkpoint tests at the run level: the incremental fold equals the full fold on random M31
//! logs, and the operations resume from a checkpoint only while the log still commits to it.
//! Each store test compares with `fold` over the whole log read back, so it says nothing about
//! speed (that is `benches/write.rs`).

use std::sync::Arc;

use proptest::prelude::*;
use rusqlite::{params, Connection};
use serde_json::{json, Value};

use super::super::{check, fold, fold_from, load, note, CheckReq, Error, Event, NoteReq, RunState, Verdict};
use super::*;
use crate::probe::{AssertionResult, CaptureResult, Outcome, ProbeResult, Provenance};
use crate::runbook::{self, Runbook};
use crate::store::{canonical_json, event_hash, HashInput, ProblemKind, Resumed, Store, REFRESH_AFTER};

fn m31() -> Runbook {
    let b = runbook::bundled("m31").expect("M31 is bundled");
    runbook::parse(b.file, b.source.as_bytes()).expect("M31 imports")
}

// ---- the fold in parts ------------------------------------------------------------------------

/// `ids[n % len]`, or an id no runbook has when `stray` (or there are none).
fn pick(ids: &[String], n: usize, stray: bool) -> String {
    if stray || ids.is_empty() {
        format!("no-such-{n}")
    } else {
        ids[n % ids.len()].clone()
    }
}

fn probe_result(passed: bool, field: Option<String>) -> ProbeResult {
    ProbeResult {
        kind: "shell".into(),
        outcome: if passed { Outcome::Passed } else { Outcome::Failed },
        failure: (!passed).then_some(crate::probe::FailureClass::Assertion),
        message: (!passed).then(|| "exit 1".to_string()),
        exit_code: Some(i32::from(!passed)),
        http_status: None,
        duration_ms: 12,
        captures: field
            .map(|f| CaptureResult {
                field: f.clone(),
                field_id: Some(f),
                value: "42".into(),
            })
            .into_iter()
            .collect(),
        assertions: vec![AssertionResult {
            expr: "exit == 0".into(),
            actual: "0".into(),
            verdict: if passed {
                crate::probe::Verdict::Pass
            } else {
                crate::probe::Verdict::Fail
            },
            implicit: true,
        }],
        stdout: None,
        stderr: None,
        body: None,
        what: "true".into(),
        provenance: Provenance {
            host: "h".into(),
            user: "u".into(),
            flightdeck_version: "0".into(),
            command_sha256: "c".into(),
            output_sha256: "o".into(),
        },
    }
}

/// The ids an event can name, by what they are.
struct Ids {
    items: Vec<String>,
    fields: Vec<String>,
    metas: Vec<String>,
    signoffs: Vec<String>,
    steps: Vec<String>,
}

impl Ids {
    fn of(rb: &Runbook) -> Ids {
        Ids {
            items: rb.items.iter().map(|i| i.id.clone()).collect(),
            fields: rb.fields.iter().map(|f| f.id.clone()).collect(),
            metas: rb.metadata.iter().map(|m| m.key.clone()).collect(),
            signoffs: rb.signoffs.iter().map(|s| s.id.clone()).collect(),
            steps: rb.steps.iter().map(|s| s.id.clone()).collect(),
        }
    }
}

/// One event of every kind the fold knows, plus unknown kinds, bad payloads and ids the runbook
/// does not have, chosen by `(what, n, stray)`.
fn event(rb: &Runbook, ids: &Ids, what: u8, n: usize, stray: bool) -> (String, Value) {
    let typed = match what % 14 {
        0..=6 => person_event(ids, what % 14, n, stray),
        7..=10 => step_event(ids, what % 14, n, stray),
        11 => return ("flag_toggled".into(), json!({"flag": n})),
        12 => return ("item_checked".into(), json!({"nope": n})),
        _ => Event::RunCreated {
            runbook_name: rb.name.clone(),
            runbook_sha256: rb.sha256.clone(),
            env: "sandbox".into(),
            release: format!("v{n}"),
        },
    };
    let new = typed.into_new("ana").expect("a typed event encodes");
    (new.kind, new.payload)
}

/// What a person records (`what` 0 to 6).
fn person_event(ids: &Ids, what: u8, n: usize, stray: bool) -> Event {
    match what {
        0 => Event::ItemChecked {
            item: pick(&ids.items, n, stray),
        },
        1 => Event::ItemUnchecked {
            item: pick(&ids.items, n, stray),
        },
        2 => Event::FieldSet {
            field: pick(&ids.fields, n, stray),
            value: format!("{n}"),
        },
        3 => Event::MetadataSet {
            key: pick(&ids.metas, n, stray),
            value: format!("v{n}"),
        },
        4 => Event::NoteAdded {
            text: format!("note {n}"),
            item: (!n.is_multiple_of(3)).then(|| pick(&ids.items, n, stray)),
        },
        5 => Event::SignoffRecorded {
            signoff: pick(&ids.signoffs, n, stray),
            by: "dana".into(),
            override_reason: stray.then(|| "late".to_string()),
            incomplete: vec![],
            solo_reason: None,
        },
        _ => Event::DecisionRecorded {
            decision: if stray { Verdict::NoGo } else { Verdict::Go },
            maker: "dana".into(),
            rationale: "r".into(),
            override_reason: None,
            unchecked_criteria: vec![],
            solo_reason: None,
            head_seq: None,
            head_hash: None,
            evidence: None,
        },
    }
}

/// What a step records (`what` 7 to 10).
fn step_event(ids: &Ids, what: u8, n: usize, stray: bool) -> Event {
    let step = pick(&ids.steps, n, stray);
    match what {
        7 => Event::StepStarted {
            step,
            kind: "shell".into(),
            what: "true".into(),
            confirmed_on: stray.then(|| "production".to_string()),
        },
        8 => Event::StepOutput {
            step,
            stream: "stdout".into(),
            output: crate::probe::Excerpt {
                text: "ok".into(),
                bytes: 2,
                ..Default::default()
            },
        },
        9 => Event::StepFinished {
            step,
            result: Box::new(probe_result(n.is_multiple_of(2), ids.fields.first().cloned())),
        },
        _ => Event::FieldCaptured {
            field: pick(&ids.fields, n, stray),
            value: format!("{n}"),
            step: pick(&ids.steps, n, false),
        },
    }
}

fn log_of(rb: &Runbook, picks: &[(u8, usize, bool)]) -> Vec<StoredEvent> {
    let ids = Ids::of(rb);
    let created = (13u8, 0usize, false);
    std::iter::once(&created)
        .chain(picks)
        .enumerate()
        .map(|(i, &(what, n, stray))| {
            let (kind, payload) = event(rb, &ids, what, n, stray);
            StoredEvent {
                run_id: "0193abcd-0000-7000-8000-000000000000".into(),
                seq: i as u64 + 1,
                time: format!("2025-06-01T12:{:02}:{:02}.000Z", i / 60 % 60, i % 60),
                actor: if i % 2 == 0 { "ana" } else { "ben" }.into(),
                kind,
                payload,
                prev_hash: String::new(),
                hash: format!("{:064x}", i + 1),
            }
        })
        .collect()
}

/// A state as the store keeps it: encoded to JSON and decoded again.
fn through_json(state: &RunState) -> RunState {
    let text = serde_json::to_string(state).expect("a state encodes");
    serde_json::from_str(&text).expect("a state decodes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn folding_a_log_in_parts_through_stored_checkpoints_equals_folding_it_whole(
        picks in prop::collection::vec((0u8..14, 0usize..1000, prop::bool::weighted(0.1)), 0..160),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let rb = m31();
        let events = log_of(&rb, &picks);
        let whole = fold(&rb, &events);

        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(events.len() + 1)).collect();
        cuts.push(events.len());
        cuts.sort_unstable();
        let mut state = fold(&rb, &events[..0]);
        let mut from = 0;
        for cut in cuts {
            state = fold_from(through_json(&state), &events[from..cut]);
            from = cut;
        }
        prop_assert_eq!(&state, &whole, "checkpoints at any events, through JSON, fold to the whole log's state");

        let one_by_one = events
            .iter()
            .fold(fold(&rb, &[]), |s, e| fold_from(s, std::slice::from_ref(e)));
        prop_assert_eq!(&one_by_one, &whole, "event by event is the same fold");
    }
}

#[test]
fn the_random_logs_reach_every_part_of_the_m31_state() {
    // The property above is only as good as its events: M31 must give them items, fields,
    // metadata, sign-offs, steps and a decision to land on.
    let rb = m31();
    let picks: Vec<(u8, usize, bool)> = (0..14u8).map(|w| (w, 1, false)).collect();
    let state = fold(&rb, &log_of(&rb, &picks));
    assert!(state.items.iter().any(|i| i.by.is_some()), "an item was ticked");
    assert!(
        state.fields.iter().any(|f| f.captured_from.is_some()),
        "a field was captured"
    );
    assert!(state.metadata.iter().any(|m| m.by.is_some()), "metadata was set");
    assert!(
        state.signoffs.iter().any(|s| s.recorded.is_some()),
        "a sign-off landed"
    );
    assert!(state.steps.iter().any(|s| s.result.is_some()), "a step finished");
    assert!(state.decision.is_some(), "the decision landed");
    assert!(
        !state.orphans.is_empty(),
        "unknown kinds and bad payloads are orphans"
    );
}

// ---- the operations on a real store -----------------------------------------------------------

fn m31_run(store: &mut Store) -> String {
    let b = runbook::bundled("m31").expect("M31 is bundled");
    super::super::create(
        store,
        "ana",
        super::super::CreateReq {
            source: format!("bundled:{}", b.name),
            env: "sandbox".into(),
            release: "v1".into(),
        },
    )
    .expect("create the run")
    .id
}

/// The M31 run, with `ben` known to it besides its creator `ana`.
fn m31_run_with_ben(store: &mut Store) -> String {
    let run = m31_run(store);
    let ben = super::super::AddPersonReq {
        run: run.clone(),
        name: "ben".into(),
        role: "on-call-engineer".into(),
    };
    super::super::add_person(store, "ana", ben).expect("ben joins the run");
    run
}

fn temp_store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let store = Store::open(&path).expect("open store");
    (dir, path, store)
}

fn toggle(store: &mut Store, run: &str, item: &str, checked: bool, by: &str) -> Result<(), Error> {
    let req = CheckReq {
        run: run.into(),
        item: item.into(),
        checked,
    };
    check(store, by, req).map(|_| ())
}

/// The state folded from every event the store holds now: what a checkpoint must equal.
fn whole_log(store: &Store, run: &str) -> RunState {
    fold(&m31(), &store.events(run).expect("events"))
}

/// `(seq, hash, state)` of the stored checkpoint.
fn stored_row(path: &std::path::Path, run: &str) -> (u64, String, RunState) {
    let conn = Connection::open(path).expect("open raw");
    let (seq, hash, state): (i64, String, String) = conn
        .query_row(
            "SELECT seq, hash, state FROM state_checkpoints WHERE run_id = ?1",
            [run],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a write leaves a checkpoint");
    (
        seq as u64,
        hash,
        serde_json::from_str(&state).expect("it decodes"),
    )
}

fn resumed(store: &Store, run: &str) -> (RunState, Resumed) {
    let rb = m31();
    store.folded_from(run, &RunFold::new(&rb)).expect("fold")
}

#[test]
fn every_write_resumes_from_a_checkpoint_and_leaves_it_at_the_head() {
    let (_dir, path, mut store) = temp_store();
    let run = m31_run_with_ben(&mut store);
    let items: Vec<String> = m31().items.iter().map(|i| i.id.clone()).take(10).collect();
    for round in 0..6 {
        for item in &items {
            toggle(&mut store, &run, item, round % 2 == 0, "ana").expect("toggle");
        }
        let req = NoteReq {
            run: run.clone(),
            text: format!("round {round}"),
            item: None,
        };
        note(&mut store, "ben", req).expect("note");

        let head = store.head(&run).expect("head").expect("run").seq;
        let (seq, hash, state) = stored_row(&path, &run);
        assert!(
            head - seq < REFRESH_AFTER,
            "the stored checkpoint follows the writes"
        );
        let events = store.events(&run).expect("events");
        assert_eq!(hash, events[seq as usize - 1].hash);
        assert_eq!(
            state,
            fold(&m31(), &events[..seq as usize]),
            "it holds the log's state there"
        );
        let (state, from) = resumed(&store, &run);
        assert_eq!((from, &state), (Resumed::Memory, &whole_log(&store, &run)));
    }
    let fresh = Store::open(&path).expect("reopen");
    let (state, from) = resumed(&fresh, &run);
    assert_eq!(
        from,
        Resumed::Stored,
        "a new Store (a CLI command) reads the stored one"
    );
    assert_eq!(state, whole_log(&fresh, &run));
    assert_eq!(
        load(&fresh, &run).expect("load").state,
        whole_log(&fresh, &run),
        "show uses it too"
    );
}

#[test]
fn plain_appends_after_the_checkpoint_are_folded_on() {
    // Steps append their events without the fold; the next write or load folds them in.
    let (_dir, path, mut store) = temp_store();
    let run = m31_run(&mut store);
    let item = m31().items[0].id.clone();
    toggle(&mut store, &run, &item, true, "ana").expect("check");
    store
        .append(&run, "bot", "item_unchecked", json!({"item": item}))
        .expect("a step-like append");
    let fresh = Store::open(&path).expect("reopen");
    assert!(
        !load(&fresh, &run)
            .expect("load")
            .state
            .item(&item)
            .expect("item")
            .checked
    );
    let mut fresh = Store::open(&path).expect("reopen");
    toggle(&mut fresh, &run, &item, true, "ana").expect("the uncheck after the checkpoint is seen");
    assert_eq!(load(&fresh, &run).expect("load").state, whole_log(&fresh, &run));
}

/// Rewrite event `seq`'s payload and give it the hash that payload has; with `relink`, rechain
/// every later event and move the head, as someone covering their tracks would.
fn rewrite(path: &std::path::Path, run: &str, seq: u64, payload: Value, relink: bool) {
    let conn = Connection::open(path).expect("open raw");
    conn.execute_batch("DROP TRIGGER IF EXISTS events_no_update;")
        .expect("an attacker can drop the trigger");
    let events = Store::open(path).expect("open").events(run).expect("events");
    let mut prev = events[seq as usize - 2].hash.clone();
    for e in events.iter().filter(|e| e.seq >= seq) {
        if e.seq > seq && !relink {
            break;
        }
        let payload = if e.seq == seq {
            payload.clone()
        } else {
            e.payload.clone()
        };
        let hash = event_hash(HashInput {
            run_id: run,
            seq: e.seq,
            time: &e.time,
            actor: &e.actor,
            kind: &e.kind,
            payload: &payload,
            prev_hash: &prev,
        });
        conn.execute(
            "UPDATE events SET payload = ?3, prev_hash = ?4, hash = ?5 WHERE run_id = ?1 AND seq = ?2",
            params![run, e.seq as i64, canonical_json(&payload), prev, hash],
        )
        .expect("rewrite the row");
        if relink {
            conn.execute(
                "UPDATE runs SET head_hash = ?2 WHERE id = ?1 AND head_seq = ?3",
                params![run, hash, e.seq as i64],
            )
            .expect("move the head");
        }
        prev = hash;
    }
}

/// A run whose events 2 to 5 check items 0 to 3, the last by `check`: that first write folds
/// the whole log, so it leaves both checkpoints (memory and stored) at the head.
fn run_with_checks(store: &mut Store) -> (String, Vec<String>) {
    let run = m31_run(store);
    let items: Vec<String> = m31().items.iter().map(|i| i.id.clone()).take(4).collect();
    for item in &items[..3] {
        store
            .append(&run, "ana", "item_checked", json!({"item": item}))
            .expect("append");
    }
    toggle(store, &run, &items[3], true, "ana").expect("check");
    assert_eq!(stored_row(store.path(), &run).0, 5);
    (run, items)
}

#[test]
fn a_rewritten_head_event_is_not_trusted_and_verify_still_reports_it() {
    let (_dir, path, mut store) = temp_store();
    let (run, items) = run_with_checks(&mut store);
    let head = store.head(&run).expect("head").expect("run").seq;
    // The last check now names another item: the stored checkpoint no longer matches the log.
    rewrite(&path, &run, head, json!({"item": items[0]}), false);

    for store in [&store, &Store::open(&path).expect("reopen")] {
        let (state, from) = resumed(store, &run);
        assert_eq!(
            from,
            Resumed::Log,
            "neither the memory nor the stored checkpoint is trusted"
        );
        assert_eq!(state, whole_log(store, &run), "the state is the rewritten log's");
        assert!(
            !state.item(&items[3]).expect("item").checked,
            "its check is gone from the log"
        );
    }
    let v = store.verify(&run).expect("verify");
    assert_eq!(
        v.first_bad.map(|p| (p.seq, p.kind)),
        Some((head, ProblemKind::Checkpoint)),
        "verify reads the whole chain, not the checkpoint"
    );
}

#[test]
fn a_log_rewritten_and_rechained_from_the_middle_is_not_trusted() {
    let (_dir, path, mut store) = temp_store();
    let (run, items) = run_with_checks(&mut store);
    // Event 2 checked item 0; make it check item 3 instead and rechain the rest.
    rewrite(&path, &run, 2, json!({"item": items[3]}), true);

    let (state, from) = resumed(&store, &run);
    assert_eq!(
        from,
        Resumed::Log,
        "the head's hash changed, so the checkpoint is not resumed"
    );
    assert_eq!(state, whole_log(&store, &run));
    assert!(
        !state.item(&items[0]).expect("item").checked,
        "the state follows the rewritten log"
    );
    toggle(&mut store, &run, &items[0], true, "ana").expect("the rewritten log takes writes");
    assert_eq!(
        stored_row(&path, &run).2,
        whole_log(&store, &run),
        "and the checkpoint is rebuilt"
    );
}

#[test]
fn an_edit_the_head_does_not_cover_leaves_the_checkpoint_and_verify_names_it() {
    // An event edited in place (its own hash redone, nothing after it rechained) is one the head's
    // hash never committed to: the checkpoint keeps the history as written, and verify reports
    // where the chain breaks.
    let (_dir, path, mut store) = temp_store();
    let (run, items) = run_with_checks(&mut store);
    let before = whole_log(&store, &run);
    rewrite(&path, &run, 2, json!({"item": items[3]}), false);

    let fresh = Store::open(&path).expect("reopen");
    let (state, from) = resumed(&fresh, &run);
    assert_eq!((from, &state), (Resumed::Stored, &before));
    let v = fresh.verify(&run).expect("verify");
    assert_eq!(
        v.first_bad.map(|p| (p.seq, p.kind)),
        Some((3, ProblemKind::BrokenLink))
    );
}

#[test]
fn a_checkpoint_of_another_fold_or_that_does_not_decode_is_folded_again() {
    let (_dir, path, mut store) = temp_store();
    let (run, _) = run_with_checks(&mut store);
    let conn = Connection::open(&path).expect("open raw");
    for edit in [
        "UPDATE state_checkpoints SET fold = 'run-state another-build'",
        "UPDATE state_checkpoints SET state = '{\"run_id\": 7'",
        "UPDATE state_checkpoints SET state = '{}'",
        "DELETE FROM state_checkpoints",
    ] {
        run_with_fresh_checkpoint(&path, &run);
        let sound = Store::open(&path).expect("reopen");
        assert_eq!(resumed(&sound, &run).1, Resumed::Stored, "before `{edit}`");
        conn.execute_batch(edit).expect(edit);
        let fresh = Store::open(&path).expect("reopen");
        let (state, from) = resumed(&fresh, &run);
        assert_eq!(
            (from, &state),
            (Resumed::Log, &whole_log(&fresh, &run)),
            "after `{edit}`"
        );
    }
}

/// Put a sound checkpoint back (a write and its undo).
fn run_with_fresh_checkpoint(path: &std::path::Path, run: &str) {
    let mut store = Store::open(path).expect("open");
    let item = m31().items[9].id.clone();
    toggle(&mut store, run, &item, true, "ana").expect("check");
    toggle(&mut store, run, &item, false, "ana").expect("uncheck");
}

#[test]
fn two_writers_never_decide_on_a_stale_checkpoint() {
    let (_dir, path, mut a) = temp_store();
    let run = m31_run_with_ben(&mut a);
    let mut b = Store::open(&path).expect("second handle");
    let item = m31().items[0].id.clone();
    load(&b, &run).expect("b holds a checkpoint where the item is unchecked");
    toggle(&mut a, &run, &item, true, "ana").expect("a checks it");
    let err = toggle(&mut b, &run, &item, true, "ben").expect_err("b must see a's check");
    assert!(err.to_string().contains("already checked by ana"), "{err}");
    toggle(&mut b, &run, &item, false, "ben").expect("b unchecks it");
    let err = toggle(&mut a, &run, &item, false, "ana").expect_err("a must see b's uncheck");
    assert!(err.to_string().contains("already unchecked by ben"), "{err}");
    assert_eq!(load(&a, &run).expect("load").state, whole_log(&a, &run));
}

#[test]
fn the_runbook_is_imported_once_per_store_while_its_source_stands() {
    let (_dir, _path, mut store) = temp_store();
    let run = m31_run(&mut store);
    let record = store.resolve_run(&run).expect("run");
    let first = runbook(&store, &record).expect("import");
    let again = runbook(&store, &record).expect("kept");
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second call does not import again"
    );
    let mut edited = record.clone();
    edited.runbook_source.push_str("\n- [ ] one more\n");
    let other = runbook(&store, &edited).expect("import the other source");
    assert!(
        !Arc::ptr_eq(&first, &other),
        "another source text is imported, not handed the kept one"
    );
    assert_eq!(other.items.len(), first.items.len() + 1);
}
