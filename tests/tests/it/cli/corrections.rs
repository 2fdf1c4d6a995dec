//! Corrections scripts can re-run: checking an item that is already checked (or unchecking one
//! that is not) is a no-op that says so and exits 0, recording nothing.

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
