//! The D0–D7 watch: a run's plan of checks after T-0, the scheduler that runs it, what it
//! records, and the alerts it routes.
//!
//! Owns the plan (`plan`: §16's bands anchored at T-0, then daily to D+7; the `watch: true`
//! steps; the hourly signals summary and the daily budget summary), the scheduler's rules
//! (`sched`: read the wall clock at least every minute; slots missed while suspended are
//! recorded `missed (suspended)` and one catch-up follows, never a burst), its events and status
//! (`record`), the loop that drives them ([`watch`], over an injected [`WatchClock`] and a
//! [`Runner`] that does the work: [`ProbeRunner`] for real, anything for tests), the systemd
//! export (`systemd`) and alert routing (`alert`). The app runs [`watch`] while it is open; the
//! CLI runs it headless (`flightdeck watch RUN`).

use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

pub mod alert;
mod lease;
mod plan;
mod record;
mod runner;
mod sched;
mod status;
pub mod systemd;

pub use lease::{acquire as acquire_lease, lease_path, Lease};
pub use plan::{
    band_text, minutes_text, parse_band, parse_time, slot_key, Band, PlanError, Slot, SlotKind, WatchPlan,
    DAY_MIN, DEFAULT_END_MIN,
};
pub use record::{
    alert_records, band_clean_records, plan_of, record_alerts, set_plan, slot_records, BandClean, Line,
    SetWatchPlanReq, SlotRecord, SlotStatus,
};
pub use runner::{ProbeRunner, BUDGET_BODY_CAP};
pub use sched::{Action, Schedule, MAX_SLEEP, MISSED_NOT_RUNNING, MISSED_SUSPENDED, SUSPEND_GAP};
pub use status::{status, WatchCell, WatchStatus};

use crate::run::{self, Error, Event};
use crate::store::Store;
use alert::{Alerter, Notifier};

/// Where the watch reads the time and sleeps: the wall clock for real, a simulated one in tests.
pub trait WatchClock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
    /// Sleep about `d` (a real sleep may last longer: a suspend stops it).
    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()>;
}

/// The system's wall clock and tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemWatchClock;

impl WatchClock for SystemWatchClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// What a slot runs: the checks (steps), the signals summary, the budget summary.
pub trait Runner: Send + Sync {
    fn checks<'a>(&'a self, steps: &'a [String]) -> BoxFuture<'a, Vec<Line>>;
    fn summary(&self) -> BoxFuture<'_, Vec<Line>>;
    fn budget(&self) -> BoxFuture<'_, Vec<Line>>;
}

/// What the watch did, for a caller that shows progress (the CLI's lines, the window's strip).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WatchUpdate {
    Slot { seq: u64, record: SlotRecord },
    BandClean { seq: u64, band: BandClean },
    Alert { seq: u64, record: alert::AlertRecord },
}

/// One watch: the run, who records, and how alerts go out (none: nothing is routed).
pub struct WatchReq<'a> {
    pub run: String,
    pub by: String,
    pub alerts: Option<(alert::AlertConfig, &'a dyn Notifier)>,
}

/// Run the run's watch plan until its last slot (or `cancel`), recording every slot.
/// `live` gets each update as it is recorded.
pub async fn watch(
    store: &Mutex<Store>,
    req: WatchReq<'_>,
    runner: &dyn Runner,
    clock: &dyn WatchClock,
    live: &(dyn Fn(WatchUpdate) + Send + Sync),
    cancel: CancellationToken,
) -> Result<(), Error> {
    let by = req.by.trim().to_string();
    // Taken before anything is read, so what is read is what no other watch is changing.
    let (leased, _lease) = {
        let s = lock(store);
        let id = s.resolve_run(&req.run)?.id;
        let lease = acquire_lease(&s.local_path(), &id)?;
        (id, lease)
    };
    let Resumed {
        run_id,
        plan,
        mut records,
        mut clean,
        mut schedule,
        events,
    } = resume(store, &leased)?;
    // Rebuilt from what the log holds, so a restart neither pages again nor forgets to resolve.
    let mut alerter = req
        .alerts
        .as_ref()
        .map(|(cfg, _)| Alerter::resume(cfg.clone(), &run_id, &events));
    drop(events);
    let append = |event: Event| -> Result<u64, Error> {
        let mut s = lock(store);
        let a = run::write(
            &mut s,
            &by,
            record::Record {
                run: run_id.clone(),
                event,
            },
        )?;
        Ok(a.event.seq)
    };
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let now = clock.now();
        for action in schedule.tick(now) {
            let rec = slot(&plan, runner, action).await;
            if cancel.is_cancelled() {
                // Stopped mid-slot: its checks were cut short, so it is not recorded (a restart
                // records it missed, or runs it as the catch-up).
                return Ok(());
            }
            if let Some(a) = alerter.as_mut() {
                a.observe(clock.now(), &rec);
            }
            let seq = append(Event::WatchSlot(Box::new(rec.clone())))?;
            live(WatchUpdate::Slot {
                seq,
                record: rec.clone(),
            });
            records.push((seq, rec));
        }
        for band in record::newly_clean(&plan, &records, &clean) {
            clean.insert(band.band.clone());
            let seq = append(Event::WatchBandClean(Box::new(band.clone())))?;
            live(WatchUpdate::BandClean { seq, band });
        }
        if let (Some(a), Some((_, notifier))) = (alerter.as_mut(), req.alerts.as_ref()) {
            for rec in a.flush(*notifier, clock, &cancel).await {
                let seq = append(Event::AlertNotified(Box::new(rec.clone())))?;
                live(WatchUpdate::Alert { seq, record: rec });
            }
        }
        let pending = alerter.as_ref().and_then(Alerter::next_due);
        // After the last slot, stay only to send what is owed (not to repeat forever).
        if schedule.finished() && !alerter.as_ref().is_some_and(Alerter::owes) {
            break;
        }
        let d = schedule.sleep_after(clock.now(), pending);
        tokio::select! {
            _ = clock.sleep(d) => {}
            _ = cancel.cancelled() => break,
        }
    }
    Ok(())
}

/// Where a watch stands when it starts: the plan, what is recorded, the schedule of the rest.
struct Resumed {
    run_id: String,
    plan: WatchPlan,
    records: Vec<(u64, SlotRecord)>,
    clean: std::collections::BTreeSet<String>,
    schedule: Schedule,
    /// The run's log as it stood (the alerter is rebuilt from it).
    events: Vec<crate::store::StoredEvent>,
}

fn resume(store: &Mutex<Store>, run_ref: &str) -> Result<Resumed, Error> {
    let s = lock(store);
    let loaded = run::load(&s, run_ref)?;
    let events = s.events(&loaded.record.id)?;
    let plan = plan_of(&loaded.runbook, &loaded.state, &events)?;
    let records = record::slot_records(&events);
    let settled = records.iter().map(|(_, r)| r.slot.clone()).collect();
    let slots = plan.slots().map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(Resumed {
        run_id: loaded.record.id,
        clean: record::clean_bands(&events),
        schedule: Schedule::new(slots, settled),
        records,
        plan,
        events,
    })
}

/// Run (or record missed) one slot.
async fn slot(plan: &WatchPlan, runner: &dyn Runner, action: Action) -> SlotRecord {
    let (slot, catch_up) = match action {
        Action::Missed { slot, reason } => {
            return SlotRecord {
                slot: slot.key(),
                kind: slot.kind,
                minute: slot.minute,
                due: crate::store::format_time(slot.at),
                status: SlotStatus::Missed,
                reason: Some(reason.to_string()),
                catch_up: false,
                lines: vec![],
            }
        }
        Action::Run { slot, catch_up } => (slot, catch_up),
    };
    let lines = match slot.kind {
        SlotKind::Check => runner.checks(&plan.checks).await,
        SlotKind::Summary => runner.summary().await,
        SlotKind::Budget => runner.budget().await,
    };
    let passed = lines.iter().all(|l| l.passed);
    SlotRecord {
        slot: slot.key(),
        kind: slot.kind,
        minute: slot.minute,
        due: crate::store::format_time(slot.at),
        status: if passed {
            SlotStatus::Passed
        } else {
            SlotStatus::Failed
        },
        reason: None,
        catch_up,
        lines,
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}
