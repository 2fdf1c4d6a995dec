//! The `flightdeck` binary's help and shell integration: the exit-code table in `flightdeck help
//! exit-codes` (not repeated in every help), a command group without its subcommand listing them,
//! arguments named for what they are, options only where they do something, shell completions
//! and a man page; usage errors exit 2. (It also makes `cargo test --workspace` build the binary
//! that `tests/tests/it/cli/` drives.)

use flightdeck_testsupport::cli::exit::USAGE;
use flightdeck_testsupport::cli::Cli;

#[test]
fn help_exit_codes_documents_every_exit_code() {
    let cli = Cli::new();
    let out = cli.ok(["help", "exit-codes"]);
    for line in [
        " 0  ok",
        " 1  unexpected",
        " 2  usage",
        " 3  not found",
        " 4  invalid or refused",
        " 5  verification failed",
        " 6  import error",
        " 7  store error",
        " 8  steps failed",
        " 9  the OS keyring cannot be used",
        "10  archive intact, signer not authenticated",
    ] {
        assert!(out.contains(line), "help exit-codes documents `{line}`: {out}");
    }
    let top = cli.ok(["--help"]);
    assert!(top.contains("flightdeck help exit-codes"), "{top}");
    let run = cli.ok(["run", "--help"]);
    assert!(
        !run.contains("Exit codes:"),
        "the table is not repeated in every help: {run}"
    );
    let check = cli.ok(["help", "run", "check"]);
    assert!(check.contains("Usage: flightdeck run check"), "{check}");
}

#[test]
fn a_command_group_without_its_subcommand_lists_them() {
    let out = Cli::new().exits(USAGE, ["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Commands:") && stderr.contains("check") && stderr.contains("output"),
        "{stderr}"
    );
}

#[test]
fn arguments_are_named_for_what_they_are_and_options_listed_where_they_work() {
    let cli = Cli::new();
    let signoff = cli.ok(["run", "signoff", "--help"]);
    assert!(
        signoff.contains("<SIGNOFF>") && !signoff.contains("<SECTION>"),
        "{signoff}"
    );
    let step = cli.ok(["run", "step", "--help"]);
    assert!(
        !step.contains("--concurrency"),
        "one step has nothing to run concurrently: {step}"
    );
    assert!(cli.ok(["run", "section", "--help"]).contains("--concurrency"));
}

#[test]
fn completions_for_bash_zsh_and_fish_and_a_man_page() {
    let cli = Cli::new();
    let bash = cli.ok(["completions", "bash"]);
    assert!(
        bash.contains("complete -F") && bash.contains("flightdeck"),
        "{bash}"
    );
    let zsh = cli.ok(["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef flightdeck"), "{zsh}");
    let fish = cli.ok(["completions", "fish"]);
    assert!(fish.contains("complete -c flightdeck"), "{fish}");
    cli.usage_error(["completions", "tcsh"]);
    let man = cli.ok(["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH flightdeck"), "{man}");
    assert!(man.contains("run"), "{man}");
}

#[test]
fn a_usage_error_exits_2() {
    Cli::new().usage_error(["fly"]);
}
