// The Watch tab's pure shaping: the band grammar as the engine writes it, the strip's groups,
// labels and alert outcomes.
import { describe, expect, it } from "vitest";
import { watchView } from "../testing/watch";
import { alertOutcome, bandText, cellLabel, delayText, minutesText, stripGroups, tPlus } from "./model";
import { alertRecord } from "../testing/watch";

describe("watch model", () => {
  it("writes minutes and bands as the engine and the CLI do", () => {
    expect([5, 120, 1440, 90, 0].map(minutesText)).toEqual(["5m", "2h", "1d", "90m", "0m"]);
    expect(bandText({ from_min: 0, to_min: 120, every_min: 5, items: [] })).toBe("0m-2h/5m");
    expect(bandText({ from_min: 1440, to_min: 10080, every_min: 1440, items: [] })).toBe("1d-7d/1d");
    expect([tPlus(125), tPlus(1500)]).toEqual(["T+2:05", "D+1 T+25:00"]);
  });

  it("groups check slots by band in the plan's order and summaries by day", () => {
    const st = watchView().status!;
    const g = stripGroups(st);
    expect(g.map((x) => [x.label, x.cells.length])).toEqual([
      ["checks 0m-20m/5m", 4],
      ["checks 20m-40m/10m", 2],
      ["summaries D+0", 1],
    ]);
  });

  it("labels a cell with its kind, place and outcome", () => {
    const [ok, , missed, failed, pending] = watchView().status!.cells;
    expect(cellLabel(ok)).toBe("check T+0:00: passed");
    expect(cellLabel(missed)).toBe("check T+0:10: missed (suspended)");
    expect(cellLabel(failed)).toBe("check T+0:15: failed: 8.health-check-validation.step");
    expect(cellLabel(pending)).toBe("check T+0:20: to come");
  });

  it("says how a notice went", () => {
    expect(alertOutcome(alertRecord())).toBe("sent");
    expect(alertOutcome(alertRecord({ sent: false, attempts: 4, error: "connection refused" }))).toBe("failed after 4 tries: connection refused");
    expect([delayText(350), delayText(31_000), delayText(125_000)]).toEqual(["350 ms", "31 s", "2 min 5 s"]);
  });
});
