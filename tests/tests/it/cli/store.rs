//! The store: `run verify` on a run driven through every command, the store taken from
//! `FLIGHTDECK_STORE`, and a file that is not a database.

use std::path::Path;

use flightdeck_testsupport::cli;
use flightdeck_testsupport::cli::exit::STORE;
use serde_json::{json, Value};

use super::{env, new_run};

#[test]
fn verify_passes_on_a_run_driven_through_every_command() {
    let env = env();
    let run = new_run(&env);
    env.ok(["run", "meta", &run, "release-manager", "Ana", "--by", "ana"]);
    env.ok([
        "run",
        "check",
        &run,
        "1.database-migration-dry-run",
        "--by",
        "ben",
    ]);
    env.ok(["run", "set", &run, "1.result", "Success", "--by", "ben"]);
    env.ok(["run", "note", &run, "ok", "--by", "ben"]);
    env.ok(["run", "signoff", &run, "5", "--by", "eve", "--override", "demo"]);
    env.ok([
        "run",
        "decide",
        &run,
        "no-go",
        "--by",
        "dana",
        "--rationale",
        "demo",
    ]);
    let out = env.ok(["run", "verify", &run]);
    let events = 7 + flightdeck_testsupport::cli::CREW.len();
    assert!(
        out.contains(&format!("ok, {events} events, chain intact")),
        "{out}"
    );
    let v = env.json(["run", "verify", &run]);
    assert_eq!(
        (v["ok"].clone(), v["event_count"].clone(), v["first_bad"].clone()),
        (json!(true), json!(events), Value::Null)
    );
    assert_eq!(v["head_hash"], env.show(&run)["head_hash"]);
}

#[test]
fn the_store_comes_from_flightdeck_store_when_no_flag_is_given() {
    let env = env();
    let store = env.dir().join("from-env.sqlite");
    let from_env = |args: &[&str]| {
        let out = cli::flightdeck()
            .env("FLIGHTDECK_STORE", &store)
            .args(args)
            .output()
            .expect("flightdeck runs");
        assert!(out.status.success(), "{args:?}\n{}", cli::streams(&out));
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    };
    let run = from_env(&["run", "new", "bundled:m31", "--release", "v1", "--by", "ana"]);
    assert!(
        store.exists(),
        "the store was created where FLIGHTDECK_STORE points"
    );
    assert!(
        from_env(&["run", "list"]).contains(run.trim()),
        "the run is listed from the same store"
    );
}

#[test]
fn a_store_that_is_not_a_database_is_a_store_error() {
    let env = env();
    let dir = env.store().parent().map(Path::to_path_buf).expect("parent");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        env.store(),
        b"this is not SQLite, just some text that is long enough to be read",
    )
    .expect("write");
    env.fails(STORE, ["run", "list"]);
}
