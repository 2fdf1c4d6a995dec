//! Exit codes and the one-line error report.
//!
//! Owns the documented codes and the mapping from the engine's `ErrorKind` to them (an
//! exhaustive match: a new kind does not compile until it has an exit code), and with it each
//! error's `--json` code (`classify`: the kind's own name, as the app's IPC codes are). Errors
//! are printed as one `error: ...` line on stderr, or with `--json` as one JSON object
//! (docs/json/error.schema.json); anything else goes to stdout.

use std::io::Write;
use std::process::ExitCode;

use flightdeck_engine::environments::EnvError;
use flightdeck_engine::run;
use flightdeck_engine::runbook::ImportError;
use flightdeck_engine::secrets::KeyringError;
use flightdeck_engine::signals::SignalError;
use flightdeck_engine::store::StoreError;
use flightdeck_engine::{ErrorKind, HasKind};

pub const OK: u8 = 0;
pub const UNEXPECTED: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const REFUSED: u8 = 4;
pub const VERIFY_FAILED: u8 = 5;
pub const IMPORT: u8 = 6;
pub const STORE: u8 = 7;
pub const STEPS_FAILED: u8 = 8;
pub const KEYRING: u8 = 9;
pub const UNAUTHENTICATED: u8 = 10;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  unexpected error
  2  usage error (unknown command, missing or bad argument)
  3  not found (run, item, field, metadata key, sign-off)
  4  invalid or refused (bad value, ambiguous run id, incomplete sign-off, GO over an unchecked
     criterion, already recorded, unknown sandbox fault); refused by a rule of who may do what,
     named in the message: known-person (the actor is not known to the run),
     approver-not-executor, signer-not-checker (four-eyes; --solo --reason overrides),
     distinct-approvers (one person says GO once)
  5  verification failed (`run verify` found an altered, missing or reordered event, or a keyed
     checkpoint that does not match; with --require-keyed, a run not keyed here; a log that does
     not hold together; an archive that does not verify)
  6  import error (the runbook cannot be read or imported)
  7  store error (the store file cannot be opened, read or written; a read-only store refuses writes)
  8  steps failed (`run step | section | all`: a probe failed or an expectation did not hold);
     `slo status`: an SLO is critical (its error budget burns at a page rate); `flag set`,
     `breaker trip | reset`: the change failed, recorded as failed
  9  the OS keyring cannot be used (locked, no Secret Service, no D-Bus; the message says what to do)
 10  archive intact, signer not authenticated (`archive verify | show`: the file is exactly what was
     signed, but no pinned certificate, trusted signer or --ca vouches for who signed it)";

/// A command that ran to its end and failed in a documented way that is not an engine error.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    /// `run verify` found a bad event, or an archive does not verify (exit 5).
    #[error("{0}")]
    Verify(String),
    /// An archive is intact but nothing the reviewer trusts vouches for its signer (exit 10).
    #[error("{0}")]
    Unauthenticated(String),
    /// A probe failed or an expectation did not hold (exit 8).
    #[error("{0}")]
    Steps(String),
    /// `slo status` found an SLO critical (exit 8).
    #[error("{0}")]
    SloCritical(String),
    /// The store file's place cannot be found or made (exit 7, like any store failure).
    #[error("{0}")]
    StoreDir(String),
    /// A usage error found after parsing (`flightdeck help NOPE`): exit 2.
    #[error("{0}")]
    Usage(String),
}

/// The exit code of an engine error's kind.
pub fn code_for(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::NotFound => NOT_FOUND,
        ErrorKind::Invalid | ErrorKind::Incomplete | ErrorKind::Conflict | ErrorKind::Confirm => REFUSED,
        ErrorKind::Import => IMPORT,
        ErrorKind::Store => STORE,
        ErrorKind::Keyring => KEYRING,
        ErrorKind::Integrity => VERIFY_FAILED,
        ErrorKind::Internal => UNEXPECTED,
    }
}

/// The kind of `err` when it is one of the engine's (or the archive's) errors.
fn kind_of(err: &anyhow::Error) -> Option<ErrorKind> {
    fn k<E: HasKind + Send + Sync + 'static>(err: &anyhow::Error) -> Option<ErrorKind> {
        err.downcast_ref::<E>().map(HasKind::kind)
    }
    k::<run::Error>(err)
        .or_else(|| k::<StoreError>(err))
        .or_else(|| k::<EnvError>(err))
        .or_else(|| k::<KeyringError>(err))
        .or_else(|| k::<ImportError>(err))
        .or_else(|| k::<SignalError>(err))
        .or_else(|| k::<flightdeck_archive::Error>(err))
        .or_else(|| k::<flightdeck_engine::controls::ControlError>(err))
        .or_else(|| k::<flightdeck_engine::backup::Error>(err))
}

/// What `err` is: its `code` under `--json` and its exit code, decided together. An engine
/// error's code is its kind's name (`ErrorKind::as_str`, the very strings the app's IPC
/// `ErrorCode` serializes to); the CLI's own failures add `steps_failed`, `slo_critical`,
/// `unauthenticated` and `usage`; anything else is `internal` (exit 1).
pub fn classify(err: &anyhow::Error) -> (&'static str, u8) {
    if let Some(failed) = err.downcast_ref::<Failed>() {
        match failed {
            Failed::Verify(_) => (ErrorKind::Integrity.as_str(), VERIFY_FAILED),
            Failed::Unauthenticated(_) => ("unauthenticated", UNAUTHENTICATED),
            Failed::Steps(_) => ("steps_failed", STEPS_FAILED),
            Failed::SloCritical(_) => ("slo_critical", STEPS_FAILED),
            Failed::StoreDir(_) => (ErrorKind::Store.as_str(), STORE),
            Failed::Usage(_) => ("usage", USAGE),
        }
    } else if let Some(kind) = kind_of(err) {
        (kind.as_str(), code_for(kind))
    } else if let Some(flightdeck_sandbox::SandboxError::InvalidFault { .. }) = err.downcast_ref() {
        (ErrorKind::Invalid.as_str(), REFUSED)
    } else {
        (ErrorKind::Internal.as_str(), UNEXPECTED)
    }
}

pub fn exit_code(err: &anyhow::Error) -> u8 {
    classify(err).1
}

/// Report `err` and return its exit code: one `error: ...` line on stderr, or with `--json`
/// one JSON object, `{"error": {"code", "message", "exit", ...}}` (docs/json/error.schema.json).
pub fn fail(err: &anyhow::Error, json: bool) -> ExitCode {
    let code = exit_code(err);
    if json {
        let line = serde_json::to_string(&json_error(err)).unwrap_or_else(|_| {
            r#"{"error":{"code":"internal","message":"the error could not be written as JSON","exit":1}}"#
                .into()
        });
        let _ = writeln!(std::io::stderr(), "{line}");
        return ExitCode::from(code);
    }
    // Error text may quote a file or an event: no control character reaches the terminal.
    let line = format!("{err:#}").replace('\n', " ");
    let line = crate::render::esc(&line);
    let _ = writeln!(std::io::stderr(), "error: {line}");
    ExitCode::from(code)
}

/// `err` as `--json` reports it: its code, the whole message, the exit code, and where it is
/// when the error knows (a runbook's file and line; what was not found, with a suggestion; what
/// a refusal found not done; the step and environment to confirm; the runs a prefix matches).
pub fn json_error(err: &anyhow::Error) -> serde_json::Value {
    use serde_json::json;
    let (code, exit) = classify(err);
    let mut e = json!({"code": code, "message": format!("{err:#}"), "exit": exit});
    let mut add = |key: &str, value: serde_json::Value| {
        if let Some(o) = e.as_object_mut() {
            o.insert(key.into(), value);
        }
    };
    let run_err = err
        .downcast_ref::<run::Error>()
        .or_else(|| match err.downcast_ref() {
            Some(flightdeck_archive::Error::Run(e)) => Some(e),
            _ => None,
        });
    match run_err {
        Some(run::Error::NotFound {
            what, id, suggestion, ..
        }) => {
            add("what", json!(what));
            add("id", json!(id));
            add("suggestion", json!(suggestion));
        }
        Some(run::Error::Incomplete { missing, .. }) => add("missing", json!(missing)),
        Some(run::Error::NeedsConfirmation { step, env }) => {
            add("step", json!(step));
            add("env", json!(env));
        }
        _ => {}
    }
    let import = err.downcast_ref::<ImportError>().or(match run_err {
        Some(run::Error::Import(e)) => Some(e),
        _ => None,
    });
    if let Some(i) = import {
        add("file", json!(i.file));
        add("line", json!(i.line));
    }
    let store_err = err.downcast_ref::<StoreError>().or(match run_err {
        Some(run::Error::Store(e)) => Some(e),
        _ => None,
    });
    if let Some(StoreError::AmbiguousRun { matches, .. }) = store_err {
        add("matches", json!(matches));
    }
    json!({ "error": e })
}

/// Help and version go to stdout with 0. A usage error is clap's own message on stderr with 2:
/// what is missing or wrong (named), a suggestion for a misspelt command or flag, the possible
/// values, the command's usage, and a pointer to that command's `--help`. A command group given
/// without its subcommand (`flightdeck run`) prints its help on stderr, also with 2.
pub fn usage(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::from(OK)
        }
        _ if json_asked(std::env::args().skip(1)) => {
            let _ = writeln!(std::io::stderr(), "{}", usage_json(&e));
            ExitCode::from(USAGE)
        }
        // `flightdeck run`: what the group can do, its help, on stderr.
        ErrorKind::MissingSubcommand => {
            let help = group_help(std::env::args().skip(1)).unwrap_or_else(|| e.render().to_string());
            let _ = std::io::stderr().write_all(help.as_bytes());
            ExitCode::from(USAGE)
        }
        _ => {
            let rendered = e.render().to_string();
            let _ = std::io::stderr().write_all(own_help(&rendered).as_bytes());
            ExitCode::from(USAGE)
        }
    }
}

/// `--json` among the arguments (before a `--`): a usage error is then reported as JSON too.
fn json_asked(args: impl Iterator<Item = String>) -> bool {
    args.take_while(|a| a != "--").any(|a| a == "--json")
}

/// A usage error as `--json` reports it: `usage`, clap's first line as the message, the whole
/// of clap's text (suggestions, possible values, the usage line) as `detail`.
fn usage_json(e: &clap::Error) -> String {
    let rendered = own_help(&e.render().to_string());
    let message = rendered
        .lines()
        .next()
        .unwrap_or("usage error")
        .trim_start_matches("error: ")
        .to_string();
    let value = serde_json::json!({"error": {
        "code": "usage", "message": message, "exit": USAGE, "detail": rendered.trim_end(),
    }});
    value.to_string()
}

/// clap's "try '--help'" made to name the command the arguments reached
/// (`try 'flightdeck run check --help'`).
fn own_help(rendered: &str) -> String {
    let path = command_path(std::env::args().skip(1));
    rendered.replace("try '--help'", &format!("try '{path} --help'"))
}

/// The long help of the command group `args` reach.
fn group_help(args: impl Iterator<Item = String>) -> Option<String> {
    let path = command_path(args);
    let mut cmd = crate::help::command();
    cmd.build();
    let mut at = &cmd;
    for name in path.split(' ').skip(1) {
        at = at.find_subcommand(name)?;
    }
    Some(at.clone().render_long_help().to_string())
}

/// `flightdeck` and the subcommands `args` name, in order (options and their values skipped).
fn command_path(args: impl Iterator<Item = String>) -> String {
    let mut cmd = crate::help::command();
    let mut path = vec![cmd.get_name().to_string()];
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if let Some(flag) = arg.strip_prefix("--") {
            // A global option's value is the next argument unless given with `=`.
            if !flag.contains('=') && matches!(flag, "store" | "config-dir") {
                args.next();
            }
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        match cmd.find_subcommand(&arg) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                cmd = sub.clone();
            }
            None => break,
        }
    }
    path.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes `--json` errors may carry: docs/json/error.schema.json's `code` enum.
    fn documented_codes() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json/error.schema.json");
        let text = std::fs::read_to_string(path).expect("docs/json/error.schema.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        v["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("a code enum")
            .iter()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect()
    }

    /// Every engine kind's name (the app's IPC codes) and every CLI failure's code is documented
    /// in the error schema, and each keeps its exit code.
    #[test]
    fn every_error_code_is_documented_and_keeps_its_exit_code() {
        let documented = documented_codes();
        for kind in ErrorKind::ALL {
            assert!(
                documented.iter().any(|c| c == kind.as_str()),
                "{kind} not in error.schema.json"
            );
        }
        let failed = [
            (Failed::Verify(String::new()), "integrity", VERIFY_FAILED),
            (
                Failed::Unauthenticated(String::new()),
                "unauthenticated",
                UNAUTHENTICATED,
            ),
            (Failed::Steps(String::new()), "steps_failed", STEPS_FAILED),
            (Failed::SloCritical(String::new()), "slo_critical", STEPS_FAILED),
            (Failed::StoreDir(String::new()), "store", STORE),
            (Failed::Usage(String::new()), "usage", USAGE),
        ];
        for (f, code, exit) in failed {
            let (c, e) = classify(&anyhow::Error::from(f));
            assert_eq!((c, e), (code, exit));
            assert!(documented.iter().any(|d| d == c), "{c} not in error.schema.json");
        }
        let (c, e) = classify(&anyhow::anyhow!("something else"));
        assert_eq!((c, e), ("internal", UNEXPECTED));
        let e = json_error(&anyhow::Error::from(run::Error::NotFound {
            what: "item",
            id: "1.x".into(),
            place: "run 0123".into(),
            suggestion: Some("1.y".into()),
        }));
        assert_eq!(e["error"]["code"], "not_found");
        assert_eq!(e["error"]["exit"], NOT_FOUND);
        assert_eq!(e["error"]["suggestion"], "1.y");
    }
}
