//! The bundled M31 runbook, run end to end through the CLI against a real `flightdeck sandbox`:
//! `run all` is green and fills the fields; `fault latency=800ms` turns the SLO step red;
//! `fault down` makes the health check report Unhealthy.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn flightdeck() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("flightdeck"))
}

/// A sandbox on a free port, stopped with SIGTERM when dropped.
struct Sandbox {
    child: Child,
    url: String,
}

impl Sandbox {
    fn start() -> Sandbox {
        let mut child = flightdeck()
            .args(["sandbox", "--port", "0", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let info: Value = serde_json::from_str(&line).expect("the sandbox prints its URL as JSON");
        let url = info["url"].as_str().expect("url").to_string();
        Sandbox { child, url }
    }

    fn fault(&self, spec: &str) {
        let out = flightdeck()
            .args(["sandbox", "fault", spec, "--url", &self.url])
            .output()
            .expect("fault");
        assert!(
            out.status.success(),
            "fault {spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn run(store: &std::path::Path, args: &[&str]) -> Output {
    flightdeck()
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("flightdeck runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

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

#[test]
fn bundled_m31_runs_green_against_the_sandbox_and_faults_turn_the_right_steps_red() {
    let sandbox = Sandbox::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store.sqlite");
    let var = format!("SANDBOX_URL={}", sandbox.url);

    let out = run(
        &store,
        &[
            "run",
            "new",
            "bundled:m31",
            "--release",
            "v1.0.0",
            "--env",
            "sandbox",
        ],
    );
    assert!(out.status.success());
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();

    // Every annotated step passes on a fresh sandbox.
    let out = run(
        &store,
        &["--json", "run", "all", &id, "--by", "rm", "--var", &var],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = json(&out);
    let results = results.as_array().expect("array");
    assert_eq!(
        results.len(),
        16,
        "16 of the 27 steps are annotated for the sandbox; the rest are manual"
    );
    for r in results {
        assert_eq!(r["result"]["outcome"], "passed", "{}", r["step"]);
    }

    // Captures filled the checklist's blanks, marked as captured.
    let show = json(&run(&store, &["--json", "run", "show", &id]));
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

    // 800 ms of latency breaks the latency SLO.
    sandbox.fault("latency=800ms");
    let out = run(
        &store,
        &["--json", "run", "section", &id, "12", "--by", "rm", "--var", &var],
    );
    assert_eq!(out.status.code(), Some(8), "a failed step exits 8");
    let slo = json(&out);
    let slo = slo
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["step"] == "12.slo-compliance-check.step")
        .expect("slo step");
    assert_eq!(slo["result"]["outcome"], "failed");
    assert_eq!(slo["result"]["failure"], "assertion");
    sandbox.fault("clear");

    // Down: the health check reports Unhealthy in the checklist's own choice fields.
    sandbox.fault("down");
    let out = run(
        &store,
        &[
            "run",
            "step",
            &id,
            "8.health-check-validation.step",
            "--by",
            "rm",
            "--var",
            &var,
        ],
    );
    assert_eq!(out.status.code(), Some(8));
    let show = json(&run(&store, &["--json", "run", "show", &id]));
    assert_eq!(field(&show, "8.application").0.as_deref(), Some("Unhealthy"));
    assert_eq!(field(&show, "8.database").0.as_deref(), Some("Unhealthy"));
    sandbox.fault("clear");

    // A manual step cannot be run; the chain of everything recorded verifies.
    let out = run(
        &store,
        &[
            "run",
            "step",
            &id,
            "1.security-testing-owasp-wstg-smoke-tests.step",
            "--by",
            "rm",
        ],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manual"));
    assert!(run(&store, &["run", "verify", &id]).status.success());
}
