//! Readable values: a duration's actual value in whole milliseconds with its unit, captured values
//! with their field's unit, a multi-line value kept to one line, and counts in the singular.

use flightdeck_testsupport::cli::exit::STEPS_FAILED;
use flightdeck_testsupport::cli::Cli;

use super::env;

const TIMING: &str = "# Readable

## Checks

### 1. Timing
- [ ] **Slow step**
  <!-- flightdeck: shell
  expect: duration < 1ms
  -->
  ```bash
  sleep 0.05
  ```
- [ ] **Sized**
  <!-- flightdeck: shell
  capture: 1.size <- regex /(\\d+)/
  -->
  ```bash
  echo 12
  ```
  **Size**: _______ GB
- [ ] **Notes**
  **Remarks**: ________________
";

fn timing_run(env: &Cli) -> String {
    let book = env.write("timing.md", TIMING);
    env.new_run(&book, "sandbox")
}

#[test]
fn a_durations_actual_value_reads_in_whole_milliseconds() {
    let env = env();
    let run = timing_run(&env);
    let out = env.exits(
        STEPS_FAILED,
        ["run", "step", &run, "1.slow-step.step", "--by", "ana"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let actual = text
        .split("duration < 1ms  (actual: ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("the assertion line: {text}"));
    let ms = actual
        .strip_suffix(" ms")
        .unwrap_or_else(|| panic!("`{actual}` ends in ` ms`: {text}"));
    assert!(
        ms.parse::<u64>().is_ok(),
        "`{actual}` is whole milliseconds: {text}"
    );
    assert!(
        text.contains(&format!("assertion failed: duration < 1ms (actual: {actual})")),
        "{text}"
    );
}

#[test]
fn counts_are_singular_for_one() {
    let env = env();
    let run = timing_run(&env);
    let out = env.exits(
        STEPS_FAILED,
        ["run", "step", &run, "1.slow-step.step", "--by", "ana"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 step, 0 passed, 1 failed"), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 step failed: 1.slow-step.step"), "{stderr}");
    let book = env.dir().join("timing.md");
    let book = book.to_str().expect("a UTF-8 temp path");
    let inspect = env.ok(["runbook", "inspect", book]);
    assert!(
        inspect.contains("1 phase, 1 section, 3 items, 2 steps, 2 fields, 0 sign-offs"),
        "{inspect}"
    );
}

#[test]
fn captured_values_carry_their_unit_and_a_multi_line_value_stays_on_its_line() {
    let env = env();
    let run = timing_run(&env);
    let out = env.ok(["run", "step", &run, "1.sized.step", "--by", "ana"]);
    assert!(out.contains("→ 1.size = 12 GB"), "{out}");
    env.ok([
        "run",
        "set",
        &run,
        "1.remarks",
        "first line\nsecond\nthird",
        "--by",
        "ana",
    ]);
    let show = env.ok(["run", "show", &run]);
    let line = show
        .lines()
        .find(|l| l.trim_start().starts_with("1.remarks"))
        .unwrap_or_else(|| panic!("the field's line: {show}"));
    assert!(line.contains("first line … (+2 lines)"), "{line}");
    assert!(!show.contains("\\n"), "no escaped newline in the layout: {show}");
}
