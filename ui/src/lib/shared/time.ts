// Local time without ICU. JavaScriptCore answers `getHours()`, `new Date(y, m, d, h, mi)` and
// `getTimezoneOffset()` through ICU's calendar, which makes WebKit's web process map ICU's
// time-zone data (1.3 MiB PSS, issue 16). The app gives the page its zone's offsets from UTC at
// launch (`LaunchInfo.utc_offsets`, src-tauri/src/zone.rs): local times are then UTC arithmetic.
// Without a table (tests, a backend that sends none) or outside it, the page's own `Date` answers.
import type { ZoneSpan } from "../bindings";

let spans: readonly ZoneSpan[] = [];

/** The local zone's offsets, as the app sent them (sorted by `from_min`; the last one marks the
 * table's end). */
export function setZone(table: readonly ZoneSpan[] | null | undefined): void {
  spans = table ?? [];
}

/** Minutes the local zone is ahead of UTC at `ms` (milliseconds since the epoch). */
export function offsetAt(ms: number): number {
  const min = Math.floor(ms / 60_000);
  if (spans.length > 1 && min >= spans[0].from_min && min < spans[spans.length - 1].from_min) {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spans[mid].from_min <= min) lo = mid;
      else hi = mid - 1;
    }
    return spans[lo].offset_min;
  }
  return -new Date(ms).getTimezoneOffset();
}

/** A moment's local calendar fields (`month` 0–11, as `Date`'s). */
export type LocalParts = { year: number; month: number; day: number; hours: number; minutes: number; seconds: number };

/** The local calendar fields of `ms`. */
export function localParts(ms: number): LocalParts {
  const u = new Date(ms + offsetAt(ms) * 60_000);
  return {
    year: u.getUTCFullYear(),
    month: u.getUTCMonth(),
    day: u.getUTCDate(),
    hours: u.getUTCHours(),
    minutes: u.getUTCMinutes(),
    seconds: u.getUTCSeconds(),
  };
}

/** The moment a local wall-clock time names (`month` 0–11; fields out of range roll over, as
 * `new Date(y, m, d, h, mi)` does). As `Date` reads them: a time that happens twice (the hour
 * a change to winter time repeats) is the first of the two, and a time skipped by a change to
 * summer time is read with the offset before it (02:30 becomes 03:30 summer time). */
export function fromLocal(year: number, month: number, day: number, hours: number, minutes: number): number {
  const wall = Date.UTC(year, month, day, hours, minutes);
  const offsets = [offsetAt(wall - 36 * 3_600_000), offsetAt(wall + 36 * 3_600_000)];
  const readings = offsets.map((o) => wall - o * 60_000).filter((t, i) => offsetAt(t) === offsets[i]);
  return readings.length ? Math.min(...readings) : wall - offsets[0] * 60_000;
}
