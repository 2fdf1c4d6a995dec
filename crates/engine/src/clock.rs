//! Where the engine gets the time from.
//!
//! Owns the `Clock` trait and its two faces: `SystemClock` for the app and the CLI, and
//! `FixedClock` (a clock that only moves when told, or by a fixed step per reading) for tests.
//! Nothing in testable engine logic reads the system time directly: the store is handed a clock
//! when it is opened and stamps every event with it.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock, in UTC.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock for tests: starts at a given instant and moves only by `step` per reading, or when
/// `advance`/`set` is called. With a zero step every reading is the same instant.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<OffsetDateTime>,
    step: Duration,
}

impl FixedClock {
    /// A clock that always reads `at` until moved.
    pub fn new(at: OffsetDateTime) -> Self {
        Self::stepping(at, Duration::ZERO)
    }

    /// A clock that reads `start`, then `start + step`, `start + 2 * step`, ...
    pub fn stepping(start: OffsetDateTime, step: Duration) -> Self {
        FixedClock {
            now: Mutex::new(start),
            step,
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.lock() = at;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A panic while holding this lock cannot leave the time half-written, so a poisoned
        // lock still holds a valid instant.
        self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        let mut now = self.lock();
        let reading = *now;
        *now += self.step;
        reading
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn fixed_clock_reads_the_same_instant_until_moved() {
        let clock = FixedClock::new(datetime!(2025-06-01 12:00 UTC));
        assert_eq!(clock.now(), clock.now());
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), datetime!(2025-06-01 12:05 UTC));
        clock.set(datetime!(2030-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2030-01-01 00:00 UTC));
    }

    #[test]
    fn stepping_clock_moves_by_its_step_per_reading() {
        let clock = FixedClock::stepping(datetime!(2025-06-01 12:00 UTC), Duration::milliseconds(250));
        assert_eq!(clock.now(), datetime!(2025-06-01 12:00:00.000 UTC));
        assert_eq!(clock.now(), datetime!(2025-06-01 12:00:00.250 UTC));
        assert_eq!(clock.now(), datetime!(2025-06-01 12:00:00.500 UTC));
    }

    #[test]
    fn system_clock_is_utc() {
        assert_eq!(SystemClock.now().offset(), time::UtcOffset::UTC);
    }
}
