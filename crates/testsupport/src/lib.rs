//! What Flightdeck's test crates share, written once (STYLE.md point 21; the shape of ripgrep's
//! `tests/util.rs` and GitButler's `but-testsupport`).
//!
//! - [`needs`]: what a test needs from the machine (a Secret Service, Postgres, a program), or
//!   the test is skipped with a note; under `CI` it fails instead, since CI must run everything.
//! - [`cli`] (feature `cli`): the `flightdeck` binary on a store in a temp dir, with the
//!   assertions every CLI test makes (success, one-line errors, exit codes, `--json`).
//! - [`schema`] (feature `schemas`): every `--json` output a [`cli::Cli`] sees validated against
//!   its command's JSON Schema in `docs/json/`.
//! - [`sandbox`]: the demo target, as a `flightdeck sandbox` process stopped on drop (feature
//!   `cli`) or in this process (feature `sandbox`).
//! - [`store`] (feature `engine`): a store with a run started in it.
//! - [`probe`] (feature `engine`): a probe spec from a one-step runbook, and running it.
//! - [`tamper`] (feature `engine`): a store rewritten whole, as someone with the file but not the
//!   key would rewrite it.
//! - [`leak`]: looking for a secret where it must not be (bytes, the store's files).
//! - [`prometheus`] (feature `prometheus`): a real Prometheus scraping a target every second,
//!   stopped on drop.
//! - [`fake_prom`]: a fake Prometheus HTTP API for the answers a real one will not give on
//!   demand (500, silence, 50 MB, NaN/Inf) and for seeing the headers a client sent.
//! - [`unprivileged`]: a child process that file permissions bind, even when the tests run as
//!   root.
//!
//! It is a dev-dependency only: nothing the engine, the CLI, the archive or the app ships depends
//! on it. It leaves each crate's own fixtures (the archive's finished M31 run, the app's mock
//! window) to that crate's tests.

pub mod fake_prom;
pub mod leak;
pub mod needs;
pub mod sandbox;
#[cfg(unix)]
pub mod unprivileged;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod probe;
#[cfg(feature = "prometheus")]
pub mod prometheus;
#[cfg(feature = "schemas")]
pub mod schema;
#[cfg(feature = "engine")]
pub mod store;
#[cfg(feature = "engine")]
pub mod tamper;
