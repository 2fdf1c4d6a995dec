//! A run's watch as the CLI and the window show it: one cell a slot (passed, failed, missed,
//! or still to come), the bands run clean, the alerts that went out.

use serde::Serialize;

use super::plan::{SlotKind, WatchPlan};
use super::record::{self, SlotStatus};
use crate::run::{self, Error, Event};
use crate::store::Store;

/// One slot of the strip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchCell {
    pub slot: String,
    pub kind: SlotKind,
    pub minute: u32,
    pub due: String,
    /// `None`: not yet due or not yet run.
    pub status: Option<SlotStatus>,
    pub reason: Option<String>,
    pub catch_up: bool,
    /// The lines that failed (names), for a tooltip.
    pub failed: Vec<String>,
    /// The `watch_slot` event's seq, once recorded.
    pub seq: Option<u64>,
}

/// A run's watch: its plan, every slot, the clean bands and the alerts' outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchStatus {
    pub run_id: String,
    pub plan: WatchPlan,
    pub cells: Vec<WatchCell>,
    pub passed: u32,
    pub failed: u32,
    pub missed: u32,
    pub pending: u32,
    /// Bands recorded clean (`0h-2h/5m`).
    pub clean_bands: Vec<String>,
    pub alerts_sent: u32,
    pub alerts_failed: u32,
}

/// The watch of `run_ref` as recorded so far.
pub fn status(store: &Store, run_ref: &str) -> Result<WatchStatus, Error> {
    let loaded = run::load(store, run_ref)?;
    let events = store.events(&loaded.record.id)?;
    let plan = record::plan_of(&loaded.runbook, &loaded.state, &events)?;
    let records = record::slot_records(&events);
    let slots = plan.slots().map_err(|e| Error::Invalid(e.to_string()))?;
    let mut st = WatchStatus {
        run_id: loaded.record.id.clone(),
        plan: plan.clone(),
        cells: Vec::with_capacity(slots.len()),
        passed: 0,
        failed: 0,
        missed: 0,
        pending: 0,
        clean_bands: record::clean_bands(&events).into_iter().collect(),
        alerts_sent: 0,
        alerts_failed: 0,
    };
    let by_key: std::collections::HashMap<&str, &(u64, record::SlotRecord)> =
        records.iter().map(|r| (r.1.slot.as_str(), r)).collect();
    for slot in &slots {
        let key = slot.key();
        let rec = by_key.get(key.as_str());
        match rec.map(|r| r.1.status) {
            Some(SlotStatus::Passed) => st.passed += 1,
            Some(SlotStatus::Failed) => st.failed += 1,
            Some(SlotStatus::Missed) => st.missed += 1,
            None => st.pending += 1,
        }
        st.cells.push(WatchCell {
            due: crate::store::format_time(slot.at),
            kind: slot.kind,
            minute: slot.minute,
            status: rec.map(|r| r.1.status),
            reason: rec.and_then(|r| r.1.reason.clone()),
            catch_up: rec.is_some_and(|r| r.1.catch_up),
            failed: rec
                .map(|r| {
                    r.1.lines
                        .iter()
                        .filter(|l| !l.passed)
                        .map(|l| l.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
            seq: rec.map(|r| r.0),
            slot: key,
        });
    }
    for e in events.iter().filter(|e| e.kind == "alert_notified") {
        if let Ok(Event::AlertNotified(a)) = Event::decode(e) {
            if a.sent {
                st.alerts_sent += 1;
            } else {
                st.alerts_failed += 1;
            }
        }
    }
    Ok(st)
}
