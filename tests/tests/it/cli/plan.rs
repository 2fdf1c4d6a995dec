//! Seeing the plan: `runbook inspect` shows each step's probe kind and target (or that it is
//! manual), and `run all` names the manual steps it leaves to people.

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
