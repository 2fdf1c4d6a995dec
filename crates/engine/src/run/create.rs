//! `create`: import a runbook and start a run of it (the `run_created` event).

use super::Error;
use crate::runbook;
use crate::store::{NewRun, RunRecord, Store};

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateReq {
    /// A runbook file path, or `bundled:NAME`.
    pub source: String,
    /// The target environment.
    pub env: String,
    /// The release this cutover ships, e.g. v1.0.0.
    pub release: String,
}

/// Read and import `req.source` (an import error refuses the run) and create the run, its
/// first event recorded as `by`.
pub fn create(store: &mut Store, by: &str, req: CreateReq) -> Result<RunRecord, Error> {
    let actor = super::require("--by (who creates the run)", by)?;
    let env = super::require("--env", &req.env)?;
    let release = super::require("--release", &req.release)?;
    known_env(store, &env)?;
    let (name, bytes) = runbook::read_source(req.source.trim())?;
    let book = runbook::parse(&name, &bytes)?;
    // The parser accepted the bytes, but the store keeps the source as text.
    let source = String::from_utf8(bytes).map_err(|e| {
        Error::Import(runbook::ImportError {
            file: name.clone(),
            line: 0,
            message: format!("not UTF-8 text ({e})"),
        })
    })?;
    Ok(store.create_run(NewRun {
        runbook_name: book.name,
        runbook_source: source,
        env,
        release,
        actor,
    })?)
}

/// Refuses an environment the store does not have, naming the ones it has (a run against a
/// mistyped environment would fail later, step by step, on variables it does not define).
fn known_env(store: &Store, env: &str) -> Result<(), Error> {
    let envs = crate::environments::Environments::open(store)
        .and_then(|e| e.list())
        .map_err(|e| Error::Invalid(e.to_string()))?;
    if envs.iter().any(|e| e.name == env) {
        return Ok(());
    }
    let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
    Err(Error::not_found(
        "environment",
        env,
        format!(
            "this store (known: {}; `flightdeck env new {env}` makes it)",
            names.join(", ")
        ),
        names.iter().copied(),
    ))
}
