//! The `flightdeck` binary's own smoke test: `--help` documents every exit code, and usage
//! errors are one line with exit 2. (It also makes `cargo test --workspace` build the binary
//! that `tests/tests/it/cli/` drives.)

use flightdeck_testsupport::cli::Cli;

#[test]
fn help_documents_every_exit_code() {
    let cli = Cli::new();
    let out = cli.ok(["--help"]);
    for line in [
        "0  ok",
        "1  unexpected",
        "2  usage",
        "3  not found",
        "4  invalid or refused",
        "5  verification failed",
        "6  import error",
        "7  store error",
        "8  steps failed",
        "9  the OS keyring cannot be used",
    ] {
        assert!(out.contains(line), "--help documents `{line}`: {out}");
    }
    assert!(
        cli.ok(["run", "--help"]).contains("Exit codes:"),
        "each command's help has the table too"
    );
}

#[test]
fn a_usage_error_is_one_line_and_exit_2() {
    // `fails` checks the documented shape: one `error: ` line on stderr, nothing on stdout.
    Cli::new().usage_error(["fly"]);
}
