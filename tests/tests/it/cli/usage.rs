//! Usage errors (exit 2): clap's own message naming what is missing or wrong, the command's own
//! usage and help, suggestions for a misspelt command or flag, and possible values listed.

use flightdeck_testsupport::cli::exit::OK;
use serde_json::json;

use super::{env, new_run, M31};

#[test]
fn a_missing_argument_is_named_with_the_commands_own_usage() {
    let env = env();
    let run = new_run(&env);
    let err = env.usage_error(["run", "check", &run]);
    assert!(err.contains("<ITEM>"), "names the missing ITEM: {err}");
    assert!(
        err.contains("Usage: flightdeck run check"),
        "the subcommand's usage: {err}"
    );
    assert!(
        err.contains("flightdeck run check --help"),
        "points at the subcommand's help: {err}"
    );
    assert!(
        !err.contains("see `flightdeck --help`"),
        "not the top-level help: {err}"
    );
    let err = env.usage_error(["run", "new", M31]);
    assert!(err.contains("--release <RELEASE>"), "{err}");
    let err = env.usage_error(["archive", "export", &run]);
    assert!(err.contains("--output"), "{err}");
    assert!(err.contains("flightdeck archive export --help"), "{err}");
}

#[test]
fn a_misspelt_command_or_flag_gets_a_suggestion() {
    let env = env();
    let err = env.usage_error(["run", "chek"]);
    assert!(err.contains("'check'"), "suggests check: {err}");
    let err = env.usage_error(["run", "list", "--jsn"]);
    assert!(err.contains("'--json'"), "suggests --json: {err}");
}

#[test]
fn decide_takes_go_in_any_case_and_lists_the_possible_values() {
    let env = env();
    let run = new_run(&env);
    let err = env.usage_error(["run", "decide", &run, "maybe", "--by", "dana", "--rationale", "x"]);
    assert!(
        err.contains("[possible values: go, no-go]"),
        "the possible values: {err}"
    );
    assert!(err.contains("try 'flightdeck run decide --help'"), "{err}");
    let applied = env.json([
        "run",
        "decide",
        &run,
        "NO-GO",
        "--by",
        "dana",
        "--rationale",
        "as the runbook writes it",
    ]);
    assert_eq!(applied["event"]["payload"]["decision"], json!("no-go"));
}

#[test]
fn every_usage_error_exits_2_including_a_var_without_equals() {
    let env = env();
    let run = new_run(&env);
    let err = env.usage_error([
        "run",
        "step",
        &run,
        "1.database-migration-dry-run.step",
        "--by",
        "ana",
        "--var",
        "nonsense",
    ]);
    assert!(err.contains("NAME=VALUE"), "{err}");
    env.usage_error(["fly"]);
    env.usage_error(["run", "show"]);
    // help is not an error
    env.exits(OK, ["run", "check", "--help"]);
}
