//! `create`: import a runbook and start a run of it (the `run_created` event).

use super::Error;
use crate::runbook;
use crate::store::{NewRun, RunRecord, Store};

#[derive(Debug, Clone)]
pub struct CreateReq {
    /// The file name, for messages and for the run record.
    pub runbook_name: String,
    pub source: Vec<u8>,
    pub env: String,
    pub release: String,
    pub by: String,
}

/// Import `source` (an import error refuses the run) and create the run with its first event.
pub fn create(store: &mut Store, req: CreateReq) -> Result<RunRecord, Error> {
    let actor = super::require("--by (who creates the run)", &req.by)?;
    let env = super::require("--env", &req.env)?;
    let release = super::require("--release", &req.release)?;
    let book = runbook::parse(&req.runbook_name, &req.source)?;
    // The parser accepted the bytes, but the store keeps the source as text.
    let source = String::from_utf8(req.source).map_err(|e| {
        Error::Import(runbook::ImportError {
            file: req.runbook_name.clone(),
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
