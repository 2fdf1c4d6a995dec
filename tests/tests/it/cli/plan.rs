//! Seeing the plan: `runbook inspect` shows each step's probe kind and target (or that it is
//! manual), `run all` names the manual steps it leaves to people, and `--dry-run` shows what would
//! run against which URLs and hosts, secrets named, recording nothing.

use flightdeck_testsupport::cli::exit::STEPS_FAILED;

use super::env;

const MIXED: &str = "# Mixed

## Checks

### 1. Deploy
- [ ] **Health**
  <!-- flightdeck: http
  url: http://127.0.0.1:9/health
  deadline: 2s
  -->
  ```bash
  curl -f https://example.invalid/health
  ```
- [ ] **Deploy by hand**
  <!-- flightdeck: manual
  why: the pipeline deploys
  -->
  ```bash
  ./deploy.sh
  ```
";

#[test]
fn inspect_shows_each_steps_kind_and_target_or_that_it_is_manual() {
    let env = env();
    let book = env.write("mixed.md", MIXED);
    let out = env.ok(["runbook", "inspect", book.to_str().expect("UTF-8 path")]);
    assert!(
        out.contains("step 1.health.step (http): GET http://127.0.0.1:9/health"),
        "{out}"
    );
    assert!(
        out.contains("step 1.deploy-by-hand.step (manual, bash): ./deploy.sh"),
        "{out}"
    );
}

#[test]
fn run_all_names_the_manual_steps_it_leaves_to_people() {
    let env = env();
    let book = env.write("mixed.md", MIXED);
    let run = env.new_run(&book, "sandbox");
    let out = env.exits(STEPS_FAILED, ["run", "all", &run, "--by", "ana"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 manual step left to people: 1.deploy-by-hand.step"),
        "{text}"
    );
}

const TARGETED: &str = "# Targeted

## Checks

### 1. Health
- [ ] **Health**
  <!-- flightdeck: http
  url: ${SANDBOX_URL}/health
  header: Authorization: Bearer ${secret:api-token}
  -->
  ```bash
  curl -f https://example.invalid/health
  ```
- [ ] **Deploy by hand**
  <!-- flightdeck: manual
  why: the pipeline deploys
  -->
  ```bash
  ./deploy.sh
  ```
";

#[test]
fn run_all_dry_run_shows_resolved_urls_hosts_and_named_secrets_and_records_nothing() {
    let env = env();
    let book = env.write("targeted.md", TARGETED);
    let run = env.new_run_alone(&book, "sandbox");
    let out = env.ok([
        "run",
        "all",
        &run,
        "--dry-run",
        "--var",
        "SANDBOX_URL=http://10.1.2.3:9000",
    ]);
    for shown in [
        "nothing runs, nothing is recorded",
        "1.health.step (http, deadline 10 s)",
        "runs: GET http://10.1.2.3:9000/health",
        "Authorization: Bearer ${secret:api-token}",
        "hosts: 10.1.2.3:9000",
        "secrets: api-token (named, never shown)",
        "1 step would run",
        "1 manual step left to people: 1.deploy-by-hand.step",
    ] {
        assert!(out.contains(shown), "`{shown}` in:\n{out}");
    }
    let v = env.json(["run", "section", &run, "1", "--dry-run"]);
    assert_eq!(
        v["steps"][0]["hosts"],
        serde_json::json!(["127.0.0.1:8731"]),
        "{v}"
    );
    assert_eq!(v["steps"][0]["secrets"], serde_json::json!(["api-token"]), "{v}");
    assert_eq!(v["manual"], serde_json::json!(["1.deploy-by-hand.step"]), "{v}");
    assert_eq!(
        env.show(&run)["event_count"],
        serde_json::json!(1),
        "nothing recorded"
    );
}
