//! The scheduler's decisions, apart from any clock or I/O: which slots are due at a reading of
//! the clock, which were missed, and when to read the clock next.
//!
//! Owns the rules: the clock is read at least every [`MAX_SLEEP`]; a reading more than
//! [`SUSPEND_GAP`] after the previous one means the machine was suspended (or the process
//! stopped), so the slots due in between are `missed (suspended)`, and the latest one of each
//! kind runs once as a catch-up — never a burst. Slots that were due before the scheduler first
//! started are `missed (not running)`, with the same single catch-up.

use std::collections::BTreeSet;
use std::time::Duration;

use time::OffsetDateTime;

use super::plan::{Slot, SlotKind};

/// The longest the scheduler sleeps between readings of the wall clock.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);
/// A gap between two readings longer than this is a suspend (or a stopped process).
pub const SUSPEND_GAP: time::Duration = time::Duration::seconds(90);
/// A slot run later than this after its time is a catch-up, not an on-time run.
pub const LATE: time::Duration = time::Duration::seconds(90);

/// Why a slot did not run.
pub const MISSED_SUSPENDED: &str = "suspended";
pub const MISSED_NOT_RUNNING: &str = "not running";

/// What to do with one slot at this reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run it; `catch_up` when it runs late, on wake, for the missed slots before it.
    Run { slot: Slot, catch_up: bool },
    /// Record it missed, with why.
    Missed { slot: Slot, reason: &'static str },
}

/// The scheduler's memory: the plan's slots in time order, which are settled, the last reading.
#[derive(Debug, Clone)]
pub struct Schedule {
    slots: Vec<Slot>,
    done: Vec<bool>,
    /// Every slot before this index is settled.
    first: usize,
    last_reading: Option<OffsetDateTime>,
}

impl Schedule {
    /// `settled`: the keys of slots already recorded (a restarted watch does not redo them).
    pub fn new(mut slots: Vec<Slot>, settled: BTreeSet<String>) -> Schedule {
        slots.sort_by_key(|s| (s.at, s.kind));
        let done = slots.iter().map(|s| settled.contains(&s.key())).collect();
        let mut s = Schedule {
            slots,
            done,
            first: 0,
            last_reading: None,
        };
        s.advance();
        s
    }

    fn advance(&mut self) {
        while self.done.get(self.first).copied().unwrap_or(false) {
            self.first += 1;
        }
    }

    /// Every slot settled: the watch is over.
    pub fn finished(&self) -> bool {
        self.first >= self.slots.len()
    }

    /// The clock reads `now`: what to do, in time order; the slots returned count as settled.
    pub fn tick(&mut self, now: OffsetDateTime) -> Vec<Action> {
        let gap_from = match self.last_reading {
            Some(prev) if now - prev > SUSPEND_GAP => Some((prev, MISSED_SUSPENDED)),
            Some(_) => None,
            None => Some((OffsetDateTime::UNIX_EPOCH, MISSED_NOT_RUNNING)),
        };
        self.last_reading = Some(now);
        let due: Vec<usize> = (self.first..self.slots.len())
            .take_while(|&i| self.slots[i].at <= now)
            .filter(|&i| !self.done[i])
            .collect();
        let mut actions = Vec::with_capacity(due.len());
        for kind in [SlotKind::Check, SlotKind::Summary, SlotKind::Budget] {
            let of_kind: Vec<&Slot> = due
                .iter()
                .map(|&i| &self.slots[i])
                .filter(|s| s.kind == kind)
                .collect();
            let Some((latest, earlier)) = of_kind.split_last() else {
                continue;
            };
            for slot in earlier {
                let reason = match gap_from {
                    Some((since, why)) if slot.at > since => why,
                    // Due before a normal reading yet never run: the process was not running.
                    _ => MISSED_NOT_RUNNING,
                };
                actions.push(Action::Missed {
                    slot: (*slot).clone(),
                    reason,
                });
            }
            let late = now - latest.at > LATE;
            actions.push(Action::Run {
                slot: (*latest).clone(),
                catch_up: late || !earlier.is_empty(),
            });
        }
        for i in due {
            self.done[i] = true;
        }
        self.advance();
        actions.sort_by_key(|a| match a {
            Action::Missed { slot, .. } => (slot.at, 0),
            Action::Run { slot, .. } => (slot.at, 1),
        });
        actions
    }

    /// How long to sleep after a reading at `now`: until the next slot or `extra` (an alert's
    /// group wait), and never longer than [`MAX_SLEEP`].
    pub fn sleep_after(&self, now: OffsetDateTime, extra: Option<OffsetDateTime>) -> Duration {
        let next = self
            .slots
            .get(self.first..)
            .and_then(|rest| rest.iter().zip(&self.done[self.first..]).find(|(_, d)| !**d))
            .map(|(s, _)| s.at)
            .into_iter()
            .chain(extra)
            .min();
        let Some(next) = next else {
            return MAX_SLEEP;
        };
        let until = next - now;
        if until <= time::Duration::ZERO {
            return Duration::ZERO;
        }
        Duration::try_from(until).map_or(MAX_SLEEP, |d| d.min(MAX_SLEEP))
    }
}
