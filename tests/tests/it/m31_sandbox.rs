//! The bundled M31 runbook, run end to end through the CLI against a real `flightdeck sandbox`:
//! `run all` is green and fills the fields; `fault latency=800ms` turns the SLO step red;
//! `fault down` makes the health check report Unhealthy.

use flightdeck_testsupport::cli::exit::{OK, REFUSED, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;

fn field(show: &Value, id: &str) -> (Option<String>, Option<String>) {
    let f = show["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["id"] == id)
        .expect("field exists");
    (
        f["value"].as_str().map(str::to_string),
        f["captured_from"].as_str().map(str::to_string),
    )
}

/// `run all` on a fresh sandbox: every annotated step passes.
fn assert_every_annotated_step_passes(cli: &Cli, id: &str, var: &str) {
    let results = json_of(&cli.exits(OK, ["--json", "run", "all", id, "--by", "rm", "--var", var]));
    let results = results.as_array().expect("array");
    assert_eq!(
        results.len(),
        16,
        "16 of the 27 steps are annotated for the sandbox; the rest are manual"
    );
    for r in results {
        assert_eq!(r["result"]["outcome"], "passed", "{}", r["step"]);
    }
}

/// The captures filled the checklist's blanks, marked as captured.
fn assert_captures_filled_the_fields(cli: &Cli, id: &str) {
    let show = cli.show(id);
    assert_eq!(
        field(&show, "8.application"),
        (
            Some("Healthy".into()),
            Some("8.health-check-validation.step".into())
        )
    );
    assert_eq!(
        field(&show, "10.retry-after-header-present").0.as_deref(),
        Some("Yes")
    );
    assert_eq!(
        field(&show, "11.payment-processing").0.as_deref(),
        Some("Success")
    );
    assert_eq!(field(&show, "11.provider").0.as_deref(), Some("stripe"));
    assert_eq!(field(&show, "7.feature-flags").0.as_deref(), Some("5"));
    assert!(field(&show, "11.response-time").0.is_some());
}

/// 800 ms of latency breaks the latency SLO: section 12's SLO step fails its assertion, and a
/// failed step exits 8.
fn assert_latency_fails_the_slo_step(cli: &Cli, sandbox: &SandboxProcess, id: &str, var: &str) {
    sandbox.set_fault("latency=800ms");
    let slo = json_of(&cli.exits(
        STEPS_FAILED,
        ["--json", "run", "section", id, "12", "--by", "rm", "--var", var],
    ));
    let slo = slo
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["step"] == "12.slo-compliance-check.step")
        .expect("slo step");
    assert_eq!(slo["result"]["outcome"], "failed");
    assert_eq!(slo["result"]["failure"], "assertion");
    sandbox.set_fault("clear");
}

/// Down: the health check reports Unhealthy in the checklist's own choice fields.
fn assert_down_is_unhealthy(cli: &Cli, sandbox: &SandboxProcess, id: &str, var: &str) {
    sandbox.set_fault("down");
    cli.exits(
        STEPS_FAILED,
        [
            "run",
            "step",
            id,
            "8.health-check-validation.step",
            "--by",
            "rm",
            "--var",
            var,
        ],
    );
    let show = cli.show(id);
    assert_eq!(field(&show, "8.application").0.as_deref(), Some("Unhealthy"));
    assert_eq!(field(&show, "8.database").0.as_deref(), Some("Unhealthy"));
    sandbox.set_fault("clear");
}

#[test]
fn bundled_m31_runs_green_against_the_sandbox_and_faults_turn_the_right_steps_red() {
    let sandbox = SandboxProcess::start(true);
    let cli = Cli::new();
    let var = format!("SANDBOX_URL={}", sandbox.url());
    let id = cli.new_run("bundled:m31", "sandbox");

    assert_every_annotated_step_passes(&cli, &id, &var);
    assert_captures_filled_the_fields(&cli, &id);
    assert_latency_fails_the_slo_step(&cli, &sandbox, &id, &var);
    assert_down_is_unhealthy(&cli, &sandbox, &id, &var);

    // A manual step cannot be run; the chain of everything recorded verifies.
    let err = cli.fails(
        REFUSED,
        [
            "run",
            "step",
            &id,
            "1.security-testing-owasp-wstg-smoke-tests.step",
            "--by",
            "rm",
        ],
    );
    assert!(err.contains("manual"), "{err}");
    cli.ok(["run", "verify", &id]);
}
