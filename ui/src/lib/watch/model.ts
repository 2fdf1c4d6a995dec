// The Watch tab's shaping of the engine's answer: the strip's groups (check slots by band,
// summaries and budget summaries by day), labels, and the grammar of a band (`0h-2h/5m`) as the
// engine and the CLI write it. Pure functions: tested in model.test.ts.
import type { AlertRecord, Band, SlotKind, WatchCell, WatchStatus } from "../bindings";

export const DAY_MIN = 1440;

/** `5m`, `2h`, `1d`, `90m`: as the engine's `minutes_text`. */
export function minutesText(m: number): string {
  if (m > 0 && m % DAY_MIN === 0) return `${m / DAY_MIN}d`;
  if (m > 0 && m % 60 === 0) return `${m / 60}h`;
  return `${m}m`;
}

/** `0h-2h/5m`: as the engine's `band_text`. */
export const bandText = (b: Band): string => `${minutesText(b.from_min)}-${minutesText(b.to_min)}/${minutesText(b.every_min)}`;

/** `T+2:05`, `D+1 T+26:00`: a slot's place after T-0. */
export function tPlus(minute: number): string {
  const h = Math.floor(minute / 60);
  const m = String(minute % 60).padStart(2, "0");
  const d = Math.floor(minute / DAY_MIN);
  return d > 0 ? `D+${d} T+${h}:${m}` : `T+${h}:${m}`;
}

export type CellState = "passed" | "failed" | "missed" | "pending";

export const stateOf = (c: WatchCell): CellState => c.status ?? "pending";

export interface StripGroup {
  key: string;
  kind: SlotKind;
  /** `checks 0h-2h/5m`, `summaries D+0`. */
  label: string;
  cells: WatchCell[];
}

const KIND_LABEL: Record<SlotKind, string> = { check: "checks", summary: "summaries", budget: "budget" };

/** The strip: check slots by band (in the plan's order), then summaries and budget summaries by
 * day after T-0. A check outside every band (a plan edited since) goes with its day. */
export function stripGroups(st: WatchStatus): StripGroup[] {
  const groups: StripGroup[] = [];
  const byKey = new Map<string, StripGroup>();
  const add = (key: string, kind: SlotKind, label: string, c: WatchCell) => {
    let g = byKey.get(key);
    if (!g) {
      g = { key, kind, label, cells: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.cells.push(c);
  };
  // The bands first, in the plan's order, whenever their slots come in the list.
  for (const b of st.plan.bands) {
    const g: StripGroup = { key: `band:${bandText(b)}`, kind: "check", label: `checks ${bandText(b)}`, cells: [] };
    byKey.set(g.key, g);
    groups.push(g);
  }
  for (const c of st.cells) {
    const band = c.kind === "check" ? st.plan.bands.find((b) => c.minute >= b.from_min && c.minute < b.to_min) : undefined;
    if (band) {
      add(`band:${bandText(band)}`, "check", `checks ${bandText(band)}`, c);
    } else {
      // A summary at minute 1440 closes day 0: days count the slots that end in them.
      const day = Math.max(0, Math.ceil(c.minute / DAY_MIN) - 1);
      add(`${c.kind}:${day}`, c.kind, `${KIND_LABEL[c.kind]} D+${day}`, c);
    }
  }
  return groups.filter((g) => g.cells.length > 0);
}

/** What a cell says to a screen reader and in its tooltip. */
export function cellLabel(c: WatchCell): string {
  const st = stateOf(c);
  let what: string = st === "pending" ? "to come" : st;
  if (st === "missed" && c.reason) what = `missed (${c.reason})`;
  if (st === "failed" && c.failed.length) what = `failed: ${c.failed.join(", ")}`;
  return `${c.kind} ${tPlus(c.minute)}${c.catch_up ? " (catch-up)" : ""}: ${what}`;
}

/** One alert log line's outcome. */
export function alertOutcome(a: AlertRecord): string {
  if (a.sent) return a.attempts > 1 ? `sent (try ${a.attempts})` : "sent";
  return `failed after ${a.attempts} ${a.attempts === 1 ? "try" : "tries"}${a.error ? `: ${a.error}` : ""}`;
}

/** `1 s`, `350 ms`, `2 min 5 s`: how long a notice took to go out. */
export function delayText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
