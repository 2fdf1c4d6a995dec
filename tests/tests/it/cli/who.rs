//! One way to say who does it, for every command that records it: `--by`, else
//! `FLIGHTDECK_USER`, else the app's stored user name, else the login name; never "unknown".

use flightdeck_testsupport::cli::{check_json, json_of, streams, Cli};
use serde_json::Value;

use super::{env, new_run, M31};

const ITEM: &str = "1.database-migration-dry-run";

/// The actor of the event `args --json` appended, run with `set` in its environment and
/// FLIGHTDECK_USER, USER and LOGNAME removed first.
fn actor(env: &Cli, set: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = env.cmd();
    cmd.env_remove("FLIGHTDECK_USER")
        .env_remove("USER")
        .env_remove("LOGNAME");
    for (k, v) in set {
        cmd.env(k, v);
    }
    let out = cmd.args(args).arg("--json").output().expect("flightdeck runs");
    assert!(out.status.success(), "{args:?}\n{}", streams(&out));
    let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    all.push("--json".into());
    check_json(&all, &out);
    let v: Value = json_of(&out);
    v["event"]["by"]
        .as_str()
        .or_else(|| v["events"][0]["by"].as_str())
        .unwrap_or_else(|| panic!("an actor in {v}"))
        .to_string()
}

/// The login name, as `id -un` says it.
fn login_name() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id -un runs");
    String::from_utf8(out.stdout).expect("UTF-8").trim().to_string()
}

#[test]
fn by_then_flightdeck_user_then_the_apps_setting_then_the_login_name() {
    let env = env();
    let run = new_run(&env);
    let check = |uncheck: bool| {
        let mut a = vec!["run", "check", run.as_str(), ITEM];
        if uncheck {
            a.push("--uncheck");
        }
        a
    };
    // Everyone this test acts as must be known to the run.
    for name in ["Ana Lima".to_string(), login_name()] {
        env.ok([
            "run", "people", "add", &run, &name, "--role", "engineer", "--by", "ana",
        ]);
    }
    let mut args = check(false);
    args.extend(["--by", "ben"]);
    assert_eq!(actor(&env, &[("FLIGHTDECK_USER", "zoe")], &args), "ben");
    assert_eq!(actor(&env, &[("FLIGHTDECK_USER", "zoe")], &check(true)), "zoe");
    std::fs::create_dir_all(env.config_dir()).expect("config dir");
    std::fs::write(
        env.config_dir().join("settings.json"),
        r#"{"user_name": "Ana Lima"}"#,
    )
    .expect("settings");
    assert_eq!(actor(&env, &[], &check(false)), "Ana Lima");
    std::fs::remove_file(env.config_dir().join("settings.json")).expect("rm settings");
    assert_eq!(actor(&env, &[], &check(true)), login_name());
}

#[test]
fn run_new_and_the_step_commands_take_the_same_default_and_never_say_unknown() {
    let env = env();
    let new = ["run", "new", M31, "--release", "v1.0.0"];
    let rec = {
        let mut cmd = env.cmd();
        cmd.env_remove("FLIGHTDECK_USER")
            .env_remove("USER")
            .env_remove("LOGNAME");
        let out = cmd.args(new).output().expect("runs");
        assert!(out.status.success(), "{}", streams(&out));
        String::from_utf8(out.stdout).expect("UTF-8").trim().to_string()
    };
    let events = env.json(["run", "events", &rec]);
    assert_eq!(events[0]["by"].as_str(), Some(login_name().as_str()));
    assert_ne!(events[0]["by"].as_str(), Some("unknown"));
    // every other recording command takes the default too: a note, a step (by zoe, known)
    let creator = login_name();
    env.ok([
        "run", "people", "add", &rec, "zoe", "--role", "engineer", "--by", &creator,
    ]);
    assert_eq!(
        actor(&env, &[("FLIGHTDECK_USER", "zoe")], &["run", "note", &rec, "hi"]),
        "zoe"
    );
}
