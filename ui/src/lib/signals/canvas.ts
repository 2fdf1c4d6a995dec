// The canvas chart (uPlot) of a panel: the reference the plotters SVG is measured against, and
// the live view's renderer when the app is started with `--charts canvas`. Draws the same
// panel the Rust side would: the same decimated points, thresholds, marks and verdicts.
//
// The data shaping is here, with no uPlot import, so it is tested without a canvas.
import type { Panel } from "../bindings";
import { formatValue } from "./format";

/** uPlot's aligned columns: the union of the lines' times, then each line's values. A line has
 * `undefined` where only another line has a point (uPlot draws across it) and `null` where it
 * breaks (a gap in the data, drawn as a gap). */
export type Aligned = [number[], ...(number | null | undefined)[][]];

export const SERIES_LIGHT = ["#1F5EC4", "#D66E00", "#803CAA"];
export const SERIES_DARK = ["#6EA0FF", "#FFA046", "#C88CFF"];

export function aligned(panel: Panel): Aligned {
  const times = new Set<number>();
  for (const l of panel.lines) for (const [t] of l.points) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((t, i) => [t, i]));
  const floor = panel.scale.type === "log" ? panel.scale.floor : null;
  const cols = panel.lines.map((l) => {
    const ys: (number | null | undefined)[] = new Array(xs.length).fill(undefined);
    for (const [t, v] of l.points) {
      const i = at.get(t)!;
      // A gap must win over a value at the same second, or the line would bridge it.
      if (v === null) ys[i] = null;
      else if (ys[i] !== null) ys[i] = floor === null ? v : Math.max(v, floor);
    }
    return ys;
  });
  return [xs, ...cols];
}

/** The value axis' range: every value and threshold inside, zero included on a linear axis,
 * whole decades on a log one (as the SVG draws it). */
export function yRange(panel: Panel): [number, number] {
  const vals: number[] = [];
  for (const l of panel.lines) for (const [, v] of l.points) if (v !== null && Number.isFinite(v)) vals.push(v);
  for (const t of panel.thresholds) vals.push(t.value);
  if (panel.scale.type === "log") {
    const floor = panel.scale.floor;
    const lo = Math.floor(Math.log10(floor));
    const hi = vals.length ? Math.max(...vals.map((v) => Math.log10(Math.max(v, floor))), lo + 1) : lo + 1;
    return [10 ** lo, 10 ** Math.ceil(hi + 0.15)];
  }
  const lo = Math.min(0, ...vals);
  const top = vals.length ? Math.max(...vals) : lo + 1;
  const hi = top > lo ? top : lo + 1;
  return [lo, hi + (hi - lo) * 0.08];
}

export const axisValues = (unit: string) => (_u: unknown, vals: number[]) => vals.map((v) => formatValue(v, unit));
