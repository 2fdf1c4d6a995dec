import { afterEach, describe, expect, it } from "vitest";
import { formatMinute, formatTime, parseLocalMinute } from "../run/model";
import { fromLocal, localParts, offsetAt, setZone } from "./time";

// Central Europe in 2026 as the app sends it (src-tauri/src/zone.rs): an hour ahead of UTC,
// two from 29 March 01:00 UTC to 25 October 01:00 UTC; the table ends on 1 January 2027.
const min = (ms: number) => ms / 60_000;
const CET = [
  { from_min: min(Date.UTC(2026, 0, 1)), offset_min: 60 },
  { from_min: min(Date.UTC(2026, 2, 29, 1)), offset_min: 120 },
  { from_min: min(Date.UTC(2026, 9, 25, 1)), offset_min: 60 },
  { from_min: min(Date.UTC(2027, 0, 1)), offset_min: 60 },
];

describe("local time from the app's zone table", () => {
  afterEach(() => setZone(null));

  it("reads each moment's offset from the table, and the page's own zone outside it", () => {
    setZone(CET);
    expect(offsetAt(Date.UTC(2026, 1, 1))).toBe(60);
    expect(offsetAt(Date.UTC(2026, 2, 29, 0, 59))).toBe(60);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1))).toBe(120);
    expect(offsetAt(Date.UTC(2026, 9, 25, 1))).toBe(60);
    const outside = Date.UTC(2030, 5, 1);
    expect(offsetAt(outside)).toBe(-new Date(outside).getTimezoneOffset());
    setZone([]);
    expect(offsetAt(Date.UTC(2026, 5, 1))).toBe(-new Date(Date.UTC(2026, 5, 1)).getTimezoneOffset());
  });

  it("writes times in the zone", () => {
    setZone(CET);
    expect(localParts(Date.UTC(2026, 5, 1, 12, 0, 5))).toEqual({ year: 2026, month: 5, day: 1, hours: 14, minutes: 0, seconds: 5 });
    expect(localParts(Date.UTC(2026, 11, 31, 23, 30))).toMatchObject({ year: 2027, month: 0, day: 1, hours: 0, minutes: 30 });
    const now = new Date(Date.UTC(2026, 11, 4, 12));
    expect(formatTime(new Date(Date.UTC(2026, 11, 4, 8, 5, 7)).toISOString(), now)).toBe("09:05:07");
    expect(formatTime(new Date(Date.UTC(2026, 11, 3, 23, 30)).toISOString(), now)).toBe("00:30:00");
    expect(formatTime(new Date(Date.UTC(2026, 11, 3, 22, 59, 1)).toISOString(), now)).toBe("Dec 3 23:59:01");
    expect(formatMinute(new Date(Date.UTC(2026, 6, 1, 22, 4)))).toBe("2026-07-02 00:04");
  });

  it("reads wall-clock times as Date does, across both changes", () => {
    setZone(CET);
    expect(fromLocal(2026, 5, 1, 14, 0)).toBe(Date.UTC(2026, 5, 1, 12, 0));
    expect(fromLocal(2026, 0, 10, 14, 0)).toBe(Date.UTC(2026, 0, 10, 13, 0));
    // 02:30 on 29 March does not happen (02:00 → 03:00): read with the offset before, 03:30.
    expect(fromLocal(2026, 2, 29, 2, 30)).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // 02:30 on 25 October happens twice (03:00 → 02:00): the first of the two.
    expect(fromLocal(2026, 9, 25, 2, 30)).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(parseLocalMinute("2026-12-04 14:00")).toEqual(new Date(Date.UTC(2026, 11, 4, 13, 0)));
    expect(parseLocalMinute("2026-07-04 00:15")).toEqual(new Date(Date.UTC(2026, 6, 3, 22, 15)));
    expect(parseLocalMinute("2026-02-31 10:00")).toBeNull();
  });

  it("answers as the page's Date does without a table", () => {
    setZone(null);
    const d = new Date(2026, 4, 6, 7, 8, 9);
    expect(localParts(d.getTime())).toEqual({ year: 2026, month: 4, day: 6, hours: 7, minutes: 8, seconds: 9 });
    expect(fromLocal(2026, 4, 6, 7, 8)).toBe(new Date(2026, 4, 6, 7, 8).getTime());
  });
});
