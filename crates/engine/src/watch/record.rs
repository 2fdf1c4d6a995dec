//! What the watch leaves in a run: its plan (`watch_plan_set`, a person's edit), one
//! `watch_slot` per slot (compact: verdict and key values of each check, summary line or budget
//! category), `watch_band_clean` when a band's check slots all passed (it checks §16's items, the
//! slot events linked as evidence); and reading them back as the status the CLI and the window
//! show.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::plan::{band_text, SlotKind, WatchPlan};
use crate::run::{self, Applied, Error, Event, Op, RunState};
use crate::runbook::Runbook;
use crate::store::{Store, StoredEvent};

/// How a slot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SlotStatus {
    Passed,
    Failed,
    Missed,
}

/// One line of a slot: a check (a step), a signal of the summary, a budget category.
/// (`WatchLine` in TypeScript: the charts' series is `Line` there.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WatchLine"))]
pub struct Line {
    /// A step id, a signal name, a budget category.
    pub name: String,
    pub passed: bool,
    /// Key values: `status`, `ms`, captures; a signal's value; a budget's `used_pct`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// Why it failed, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The `watch_slot` event's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlotRecord {
    /// `check@+125`.
    pub slot: String,
    pub kind: SlotKind,
    /// Minutes after T-0.
    pub minute: u32,
    /// When it was due (RFC 3339).
    pub due: String,
    pub status: SlotStatus,
    /// Why it was missed: `suspended`, `not running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Run late, on wake, for the slots missed before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub catch_up: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Line>,
}

/// The `watch_band_clean` event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BandClean {
    /// `0h-2h/5m`.
    pub band: String,
    /// The runbook items it checks.
    pub items: Vec<String>,
    /// The seqs of the band's `watch_slot` events.
    pub evidence: Vec<u64>,
}

/// Set (replace) a run's watch plan: `watch_plan_set`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetWatchPlanReq {
    pub run: String,
    pub plan: WatchPlan,
}

/// `req` checked (the plan holds together, its checks are the runbook's runnable steps, its
/// items exist), appended as one event by `by`.
pub fn set_plan(store: &mut Store, by: &str, req: SetWatchPlanReq) -> Result<Applied, Error> {
    run::write(store, by, req)
}

impl Op for SetWatchPlanReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, _state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        self.plan
            .validate()
            .map_err(|e| Error::Invalid(format!("the watch plan of {place}: {e}")))?;
        for step in &self.plan.checks {
            run::plan(runbook, &run::Scope::Step(step.clone()), place)?;
        }
        for band in &self.plan.bands {
            if let Some(id) = band.items.iter().find(|i| runbook.item(i).is_none()) {
                return Err(Error::Invalid(format!(
                    "band {} of {place}: no item `{id}` in the runbook",
                    band_text(band)
                )));
            }
        }
        Ok(Event::WatchPlanSet(Box::new(self.plan.clone())))
    }
}

/// An event the watch appends as it is (its checks are the watch's own).
pub(crate) struct Record {
    pub run: String,
    pub event: Event,
}

impl Op for Record {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, _: &Runbook, _: &RunState, _: &str, _: &str) -> Result<Event, Error> {
        Ok(self.event.clone())
    }
}

/// The run's watch plan: its last `watch_plan_set`, else the runbook's at the Cutover Date.
pub fn plan_of(runbook: &Runbook, state: &RunState, events: &[StoredEvent]) -> Result<WatchPlan, Error> {
    if let Some(plan) = events.iter().rev().find_map(|e| match Event::decode(e) {
        Ok(Event::WatchPlanSet(p)) => Some(*p),
        _ => None,
    }) {
        return Ok(plan);
    }
    let t0 = state
        .metadata
        .iter()
        .find(|m| m.key == "cutover-date")
        .and_then(|m| m.value.as_deref())
        .filter(|v| !v.trim().is_empty() && !v.contains("___"))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "run {}: no T-0: set the Cutover Date (`flightdeck run meta RUN cutover-date 2026-12-04T09:00:00Z`) or `flightdeck watch plan RUN --t0 ...`",
                run::short_id(&state.run_id)
            ))
        })?;
    let t0 = super::plan::parse_time(t0).map_err(|e| Error::Invalid(format!("the Cutover Date: {e}")))?;
    WatchPlan::from_runbook(runbook, t0).map_err(|e| Error::Invalid(e.to_string()))
}

/// The recorded slots of a run, with the seq of their events, in log order.
pub fn slot_records(events: &[StoredEvent]) -> Vec<(u64, SlotRecord)> {
    events
        .iter()
        .filter(|e| e.kind == "watch_slot")
        .filter_map(|e| match Event::decode(e) {
            Ok(Event::WatchSlot(r)) => Some((e.seq, *r)),
            _ => None,
        })
        .collect()
}

/// The bands already recorded clean.
pub fn clean_bands(events: &[StoredEvent]) -> BTreeSet<String> {
    events
        .iter()
        .filter(|e| e.kind == "watch_band_clean")
        .filter_map(|e| match Event::decode(e) {
            Ok(Event::WatchBandClean(b)) => Some(b.band),
            _ => None,
        })
        .collect()
}

/// A band whose check slots are all recorded and all passed, and not yet marked clean.
pub fn newly_clean(
    plan: &WatchPlan,
    records: &[(u64, SlotRecord)],
    done: &BTreeSet<String>,
) -> Vec<BandClean> {
    let mut out = Vec::new();
    for band in plan.bands.iter().filter(|b| !b.items.is_empty()) {
        let name = band_text(band);
        if done.contains(&name) {
            continue;
        }
        let expected = (band.from_min..band.to_min.min(plan.end_min))
            .step_by(band.every_min.max(1) as usize)
            .count();
        let of_band: Vec<&(u64, SlotRecord)> = records
            .iter()
            .filter(|(_, r)| r.kind == SlotKind::Check && (band.from_min..band.to_min).contains(&r.minute))
            .collect();
        if of_band.len() == expected && of_band.iter().all(|(_, r)| r.status == SlotStatus::Passed) {
            out.push(BandClean {
                band: name,
                items: band.items.clone(),
                evidence: of_band.iter().map(|(seq, _)| *seq).collect(),
            });
        }
    }
    out
}

/// Record notices that went out (or failed) outside a watch, e.g. a route's test from the
/// window: one `alert_notified` event each, by `by`. Answers the last one written.
pub fn record_alerts(
    store: &mut Store,
    by: &str,
    run: &str,
    recs: &[super::alert::AlertRecord],
) -> Result<Option<Applied>, Error> {
    let mut last = None;
    for rec in recs {
        let op = Record {
            run: run.to_string(),
            event: Event::AlertNotified(Box::new(rec.clone())),
        };
        last = Some(run::write(store, by, op)?);
    }
    Ok(last)
}

/// The run's alert log: every `alert_notified` event (seq, time, record), in log order.
pub fn alert_records(events: &[StoredEvent]) -> Vec<(u64, String, super::alert::AlertRecord)> {
    events
        .iter()
        .filter(|e| e.kind == "alert_notified")
        .filter_map(|e| match Event::decode(e) {
            Ok(Event::AlertNotified(a)) => Some((e.seq, e.time.clone(), *a)),
            _ => None,
        })
        .collect()
}

/// The bands recorded clean, with their events' seqs, in log order.
pub fn band_clean_records(events: &[StoredEvent]) -> Vec<(u64, BandClean)> {
    events
        .iter()
        .filter(|e| e.kind == "watch_band_clean")
        .filter_map(|e| match Event::decode(e) {
            Ok(Event::WatchBandClean(b)) => Some((e.seq, *b)),
            _ => None,
        })
        .collect()
}
