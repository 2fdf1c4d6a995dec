//! The command line as clap builds it, with what derive cannot say: a description for the
//! arguments every command group shares (`RUN`, `ENV`, ...) and for those of commands whose
//! modules leave them bare; `flightdeck help [COMMAND…|exit-codes]`; shell completions
//! (clap_complete) and the man page (clap_mangen).

use std::io::Write;

use clap::{Command, CommandFactory};

use crate::exit;

/// Arguments described the same wherever they appear, by id.
const SHARED: &[(&str, &str)] = &[
    (
        "run",
        "The run: its id, a unique prefix (4+ characters), @latest or @latest:ENV",
    ),
    ("env", "The environment (`flightdeck env list`)"),
    (
        "step",
        "The step id (`flightdeck runbook inspect FILE` lists them)",
    ),
    ("provider", "The provider whose circuit breaker it is"),
];

/// Arguments described for one command (its name, the argument's id).
const BY_COMMAND: &[(&str, &str, &str)] = &[
    ("verify", "file", "The archive PDF to check"),
    ("show", "file", "The archive PDF to show"),
    ("import-identity", "key", "Your organisation's signing key (PEM)"),
    ("import-identity", "cert", "The certificate of that key (PEM)"),
    (
        "rm",
        "signer",
        "A trusted signer's name, or a fingerprint prefix (8 hex digits at least)",
    ),
    ("show", "key", "The flag's key"),
    ("set", "key", "The flag's key"),
    (
        "export",
        "systemd",
        "Write systemd user units (a .timer and a .service)",
    ),
    ("export", "by", "Who the units' watch records its events as"),
    (
        "test",
        "route",
        "The alert route to test (`flightdeck alert routes`)",
    ),
    (
        "test",
        "env",
        "The environment whose keyring secrets the receivers use",
    ),
    ("run", "env", "The environment whose database to back up"),
    (
        "set-var",
        "key",
        "The variable's name (`${KEY}` in annotations, `$KEY` in shell steps)",
    ),
    ("set-var", "value", "Its value"),
    ("unset-var", "key", "The stored variable's name"),
    (
        "set",
        "name",
        "The secret's name (`${secret:NAME}` in annotations)",
    ),
    ("rm", "name", "The secret's name"),
    (
        "drill",
        "backup",
        "A backup manifest, a dump, or a folder (its newest backup)",
    ),
];

/// The whole command line: `Cli` with its bare arguments described, and the global options a
/// command does not use left out of its help (`UNUSED_GLOBALS`).
pub fn command() -> Command {
    let cmd = describe(crate::Cli::command());
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    hide_unused_globals(cmd, &[], &globals)
}

/// Commands (as paths) and the global options (ids) they do nothing with: the sandbox serves and
/// switches faults without a store or config folder; completions, the man page and help print
/// what the command line is.
const UNUSED_GLOBALS: &[(&[&str], &[&str])] = &[
    (&["sandbox"], &["store", "config_dir", "create"]),
    (&["completions"], &["store", "config_dir", "create", "json"]),
    (&["man"], &["store", "config_dir", "create", "json"]),
    (&["help"], &["store", "config_dir", "create", "json"]),
];

/// Under a command that hides a global, the subcommands that use it after all: `sandbox fault`
/// reads the sandbox environment's `SANDBOX_URL` from the store.
const USED_AGAIN: &[(&[&str], &[&str])] = &[(&["sandbox", "fault"], &["store"])];

/// `cmd` (at `path`) and its subcommands, each given a hidden copy of the globals `UNUSED_GLOBALS`
/// names for it (and a shown one of those `USED_AGAIN` names): clap then propagates the top's
/// global there no more (a command's own argument of the same id wins), so its help leaves it out,
/// while it is still accepted (a `FLIGHTDECK_STORE` in the environment never breaks the command).
fn hide_unused_globals(mut cmd: Command, path: &[&str], globals: &[clap::Arg]) -> Command {
    for (table, hide) in [(UNUSED_GLOBALS, true), (USED_AGAIN, false)] {
        for (at, ids) in table {
            if *at == path {
                for g in globals.iter().filter(|g| ids.contains(&g.get_id().as_str())) {
                    cmd = cmd.arg(g.clone().hide(hide));
                }
            }
        }
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        let mut sub_path = path.to_vec();
        sub_path.push(&name);
        let below = |(at, _): &&(&[&str], &[&str])| at.starts_with(&sub_path);
        if UNUSED_GLOBALS.iter().chain(USED_AGAIN).any(|e| below(&e)) {
            cmd = cmd.mut_subcommand(&name, |s| hide_unused_globals(s, &sub_path, globals));
        }
    }
    cmd
}

fn describe(cmd: Command) -> Command {
    let name = cmd.get_name().to_string();
    // A command group given alone (`flightdeck run`) shows its help: what it can do.
    let group = cmd.has_subcommands();
    cmd.arg_required_else_help(group)
        .mut_args(|arg| {
            if arg.get_help().is_some() {
                return arg;
            }
            let id = arg.get_id().as_str().to_string();
            let help = BY_COMMAND
                .iter()
                .find(|(c, a, _)| *c == name && *a == id)
                .map(|(_, _, h)| *h)
                .or_else(|| SHARED.iter().find(|(a, _)| *a == id).map(|(_, h)| *h));
            match help {
                Some(h) => arg.help(h),
                None => arg,
            }
        })
        .mut_subcommands(describe)
}

/// `flightdeck help exit-codes`, or the help of the command `path` names.
pub fn help(path: &[String]) -> anyhow::Result<()> {
    if path == ["exit-codes"] {
        return crate::render::print(&format!("{}\n", exit::EXIT_CODES_HELP));
    }
    let mut cmd = command();
    cmd.build();
    let mut at = &cmd;
    for name in path {
        at = at.find_subcommand(name).ok_or_else(|| {
            let mut known: Vec<&str> = at.get_subcommands().map(Command::get_name).collect();
            known.push("exit-codes");
            crate::exit::Failed::Usage(format!(
                "no command or help topic `{name}` (known: {})",
                known.join(", ")
            ))
        })?;
    }
    let text = at.clone().render_long_help().to_string();
    crate::render::print(&text)
}

/// The completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "flightdeck", &mut out);
    write_all(&out)
}

/// The man page (roff) on stdout: `flightdeck man > flightdeck.1`.
pub fn man() -> anyhow::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command()).render(&mut out)?;
    write_all(&out)
}

fn write_all(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

#[cfg(test)]
/// `docs/cli.md`: every command, its usage and each argument and option with its description,
/// as `--help` says them (a test keeps the file equal to this).
pub fn markdown() -> String {
    let mut cmd = command();
    cmd.build();
    let mut o = String::from(
        "# The `flightdeck` command line\n\n\
         Generated from the CLI's own definition (`FLIGHTDECK_BLESS=1 cargo test -p flightdeck-cli \
         docs_cli_md`); a test fails when it and `--help` differ. Exit codes: `flightdeck help exit-codes`.\n",
    );
    markdown_of(&cmd, "flightdeck", &mut o);
    o
}

#[cfg(test)]
fn markdown_of(cmd: &Command, path: &str, o: &mut String) {
    let top = path == "flightdeck";
    let args: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .filter(|a| top || !a.is_global_set())
        .collect();
    // A command of its own: a leaf, the top, or a group that also runs (`watch RUN`, `sandbox`).
    if top || !cmd.has_subcommands() || !args.is_empty() {
        o.push_str(&format!("\n## `{path}`\n\n"));
        if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
            o.push_str(&format!("{about}\n\n"));
        }
        let usage = cmd.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim();
        o.push_str(&format!("```\n{usage}\n```\n"));
        if !args.is_empty() {
            o.push_str("\n| argument | description |\n|---|---|\n");
            for a in args {
                let help = a
                    .get_long_help()
                    .or(a.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                o.push_str(&format!(
                    "| `{}` | {} |\n",
                    arg_name(a),
                    help.replace('\n', " ").replace('|', "\\|")
                ));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        markdown_of(sub, &format!("{path} {}", sub.get_name()), o);
    }
}

#[cfg(test)]
/// `--by <NAME>`, `-v, --verbose`, `<RUN>`.
fn arg_name(a: &clap::Arg) -> String {
    let value = a
        .get_value_names()
        .map(|v| v.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| format!("<{}>", a.get_id().as_str().to_uppercase()));
    let takes_value = a.get_action().takes_values();
    match (a.get_short(), a.get_long()) {
        (_, None) => value,
        (short, Some(long)) => {
            let short = short.map(|s| format!("-{s}, ")).unwrap_or_default();
            if takes_value {
                format!("{short}--{long} {value}")
            } else {
                format!("{short}--{long}")
            }
        }
    }
}
