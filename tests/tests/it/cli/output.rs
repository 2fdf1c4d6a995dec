//! What steps print: the tail of a failed step's stderr and stdout under its verdict, `-v`
//! streaming every line live (with the deadline), and `run output RUN STEP [--stream S]`
//! printing what a step recorded.

use flightdeck_testsupport::cli::exit::{NOT_FOUND, STEPS_FAILED};
use flightdeck_testsupport::cli::Cli;
use serde_json::json;

use super::env;

const TOOLS: &str = "# Output

## Checks

### 1. Tools
- [ ] **Locked table**
  ```bash
  echo \"starting migration\"
  echo \"ERROR: the migration table is locked\" >&2
  exit 3
  ```
- [ ] **Missing tool**
  ```bash
  no-such-tool-xyz --version
  ```
- [ ] **Chatty**
  ```bash
  for i in 1 2 3; do echo \"line $i\"; done
  ```
";

fn tools_run(env: &Cli) -> String {
    let book = env.write("tools.md", TOOLS);
    env.new_run(&book, "sandbox")
}

#[test]
fn a_failed_step_shows_the_tail_of_its_stderr_and_stdout() {
    let env = env();
    let run = tools_run(&env);
    let out = env.exits(STEPS_FAILED, ["run", "section", &run, "1", "--by", "ana"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ERROR: the migration table is locked"),
        "the tool's own error line: {text}"
    );
    assert!(text.contains("starting migration"), "{text}");
    assert!(text.contains("command not found"), "{text}");
    assert!(
        !text.contains("line 2"),
        "a step that passed keeps its output to itself: {text}"
    );
}

#[test]
fn verbose_streams_every_line_live_with_the_deadline() {
    let env = env();
    let run = tools_run(&env);
    let out = env.output(["run", "step", &run, "1.chatty.step", "--by", "ana", "-v"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in ["line 1", "line 2", "line 3"] {
        assert!(stderr.contains(line), "-v streams `{line}`: {stderr}");
    }
    assert!(stderr.contains("deadline 1 min"), "{stderr}");
    let out = env.output(["run", "step", &run, "1.chatty.step", "--by", "ana"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("line 2"), "quiet without -v: {stderr}");
}

#[test]
fn run_output_prints_what_a_step_recorded() {
    let env = env();
    let run = tools_run(&env);
    env.exits(
        STEPS_FAILED,
        ["run", "step", &run, "1.locked-table.step", "--by", "ana"],
    );
    let stderr = env.ok(["run", "output", &run, "1.locked-table.step", "--stream", "stderr"]);
    assert_eq!(stderr, "ERROR: the migration table is locked\n");
    let both = env.ok(["run", "output", &run, "1.locked-table.step"]);
    assert!(
        both.contains("starting migration") && both.contains("ERROR: the migration"),
        "{both}"
    );
    let v = env.json(["run", "output", &run, "1.locked-table.step"]);
    assert_eq!(v["step"], json!("1.locked-table.step"));
    assert_eq!(v["streams"]["stdout"]["text"], json!("starting migration\n"));
    let err = env.fails(NOT_FOUND, ["run", "output", &run, "1.chatty.step"]);
    assert!(err.contains("has not run"), "{err}");
    let err = env.fails(NOT_FOUND, ["run", "output", &run, "1.chaty.step"]);
    assert!(err.contains("did you mean `1.chatty.step`?"), "{err}");
}
