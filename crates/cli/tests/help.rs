//! The `flightdeck` binary's own smoke test: `--help` documents the exit codes, and usage
//! errors are one line with exit 2. (It also makes `cargo test --workspace` build the binary
//! that `tests/tests/it/cli.rs` drives.)

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn help_documents_the_exit_codes() {
    Command::cargo_bin("flightdeck")
        .expect("binary built")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("5  verification failed"));
}

#[test]
fn a_usage_error_is_one_line_and_exit_2() {
    let out = Command::cargo_bin("flightdeck")
        .expect("binary built")
        .arg("fly")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
}
