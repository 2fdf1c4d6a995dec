//! Flag and breaker controls end to end, through the `flightdeck` binary against a real
//! `flightdeck sandbox` (SQLite, and Postgres under `.ci/services.sh`) and the SQL table adapter
//! on that real Postgres: each action and its revert, drift, failures recorded as failures,
//! concurrent changes refused, unknown names listing the known ones, production refused without
//! confirmation (exit 4), the bundled M31's §5/§10/§13, automatic reverts, and the admin token
//! never in any output, event, store or archive.

mod actions;
mod failures;
mod m31;
mod token;

use flightdeck_testsupport::cli::exit::OK;
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;

/// A store whose `sandbox` environment points at `sb`, and a run on it.
pub(super) fn setup(sb: &SandboxProcess) -> (Cli, String) {
    let cli = Cli::new();
    cli.ok(["env", "set-var", "sandbox", "SANDBOX_URL", sb.url()]);
    let run = cli.new_run("bundled:m31", "sandbox");
    (cli, run)
}

pub(super) fn control_events(cli: &Cli, run: &str) -> Vec<Value> {
    let events = cli.json(["run", "events", run]);
    events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "control_action")
        .map(|e| e["payload"].clone())
        .collect()
}

pub(super) fn flag(cli: &Cli, key: &str) -> Value {
    cli.json(["flag", "show", "sandbox", key])["flags"][0].clone()
}

/// Sets a flag and then its inverse, both recorded with from, to, inverse, outcome, read-back.
pub(super) fn toggle_and_revert(cli: &Cli, run: &str) {
    let done = json_of(&cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "on",
            "--rollout",
            "25",
            "--reason",
            "canary",
            "--run",
            run,
            "--by",
            "rm",
        ],
    ));
    assert_eq!(done["outcome"], "applied");
    assert_eq!(done["verified"], true);
    assert_eq!(
        done["from"],
        serde_json::json!({"type": "flag", "enabled": false, "rollout": 0})
    );
    assert_eq!(
        done["read_back"],
        serde_json::json!({"type": "flag", "enabled": true, "rollout": 25})
    );
    assert_eq!(done["inverse"]["enabled"], false);
    assert_eq!(flag(cli, "community_enabled")["rollout"], 25);
    // The inverse, as the record states it.
    let back = json_of(&cli.exits(
        OK,
        [
            "--json",
            "flag",
            "set",
            "sandbox",
            "community_enabled",
            "off",
            "--rollout",
            "0",
            "--reason",
            "undo canary",
            "--run",
            run,
            "--by",
            "rm",
        ],
    ));
    assert_eq!(back["outcome"], "applied");
    assert_eq!(flag(cli, "community_enabled")["enabled"], false);
    let events = control_events(cli, run);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["reason"], "canary");
    assert_eq!(events[0]["env"], "sandbox");
    assert_eq!(events[0]["adapter"], "http");
    assert_eq!(events[1]["reason"], "undo canary");
}

pub(super) fn breaker_trip_and_reset(cli: &Cli, run: &str) {
    let preview = cli.json([
        "breaker",
        "trip",
        "sandbox",
        "stripe",
        "--reason",
        "x",
        "--dry-run",
    ]);
    assert_eq!(preview["from"]["state"], "closed");
    assert_eq!(preview["to"]["state"], "open");
    assert_eq!(preview["inverse"]["action"], "reset");
    let before = control_events(cli, run).len();
    for (action, state) in [("trip", "open"), ("reset", "closed")] {
        let r = json_of(&cli.exits(
            OK,
            [
                "--json", "breaker", action, "sandbox", "stripe", "--reason", "drill", "--run", run, "--by",
                "rm",
            ],
        ));
        assert_eq!(r["outcome"], "applied", "{r}");
        assert_eq!(r["read_back"]["state"], state);
        let status = cli.json(["breaker", "status", "sandbox", "stripe"]);
        assert_eq!(status["breakers"][0]["state"], state);
    }
    assert_eq!(control_events(cli, run).len(), before + 2);
}

/// A child process killed if the test ends first.
pub(super) struct Child(pub std::process::Child);

impl Child {
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.0.wait().expect("wait")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
