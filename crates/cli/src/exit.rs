//! Exit codes and the one-line error report.
//!
//! Owns the documented codes and the mapping from engine error codes to them. Errors are
//! printed as one `error: ...` line on stderr; anything else goes to stdout.

use std::io::Write;
use std::process::ExitCode;

use flightdeck_engine::run;
use flightdeck_engine::runbook::ImportError;
use flightdeck_engine::store::StoreError;

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

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ok
  1  unexpected error
  2  usage error (unknown command, missing or bad argument)
  3  not found (run, item, field, metadata key, sign-off)
  4  invalid or refused (bad value, ambiguous run id, incomplete sign-off, GO over an unchecked
     criterion, already recorded, unknown sandbox fault)
  5  verification failed (`run verify` found an altered, missing or reordered event)
  6  import error (the runbook cannot be read or imported)
  7  store error (the store file cannot be opened, read or written)
  8  steps failed (`run step | section | all`: a probe failed or an expectation did not hold)
  9  the OS keyring cannot be used (locked, no Secret Service, no D-Bus; the message says what to do)";

/// `run verify` found a bad event.
#[derive(Debug)]
pub struct VerifyFailed(pub String);

impl std::fmt::Display for VerifyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifyFailed {}

fn code_for(engine_code: &str) -> u8 {
    match engine_code {
        "not_found" => NOT_FOUND,
        "invalid" | "incomplete" | "conflict" | "confirm" => REFUSED,
        "import" => IMPORT,
        "store" => STORE,
        c if c.starts_with("keyring") => KEYRING,
        _ => UNEXPECTED,
    }
}

pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<VerifyFailed>().is_some() {
        VERIFY_FAILED
    } else if err.downcast_ref::<crate::step_cmd::StepsFailed>().is_some() {
        STEPS_FAILED
    } else if let Some(e) = err.downcast_ref::<run::Error>() {
        code_for(e.code())
    } else if let Some(e) = err.downcast_ref::<StoreError>() {
        code_for(e.code())
    } else if let Some(e) = err.downcast_ref::<flightdeck_engine::environments::EnvError>() {
        code_for(e.code())
    } else if let Some(e) = err.downcast_ref::<flightdeck_engine::secrets::KeyringError>() {
        code_for(e.code())
    } else if err.downcast_ref::<ImportError>().is_some() {
        IMPORT
    } else if err.downcast_ref::<crate::store_path::StoreDirError>().is_some() {
        STORE
    } else if let Some(flightdeck_sandbox::SandboxError::InvalidFault { .. }) = err.downcast_ref() {
        REFUSED
    } else {
        UNEXPECTED
    }
}

/// Report `err` on one line and return its exit code.
pub fn fail(err: &anyhow::Error) -> ExitCode {
    let line = format!("{err:#}").replace('\n', " ");
    let _ = writeln!(std::io::stderr(), "error: {line}");
    ExitCode::from(exit_code(err))
}

/// Help and version go to stdout with 0; a usage error is one line on stderr with 2.
pub fn usage(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::from(OK)
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: bad arguments");
            let first = if first.starts_with("error:") {
                first.to_string()
            } else {
                format!("error: {first}")
            };
            let _ = writeln!(std::io::stderr(), "{first} (see `flightdeck --help`)");
            ExitCode::from(USAGE)
        }
    }
}
