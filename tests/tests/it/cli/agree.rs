//! Doc and behaviour agree: `run list` shows each run's progress and decision, as the README
//! documents it.

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
