//! The controls as the app's commands and the CLI call them: one function each over a store,
//! so a command is one line (preview → apply with reason and confirmation → read back, recorded
//! into the request's run).

use std::sync::Mutex;

use super::action::{apply, preview, ControlReq, Preview};
use super::adapter::EnvTarget;
use super::{ControlError, ControlRecord};
use crate::run;
use crate::secrets::Keyring;
use crate::store::Store;

fn locked(store: &Mutex<Store>) -> Result<std::sync::MutexGuard<'_, Store>, ControlError> {
    store
        .lock()
        .map_err(|_| ControlError::Invalid("the store lock was poisoned".into()))
}

/// The environment `req` names, with its secrets from the OS keyring; when `req` names a run,
/// the run must be on that environment.
pub fn target_of(store: &Store, req: &ControlReq) -> Result<EnvTarget, ControlError> {
    if let Some(r) = &req.run {
        let rec = store.resolve_run(r).map_err(run::Error::from)?;
        if rec.env != req.env {
            return Err(ControlError::Invalid(format!(
                "run {} is on environment `{}`, not `{}`",
                run::short_id(&rec.id),
                rec.env,
                req.env
            )));
        }
    }
    let mut t = EnvTarget::load(store, &req.env, Keyring::open)?;
    if let Some(ms) = req.deadline_ms {
        t.deadline = std::time::Duration::from_millis(ms.max(1));
    }
    Ok(t)
}

/// An attempt recorded into a run needs someone to have made it: checked before anything is
/// sent, so no change is made that could not be recorded.
pub fn require_actor(by: &str, req: &ControlReq) -> Result<(), ControlError> {
    if req.run.is_some() && by.trim().is_empty() {
        return Err(ControlError::Invalid(
            "who makes the change (--by) is required to record it into a run".into(),
        ));
    }
    Ok(())
}

/// What `req` would do; nothing is sent.
pub async fn preview_change(store: &Mutex<Store>, req: &ControlReq) -> Result<Preview, ControlError> {
    let t = target_of(&*locked(store)?, req)?;
    preview(&t, &req.target, req.adapter).await
}

/// Makes the change `req` asks for, reads it back, and records the attempt into `req.run` (as
/// `by`). The store is locked only to read the environment and to record, never across a call
/// to the target.
pub async fn make_change(
    store: &Mutex<Store>,
    by: &str,
    req: &ControlReq,
) -> Result<ControlRecord, ControlError> {
    let t = target_of(&*locked(store)?, req)?;
    let done = apply(&t, req, None).await?;
    record(store, by, req.run.as_deref(), &done)?;
    Ok(done)
}

/// Records `done` into `run_ref`, when there is one.
pub fn record(
    store: &Mutex<Store>,
    by: &str,
    run_ref: Option<&str>,
    done: &ControlRecord,
) -> Result<(), ControlError> {
    if let Some(r) = run_ref {
        let req = run::RecordControlReq {
            run: r.to_string(),
            record: done.clone(),
        };
        run::record_control(&mut *locked(store)?, by, req)?;
    }
    Ok(())
}
