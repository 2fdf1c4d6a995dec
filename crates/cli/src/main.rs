//! `flightdeck`: the command line over the engine.
//!
//! Owns argument parsing, the choice of store file, and turning outcomes into output and exit
//! codes. Each command group lives in its own module (`runbook_cmd`, `run_cmd`, `signals_cmd`);
//! human output is drawn in `render`; `exit` maps errors to the documented codes. No run logic
//! lives here.

mod alert_cmd;
mod archive_cmd;
mod archive_signer;
mod args;
mod backup_cmd;
mod control_cmd;
mod control_out;
mod correct_cmd;
mod cosign_cmd;
mod dry_run_cmd;
mod env_cmd;
mod exit;
mod help;
mod interrupt;
mod json_out;
mod output_cmd;
mod people_cmd;
mod render;
mod render_decision;
mod run_args;
mod run_cmd;
mod run_verify;
mod run_view;
mod runbook_cmd;
mod sandbox_cmd;
mod secret_cmd;
mod signals_cmd;
mod step_cmd;
mod store_cmd;
mod store_path;
mod vars;
mod watch_cmd;
mod watch_report_cmd;
mod who;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "Executable, evidence-capturing cutover runbooks, kept as hash-chained event logs.",
    after_help = "Exit codes: `flightdeck help exit-codes`. Help on a command: `flightdeck help run check`.",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The store: an SQLite file [default: the platform data directory's
    /// flightdeck/flightdeck.sqlite], or a shared Postgres store `postgres://user@host/db`
    /// (password from the OS keyring: `store password`; TLS as `?sslmode=` says).
    #[arg(long, global = true, env = "FLIGHTDECK_STORE", value_name = "PATH|URL")]
    store: Option<PathBuf>,
    /// The config folder (the trusted archive signers) [default: $XDG_CONFIG_HOME/flightdeck].
    #[arg(long, global = true, env = "FLIGHTDECK_CONFIG_DIR", value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Print JSON for machines instead of text for people (a schema per command in docs/json/);
    /// an error is then one JSON object on stderr, `{"error": {"code", "message", "exit", ...}}`.
    #[arg(long, global = true)]
    json: bool,
    /// Create the store file if --store names one that does not exist (`run new`, `env new`,
    /// `env set-var` and `secret set` always may; any other command refuses a missing store
    /// rather than read an empty one).
    #[arg(long, global = true)]
    create: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read runbooks without running them.
    #[command(subcommand)]
    Runbook(runbook_cmd::RunbookCmd),
    /// Start, drive, show and verify runs.
    #[command(subcommand)]
    Run(run_cmd::RunCmd),
    /// Start the local sandbox target (the bundled runbook runs against it), or switch its faults.
    Sandbox(sandbox_cmd::SandboxCmd),
    /// Environments (sandbox, staging, production, your own): variables and the production flag.
    #[command(subcommand)]
    Env(env_cmd::EnvCmd),
    /// An environment's secrets, kept in the OS keyring only.
    #[command(subcommand)]
    Secret(secret_cmd::SecretCmd),
    /// The signed PDF archive of a run: export, verify offline, show.
    #[command(subcommand)]
    Archive(archive_cmd::ArchiveCmd),
    /// An environment's golden signals (latency, traffic, errors, saturation).
    #[command(subcommand)]
    Signals(signals_cmd::SignalsCmd),
    /// SLOs and their error budgets (multi-window, multi-burn-rate).
    #[command(subcommand)]
    Slo(signals_cmd::SloCmd),
    /// Feature flags: list, show, set (preview, reason, confirmation, read-back, evidence).
    #[command(subcommand)]
    Flag(control_cmd::FlagCmd),
    /// Circuit breakers: list, status, trip, reset (preview, reason, confirmation, read-back).
    #[command(subcommand)]
    Breaker(control_cmd::BreakerCmd),
    /// The D0–D7 watch of a run: run it (foreground), its plan, its status, systemd units.
    Watch(watch_cmd::WatchArgs),
    /// Alert routes and receivers (§15): list them, send a test alert.
    #[command(subcommand)]
    Alert(alert_cmd::AlertCmd),
    /// Backups with pg_dump, their manifests, and restore drills with a measured RTO.
    #[command(subcommand)]
    Backup(backup_cmd::BackupCmd),
    /// The shared Postgres store: keep its password in the OS keyring.
    #[command(subcommand)]
    Store(store_cmd::StoreCmd),
    /// Help on a command (`flightdeck help run check`), or a topic: `exit-codes`.
    Help {
        /// A command path (`run check`) or `exit-codes`.
        #[arg(value_name = "COMMAND|TOPIC")]
        topic: Vec<String>,
    },
    /// A shell completion script on stdout, e.g. `flightdeck completions bash >
    /// ~/.local/share/bash-completion/completions/flightdeck`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on stdout: `flightdeck man > flightdeck.1`.
    Man,
}

/// What every command gets besides its own arguments.
pub struct Ctx {
    pub store: Option<PathBuf>,
    pub config_dir: Option<PathBuf>,
    pub json: bool,
    /// The store may be created: `--create`, or a command that sets one up (`run new`, `env new`,
    /// `env set-var`, `secret set`).
    pub create: bool,
}

impl Ctx {
    /// `--config-dir`, else the platform's; `None` without a home directory.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.config_dir
            .clone()
            .or_else(flightdeck_engine::store::default_config_dir)
    }
}

fn main() -> ExitCode {
    use clap::FromArgMatches;
    let cli = match help::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return exit::usage(e),
    };
    let create = cli.create
        || matches!(
            cli.command,
            Command::Run(run_cmd::RunCmd::Record(
                run_cmd::RecordCmd::New(_) | run_cmd::RecordCmd::Pull { .. }
            )) | Command::Env(env_cmd::EnvCmd::New { .. } | env_cmd::EnvCmd::SetVar { .. })
                | Command::Secret(secret_cmd::SecretCmd::Set { .. })
        );
    let ctx = Ctx {
        store: cli.store,
        config_dir: cli.config_dir,
        json: cli.json,
        create,
    };
    let result = match cli.command {
        Command::Runbook(cmd) => runbook_cmd::run(&ctx, cmd),
        Command::Run(cmd) => run_cmd::run(&ctx, cmd),
        Command::Sandbox(cmd) => sandbox_cmd::run(&ctx, cmd),
        Command::Env(cmd) => env_cmd::run(&ctx, cmd),
        Command::Secret(cmd) => secret_cmd::run(&ctx, cmd),
        Command::Archive(cmd) => archive_cmd::run(&ctx, cmd),
        Command::Signals(cmd) => signals_cmd::signals(&ctx, cmd),
        Command::Slo(cmd) => signals_cmd::slo(&ctx, cmd),
        Command::Flag(cmd) => control_cmd::flag(&ctx, cmd),
        Command::Breaker(cmd) => control_cmd::breaker(&ctx, cmd),
        Command::Watch(args) => watch_cmd::watch(&ctx, args),
        Command::Alert(cmd) => alert_cmd::alert(&ctx, cmd),
        Command::Backup(cmd) => backup_cmd::run(&ctx, cmd),
        Command::Store(cmd) => store_cmd::run(&ctx, cmd),
        Command::Help { topic } => help::help(&topic),
        Command::Completions { shell } => help::completions(shell),
        Command::Man => help::man(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::fail(&err, ctx.json),
    }
}

#[cfg(test)]
mod tests {
    /// Every argument and option of every command, with the commands that lack a description.
    fn undescribed(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.get_help().is_none() && !matches!(id, "help" | "version") && !arg.is_hide_set() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (the command)", sub.get_name()));
            }
            undescribed(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }

    /// docs/cli.md is what `--help` says of every command, argument and option:
    /// `FLIGHTDECK_BLESS=1` writes it anew after a change to the command line.
    #[test]
    fn docs_cli_md_matches_the_help() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
        let expected = super::help::markdown();
        if std::env::var_os("FLIGHTDECK_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write docs/cli.md");
        }
        let documented = std::fs::read_to_string(path).unwrap_or_default();
        let doc_commands = commands_in(&documented);
        let help_commands = commands_in(&expected);
        assert_eq!(
            doc_commands, help_commands,
            "docs/cli.md's commands are --help's (FLIGHTDECK_BLESS=1 to regenerate)"
        );
        assert!(
            documented == expected,
            "docs/cli.md differs from --help: FLIGHTDECK_BLESS=1 cargo test -p flightdeck-cli docs_cli_md"
        );
    }

    /// Every `## `command`` heading and the options listed under it.
    fn commands_in(md: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for line in md.lines() {
            if let Some(h) = line.strip_prefix("## `").and_then(|h| h.strip_suffix('`')) {
                out.push((h.to_string(), Vec::new()));
            } else if let (Some(last), Some(arg)) = (out.last_mut(), line.strip_prefix("| `")) {
                last.1.push(arg.split('`').next().unwrap_or("").to_string());
            }
        }
        out
    }

    /// Commands that print text whatever `--json` says.
    const TEXT_ONLY: [&str; 3] = ["help", "completions", "man"];

    /// Every command that can be run (a leaf, or a group runnable alone: `watch RUN`,
    /// `sandbox`), as its words.
    fn runnable(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let subs: Vec<_> = cmd.get_subcommands().collect();
        if !path.is_empty() && (subs.is_empty() || !cmd.is_subcommand_required_set()) {
            out.push(path.clone());
        }
        for sub in subs {
            path.push(sub.get_name().to_string());
            runnable(sub, path, out);
            path.pop();
        }
    }

    /// Every command's `--json` output has a JSON Schema, docs/json/<words>.schema.json (the
    /// tests crate validates every output it sees against it); a new command without one fails
    /// here, named. And no schema is left for a command that is gone.
    #[test]
    fn every_command_has_a_json_schema() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json");
        let mut cmd = super::help::command();
        cmd.build();
        let mut commands = Vec::new();
        runnable(&cmd, &mut Vec::new(), &mut commands);
        let mut expected = vec!["defs.schema.json".to_string(), "error.schema.json".to_string()];
        let mut missing = Vec::new();
        for words in commands.iter().filter(|w| !TEXT_ONLY.contains(&w[0].as_str())) {
            let name = format!("{}.schema.json", words.join("-"));
            let path = dir.join(&name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let v: serde_json::Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("docs/json/{name} is not JSON: {e}"));
                    assert_eq!(
                        v["$schema"], "https://json-schema.org/draft/2020-12/schema",
                        "docs/json/{name}: draft 2020-12"
                    );
                    assert_eq!(
                        v["$id"],
                        format!("https://flightdeck.invalid/json/{name}"),
                        "docs/json/{name}: its $id"
                    );
                }
                Err(_) => missing.push(format!("flightdeck {} (docs/json/{name})", words.join(" "))),
            }
            expected.push(name);
        }
        assert!(missing.is_empty(), "commands without a JSON Schema: {missing:#?}");
        let mut stale: Vec<String> = std::fs::read_dir(&dir)
            .expect("docs/json")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".schema.json") && !expected.contains(n))
            .collect();
        stale.sort();
        assert!(stale.is_empty(), "schemas for no command: {stale:?}");
    }

    #[test]
    fn every_argument_and_option_has_a_description() {
        let mut cmd = super::help::command();
        cmd.build();
        let mut missing = Vec::new();
        undescribed(&cmd, "flightdeck", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:#?}");
    }
}
