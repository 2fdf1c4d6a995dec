//! Running a step from the checklist: the engine's `run_steps` for one step, recorded under the
//! app user's name, its live output forwarded over a channel as it comes.

use flightdeck_engine::backup::Progress as BackupProgress;
use flightdeck_engine::probe::{ProbeEnv, ProbeEvent};
use flightdeck_engine::run::{self, Scope};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::host::Host;
use crate::view::{self, RunLive};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CancelStepReq {
    pub run: String,
    pub step: String,
}

/// One piece of a running step's live output.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepOutput {
    /// What runs (secrets as references), and its deadline.
    Started {
        step: String,
        kind: String,
        what: String,
        deadline_ms: u64,
    },
    /// Redacted output of one stream (`stdout`, `stderr`, `body`).
    Output {
        step: String,
        stream: String,
        text: String,
    },
    Progress {
        step: String,
        done: u64,
        total: Option<u64>,
        message: String,
        /// A backup's or a drill's stage, bytes, rate and elapsed time (the stage and bytes bars).
        backup: Option<BackupProgress>,
    },
}

impl StepOutput {
    fn from_probe(step: String, ev: ProbeEvent) -> Self {
        match ev {
            ProbeEvent::Started {
                kind,
                what,
                deadline_ms,
            } => StepOutput::Started {
                step,
                kind,
                what,
                deadline_ms,
            },
            ProbeEvent::Output { stream, text } => StepOutput::Output {
                step,
                stream: stream.name().to_string(),
                text,
            },
            ProbeEvent::Progress {
                done,
                total,
                message,
                backup,
            } => StepOutput::Progress {
                step,
                done,
                total,
                message,
                backup,
            },
        }
    }
}

/// The running-step registry's key of a step (what Cancel names).
fn running_key(run: &str, scope: &Scope) -> String {
    match scope {
        Scope::Step(step) => format!("{run}/{step}"),
        Scope::Section(section) => format!("{run}/section:{section}"),
        Scope::All => format!("{run}/all"),
    }
}

/// Run a run's steps (the engine's `run_steps`: the window runs one at a time, `{step: id}`)
/// against its environment (variables, keyring secrets, redaction of them all); answers the
/// run's state once they have finished and their events are recorded. A step that changes a
/// production target fails with `confirm` until `confirmed` is set.
#[tauri::command]
pub async fn run_step(
    host: State<'_, Host>,
    req: run::RunStepsReq,
    on_output: Channel<StepOutput>,
) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    let store = host.store();
    let env_name = host
        .blocking({
            let run = req.run.clone();
            move |s| Ok(s.resolve_run(&run)?.env)
        })
        .await?;
    let key = running_key(&req.run, &req.scope);
    // Registered (so Cancel finds it) until `running` drops, on every path out of here.
    let running = host.start_step(&key).ok_or_else(|| {
        let what = match &req.scope {
            Scope::Step(step) => format!("step `{step}`"),
            Scope::Section(section) => format!("section `{section}`"),
            Scope::All => "every step".to_string(),
        };
        IpcError::new(ErrorCode::Conflict, format!("{what} is already running"))
    })?;
    let cancel = running.token.clone();
    let env = probe_env(&host, env_name).await?;
    let run_ref = req.run.clone();
    // The engine's step future is not provably `Send` across its borrowed store, so it gets a
    // runtime of its own on the blocking pool, as the CLI runs it.
    let result = tauri::async_runtime::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| IpcError::new(ErrorCode::Internal, format!("cannot start the step runtime: {e}")))?;
        rt.block_on(async {
            let (tx, mut rx) = mpsc::channel::<(String, ProbeEvent)>(256);
            let forward = async move {
                while let Some((step, ev)) = rx.recv().await {
                    // A closed window stops listening; the step still finishes and is recorded.
                    let _ = on_output.send(StepOutput::from_probe(step, ev));
                }
            };
            let work = run::run_steps(&store, &by, &req, &env, tx, cancel);
            let (result, ()) = tokio::join!(work, forward);
            result.map_err(IpcError::from)
        })
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("step task failed: {e}")));
    drop(running);
    result??;
    host.blocking(move |s| view::run_live(s, &run_ref)).await
}

/// What the run's steps get from its environment; the keyring is opened only when the
/// environment has secrets.
pub(crate) async fn probe_env(host: &Host, env_name: String) -> Result<ProbeEnv, IpcError> {
    let envs = host.environments().await?;
    let keyring = host.keyring();
    tauri::async_runtime::spawn_blocking(move || {
        envs.probe_env(&env_name, || keyring.get())
            .map_err(IpcError::from)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("environment task failed: {e}")))?
}

/// Cancel a running step: its probe stops (a shell step's whole process tree is killed) and it
/// is recorded as `cancelled`. Answers whether it was running.
#[tauri::command]
pub fn cancel_step(host: State<'_, Host>, req: CancelStepReq) -> bool {
    host.cancel_step(&running_key(&req.run, &Scope::Step(req.step)))
}
