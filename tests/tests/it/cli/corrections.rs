//! Corrections without breaking the chain: checking an item that is already checked (or unchecking
//! one that is not) is a no-op that says so and exits 0; unchecking under a recorded sign-off warns
//! and marks it; a sign-off, a decision or a field's value can be withdrawn, recorded as events.

use serde_json::json;

use super::{env, new_run};

const ITEM: &str = "1.database-migration-dry-run";

#[test]
fn checking_an_already_checked_item_is_a_no_op_with_exit_0() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "check", &run, ITEM, "--by", "ben"]);
    let out = env.ok(["run", "check", &run, ITEM, "--by", "ben"]);
    assert!(
        out.contains("already checked") && out.contains("nothing recorded"),
        "{out}"
    );
    let v = env.json(["run", "check", &run, ITEM, "--by", "ben"]);
    assert_eq!(v["recorded"], json!(false), "{v}");
    let out = env.ok([
        "run",
        "check",
        &run,
        "1.security-testing-owasp-wstg-smoke-tests",
        "--uncheck",
        "--by",
        "ben",
    ]);
    assert!(out.contains("already unchecked"), "{out}");
    assert_eq!(
        env.show(&run)["event_count"],
        json!(2 + flightdeck_testsupport::cli::CREW.len()),
        "only the first check was recorded"
    );
}

const SIGNED_ITEM: &str = "1.m16-1-privacy-account-management";

/// A run whose `pre-flight-gates` sign-off is recorded (with an override: its scope is not done).
fn signed(env: &flightdeck_testsupport::cli::Cli) -> String {
    let run = new_run(env);
    env.ok(["run", "check", &run, SIGNED_ITEM, "--by", "ben"]);
    env.ok(["run", "set", &run, "1.result-passes", "40", "--by", "ben"]);
    env.ok([
        "run",
        "signoff",
        &run,
        "pre-flight-gates",
        "--by",
        "eve",
        "--override",
        "CTO approved",
    ]);
    run
}

#[test]
fn unchecking_an_item_under_a_recorded_signoff_warns_and_marks_the_signoff_as_covering_changed_work() {
    let env = env();
    let run = signed(&env);
    let out = env.exits(0, ["run", "check", &run, SIGNED_ITEM, "--uncheck", "--by", "ben"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: item {SIGNED_ITEM} (unchecked) is under sign-off `pre-flight-gates`"
        )) && stderr.contains("--revoke REASON"),
        "{stderr}"
    );
    let shown = env.ok(["run", "show", &run]);
    assert!(
        shown.contains(&format!(
            "COVERS CHANGED WORK: item {SIGNED_ITEM} (unchecked) by ben"
        )),
        "{shown}"
    );
    let so = &env.show(&run)["signoffs"][0];
    assert_eq!(
        so["recorded"]["changed"][0]["what"]["id"],
        json!(SIGNED_ITEM),
        "{so}"
    );
}

#[test]
fn a_signoff_is_revoked_with_a_reason_recorded_and_may_be_signed_again() {
    let env = env();
    let run = signed(&env);
    let v = env.json([
        "run",
        "signoff",
        &run,
        "pre-flight-gates",
        "--revoke",
        "signed before the dry-run",
        "--by",
        "eve",
    ]);
    assert_eq!(v["event"]["kind"], json!("signoff_revoked"), "{v}");
    assert_eq!(
        v["event"]["payload"]["reason"],
        json!("signed before the dry-run")
    );
    let shown = env.ok(["run", "show", &run]);
    assert!(
        shown.contains("revoked by eve at") && shown.contains("signed before the dry-run"),
        "{shown}"
    );
    let refused = env.fails(
        flightdeck_testsupport::cli::exit::REFUSED,
        [
            "run",
            "signoff",
            &run,
            "pre-flight-gates",
            "--revoke",
            "again",
            "--by",
            "eve",
        ],
    );
    assert!(refused.contains("nothing to revoke"), "{refused}");
    env.ok([
        "run",
        "signoff",
        &run,
        "pre-flight-gates",
        "--by",
        "eve",
        "--override",
        "redone",
    ]);
}

#[test]
fn a_decision_is_revoked_with_a_reason_recorded_and_may_be_made_again() {
    let env = env();
    let run = new_run(&env);
    env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "p99 too high",
    ]);
    let made = env.show(&run)["decision"]["seq"].clone();
    let out = env.ok([
        "run",
        "decide",
        &run,
        "--revoke",
        "wrong dashboard",
        "--by",
        "dana",
    ]);
    assert!(
        out.contains(&format!("revoked the decision of event {made}")),
        "{out}"
    );
    let state = env.show(&run);
    assert_eq!(state["decision"], json!(null), "{state}");
    assert_eq!(state["revoked_decisions"][0]["reason"], json!("wrong dashboard"));
    assert!(env.ok(["run", "show", &run]).contains("revoked: NO-GO by dana"));
    env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "still too high",
    ]);
}

#[test]
fn a_field_is_cleared_and_the_clear_is_recorded() {
    let env = env();
    let run = signed(&env);
    let out = env.exits(
        0,
        ["run", "set", &run, "1.result-passes", "--clear", "--by", "ben"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("cleared 1.result-passes"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("field 1.result-passes (empty) is under sign-off"),
        "a clear under a sign-off warns too"
    );
    let field = super::find(&env.show(&run)["fields"], "id", "1.result-passes").clone();
    assert_eq!(
        (field["value"].clone(), field["by"].clone()),
        (json!(null), json!("ben"))
    );
    let events = env.json(["run", "events", &run]);
    assert!(events
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["kind"] == json!("field_cleared"))));
    let again = env.ok(["run", "set", &run, "1.result-passes", "--clear", "--by", "ben"]);
    assert!(again.contains("already empty"), "{again}");
}
