//! The Watch tab: a run's D0–D7 watch as recorded (every slot, the failed ones and the
//! summaries with their lines, the bands run clean with their evidence, the alert log), the
//! alert routes with a Test button, the plan's bands edited in place, and Start / Stop of the
//! watch in this app (`crate::cutover_watch`). One line each over `flightdeck_engine::watch`.

use flightdeck_engine::run;
use flightdeck_engine::store::Store;
use flightdeck_engine::watch::{self, alert, BandClean, SlotRecord, SlotStatus, WatchStatus};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::cutover_watch::{WatchJob, WatchTime};
use crate::error::{ErrorCode, IpcError};
use crate::host::Host;

/// A recorded slot with its lines (values and why it failed).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SlotDetail {
    pub seq: u64,
    pub record: SlotRecord,
}

/// A band recorded clean: the runbook items it checked and the slot events behind it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CleanBand {
    pub seq: u64,
    pub band: BandClean,
}

/// One line of the alert log: a notice sent or failed (a watch's or a Test's).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlertEntry {
    pub seq: u64,
    pub time: String,
    pub actor: String,
    pub record: alert::AlertRecord,
}

/// A run's watch as the Watch tab shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WatchView {
    /// The plan and one cell a slot; `null` while the run has no T-0 (`plan_error` says why).
    pub status: Option<WatchStatus>,
    pub plan_error: Option<String>,
    /// Slots with lines to show: every one not passed, and every summary and budget summary.
    pub details: Vec<SlotDetail>,
    pub clean: Vec<CleanBand>,
    /// Newest last.
    pub alerts: Vec<AlertEntry>,
    /// The routes in use (`alerts.json` in the config folder, else §15's); secrets by name only.
    pub alert_config: Option<alert::AlertConfig>,
    pub alert_config_error: Option<String>,
    /// The watch runs in this app now.
    pub running: bool,
    /// Why this app's last watch of the run stopped on its own, if it failed.
    pub failure: Option<String>,
    /// The watch's clock runs this many times faster than the wall clock (`--watch-speed`).
    pub speed: u32,
}

/// A change of the run's watch plan (as `flightdeck watch plan RUN ...`): what is given is
/// replaced, the rest kept.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EditWatchPlanReq {
    pub run: String,
    /// T-0: RFC 3339 or `2026-12-04 09:00` (UTC).
    #[serde(default)]
    pub t0: Option<String>,
    /// The bands, `FROM-TO/EVERY` each, in order (`0h-2h/5m`); one with the same bounds as
    /// before keeps the runbook items it vouches for.
    #[serde(default)]
    pub bands: Option<Vec<String>>,
    /// The step ids run at every check slot.
    #[serde(default)]
    pub checks: Option<Vec<String>>,
    /// Minutes between signals summaries (0: none).
    #[serde(default)]
    pub summary_every_min: Option<u32>,
    /// Minutes between budget summaries (0: none).
    #[serde(default)]
    pub budget_every_min: Option<u32>,
    /// The watch ends this many minutes after T-0.
    #[serde(default)]
    pub end_min: Option<u32>,
}

impl EditWatchPlanReq {
    /// `plan` with this edit applied; bad text is `invalid`, naming what.
    fn apply(&self, mut plan: watch::WatchPlan) -> Result<watch::WatchPlan, IpcError> {
        let invalid = |e: watch::PlanError| IpcError::new(ErrorCode::Invalid, e.to_string());
        if let Some(t0) = &self.t0 {
            plan.t0 = flightdeck_engine::store::format_time(watch::parse_time(t0).map_err(invalid)?);
        }
        if let Some(bands) = &self.bands {
            let bands = bands
                .iter()
                .map(|b| watch::parse_band(b))
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?;
            plan.replace_bands(bands).map_err(invalid)?;
        }
        if let Some(c) = &self.checks {
            plan.checks = c
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        plan.summary_every_min = self.summary_every_min.unwrap_or(plan.summary_every_min);
        plan.budget_every_min = self.budget_every_min.unwrap_or(plan.budget_every_min);
        plan.end_min = self.end_min.unwrap_or(plan.end_min);
        Ok(plan)
    }
}

/// Send a test notice to every receiver of `route`, recorded into `run`.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct TestAlertReq {
    pub run: String,
    pub route: String,
}

fn alerts_path(host: &Host) -> std::path::PathBuf {
    host.config_dir().join("alerts.json")
}

fn view_of(
    store: &Store,
    run_ref: &str,
    host_bits: (bool, Option<String>, u32),
    cfg: Result<alert::AlertConfig, String>,
) -> Result<WatchView, IpcError> {
    let (running, failure, speed) = host_bits;
    let record = store.resolve_run(run_ref)?;
    let events = store.events(&record.id)?;
    let (status, plan_error) = match watch::status(store, &record.id) {
        Ok(s) => (Some(s), None),
        Err(run::Error::Invalid(m)) => (None, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let details = watch::slot_records(&events)
        .into_iter()
        .filter(|(_, r)| r.status != SlotStatus::Passed || r.kind != watch::SlotKind::Check)
        .map(|(seq, record)| SlotDetail { seq, record })
        .collect();
    let actors: std::collections::HashMap<u64, &str> =
        events.iter().map(|e| (e.seq, e.actor.as_str())).collect();
    let alerts = watch::alert_records(&events)
        .into_iter()
        .map(|(seq, time, record)| AlertEntry {
            actor: actors.get(&seq).map(|a| a.to_string()).unwrap_or_default(),
            seq,
            time,
            record,
        })
        .collect();
    let (alert_config, alert_config_error) = match cfg {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    Ok(WatchView {
        status,
        plan_error,
        details,
        clean: watch::band_clean_records(&events)
            .into_iter()
            .map(|(seq, band)| CleanBand { seq, band })
            .collect(),
        alerts,
        alert_config,
        alert_config_error,
        running,
        failure,
        speed,
    })
}

async fn view(host: &Host, run: String) -> Result<WatchView, IpcError> {
    let run_id = host
        .blocking({
            let run = run.clone();
            move |s| Ok(s.resolve_run(&run)?.id)
        })
        .await?;
    let watches = host.watches();
    let bits = (
        watches.is_running(&run_id),
        watches.failure(&run_id),
        host.launch().watch_speed,
    );
    let cfg = alert::AlertConfig::load(&alerts_path(host));
    host.blocking(move |s| view_of(s, &run_id, bits, cfg)).await
}

/// The run's watch as recorded so far, and whether it runs in this app.
#[tauri::command]
pub async fn watch_view(host: State<'_, Host>, run: String) -> Result<WatchView, IpcError> {
    view(&host, run).await
}

/// Start the run's watch in this app (it runs while the app is open, until its last slot or
/// Stop), its checks against the run's environment, its alerts routed per `alerts.json` (else
/// §15's routing) with the environment's keyring secrets; recorded under the user's name.
#[tauri::command]
pub async fn start_watch(host: State<'_, Host>, run: String) -> Result<WatchView, IpcError> {
    let by = host.user_name()?;
    let (run_id, env_name, runbook, budget_url) = host
        .blocking({
            let run = run.clone();
            move |s| {
                let loaded = run::load(s, &run)?;
                let events = s.events(&loaded.record.id)?;
                let plan = watch::plan_of(&loaded.runbook, &loaded.state, &events)?;
                Ok((
                    loaded.record.id,
                    loaded.record.env,
                    loaded.runbook,
                    plan.budget_url,
                ))
            }
        })
        .await?;
    let alerts =
        alert::AlertConfig::load(&alerts_path(&host)).map_err(|e| IpcError::new(ErrorCode::Invalid, e))?;
    let mut env = crate::commands::steps::probe_env(&host, env_name.clone()).await?;
    env.vars.entry("RUN_ID".into()).or_insert_with(|| run_id.clone());
    env.vars.entry("FLIGHTDECK_ENV".into()).or_insert(env_name);
    let notifier =
        alert::HttpNotifier::new(env.secrets.clone()).map_err(|e| IpcError::new(ErrorCode::Internal, e))?;
    let job = WatchJob {
        run_id: run_id.clone(),
        by,
        runner: watch::ProbeRunner {
            runbook,
            env,
            budget_url,
            cancel: tokio_util::sync::CancellationToken::new(),
        },
        alerts,
        notifier,
        speed: host.launch().watch_speed,
    };
    crate::cutover_watch::spawn(host.watches(), host.store(), job)?;
    view(&host, run_id).await
}

/// Stop the run's watch in this app: the slots so far stay recorded (a slot cut short is not;
/// a restart runs or records it). Answers whether it was running.
#[tauri::command]
pub async fn stop_watch(host: State<'_, Host>, run: String) -> Result<bool, IpcError> {
    let run_id = host.blocking(move |s| Ok(s.resolve_run(&run)?.id)).await?;
    Ok(host.watches().stop(&run_id))
}

/// Change the run's watch plan (one `watch_plan_set` event under the user's name; the engine
/// checks it holds together). A run without a Cutover Date takes its plan from the runbook at
/// the `t0` given. Refused while the watch runs here (it runs the plan it started with).
#[tauri::command]
pub async fn edit_watch_plan(host: State<'_, Host>, req: EditWatchPlanReq) -> Result<WatchView, IpcError> {
    let by = host.user_name()?;
    let watches = host.watches();
    let run_id = host
        .blocking(move |s| {
            let loaded = run::load(s, &req.run)?;
            if watches.is_running(&loaded.record.id) {
                return Err(IpcError::new(
                    ErrorCode::Conflict,
                    "the watch runs the plan it started with: stop it before changing the plan",
                ));
            }
            let events = s.events(&loaded.record.id)?;
            let plan = match (watch::plan_of(&loaded.runbook, &loaded.state, &events), &req.t0) {
                (Ok(p), _) => p,
                (Err(_), Some(t0)) => {
                    let t0 = watch::parse_time(t0)
                        .map_err(|e| IpcError::new(ErrorCode::Invalid, e.to_string()))?;
                    watch::WatchPlan::from_runbook(&loaded.runbook, t0)
                        .map_err(|e| IpcError::new(ErrorCode::Invalid, e.to_string()))?
                }
                (Err(e), None) => return Err(e.into()),
            };
            let plan = req.apply(plan)?;
            let id = loaded.record.id.clone();
            watch::set_plan(
                s,
                &by,
                watch::SetWatchPlanReq {
                    run: id.clone(),
                    plan,
                },
            )?;
            Ok(id)
        })
        .await?;
    view(&host, run_id).await
}

/// A test notice to every receiver of `route` (as `flightdeck alert test ROUTE`), with the run's
/// environment's keyring secrets; each outcome recorded into the run as an `alert_notified`
/// event (`test: true`) under the user's name. Answers the outcomes.
#[tauri::command]
pub async fn test_alert_route(
    host: State<'_, Host>,
    req: TestAlertReq,
) -> Result<Vec<alert::AlertRecord>, IpcError> {
    let by = host.user_name()?;
    let cfg =
        alert::AlertConfig::load(&alerts_path(&host)).map_err(|e| IpcError::new(ErrorCode::Invalid, e))?;
    let (run_id, env_name) = host
        .blocking({
            let run = req.run.clone();
            move |s| {
                let r = s.resolve_run(&run)?;
                Ok((r.id, r.env))
            }
        })
        .await?;
    let env = crate::commands::steps::probe_env(&host, env_name).await?;
    let notifier =
        alert::HttpNotifier::new(env.secrets.clone()).map_err(|e| IpcError::new(ErrorCode::Internal, e))?;
    let speed = host.launch().watch_speed;
    let route = req.route.clone();
    let recs = tauri::async_runtime::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                IpcError::new(
                    ErrorCode::Internal,
                    format!("cannot start the alert runtime: {e}"),
                )
            })?;
        rt.block_on(alert::test_route(&cfg, &route, &notifier, &WatchTime::new(speed)))
            .map_err(|e| IpcError::new(ErrorCode::Invalid, e))
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("alert task failed: {e}")))??;
    let recorded = recs.clone();
    host.blocking(move |s| {
        watch::record_alerts(s, &by, &run_id, &recorded)?;
        Ok(())
    })
    .await?;
    Ok(recs)
}
