//! The rules of who may do what (`run::rules`, `run::people`) and the decision's frozen evidence
//! (`run::evidence`): known people, approver ≠ executor, signer ≠ checker, solo overrides, the
//! minimum of distinct approvers, one NO-GO ending the vote, and a decision made stale.

use super::*;
use crate::run::rules::Rule;
use crate::runbook::Step;

/// The shared runbook with a step under item `1.a` (a manual one: only its events matter here).
fn runbook_with_step() -> Runbook {
    let mut rb = runbook();
    rb.steps.push(Step {
        id: "1.a.step".into(),
        item: Some("1.a".into()),
        section: Some("1".into()),
        phase: Some("p".into()),
        ..Default::default()
    });
    rb
}

fn after(events: &[(&str, &str, Value)]) -> RunState {
    fold(&runbook_with_step(), &log(events))
}

fn decide_req(verdict: &str, solo: Option<&str>) -> DecideReq {
    DecideReq {
        run: "r".into(),
        decision: verdict.parse().expect("verdict"),
        rationale: "evidence reviewed".into(),
        override_reason: Some("rehearsal".into()),
        solo_reason: solo.map(str::to_string),
    }
}

fn decide_as(s: &RunState, by: &str, verdict: &str, solo: Option<&str>) -> Result<Event, Error> {
    decide::to_event(&runbook_with_step(), s, &decide_req(verdict, solo), by, PLACE)
}

fn sign_as(s: &RunState, by: &str, solo: Option<&str>) -> Result<Event, Error> {
    let req = SignOffReq {
        run: "r".into(),
        signoff: "gate".into(),
        override_reason: Some("rehearsal".into()),
        solo_reason: solo.map(str::to_string),
    };
    signoff::to_event(&runbook_with_step(), s, &req, by, PLACE)
}

/// `(kind, payload)` of an event, for a synthetic log.
fn stored_form(e: Event) -> (String, Value) {
    let new = e.into_new("x").expect("encodes");
    (new.kind, new.payload)
}

fn rule_of(e: &Error) -> Option<Rule> {
    match e {
        Error::Rule { rule, .. } => Some(*rule),
        _ => None,
    }
}

#[test]
fn the_creator_the_header_roles_and_people_added_are_known_and_nobody_else() {
    let s = after(&[]);
    let err = people::require_known(&s, "zed", PLACE).expect_err("zed is nobody here");
    assert_eq!(rule_of(&err), Some(Rule::KnownPerson));
    assert_eq!(err.kind(), crate::ErrorKind::Conflict, "exit 4 in the CLI");
    let text = err.to_string();
    assert!(text.starts_with("refused by rule known-person:"), "{text}");
    assert!(text.contains("known: ana (run-creator)"), "{text}");
    let s = after(&[
        (
            "ana",
            "metadata_set",
            json!({"key": "release-manager", "value": "Riley Release"}),
        ),
        (
            "ana",
            "person_added",
            json!({"name": "Dana Decider", "role": "decision-maker"}),
        ),
    ]);
    for who in ["ana", "riley  release", "Dana Decider"] {
        people::require_known(&s, who, PLACE).expect(who);
    }
    let riley = s.person("Riley Release").expect("from the header");
    assert_eq!(riley.roles[0].role, "release-manager");
    assert_eq!(riley.roles[0].source, "header");
    // A header value set to a blank again names nobody.
    let s = after(&[(
        "ana",
        "metadata_set",
        json!({"key": "release-manager", "value": "____"}),
    )]);
    assert!(s.person("____").is_none());
    assert_eq!(s.people.len(), 1);
}

#[test]
fn the_decision_maker_cannot_be_who_executed_what_it_rests_on() {
    let s = after(&[
        (
            "ben",
            "step_started",
            json!({"step": "1.a.step", "kind": "manual", "what": "x"}),
        ),
        ("cy", "item_checked", json!({"item": "2.crit-1"})),
    ]);
    for (by, did) in [
        ("ben", "ran step `1.a.step`"),
        ("cy", "checked criterion `2.crit-1`"),
    ] {
        let err = decide_as(&s, by, "go", None).expect_err(by);
        assert_eq!(rule_of(&err), Some(Rule::ApproverNotExecutor));
        let text = err.to_string();
        assert!(
            text.contains("refused by rule approver-not-executor") && text.contains(did),
            "{text}"
        );
        // NO-GO too: the rule is about who decides, not what.
        assert!(decide_as(&s, by, "no-go", None).is_err());
    }
    decide_as(&s, "fay", "go", None).expect("fay executed nothing");
    let solo = decide_as(&s, "ben", "go", Some("one-person team")).expect("a solo override");
    assert!(
        matches!(solo, Event::DecisionRecorded { solo_reason: Some(ref r), .. } if r == "one-person team")
    );
    let (kind, payload) = stored_form(solo);
    let s = after(&[("ben", &kind, payload)]);
    let d = s.decision.expect("decided");
    assert_eq!(
        d.solo_reason.as_deref(),
        Some("one-person team"),
        "the fold keeps the solo override"
    );
}

#[test]
fn a_signoff_needs_someone_other_than_who_did_the_sections_work() {
    let s = after(&[
        ("ben", "item_checked", json!({"item": "1.a"})),
        (
            "cy",
            "step_started",
            json!({"step": "1.a.step", "kind": "manual", "what": "x"}),
        ),
    ]);
    for who in ["ben", "cy"] {
        let err = sign_as(&s, who, None).expect_err(who);
        assert_eq!(rule_of(&err), Some(Rule::SignerNotChecker), "{err}");
        assert!(
            err.to_string().contains("refused by rule signer-not-checker"),
            "{err}"
        );
    }
    sign_as(&s, "eve", None).expect("eve did none of it");
    let solo = sign_as(&s, "ben", Some("alone tonight")).expect("solo");
    let (kind, payload) = stored_form(solo);
    let s = after(&[("ben", &kind, payload)]);
    let rec = s
        .signoff("gate")
        .and_then(|g| g.recorded.clone())
        .expect("signed");
    assert_eq!(rec.solo_reason.as_deref(), Some("alone tonight"));
}

#[test]
fn go_needs_the_minimum_of_distinct_approvers_and_one_no_go_ends_the_vote() {
    let two = ("ana", "approvers_set", json!({"min": 2}));
    let (k, fay_go) = stored_form(decide_as(&after(&[]), "fay", "go", None).expect("fay"));
    let s = after(&[two.clone(), ("fay", &k, fay_go.clone())]);
    assert!(s.decision.is_none(), "one GO of two is a vote, not the decision");
    assert_eq!(s.votes.len(), 1);
    let err = decide_as(&s, "fay", "go", None).expect_err("fay again");
    assert_eq!(rule_of(&err), Some(Rule::DistinctApprovers), "{err}");
    let (_, gus_go) = stored_form(decide_as(&s, "gus", "go", None).expect("gus"));
    let s = after(&[two.clone(), ("fay", &k, fay_go.clone()), ("gus", &k, gus_go)]);
    let d = s.decision.clone().expect("two distinct GOs make the decision");
    assert_eq!(
        (d.decision, d.approvers.clone()),
        (Verdict::Go, vec!["fay".to_string(), "gus".to_string()])
    );
    assert!(s.votes.is_empty());

    let (_, gus_no) = stored_form(decide_as(&after(&[]), "gus", "no-go", None).expect("gus"));
    let s = after(&[two, ("fay", &k, fay_go), ("gus", &k, gus_no)]);
    let d = s.decision.expect("a NO-GO ends the vote");
    assert_eq!((d.decision, d.maker.as_str()), (Verdict::NoGo, "gus"));
    assert!(s.votes.is_empty());
}

#[test]
fn a_later_change_to_the_evidence_makes_the_decision_stale_until_it_is_made_again() {
    let checked = ("ben", "item_checked", json!({"item": "2.crit-1"}));
    let s = after(std::slice::from_ref(&checked));
    let (k, go) = stored_form(decide_as(&s, "fay", "go", None).expect("GO"));
    let base = vec![checked, ("fay", k.as_str(), go.clone())];
    let s = after(&base);
    let d = s.decision.clone().expect("decided");
    assert_eq!((d.head_seq, d.head_hash.as_deref()), (Some(2), Some("h2")));
    assert!(d.stale.is_none());
    assert!(
        decide_as(&s, "gus", "go", None).is_err(),
        "a live decision is made once"
    );
    // A note or a field changes nothing it rests on.
    let mut more = base.clone();
    more.push(("ben", "note_added", json!({"text": "fine"})));
    assert!(after(&more).decision.expect("decided").stale.is_none());
    for (event, why) in [
        (
            ("ben", "item_unchecked", json!({"item": "2.crit-1"})),
            "criterion `2.crit-1` was unchecked",
        ),
        (
            (
                "ben",
                "step_started",
                json!({"step": "1.a.step", "kind": "manual", "what": "x"}),
            ),
            "step `1.a.step` was run",
        ),
        (
            (
                "eve",
                "signoff_recorded",
                json!({"signoff": "gate", "by": "eve", "incomplete": []}),
            ),
            "sign-off `gate` was recorded by eve",
        ),
    ] {
        let mut log = base.clone();
        log.push(event);
        let s = after(&log);
        let stale = s.decision.clone().and_then(|d| d.stale).expect(why);
        assert_eq!(stale.seq, 4);
        assert!(stale.reason.contains(why), "{} vs {why}", stale.reason);
        // Made again on the new evidence: a live decision once more.
        let (k2, again) = stored_form(decide_as(&s, "gus", "no-go", None).expect("made again"));
        log.push(("gus", &k2, again));
        let d = after(&log).decision.expect("decided again");
        assert!(d.stale.is_none() && d.decision == Verdict::NoGo, "{d:?}");
    }
}

#[test]
fn a_decision_written_before_evidence_was_recorded_still_folds_and_goes_stale() {
    let old = json!({"decision": "go", "maker": "fay", "rationale": "ok", "unchecked_criteria": []});
    let s = after(&[("fay", "decision_recorded", old.clone())]);
    let d = s.decision.expect("an old event folds");
    assert_eq!((d.head_seq, d.head_hash.as_deref()), (Some(1), Some("")));
    assert_eq!(
        d.evidence.expect("taken from the state before it").criteria.len(),
        2
    );
    let s = after(&[
        ("fay", "decision_recorded", old),
        ("ben", "item_checked", json!({"item": "2.crit-2"})),
    ]);
    assert!(s.decision.and_then(|d| d.stale).is_some());
}
