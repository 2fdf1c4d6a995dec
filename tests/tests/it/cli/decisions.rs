//! `run decide`: GO over unchecked criteria needs an override, NO-GO never does but always needs
//! a rationale, and a decision is made once.

use flightdeck_testsupport::cli::exit::REFUSED;
use serde_json::{json, Value};

use super::{env, new_run, M31};

#[test]
fn go_over_unchecked_criteria_needs_an_override() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        [
            "run",
            "decide",
            &run,
            "go",
            "--by",
            "dana",
            "--rationale",
            "looks good",
        ],
    );
    assert!(
        err.contains("GO refused") && err.contains("10 critical success criteria unchecked"),
        "{err}"
    );
    let applied = env.json([
        "run",
        "decide",
        &run,
        "go",
        "--by",
        "dana",
        "--rationale",
        "looks good",
        "--override",
        "criteria verified on the bridge",
    ]);
    let p = &applied["event"]["payload"];
    assert_eq!(p["decision"], json!("go"));
    assert_eq!(p["maker"], json!("dana"));
    assert_eq!(p["override_reason"], json!("criteria verified on the bridge"));
    assert_eq!(p["unchecked_criteria"].as_array().map(Vec::len), Some(10));
    let err = env.fails(
        REFUSED,
        [
            "run",
            "decide",
            &run,
            "no-go",
            "--by",
            "dana",
            "--rationale",
            "changed my mind",
        ],
    );
    assert!(err.contains("already recorded: GO by dana"), "{err}");
    assert_eq!(env.show(&run)["decision"]["decision"], json!("go"));
}

#[test]
fn no_go_never_needs_an_override_but_always_a_rationale() {
    let env = env();
    let run = new_run(&env);
    env.fails(
        REFUSED,
        ["run", "decide", &run, "no-go", "--by", "dana", "--rationale", " "],
    );
    env.usage_error(["run", "decide", &run, "maybe", "--by", "dana", "--rationale", "x"]);
    let out = env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "p99 above SLO",
    ]);
    assert!(out.starts_with("decided NO-GO"), "{out}");
    let d = env.show(&run)["decision"].clone();
    assert_eq!(
        (d["decision"].clone(), d["rationale"].clone()),
        (json!("no-go"), json!("p99 above SLO"))
    );
    assert_eq!(d["override_reason"], Value::Null);
}

#[test]
fn go_with_every_criterion_checked_needs_no_override() {
    let env = env();
    let run = new_run(&env);
    let model = env.json(["runbook", "inspect", M31]);
    for id in model["decision"]["criteria"].as_array().expect("criteria") {
        env.ok(["run", "check", &run, id.as_str().expect("id"), "--by", "ben"]);
    }
    env.ok([
        "run",
        "decide",
        &run,
        "go",
        "--by",
        "dana",
        "--rationale",
        "all criteria met",
    ]);
}
