import { describe, expect, it } from "vitest";
import { doc, event, runbook, state } from "../testing/fixture";
import {
  describeEvent,
  formatMinute,
  formatRelative,
  formatTime,
  parseLocalMinute,
  incompleteFor,
  indexState,
  parseT0,
  timelinePos,
  validateField,
  visibleItems,
} from "./model";

const field = (id: string) => runbook.fields.find((f) => f.id === id)!;

describe("field validation mirrors the engine", () => {
  it("keeps a percent between 0 and 100, a trailing % allowed", () => {
    expect(validateField(field("1.pass-rate"), "97.5")).toBeNull();
    expect(validateField(field("1.pass-rate"), "100%")).toBeNull();
    expect(validateField(field("1.pass-rate"), "140")).toMatch(/between 0 and 100/);
    expect(validateField(field("1.pass-rate"), "-1")).toMatch(/between/);
    expect(validateField(field("1.pass-rate"), "most")).toMatch(/percentage/);
  });
  it("takes a choice in any case and nothing else", () => {
    expect(validateField(field("1.result"), "success")).toBeNull();
    expect(validateField(field("1.result"), "maybe")).toBe("one of Success, Failed");
  });
});

describe("the timeline", () => {
  it("puts T-24h at the start, D+7 at the end, T-0 in between, and clamps outside", () => {
    expect(timelinePos(-1440)).toBe(0);
    expect(timelinePos(7 * 1440)).toBe(1);
    expect(timelinePos(0)).toBeGreaterThan(0.2);
    expect(timelinePos(0)).toBeLessThan(0.5);
    expect(timelinePos(-99999)).toBe(0);
    expect(timelinePos(99999)).toBe(1);
    expect(timelinePos(30)).toBeGreaterThan(timelinePos(0));
  });
  it("labels distances from T-0", () => {
    expect(formatRelative(-200)).toBe("T-3h 20m");
    expect(formatRelative(45)).toBe("T+45m");
    expect(formatRelative(3 * 1440 + 5)).toBe("D+3");
  });
  it("reads T-0 from an ISO date-time and nothing else", () => {
    expect(parseT0("2026-11-28T14:00Z")?.toISOString()).toBe("2026-11-28T14:00:00.000Z");
    expect(parseT0("next tuesday")).toBeNull();
    expect(parseT0(null)).toBeNull();
  });
});

describe("completeness and search", () => {
  it("lists unchecked items, then empty fields, of a sign-off's scope", () => {
    const idx = indexState(state());
    expect(incompleteFor(runbook.signoffs[0], idx).map((x) => `${x.kind}:${x.id}`)).toEqual([
      "item:1.tests",
      "item:1.unit",
      "field:1.pass-rate",
      "field:1.result",
    ]);
  });
  it("keeps a matching sub-item's parent visible", () => {
    expect([...visibleItems(runbook, "unit")!].sort()).toEqual(["1.tests", "1.unit"]);
    expect(visibleItems(runbook, "  ")).toBeNull();
  });
});

describe("the event log", () => {
  it("says who did what in the runbook's words", () => {
    expect(describeEvent(event(2, "item_checked", { item: "1.unit" }), doc.runbook)).toBe("checked “Unit suite”");
    expect(describeEvent(event(3, "field_set", { field: "1.pass-rate", value: "97" }), doc.runbook)).toBe("set Pass Rate = 97%");
    expect(describeEvent(event(4, "signoff_recorded", { signoff: "gates", by: "R", override_reason: "drill" }), doc.runbook)).toBe(
      "signed off Gates with override: drill",
    );
  });
});

describe("times, written without Intl", () => {
  const now = new Date(2026, 11, 4, 18, 30, 0);
  it("shows a time today on a 24-hour clock, the date too on another day", () => {
    expect(formatTime(new Date(2026, 11, 4, 9, 5, 7).toISOString(), now)).toBe("09:05:07");
    expect(formatTime(new Date(2026, 11, 3, 23, 59, 1).toISOString(), now)).toBe("Dec 3 23:59:01");
    expect(formatTime(new Date(2025, 0, 12, 14, 0, 0).toISOString(), now)).toBe("Jan 12 14:00:00");
  });
  it("keeps what it cannot read, and shows nothing for nothing", () => {
    expect(formatTime("soon", now)).toBe("soon");
    expect(formatTime(null, now)).toBe("");
  });
  it("writes a T-0 to the minute, year first, and reads it back as local time", () => {
    expect(formatMinute(new Date(2026, 0, 2, 3, 4, 59))).toBe("2026-01-02 03:04");
    expect(parseLocalMinute("2026-01-02 03:04")).toEqual(new Date(2026, 0, 2, 3, 4));
    expect(parseLocalMinute(" 2026-12-04T18:30 ")).toEqual(new Date(2026, 11, 4, 18, 30));
    expect(parseLocalMinute(formatMinute(now))).toEqual(now);
  });
  it("refuses what is not a date and a time of day", () => {
    for (const bad of ["", "tomorrow", "2026-12-04", "2026-13-01 10:00", "2026-02-31 10:00", "2026-12-04 24:00", "2026-12-04 10:60"]) {
      expect(parseLocalMinute(bad), bad).toBeNull();
    }
  });
});
