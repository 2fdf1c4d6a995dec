//! The local time zone's offsets from UTC, for the page to write and read local times with.
//!
//! JavaScriptCore answers `getHours()`, `new Date(y, m, d, h, mi)` and `getTimezoneOffset()`
//! through ICU's calendar and time-zone data, which the web process then maps (1.3 MiB PSS,
//! measured: the run screen writing its times with the UTC getters instead). The page is given
//! the zone as a table instead and does the arithmetic itself (`ui/src/lib/shared/time.ts`); times outside
//! the table fall back to the page's own `Date`.
//!
//! The table is read from the system's zone (`/etc/localtime` or `TZ`, through chrono) at launch;
//! a zone changed while the app runs shows from its next start.

use chrono::{Local, Offset, TimeZone};
use serde::Serialize;
use ts_rs::TS;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// The zone is sampled once a week (a change narrowed to its second from there): ~3,600 reads
/// for 40 years, under a millisecond at launch. No zone since 1990 changed twice in a week.
const STEP: i64 = 7 * DAY;
/// The table covers this many days either side of launch (about 20 years).
const SPAN_DAYS: i64 = 7_305;

/// The local zone from `from_min` minutes after the Unix epoch on: `offset_min` minutes ahead of
/// UTC (negative west of Greenwich).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct ZoneSpan {
    pub from_min: i32,
    pub offset_min: i32,
}

/// The local zone's offsets around `now` (Unix seconds), one [`ZoneSpan`] per change; the last
/// one marks where the table ends (what it knows stops there).
pub fn local_offsets(now: i64) -> Vec<ZoneSpan> {
    offsets_by(now - SPAN_DAYS * DAY, now + SPAN_DAYS * DAY, local_offset_min)
}

/// The local zone's offset at Unix second `t`, in minutes (0 where chrono cannot tell).
fn local_offset_min(t: i64) -> i32 {
    Local
        .timestamp_opt(t, 0)
        .single()
        .map_or(0, |d| d.offset().fix().local_minus_utc() / 60)
}

/// `offset_of` (minutes ahead of UTC at a Unix second) from `from` to `to`, as spans: sampled
/// every [`STEP`], each change narrowed to its second, then the end (`to`, its offset).
fn offsets_by(from: i64, to: i64, offset_of: impl Fn(i64) -> i32) -> Vec<ZoneSpan> {
    let minute = |t: i64| i32::try_from(t.div_euclid(60)).unwrap_or(if t < 0 { i32::MIN } else { i32::MAX });
    let mut was = offset_of(from);
    let mut spans = vec![ZoneSpan {
        from_min: minute(from),
        offset_min: was,
    }];
    let mut t = from;
    while t < to {
        let next = (t + STEP).min(to);
        let now = offset_of(next);
        if now != was {
            // The change is in (t, next]: the first second with the new offset.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_of(mid) == was {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            spans.push(ZoneSpan {
                from_min: minute(hi),
                offset_min: now,
            });
            was = now;
        }
        t = next;
    }
    spans.push(ZoneSpan {
        from_min: minute(to),
        offset_min: was,
    });
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zone an hour ahead of UTC, two hours from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC
    /// (central Europe's summer time).
    fn cet(t: i64) -> i32 {
        if (1_774_746_000..1_792_890_000).contains(&t) {
            120
        } else {
            60
        }
    }

    #[test]
    fn each_change_is_found_to_the_minute() {
        let spans = offsets_by(1_767_225_600, 1_798_761_600, cet); // 2026-01-01 .. 2027-01-01
        assert_eq!(
            spans,
            vec![
                ZoneSpan {
                    from_min: 1_767_225_600 / 60,
                    offset_min: 60
                },
                ZoneSpan {
                    from_min: 1_774_746_000 / 60,
                    offset_min: 120
                },
                ZoneSpan {
                    from_min: 1_792_890_000 / 60,
                    offset_min: 60
                },
                ZoneSpan {
                    from_min: 1_798_761_600 / 60,
                    offset_min: 60
                },
            ]
        );
    }

    #[test]
    fn a_zone_without_changes_is_one_span_and_the_end() {
        let spans = offsets_by(0, 40 * 365 * DAY, |_| -300);
        assert_eq!(spans.len(), 2, "the zone, then the table's end: {spans:?}");
        assert_eq!(spans[1].from_min, 40 * 365 * 1440);
    }

    #[test]
    fn the_local_table_agrees_with_the_system_zone() {
        let now = 1_800_000_000;
        let spans = local_offsets(now);
        for t in (now - 3 * 365 * DAY..now + 3 * 365 * DAY).step_by(3_600 * 7 + 13) {
            let at = spans
                .iter()
                .rev()
                .find(|s| i64::from(s.from_min) * 60 <= t)
                .map(|s| s.offset_min);
            assert_eq!(at, Some(local_offset_min(t)), "at {t}");
        }
    }

    /// The same under a zone with summer time (`TZ=Europe/Berlin`, from the system's tzdata),
    /// in a process of its own: `TZ` is read by chrono and would leak into other tests.
    #[test]
    fn a_zone_with_summer_time_is_read_with_its_changes() {
        if std::env::var_os("FLIGHTDECK_ZONE_CHILD").is_some() {
            let started = std::time::Instant::now();
            let spans = local_offsets(1_800_000_000);
            eprintln!("{} spans in {:?}", spans.len(), started.elapsed());
            assert!(
                spans.len() > 30,
                "20 years either side have two changes a year: {spans:?}"
            );
            assert!(
                spans.iter().all(|s| s.offset_min == 60 || s.offset_min == 120),
                "{spans:?}"
            );
            the_local_table_agrees_with_the_system_zone();
            return;
        }
        assert!(
            std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists(),
            "tzdata is missing (Debian's package `tzdata`)"
        );
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "zone::tests::a_zone_with_summer_time_is_read_with_its_changes",
                "--nocapture",
            ])
            .env("TZ", "Europe/Berlin")
            .env("FLIGHTDECK_ZONE_CHILD", "1")
            .output()
            .expect("the test binary runs");
        let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
        eprintln!(
            "{}",
            text.lines().find(|l| l.contains("spans in")).unwrap_or_default()
        );
    }
}
