//! The controls as the app's commands and the CLI call them: one function each over a store,
//! so a command is one line (preview → apply with reason and confirmation → read back, recorded
//! into the request's run).

use std::sync::Mutex;

use super::action::{apply_noted, preview, ControlReq, Preview};
use super::adapter::EnvTarget;
use super::{ControlError, ControlIntent, ControlRecord};
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
/// `by`): its intent before anything is sent, its outcome after. The store is locked only to
/// read the environment and to record, never across a call to the target.
pub async fn make_change(
    store: &Mutex<Store>,
    by: &str,
    req: &ControlReq,
) -> Result<ControlRecord, ControlError> {
    let t = target_of(&*locked(store)?, req)?;
    let run_ref = req.run.as_deref();
    let mut note = |i: &ControlIntent| record_intent(store, by, run_ref, i);
    let done = apply_noted(&t, req, None, &mut note).await?;
    record(store, by, run_ref, &done)?;
    Ok(done)
}

/// Records the intent `i` into `run_ref`, when there is one.
pub fn record_intent(
    store: &Mutex<Store>,
    by: &str,
    run_ref: Option<&str>,
    i: &ControlIntent,
) -> Result<(), ControlError> {
    if let Some(r) = run_ref {
        let req = run::RecordIntentReq {
            run: r.to_string(),
            intent: i.clone(),
        };
        run::record_intent(&mut *locked(store)?, by, req)?;
    }
    Ok(())
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

/// A run's environment's flags and breakers, with the run's runbook's expected flag states and
/// the drift: what the app's Controls view shows. A side that cannot be read (the admin API
/// down, no `ADMIN_URL`) is its error, redacted, and the other side still shows.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ControlsOverview {
    pub env: String,
    pub production: bool,
    /// The flags adapter (`None` when the environment names none that can be built).
    pub adapter: Option<super::AdapterKind>,
    pub flags: Vec<super::FlagState>,
    pub flags_error: Option<String>,
    pub breakers: Vec<super::BreakerState>,
    pub breakers_error: Option<String>,
    /// Each expectation of the run's runbook against the flags as read.
    pub drift: Vec<super::DriftRow>,
}

/// The flags, breakers and drift of `run_ref`'s environment.
pub async fn overview(store: &Mutex<Store>, run_ref: &str) -> Result<ControlsOverview, ControlError> {
    use super::adapter::Controls;
    let (t, expected) = {
        let s = locked(store)?;
        let loaded = run::load(&s, run_ref)?;
        let t = EnvTarget::load(&s, &loaded.record.env, Keyring::open)?;
        (t, loaded.runbook.expectations)
    };
    let shown = |e: ControlError| t.redact(&e.to_string());
    let (adapter, flags) = match t.flags_adapter(None) {
        Ok(a) => (Some(a.kind()), a.flags().await.map_err(shown)),
        Err(e) => (None, Err(shown(e))),
    };
    let breakers = match t.http() {
        Ok(h) => h.breakers().await.map_err(shown),
        Err(e) => Err(shown(e)),
    };
    let flags_read = flags.as_deref().unwrap_or(&[]);
    Ok(ControlsOverview {
        env: t.name.clone(),
        production: t.production,
        adapter,
        drift: super::drift(&expected, flags_read),
        flags_error: flags.as_ref().err().cloned(),
        flags: flags.unwrap_or_default(),
        breakers_error: breakers.as_ref().err().cloned(),
        breakers: breakers.unwrap_or_default(),
    })
}

/// The longest a read again waits (a breaker's open interval is seconds to minutes).
pub const READ_AGAIN_MAX_MS: u64 = 600_000;

/// A control to read again some time after a change, as the app asks for it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReadAgainReq {
    /// The change as it was applied (its environment, target and run).
    pub change: ControlReq,
    /// The attempt it follows (`ControlRecord::attempt`).
    #[serde(default)]
    pub attempt: Option<String>,
    /// What the change set (`ControlRecord::to`).
    pub expected: super::Setting,
    /// How long after the change to read it (a breaker's open interval), in milliseconds; at
    /// most [`READ_AGAIN_MAX_MS`].
    pub after_ms: u64,
}

/// Waits `req.after_ms`, reads the control again and records the read into the change's run (as
/// `by`): a state that drifted back on its own, or one that cannot be read, is `held: false`.
/// The store is not locked while waiting or reading.
pub async fn read_again(
    store: &Mutex<Store>,
    by: &str,
    req: &ReadAgainReq,
) -> Result<super::ReadAgain, ControlError> {
    if req.after_ms > READ_AGAIN_MAX_MS {
        return Err(ControlError::Invalid(format!(
            "read it again after at most {} s, not {} s",
            READ_AGAIN_MAX_MS / 1000,
            req.after_ms / 1000
        )));
    }
    require_actor(by, &req.change)?;
    let t = target_of(&*locked(store)?, &req.change)?;
    tokio::time::sleep(std::time::Duration::from_millis(req.after_ms)).await;
    let now = preview(&t, &req.change.target, req.change.adapter).await;
    let read = super::ReadAgain {
        env: t.name.clone(),
        target: req.change.target.clone(),
        attempt: req.attempt.clone(),
        after_ms: req.after_ms,
        expected: req.expected.clone(),
        held: now.as_ref().is_ok_and(|p| p.from == req.expected),
        error: now.as_ref().err().map(|e| t.redact(&e.to_string())),
        state: now.ok().map(|p| p.from),
    };
    if let Some(r) = &req.change.run {
        let rec = run::RecordReadAgainReq {
            run: r.clone(),
            read: read.clone(),
        };
        run::record_read_again(&mut *locked(store)?, by, rec)?;
    }
    Ok(read)
}

/// The state of the control `req` names, now.
pub async fn read_now(store: &Mutex<Store>, req: &ControlReq) -> Result<super::Setting, ControlError> {
    Ok(preview_change(store, req).await?.from)
}
