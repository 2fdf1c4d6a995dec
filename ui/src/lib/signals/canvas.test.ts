// The canvas chart's data shaping: what uPlot is given for a panel.
import { describe, expect, it } from "vitest";
import type { Panel } from "../bindings";
import { aligned, yRange } from "./canvas";
import { formatValue } from "./format";

const base: Panel = { id: "p", title: "P", unit: "s", from: 0, to: 100, scale: { type: "linear" }, lines: [], marks: [], thresholds: [], verdicts: [], no_data: null };

describe("the canvas chart", () => {
  it("aligns lines on the union of their times: another line's time is spanned, a gap stays a gap", () => {
    const p: Panel = {
      ...base,
      lines: [
        { label: "a", unit: "s", points: [[0, 1], [10, null], [20, 3]], no_data: null },
        { label: "b", unit: "s", points: [[5, 7], [20, 8]], no_data: null },
      ],
    };
    expect(aligned(p)).toEqual([
      [0, 5, 10, 20],
      [1, undefined, null, 3],
      [undefined, 7, undefined, 8],
    ]);
  });

  it("puts values under a log axis' floor on the floor, as the SVG does", () => {
    const p: Panel = { ...base, scale: { type: "log", floor: 0.1 }, lines: [{ label: "5m", unit: "x", points: [[0, 0], [1, 50]], no_data: null }] };
    expect(aligned(p)[1]).toEqual([0.1, 50]);
    expect(yRange(p), "0.1× to 50× spans whole decades up to 100×").toEqual([0.1, 100]);
  });

  it("keeps zero and every threshold on a linear axis", () => {
    const p: Panel = { ...base, thresholds: [{ value: 0.5, label: "SLO", kind: "page" }], lines: [{ label: "p95", unit: "s", points: [[0, 0.2]], no_data: null }] };
    const [lo, hi] = yRange(p);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(0.5);
  });

  it("reads values in their unit, as the app's SVG does", () => {
    expect(formatValue(0.25, "s")).toBe("250ms");
    expect(formatValue(0.05, "ratio")).toBe("5%");
    expect(formatValue(14.4, "x")).toBe("14.4×");
    expect(formatValue(12_345, "/s")).toBe("12.3k/s");
    expect(formatValue(Number.NaN, "s")).toBe("—");
  });
});
