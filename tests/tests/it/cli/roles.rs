//! Roles, four-eyes and decisions that freeze their evidence (issue 17, points 4 and 5), end to
//! end through the CLI: every refusal exits 4 naming its rule; a solo override is recorded and
//! shown in `run show` and the archive; GO by a minimum of distinct approvers, one NO-GO ending
//! the vote; a decision made stale by a later change, in `run show`, `run list`, `--json` and the
//! archive's text (pdftotext), until it is made again.

use std::process::Command;

use flightdeck_testsupport::cli::exit::REFUSED;
use flightdeck_testsupport::cli::Cli;
use flightdeck_testsupport::needs;
use serde_json::{json, Value};

use super::{env, new_run};

const CRITERION: &str = "critical-success-criteria.all-pre-flight-gates-passed-security";
const PRE_FLIGHT_ITEM: &str = "1.database-migration-dry-run";

fn decide(run: &str, verdict: &str, by: &str) -> Vec<String> {
    [
        "run",
        "decide",
        run,
        verdict,
        "--by",
        by,
        "--rationale",
        "evidence reviewed",
        "--override",
        "rehearsal",
    ]
    .map(str::to_string)
    .to_vec()
}

#[test]
fn an_actor_unknown_to_the_run_is_refused_with_the_known_people_listed() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        ["run", "check", &run, PRE_FLIGHT_ITEM, "--by", "mallory"],
    );
    assert!(err.contains("refused by rule known-person"), "{err}");
    assert!(err.contains("`mallory` is not a person known to run"), "{err}");
    assert!(
        err.contains("ana (run-creator)") && err.contains("dana (decision-maker)"),
        "{err}"
    );
    // Named in the header's role line, they are known.
    env.ok([
        "run",
        "meta",
        &run,
        "on-call-engineer",
        "Mallory Ops",
        "--by",
        "ana",
    ]);
    env.ok(["run", "check", &run, PRE_FLIGHT_ITEM, "--by", "Mallory Ops"]);
    let people = env.json(["run", "people", "list", &run]);
    let mallory = people["people"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "Mallory Ops"))
        .unwrap_or_else(|| panic!("Mallory in {people}"));
    assert_eq!(mallory["roles"][0]["role"], json!("on-call-engineer"));
    assert_eq!(mallory["roles"][0]["source"], json!("header"));
}

#[test]
fn the_decision_maker_cannot_be_who_executed_and_a_solo_override_is_recorded() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "check", &run, CRITERION, "--by", "ben"]);
    let err = env.fails(REFUSED, decide(&run, "go", "ben"));
    assert!(err.contains("refused by rule approver-not-executor"), "{err}");
    assert!(err.contains(&format!("checked criterion `{CRITERION}`")), "{err}");
    assert!(env.show(&run)["decision"].is_null(), "nothing recorded");

    let mut solo = decide(&run, "go", "ben");
    solo.extend(["--solo", "--reason", "one-person team tonight"].map(str::to_string));
    let v = env.json(solo);
    assert_eq!(
        v["event"]["payload"]["solo_reason"],
        json!("one-person team tonight")
    );
    let out = env.ok(["run", "show", &run]);
    assert!(
        out.contains("SOLO override (one-person team): one-person team tonight"),
        "{out}"
    );
    // --solo needs its reason, and the reason its --solo.
    env.usage_error([
        "run",
        "decide",
        &run,
        "go",
        "--by",
        "ben",
        "--rationale",
        "r",
        "--solo",
    ]);
}

#[test]
fn a_signoff_needs_someone_other_than_who_checked_and_solo_shows_in_the_archive() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "check", &run, PRE_FLIGHT_ITEM, "--by", "ben"]);
    let sign = |by: &str, extra: &[&str]| {
        let mut a = vec![
            "run",
            "signoff",
            run.as_str(),
            "pre-flight-gates",
            "--by",
            by,
            "--override",
            "rehearsal",
        ];
        a.extend(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let err = env.fails(REFUSED, sign("ben", &[]));
    assert!(err.contains("refused by rule signer-not-checker"), "{err}");
    assert!(err.contains(&format!("checked `{PRE_FLIGHT_ITEM}`")), "{err}");
    env.ok(sign("ben", &["--solo", "--reason", "nobody else on shift"]));
    let s = env.show(&run);
    let slot = s["signoffs"]
        .as_array()
        .and_then(|x| x.iter().find(|o| o["id"] == "pre-flight-gates"))
        .expect("the slot");
    assert_eq!(slot["recorded"]["solo_reason"], json!("nobody else on shift"));
    // Another slot, signed by someone who did none of its work, needs no override.
    env.ok([
        "run",
        "signoff",
        &run,
        "cutover-execution",
        "--by",
        "eve",
        "--override",
        "rehearsal",
    ]);
    if let Some(text) = archive_text(&env, &run) {
        assert!(
            text.contains("Solo override (one-person team): nobody else on shift"),
            "{text}"
        );
        assert!(text.contains("People known to the run"), "{text}");
    }
}

#[test]
fn go_needs_the_minimum_of_distinct_approvers_and_one_no_go_ends_the_vote() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "people", "approvers", &run, "2", "--by", "ana"]);
    env.ok(decide(&run, "go", "dana"));
    let s = env.show(&run);
    assert!(
        s["decision"].is_null(),
        "one GO of two is a vote: {}",
        s["decision"]
    );
    assert_eq!(s["votes"].as_array().map(Vec::len), Some(1));
    let err = env.fails(REFUSED, decide(&run, "go", "dana"));
    assert!(err.contains("refused by rule distinct-approvers"), "{err}");
    env.ok(decide(&run, "go", "zoe"));
    let d = env.show(&run)["decision"].clone();
    assert_eq!(
        (d["decision"].clone(), d["approvers"].clone()),
        (json!("go"), json!(["dana", "zoe"]))
    );

    let other = new_run(&env);
    env.ok(["run", "people", "approvers", &other, "3", "--by", "ana"]);
    env.ok(decide(&other, "go", "dana"));
    env.ok(decide(&other, "no-go", "rm"));
    let s = env.show(&other);
    assert_eq!(
        s["decision"]["decision"],
        json!("no-go"),
        "one NO-GO ends the vote"
    );
    assert_eq!(s["votes"], json!([]));
    env.fails(REFUSED, decide(&other, "go", "zoe"));
}

#[test]
fn a_later_change_to_the_evidence_makes_the_decision_stale_everywhere_until_made_again() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "check", &run, CRITERION, "--by", "ben"]);
    let head = env.show(&run)["head_hash"].clone();
    env.ok(decide(&run, "go", "dana"));
    let d = env.show(&run)["decision"].clone();
    assert_eq!(d["head_hash"], head, "made on the head it saw");
    assert_eq!(
        d["evidence"]["criteria"][0],
        json!({"id": CRITERION, "checked": true})
    );
    assert!(d["stale"].is_null());

    env.ok(["run", "check", &run, CRITERION, "--uncheck", "--by", "ben"]);
    let stale = env.show(&run)["decision"]["stale"].clone();
    assert_eq!(stale["by"], json!("ben"));
    assert!(
        stale["reason"]
            .as_str()
            .is_some_and(|r| r.contains("was unchecked")),
        "{stale}"
    );
    let out = env.ok(["run", "show", &run]);
    assert!(
        out.contains("STALE DECISION: GO by dana no longer stands"),
        "{out}"
    );
    let list = env.ok(["run", "list"]);
    assert!(list.contains("GO (STALE: criterion"), "{list}");
    let rows: Value = env.json(["run", "list"]);
    assert_eq!(rows[0]["decision"], json!("go"));
    assert_eq!(rows[0]["decision_stale"]["reason"], stale["reason"]);
    if let Some(text) = archive_text(&env, &run) {
        assert!(
            text.contains("STALE: this decision no longer stands on its evidence"),
            "{text}"
        );
        assert!(
            text.contains("Stale because") && text.contains("Changed by"),
            "{text}"
        );
    }

    // Made again, it stands once more.
    env.ok(decide(&run, "no-go", "dana"));
    let d = env.show(&run)["decision"].clone();
    assert_eq!(
        (d["decision"].clone(), d["stale"].clone()),
        (json!("no-go"), Value::Null)
    );
    assert!(!env.ok(["run", "show", &run]).contains("STALE"));
}

/// The run's archive as pdftotext reads it (None, with a note, where pdftotext is missing).
fn archive_text(env: &Cli, run: &str) -> Option<String> {
    if !needs::programs(&["pdftotext"]) {
        return None;
    }
    let pdf = env.dir().join(format!("{run}.pdf"));
    let p = pdf.display().to_string();
    env.ok(["archive", "export", run, "-o", &p, "--signer-name", "Test Signer"]);
    let out = Command::new("pdftotext")
        .args(["-layout", &p, "-"])
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext {p}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}
