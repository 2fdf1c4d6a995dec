//! Nothing silently wrong: an unknown environment, a step that could not start, a store path that
//! does not exist, a mistyped `--var`, `--concurrency 0` and a release the runbook's header
//! contradicts are each refused or warned about, never taken as given.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, OK, REFUSED, STEPS_FAILED, STORE};
use flightdeck_testsupport::cli::Cli;
use serde_json::Value;

use super::{env, find, new_run, M31};

/// A runbook whose header says v2.3.0, with an http step on a variable no environment defines
/// (it cannot start) whose verdict would fill a health field.
const CONFIG_ERRORS: &str = "# Config errors

**Release Version**: v2.3.0

## Checks

### 1. Health
- [ ] **Health Check**
  <!-- flightdeck: http
  url: ${NOPE_URL}/health
  capture: 1.application <- verdict
  -->
  ```bash
  curl -f https://example.invalid/health
  ```
  **Application**: [ ] Healthy [ ] Degraded [ ] Unhealthy
";

#[test]
fn an_unknown_environment_is_refused_listing_the_known_ones() {
    let env = env();
    let err = env.fails(
        NOT_FOUND,
        [
            "run",
            "new",
            M31,
            "--release",
            "v1.0.0",
            "--env",
            "prod",
            "--by",
            "ana",
        ],
    );
    assert!(
        err.contains("`prod`") && err.contains("known: production, sandbox, staging"),
        "{err}"
    );
    assert!(err.contains("did you mean `production`?"), "{err}");
}

#[test]
fn a_step_that_could_not_start_is_a_configuration_error_not_evidence() {
    let env = env();
    let book = env.write("config-errors.md", CONFIG_ERRORS);
    let run = env.new_run(&book, "sandbox");
    let out = env.exits(
        STEPS_FAILED,
        ["run", "step", &run, "1.health-check.step", "--by", "ana"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("configuration error") && text.contains("NOPE_URL"),
        "{text}"
    );
    assert!(!text.contains("Unhealthy"), "{text}");
    let fields = env.show(&run)["fields"].clone();
    assert_eq!(
        find(&fields, "id", "1.application")["value"],
        Value::Null,
        "a step that never reached the target says nothing about its health"
    );
}

#[test]
fn a_missing_store_is_refused_except_by_run_new_or_create() {
    let env = Cli::with_store("no/such/dir/flightdeck.sqlite");
    let err = env.fails(STORE, ["run", "list"]);
    assert!(err.contains("no store at") && err.contains("--create"), "{err}");
    assert!(!env.dir().join("no").exists(), "nothing made for a read");
    let out = env.ok(["run", "list", "--create"]);
    assert!(out.contains("no runs yet"), "{out}");
    assert!(env.store().exists());
    let fresh = Cli::with_store("new/dir/flightdeck.sqlite");
    fresh.new_run(M31, "sandbox");
    assert!(fresh.store().exists(), "run new makes the store");
}

#[test]
fn a_mistyped_var_name_is_refused_with_did_you_mean() {
    let env = env();
    let run = new_run(&env);
    let err = env.fails(
        REFUSED,
        [
            "run",
            "step",
            &run,
            "8.health-check-validation.step",
            "--by",
            "ana",
            "--var",
            "SANDBOXURL=http://127.0.0.1:1",
        ],
    );
    assert!(err.contains("did you mean `SANDBOX_URL`?"), "{err}");
    let events = env.json(["run", "events", &run]);
    assert_eq!(
        events.as_array().map(Vec::len),
        Some(1 + flightdeck_testsupport::cli::CREW.len()),
        "nothing ran: {events}"
    );
}

#[test]
fn concurrency_0_is_a_usage_error() {
    let env = env();
    let run = new_run(&env);
    let err = env.usage_error(["run", "all", &run, "--concurrency", "0", "--by", "ana"]);
    assert!(err.contains("--concurrency"), "{err}");
}

#[test]
fn a_release_the_runbooks_header_contradicts_is_warned_about() {
    let env = env();
    let book = env.write("config-errors.md", CONFIG_ERRORS);
    let book = book.to_str().expect("a UTF-8 temp path");
    let out = env.exits(OK, ["run", "new", book, "--release", "v9.9.9", "--by", "ana"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("v9.9.9") && stderr.contains("v2.3.0"),
        "{stderr}"
    );
}
