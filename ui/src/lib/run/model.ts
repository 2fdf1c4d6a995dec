// Pure helpers over a runbook and its folded state: lookups, progress, validation, the
// timeline scale and event descriptions. No IPC and no DOM here, so all of it is unit-tested.
import { describeAttempt, describeReadAgain, describeRecord } from "../controls/format";
import { fromLocal, localParts } from "../shared/time";
import type {
  Block,
  ControlRecord,
  ReadAgain,
  Field,
  FieldState,
  Incomplete,
  ItemState,
  MetaState,
  Phase,
  Runbook,
  RunState,
  Section,
  SignOff,
  SignOffState,
  StoredEvent,
} from "../bindings";

export interface StateIndex {
  items: Map<string, ItemState>;
  fields: Map<string, FieldState>;
  meta: Map<string, MetaState>;
  signoffs: Map<string, SignOffState>;
}

export function indexState(s: RunState): StateIndex {
  return {
    items: new Map(s.items.map((i) => [i.id, i])),
    fields: new Map(s.fields.map((f) => [f.id, f])),
    meta: new Map(s.metadata.map((m) => [m.key, m])),
    signoffs: new Map(s.signoffs.map((o) => [o.id, o])),
  };
}

export interface Progress {
  itemsDone: number;
  items: number;
  fieldsDone: number;
  fields: number;
}

export function progressOf(itemIds: string[], fieldIds: string[], idx: StateIndex): Progress {
  return {
    itemsDone: itemIds.filter((id) => idx.items.get(id)?.checked).length,
    items: itemIds.length,
    fieldsDone: fieldIds.filter((id) => idx.fields.get(id)?.value != null).length,
    fields: fieldIds.length,
  };
}

export function sectionProgress(rb: Runbook, section: Section, idx: StateIndex): Progress {
  return progressOf(
    rb.items.filter((i) => i.section === section.id).map((i) => i.id),
    rb.fields.filter((f) => f.section === section.id).map((f) => f.id),
    idx,
  );
}

export function phaseProgress(rb: Runbook, phase: Phase, idx: StateIndex): Progress {
  return progressOf(
    rb.items.filter((i) => i.phase === phase.id).map((i) => i.id),
    rb.fields.filter((f) => f.phase === phase.id).map((f) => f.id),
    idx,
  );
}

export function ratio(p: Progress): number {
  const total = p.items + p.fields;
  return total === 0 ? 1 : (p.itemsDone + p.fieldsDone) / total;
}

/** What a sign-off would vouch for that is not done yet, in document order (as the engine). */
export function incompleteFor(so: SignOff, idx: StateIndex): Incomplete[] {
  return [
    ...so.items.filter((id) => idx.items.get(id)?.checked === false).map((id) => ({ kind: "item", id })),
    ...so.fields.filter((id) => idx.fields.get(id)?.value == null).map((id) => ({ kind: "field", id })),
  ];
}

/** A label for an incomplete entry: the item's text or the field's label. */
export function describeIncomplete(rb: Runbook, x: Incomplete): string {
  if (x.kind === "item") return rb.items.find((i) => i.id === x.id)?.text ?? x.id;
  const f = rb.fields.find((f) => f.id === x.id);
  if (!f) return x.id;
  return f.group ? `${f.group}: ${f.label}` : f.label;
}

/**
 * Why `value` does not fit `field`, or null when it does: the engine's rules
 * (run::normalize_value), checked here first so a typo never costs a round trip.
 */
export function validateField(field: Field, value: string): string | null {
  const v = value.trim();
  if (v === "") return "enter a value";
  const num = (s: string) => (s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : null);
  switch (field.kind.kind) {
    case "text":
      return null;
    case "number":
      return num(v) === null ? "not a number" : null;
    case "percent": {
      const n = num(v.endsWith("%") ? v.slice(0, -1) : v);
      if (n === null) return "not a percentage";
      return n < 0 || n > 100 ? "must be between 0 and 100" : null;
    }
    case "duration": {
      const n = num(v);
      if (n === null) return `a number${field.unit ? ` of ${field.unit}` : ""}`;
      return n < 0 ? "cannot be negative" : null;
    }
    case "choice":
      return field.kind.options.some((o) => o.toLowerCase() === v.toLowerCase())
        ? null
        : `one of ${field.kind.options.join(", ")}`;
  }
}

// ---- the timeline: T-24h … T-0 … D+7 on a piecewise scale, so the one-hour cutover window
// is as readable as the day before it and the week after.

const MIN = 1;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** [minutes relative to T-0, position 0..1] */
const STOPS: [number, number][] = [
  [-DAY, 0],
  [-4 * HOUR, 0.22],
  [0, 0.34],
  [2 * HOUR, 0.6],
  [DAY, 0.76],
  [7 * DAY, 1],
];
export const TIMELINE_TICKS: { at: number; label: string }[] = [
  { at: -DAY, label: "T-24h" },
  { at: -4 * HOUR, label: "T-4h" },
  { at: 0, label: "T-0" },
  { at: HOUR, label: "T+1h" },
  { at: 2 * HOUR, label: "T+2h" },
  { at: DAY, label: "D+1" },
  { at: 7 * DAY, label: "D+7" },
];

/** Position (0..1) of `min` minutes from T-0 on the timeline; clamped to its ends. */
export function timelinePos(min: number): number {
  if (min <= STOPS[0][0]) return 0;
  for (let i = 1; i < STOPS.length; i++) {
    const [m1, p1] = STOPS[i];
    const [m0, p0] = STOPS[i - 1];
    if (min <= m1) return p0 + ((min - m0) / (m1 - m0)) * (p1 - p0);
  }
  return 1;
}

/** T-0 from the Cutover Date metadata value: an ISO date-time, or null when unreadable. */
export function parseT0(value: string | null | undefined): Date | null {
  if (!value) return null;
  const t = Date.parse(value.trim());
  return Number.isNaN(t) ? null : new Date(t);
}

/** Minutes from T-0 to `now`. */
export function minutesFromT0(t0: Date, now: Date): number {
  return (now.getTime() - t0.getTime()) / 60000;
}

/** `T-3h 20m`, `T+45m`, `D+2` for a distance from T-0 in minutes. */
export function formatRelative(min: number): string {
  const sign = min < 0 ? "-" : "+";
  const a = Math.abs(Math.round(min));
  if (a >= DAY && min > 0) return `D+${Math.floor(a / DAY)}`;
  const h = Math.floor(a / HOUR);
  const m = a % HOUR;
  if (h === 0) return `T${sign}${m}m`;
  return `T${sign}${h}h${m ? ` ${m}m` : ""}`;
}

// ---- the event log

export function describeEvent(e: StoredEvent, rb: Runbook): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const s = (k: string) => String(p[k] ?? "");
  const itemText = (id: string) => rb.items.find((i) => i.id === id)?.text ?? id;
  const field = (id: string) => rb.fields.find((f) => f.id === id);
  switch (e.kind) {
    case "run_created":
      return `started the run (${s("release")} on ${s("env")})`;
    case "metadata_set":
      return `set ${rb.metadata.find((m) => m.key === s("key"))?.label ?? s("key")} = ${s("value")}`;
    case "item_checked":
      return `checked “${itemText(s("item"))}”`;
    case "item_unchecked":
      return `unchecked “${itemText(s("item"))}”`;
    case "field_set": {
      const f = field(s("field"));
      const unit = f?.unit && f.unit !== "%" ? ` ${f.unit}` : f?.unit ?? "";
      return `set ${f ? describeIncomplete(rb, { kind: "field", id: f.id }) : s("field")} = ${s("value")}${unit}`;
    }
    case "note_added":
      return `noted: ${s("text")}`;
    case "signoff_recorded": {
      const name = rb.signoffs.find((o) => o.id === s("signoff"))?.name ?? s("signoff");
      return p.override_reason ? `signed off ${name} with override: ${s("override_reason")}` : `signed off ${name}`;
    }
    case "decision_recorded": {
      const d = s("decision").toUpperCase();
      return `decided ${d}: ${s("rationale")}${p.override_reason ? ` (override: ${s("override_reason")})` : ""}`;
    }
    case "step_started":
      return `ran ${s("kind")} step of “${itemText(rb.steps.find((x) => x.id === s("step"))?.item ?? s("step"))}”: ${s("what")}${p.confirmed_on ? ` (confirmed on ${s("confirmed_on")})` : ""}`;
    case "step_output":
      return `${s("stream")} of ${s("step")} kept`;
    case "step_finished": {
      const r = (p.result ?? {}) as Record<string, unknown>;
      const outcome = String(r.outcome ?? (r.failure ? "failed" : "passed"));
      return `step ${s("step")} ${outcome}${r.duration_ms != null ? ` in ${r.duration_ms} ms` : ""}`;
    }
    case "field_captured": {
      const f = field(s("field"));
      return `captured ${f ? describeIncomplete(rb, { kind: "field", id: f.id }) : s("field")} = ${s("value")}`;
    }
    case "control_attempted":
      return describeAttempt(p as unknown as ControlRecord);
    case "control_action":
      return describeRecord(p as unknown as ControlRecord);
    case "watch_plan_set":
      return `set the watch plan: T-0 ${s("t0")}, ${Array.isArray(p.bands) ? p.bands.length : 0} bands`;
    case "watch_slot": {
      const failed = Array.isArray(p.lines) ? (p.lines as { name: string; passed: boolean }[]).filter((l) => !l.passed).map((l) => l.name) : [];
      const how = s("status") === "missed" ? `missed (${s("reason")})` : s("status") === "failed" ? `failed: ${failed.join(", ")}` : s("status");
      return `watch ${s("slot")}${p.catch_up ? " (catch-up)" : ""} ${how}`;
    }
    case "watch_band_clean":
      return `watch band ${s("band")} ran clean: checked ${Array.isArray(p.items) ? (p.items as string[]).map((i) => `“${itemText(i)}”`).join(", ") : ""}`;
    case "alert_notified":
      return `${p.test ? "test " : ""}alert ${s("severity")} ${s("group")} → ${s("receiver")} (${s("receiver_kind")}): ${p.sent ? "sent" : `failed after ${s("attempts")} tries: ${s("error")}`}`;
    case "control_read_again":
      return describeReadAgain(p as unknown as ReadAgain);
    default:
      return e.kind.replaceAll("_", " ");
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

// Times are written out by hand, not with `toLocale…String`: the window is in English and a
// 24-hour clock reads the same everywhere, and Intl's formatters make WebKit's web process map
// ~3 MiB of ICU's locale data that nothing else in the page needs (issue 16).
// Local fields come from `shared/time.ts` (the zone as the app sent it), not `getHours()`.

/** `14:02:07` local, or the date too when it is not today (`Dec 4 14:02:07`). */
export function formatTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return "";
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return iso;
  const d = localParts(ms);
  const n = localParts(now.getTime());
  const time = `${two(d.hours)}:${two(d.minutes)}:${two(d.seconds)}`;
  if (d.year === n.year && d.month === n.month && d.day === n.day) return time;
  return `${MONTHS[d.month]} ${d.day} ${time}`;
}

/** A moment to the minute, local: `2026-12-04 14:00`. */
export function formatMinute(at: Date): string {
  const d = localParts(at.getTime());
  return `${d.year}-${two(d.month + 1)}-${two(d.day)} ${two(d.hours)}:${two(d.minutes)}`;
}

/** `2026-12-04 14:00` (or with a `T`, as `datetime-local` writes it) read as local time; null
 * unless it is a real date and time of day. */
export function parseLocalMinute(text: string): Date | null {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59) return null;
  const t = fromLocal(y, mo - 1, d, h, mi);
  // 2026-02-31 would roll over into March: refused, not moved.
  const p = localParts(t);
  return p.year === y && p.month === mo - 1 && p.day === d ? new Date(t) : null;
}

/** A heading without emoji decoration (`Pre-Flight Gates Validation ✅`): symbols stay. */
export function title(text: string): string {
  return text.replace(/\s*\p{Emoji_Presentation}\s*/gu, " ").trim();
}

/** Text without Markdown emphasis and code markers, for prose blocks shown as plain text. */
export function plain(md: string): string {
  return md.replace(/\*\*|__|`/g, "");
}

/**
 * Items to show for a search: those whose text or id contains `q` (any case), and their
 * ancestors so each match keeps its place in the tree; null shows everything.
 */
export function visibleItems(rb: Runbook, q: string): Set<string> | null {
  const needle = q.trim().toLowerCase();
  if (!needle) return null;
  const byId = new Map(rb.items.map((i) => [i.id, i]));
  const out = new Set<string>();
  for (const i of rb.items) {
    if (i.text.toLowerCase().includes(needle) || i.id.toLowerCase().includes(needle)) {
      for (let cur: typeof i | undefined = i; cur && !out.has(cur.id); cur = cur.parent ? byId.get(cur.parent) : undefined) {
        out.add(cur.id);
      }
    }
  }
  return out;
}

/** The section to show first: the first (in document order) with an item not yet checked, else
 * the first with a field not yet filled, else the first. */
export function currentSection(rb: Runbook, idx: StateIndex): Section | null {
  const order = [...rb.sections.filter((x) => !x.phase), ...rb.phases.flatMap((ph) => rb.sections.filter((x) => x.phase === ph.id))];
  const open = (x: Section) => {
    const p = sectionProgress(rb, x, idx);
    return p.itemsDone < p.items || p.fieldsDone < p.fields;
  };
  return order.find(open) ?? order[0] ?? null;
}

/** About how tall block `b` draws, in px: the space a section keeps for it until its detail is
 * built (`window.svelte.ts`), so the rows around it move little when it comes. */
export function deferredHeight(rb: Runbook, b: Block): number {
  switch (b.type) {
    case "step": {
      const lines = (rb.steps.find((x) => x.id === b.id)?.code ?? "").replace(/\n$/, "").split("\n").length;
      return 34 + 17 * Math.min(lines, 6) + (lines > 6 ? 22 : 0);
    }
    case "fields":
      return 28 * Math.ceil(b.ids.length / 3);
    case "prose":
      return 18 * Math.max(1, Math.ceil(b.text.length / 110));
    case "sign_off":
      return 64;
    case "decision":
      return 280;
    default:
      return 0;
  }
}
