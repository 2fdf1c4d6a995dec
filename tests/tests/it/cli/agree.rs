//! Doc and behaviour agree: `run list` shows each run's progress and decision, `run show` marks
//! captured fields, `$${` is a literal in shell steps, a relative `cwd:` is where Flightdeck runs,
//! and item ids are cut as the README says (evidence attachments: `archive.rs`; the sandbox's
//! URL: `sandbox.rs`).

use super::{env, new_run};

#[test]
fn run_list_shows_progress_and_decision() {
    let env = env();
    let undecided = new_run(&env);
    let decided = new_run(&env);
    env.ok([
        "run",
        "check",
        &decided,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    env.ok([
        "run",
        "decide",
        &decided,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "p99 too high",
    ]);
    let out = env.ok(["run", "list"]);
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} listed: {out}"))
            .to_string()
    };
    let d = line(&decided);
    assert!(d.contains("1/85 checked") && d.contains("NO-GO"), "{d}");
    let u = line(&undecided);
    assert!(u.contains("0/85 checked") && u.contains("undecided"), "{u}");
}

const SHELL: &str = "# Agree

## Checks

### 1. Shell
- [ ] **Sized**
  <!-- flightdeck: shell
  capture: 1.size <- regex /(\\d+)/
  -->
  ```bash
  echo 12
  ```
  **Size**: _______ GB
  **Owner**: _______
- [ ] **Literal**
  ```bash
  echo \"a $${HOME} b\" 'c $${HOME} d' e $${HOME}
  ```
- [ ] **Where**
  <!-- flightdeck: shell
  cwd: work
  -->
  ```bash
  pwd
  ```
- [ ] **Alpha beta gamma delta epsilon zeta eta theta**
";

fn shell_run(env: &flightdeck_testsupport::cli::Cli) -> String {
    let book = env.write("agree.md", SHELL);
    env.new_run(&book, "sandbox")
}

#[test]
fn run_show_marks_captured_fields() {
    let env = env();
    let run = shell_run(&env);
    env.ok(["run", "step", &run, "1.sized.step", "--by", "ana"]);
    env.ok(["run", "set", &run, "1.owner", "ana", "--by", "ana"]);
    let shown = env.ok(["run", "show", &run]);
    let line = |id: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} in {shown}"))
            .to_string()
    };
    assert!(
        line("1.size").contains("12 GB  [captured by step 1.sized.step]"),
        "{shown}"
    );
    assert!(!line("1.owner").contains("captured"), "{shown}");
}

#[test]
fn a_double_dollar_brace_is_a_literal_in_shell_steps_as_documented() {
    let env = env();
    let run = shell_run(&env);
    env.ok(["run", "step", &run, "1.literal.step", "--by", "ana"]);
    let out = env.ok(["run", "output", &run, "1.literal.step", "--stream", "stdout"]);
    assert_eq!(out.trim_end(), "a ${HOME} b c ${HOME} d e ${HOME}");
    let doc = include_str!("../../../../docs/runbook-format.md");
    assert!(doc.contains("`$${` is a literal `${`"), "the documented rule");
}

#[test]
fn a_relative_cwd_is_the_directory_flightdeck_runs_in_as_documented() {
    let env = env();
    let run = shell_run(&env);
    std::fs::create_dir(env.dir().join("work")).expect("mkdir work");
    let out = env
        .cmd()
        .current_dir(env.dir())
        .args(["run", "step", &run, "1.where.step", "--by", "ana"])
        .output()
        .expect("flightdeck runs");
    assert!(
        out.status.success(),
        "{}",
        flightdeck_testsupport::cli::streams(&out)
    );
    let pwd = env.ok(["run", "output", &run, "1.where.step", "--stream", "stdout"]);
    let want = env.dir().join("work").canonicalize().expect("canonical");
    assert_eq!(
        std::path::Path::new(pwd.trim_end()).canonicalize().ok(),
        Some(want)
    );
    let doc = include_str!("../../../../docs/runbook-format.md");
    assert!(
        !doc.contains("environment's working directory") && doc.contains("the directory Flightdeck runs in"),
        "the docs promise no working directory of an environment"
    );
}

#[test]
fn item_ids_keep_the_first_six_words_as_the_readme_documents() {
    let env = env();
    let book = env.write("agree.md", SHELL);
    let v = env.json(["runbook", "inspect", book.to_str().expect("UTF-8 path")]);
    let ids: Vec<&str> = v["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(ids.contains(&"1.alpha-beta-gamma-delta-epsilon-zeta"), "{ids:?}");
    let readme = include_str!("../../../../README.md");
    assert!(
        readme.contains("A slug is the text's first 6 words"),
        "README documents the cut"
    );
}
