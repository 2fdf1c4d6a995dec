//! Flightdeck's engine: everything the app does, headless and without Tauri.
//!
//! `runbook` turns Markdown into the model; `store` keeps runs as hash-chained event logs in
//! SQLite; `run` folds a log into the state the CLI and the app show and checks each command
//! (completeness before a sign-off, criteria before a GO) before it becomes an event; `probe`
//! runs a step (shell, HTTP, SQL, PromQL, git, SLO) under a deadline and judges what it observed;
//! `signals` reads an environment's golden signals and evaluates its SLOs' error budgets.
//! Every error type reports its [`error::ErrorKind`], which the CLI and the app both match.

pub use error::{ErrorKind, HasKind};

pub mod backup;
pub mod clock;
pub mod controls;
pub mod environments;
pub mod error;
pub mod probe;
pub mod run;
pub mod runbook;
pub mod secrets;
pub mod signals;
pub mod store;
pub mod watch;
