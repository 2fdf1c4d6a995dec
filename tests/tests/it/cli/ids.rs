//! Run ids you can paste: messages print the shortest prefix that names the run alone (at least
//! 8 characters), and `@latest` / `@latest:ENV` name the newest run (on ENV).

use flightdeck_testsupport::cli::exit::NOT_FOUND;
use serde_json::json;

use super::{env, M31};

#[test]
fn messages_print_the_shortest_unique_prefix_of_at_least_8() {
    let env = env();
    let a = env.new_run(M31, "sandbox");
    let b = env.new_run(M31, "sandbox");
    let out = env.ok(["run", "check", &a, "1.database-migration-dry-run", "--by", "ben"]);
    let printed = out
        .split("(run ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("a run id in {out}"));
    assert!(printed.len() >= 8, "{out}");
    assert!(a.starts_with(printed), "{printed} is a prefix of {a}");
    assert!(!b.starts_with(printed), "{printed} names {a} alone, not {b} too");
    let shorter = &printed[..printed.len() - 1];
    assert!(
        shorter.len() < 8 || b.starts_with(shorter),
        "{printed} is the shortest such prefix"
    );
    assert_eq!(env.show(printed)["run_id"], json!(a), "it can be pasted");
}

#[test]
fn latest_names_the_newest_run_and_latest_env_the_newest_there() {
    let env = env();
    let a = env.new_run(M31, "sandbox");
    let b = env.new_run(M31, "staging");
    assert_eq!(env.show("@latest")["run_id"], json!(b));
    assert_eq!(env.show("@latest:sandbox")["run_id"], json!(a));
    assert_eq!(env.show("@latest:staging")["run_id"], json!(b));
    let err = env.fails(NOT_FOUND, ["run", "show", "@latest:production"]);
    assert!(err.contains("@latest:production"), "{err}");
    env.ok(["run", "note", "@latest", "on the newest", "--by", "ana"]);
    assert_eq!(
        env.show(&b)["event_count"],
        json!(2 + flightdeck_testsupport::cli::CREW.len())
    );
}
