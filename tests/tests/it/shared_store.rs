//! The shared store on a real Postgres (`.ci/services.sh`), through the `flightdeck` binary: a
//! run pushed from a laptop's SQLite file, two machines (each its own home, so its own local
//! store and nothing shared but the URL) working on it and seeing each other's changes, `run
//! verify` on each, a pull into a third store for offline review, and a second push of the
//! laptop's stale copy refused as a fork (exit 5).

use std::path::Path;

use flightdeck_testsupport::cli::{exit, flightdeck, json_of, streams, Cli};
use flightdeck_testsupport::needs;
use serde_json::Value;

const M31: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/m31-production-cutover.md");
const ITEM: &str = "1.database-migration-dry-run";

/// One machine: `flightdeck --store URL` with a home of its own.
struct Machine {
    home: tempfile::TempDir,
    url: String,
}

impl Machine {
    fn new(url: &str) -> Machine {
        Machine {
            home: tempfile::tempdir().expect("a home"),
            url: url.to_string(),
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let home: &Path = self.home.path();
        flightdeck()
            .env_remove("FLIGHTDECK_STORE")
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("FLIGHTDECK_CONFIG_DIR", home.join("config"))
            .arg("--store")
            .arg(&self.url)
            .args(args)
            .output()
            .expect("flightdeck runs")
    }

    fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(exit::OK),
            "flightdeck {args:?}\n{}",
            streams(&out)
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        json_of(&self.ok(&all))
    }
}

fn item_checked(show: &Value, id: &str) -> bool {
    show["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .map(|i| i["checked"] == Value::Bool(true))
        .unwrap_or_else(|| panic!("no item {id} in {show}"))
}

fn hashes(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("a list of events")
        .iter()
        .map(|e| e["hash"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn two_machines_share_a_pushed_run_on_postgres_and_a_pull_keeps_its_chain() {
    let Some(url) = needs::postgres() else { return };
    let laptop = Cli::new();
    let run = laptop.new_run(M31, "sandbox");
    laptop.ok(["run", "note", &run, "dry run scheduled", "--by", "ben"]);
    let pushed = laptop.ok(["run", "push", &run, "--to", &url]);
    assert!(pushed.contains("verifies on both sides"), "{pushed}");

    let (a, b) = (Machine::new(&url), Machine::new(&url));
    a.ok(&["run", "check", &run, ITEM, "--by", "ben"]);
    assert!(
        item_checked(&b.json(&["run", "show", &run]), ITEM),
        "b sees a's check"
    );
    b.ok(&["run", "note", &run, "reviewed the dry run", "--by", "dana"]);
    let seen_by_a = a.json(&["run", "events", &run]);
    assert!(
        seen_by_a.to_string().contains("reviewed the dry run"),
        "a sees b's note: {seen_by_a}"
    );
    a.ok(&["run", "verify", &run]);
    b.ok(&["run", "verify", &run]);

    let review = Cli::new();
    let pulled = review.ok(["run", "pull", &run, "--from", &url]);
    assert!(pulled.contains("verifies on both sides"), "{pulled}");
    review.ok(["run", "verify", &run]);
    assert_eq!(
        hashes(&review.json(["run", "events", &run])),
        hashes(&seen_by_a),
        "the same chain"
    );

    // The laptop's copy stops before a's and b's events: pushing it again would fork the run.
    let refused = laptop.fails(exit::VERIFY_FAILED, ["run", "push", &run, "--to", &url]);
    assert!(refused.contains("fork"), "{refused}");
}
