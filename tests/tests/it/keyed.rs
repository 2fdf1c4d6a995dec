//! Keyed checkpoints and read-only stores through the `flightdeck` binary: `run verify` on a
//! store rewritten whole without the key (exit 5, and why), on an untouched one ("keyed"), on one
//! from before keyed checkpoints ("unkeyed"), with the key gone from the keyring ("key missing",
//! not tampering), and `run list` / `show` / `verify` on a store nobody may write. The key lives in
//! the real OS keyring (a Secret Service under `.ci/services.sh`); tests that need it are skipped
//! without one (and fail under CI).

use std::process::{Command, Output};

use flightdeck_engine::secrets::{store_key_account, SERVICE};
use flightdeck_testsupport::cli::exit::{OK, STORE, VERIFY_FAILED};
use flightdeck_testsupport::cli::{binary, json_of, streams, Cli};
use flightdeck_testsupport::store::started_run;
use flightdeck_testsupport::unprivileged::{chmod, without_root};
use flightdeck_testsupport::{needs, tamper};
use serde_json::json;

const REWRITTEN: &str =
    "the keyed checkpoint does not match: the log was rewritten without this machine's key";

/// A run started and noted through the CLI (so with the keyring's key): 4 events.
fn keyed_run(cli: &Cli) -> String {
    let run = cli.new_run_alone("bundled:m31", "sandbox");
    for text in ["one", "two", "three"] {
        cli.ok(["run", "note", &run, text, "--by", "ana"]);
    }
    run
}

fn store_id(cli: &Cli) -> String {
    rusqlite::Connection::open(cli.store())
        .expect("open")
        .query_row("SELECT store_id FROM store_identity", [], |r| r.get(0))
        .expect("the store's id")
}

/// Removes the store's key from the keyring, as a wiped keyring (or another machine) would lack it.
fn clear_key(cli: &Cli) {
    let status = Command::new("secret-tool")
        .args([
            "clear",
            "service",
            SERVICE,
            "username",
            &store_key_account(&store_id(cli)),
        ])
        .status()
        .expect("secret-tool (libsecret-tools) is installed");
    assert!(status.success());
}

#[test]
fn an_untouched_run_verifies_keyed_since_its_first_event() {
    let Some(_keyring) = needs::keyring() else { return };
    let cli = Cli::new();
    let run = keyed_run(&cli);
    let out = cli.ok(["run", "verify", &run, "--require-keyed"]);
    assert!(out.contains("ok, 4 events, chain intact"), "{out}");
    assert!(
        out.contains("keyed since event 1 (") && out.contains("the checkpoint at event 4 holds"),
        "{out}"
    );
    let v = cli.json(["run", "verify", &run]);
    assert_eq!(v["keyed"]["status"], json!("keyed"));
    assert_eq!(v["keyed"]["since_seq"], json!(1));
    clear_key(&cli);
}

#[test]
fn a_store_rewritten_whole_fails_run_verify_on_the_keyed_checkpoint_with_exit_5() {
    let Some(_keyring) = needs::keyring() else { return };
    let cli = Cli::new();
    let run = keyed_run(&cli);
    tamper::rewrite_whole(cli.store(), &run, 2, json!({"text": "all fine"}));

    let err = cli.fails(VERIFY_FAILED, ["run", "verify", &run]);
    assert_eq!(
        err,
        format!("error: run {run}: {REWRITTEN} (event 4 is not the event the key sealed)")
    );
    let v = json_of(&cli.exits(VERIFY_FAILED, ["run", "verify", &run, "--json"]));
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["first_bad"]["kind"], json!("keyed_checkpoint"));
    assert_eq!(v["keyed"]["status"], json!("mismatch"));
    let refused = cli.fails(VERIFY_FAILED, ["run", "note", &run, "on top", "--by", "ana"]);
    assert!(
        refused.contains(REWRITTEN) && refused.contains("refusing to append"),
        "a write would seal the rewritten log: {refused}"
    );

    tamper::restamp_keyed_checkpoint(cli.store(), &run);
    let err = cli.fails(VERIFY_FAILED, ["run", "verify", &run]);
    assert_eq!(
        err,
        format!("error: run {run}: {REWRITTEN} (the checkpoint's MAC does not hold)"),
        "a checkpoint recomputed without the key fails too"
    );
    clear_key(&cli);
}

#[test]
fn a_store_from_before_keyed_checkpoints_verifies_unkeyed_and_fails_require_keyed() {
    let cli = Cli::new();
    // Written by the engine without a keyring, as Flightdeck wrote before keyed checkpoints.
    let run = started_run(cli.store(), 3);
    let out = cli.ok(["run", "verify", &run]);
    assert!(out.contains("ok, 4 events, chain intact"), "{out}");
    assert!(out.contains("unkeyed: the run has no keyed checkpoint"), "{out}");
    assert_eq!(
        cli.json(["run", "verify", &run])["keyed"]["status"],
        json!("unkeyed")
    );
    let err = cli.fails(VERIFY_FAILED, ["run", "verify", &run, "--require-keyed"]);
    assert!(
        err.contains("the chain is intact, but --require-keyed: unkeyed"),
        "{err}"
    );
}

#[test]
fn a_missing_key_says_so_and_is_not_tampering() {
    let Some(_keyring) = needs::keyring() else { return };
    let cli = Cli::new();
    let run = keyed_run(&cli);
    clear_key(&cli);
    let out = cli.ok(["run", "verify", &run]);
    assert!(out.contains("chain intact"), "{out}");
    assert!(
        out.contains("key missing: the keyed checkpoint was made with key ")
            && out.contains("the store comes from another machine, or the keyring was wiped"),
        "{out}"
    );
    assert!(
        !out.contains("rewritten"),
        "a missing key is not tampering: {out}"
    );
    let err = cli.fails(VERIFY_FAILED, ["run", "verify", &run, "--require-keyed"]);
    assert!(err.contains("key missing"), "{err}");
}

#[test]
fn a_write_without_a_keyring_succeeds_unkeyed_and_says_so() {
    let Some(_keyring) = needs::keyring() else { return };
    let cli = Cli::new();
    let run = keyed_run(&cli);
    let out = cli
        .cmd()
        .args(["run", "note", &run, "no keyring here", "--by", "ana"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/flightdeck-test-bus",
        )
        .output()
        .expect("run flightdeck");
    assert_eq!(out.status.code(), Some(OK), "{}", streams(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: written unkeyed: the OS keyring could not be used"),
        "{stderr}"
    );
    let verified = cli.ok(["run", "verify", &run]);
    assert!(
        verified.contains("keyed up to event 4 only")
            && verified.contains("events 5–5 were appended without"),
        "{verified}"
    );
    cli.ok(["run", "note", &run, "keyring back", "--by", "ana"]);
    let verified = cli.ok(["run", "verify", &run]);
    assert!(verified.contains("keyed since event 6"), "{verified}");
    clear_key(&cli);
}

/// `flightdeck --store STORE ARGS` as a user who cannot write the store (`nobody` under root).
fn unprivileged(cli: &Cli, args: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.env_remove("FLIGHTDECK_STORE")
        .arg("--store")
        .arg(cli.store())
        .args(args);
    without_root(&mut cmd).output().expect("run flightdeck")
}

#[test]
fn a_store_nobody_may_write_still_lists_shows_and_verifies() {
    let cli = Cli::new();
    let run = cli.new_run_alone("bundled:m31", "sandbox");
    cli.ok(["run", "note", &run, "before the lock", "--by", "ana"]);
    chmod(cli.store(), 0o444);
    chmod(cli.dir(), 0o555);
    let ok = |args: &[&str]| {
        let out = unprivileged(&cli, args);
        assert_eq!(out.status.code(), Some(OK), "{args:?}: {}", streams(&out));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let list = ok(&["run", "list"]);
    let shown = ok(&["run", "show", &run]);
    let verified = ok(&["run", "verify", &run]);
    let write = unprivileged(&cli, &["run", "note", &run, "after", "--by", "ana"]);
    chmod(cli.dir(), 0o755);
    assert!(list.contains(&run), "{list}");
    assert!(shown.contains(&format!("run {run}")), "{shown}");
    assert!(verified.contains("ok, 2 events, chain intact"), "{verified}");
    assert_eq!(write.status.code(), Some(STORE), "{}", streams(&write));
    let stderr = String::from_utf8_lossy(&write.stderr);
    assert!(
        stderr.contains("is read-only")
            && stderr.contains("it can be listed, shown and verified, not written"),
        "{stderr}"
    );
}
