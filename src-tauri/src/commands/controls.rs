//! Flag and breaker controls for the Controls view: one line each over
//! `flightdeck_engine::controls::ops` (list with expected state and drift, preview, apply with
//! the preview's "from" held to and the attempt recorded into the open run, read back).
//!
//! Each runs on the blocking pool with a runtime of its own, as steps do: the engine reads the
//! store and the OS keyring (which can take seconds) and calls the target with its own deadlines.
//! The admin token never leaves the engine: the answers carry states, never a secret.

use std::future::Future;
use std::sync::{Arc, Mutex};

use flightdeck_engine::controls::ops::{self, ControlsOverview, ReadAgainReq};
use flightdeck_engine::controls::{ControlError, ControlRecord, ControlReq, Preview, ReadAgain, Setting};
use flightdeck_engine::store::Store;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::host::Host;

/// A change as the window applies it: the engine's request, and the production environment
/// the user confirmed it on by name.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ApplyControlReq {
    /// Must name the open run (every attempt is recorded into it) and carry the preview's
    /// "from" (`expect_from`): a control changed since then is refused, nothing sent.
    pub change: ControlReq,
    /// The environment the user typed in the confirmation; on production the change is made
    /// only when it names the change's environment. `null` elsewhere.
    pub confirm_env: Option<String>,
}

/// `f` over the store on the blocking pool, in a runtime of its own.
async fn engine<T, F, Fut>(host: &Host, f: F) -> Result<T, IpcError>
where
    T: Send + 'static,
    F: FnOnce(Arc<Mutex<Store>>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ControlError>>,
{
    let store = host.store();
    tauri::async_runtime::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Internal,
                    format!("cannot start the controls runtime: {e}"),
                )
            })?;
        rt.block_on(f(store)).map_err(IpcError::from)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("controls task failed: {e}")))?
}

/// The run's environment's flags (state, rollout, expected, drift) and breakers.
#[tauri::command]
pub async fn list_controls(host: State<'_, Host>, run: String) -> Result<ControlsOverview, IpcError> {
    engine(&host, move |s| async move { ops::overview(&s, &run).await }).await
}

/// What a change would do (from → to, the environment, the inverse); nothing is sent.
#[tauri::command]
pub async fn preview_control(host: State<'_, Host>, req: ControlReq) -> Result<Preview, IpcError> {
    engine(&host, move |s| async move { ops::preview_change(&s, &req).await }).await
}

/// Make the change, read it back, and record the attempt into the run under the user's name.
/// Refused before anything is sent without a run, a preview's "from", a reason, or (production)
/// a confirmation naming the environment; a control changed since its preview is a `refused`
/// record (recorded too): the window previews again.
#[tauri::command]
pub async fn apply_control(host: State<'_, Host>, req: ApplyControlReq) -> Result<ControlRecord, IpcError> {
    let by = host.user_name()?;
    let change = confirmed(req)?;
    engine(
        &host,
        move |s| async move { ops::make_change(&s, &by, &change).await },
    )
    .await
}

/// The control's state now (read again after a breaker's open interval).
#[tauri::command]
pub async fn read_control(host: State<'_, Host>, req: ControlReq) -> Result<Setting, IpcError> {
    engine(&host, move |s| async move { ops::read_now(&s, &req).await }).await
}

/// A breaker changed from the window, read again after its open interval (`after_ms`, waited
/// here) and the read recorded into the change's run under the user's name, next to the change:
/// a forced state that drifted back on its own is `held: false`, in the answer and in the log.
#[tauri::command]
pub async fn read_again_control(host: State<'_, Host>, req: ReadAgainReq) -> Result<ReadAgain, IpcError> {
    let by = host.user_name()?;
    if req.change.run.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            "a read again from the window is recorded into the open run: no run given",
        ));
    }
    engine(
        &host,
        move |s| async move { ops::read_again(&s, &by, &req).await },
    )
    .await
}

/// The engine's request with `confirmed` set from the environment the user named, once the
/// window's own preconditions hold.
fn confirmed(req: ApplyControlReq) -> Result<ControlReq, IpcError> {
    let mut change = req.change;
    let invalid = |m: String| Err(IpcError::new(ErrorCode::Invalid, m));
    if change.run.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return invalid("a change from the window is recorded into the open run: no run given".into());
    }
    if change.expect_from.is_none() {
        return invalid("preview the change first: applying holds to the preview's \"from\"".into());
    }
    change.confirmed = match req.confirm_env.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(e) if e == change.env => true,
        Some(e) => {
            return invalid(format!(
                "the confirmation names environment `{e}`, but the change is on `{}`",
                change.env
            ))
        }
    };
    Ok(change)
}
