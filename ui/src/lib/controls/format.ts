// How the Controls view writes states, targets and attempts: the engine's own words
// (`ON (25%)`, `open`, `flag key on --rollout 25`), so the window, the CLI and the archive agree.
import type { ControlRecord, ControlReq, ReadAgain, Setting, Target } from "../bindings";

export function setting(s: Setting | null | undefined): string {
  if (!s) return "unknown";
  return s.type === "flag" ? `${s.enabled ? "ON" : "OFF"} (${s.rollout}%)` : s.state;
}

export function target(t: Target): string {
  if (t.control === "breaker") return `${t.action} breaker ${t.provider}`;
  return `set flag ${t.key} ${t.enabled ? "ON" : "OFF"}${t.rollout != null ? ` (${t.rollout}%)` : ""}`;
}

export const nameOf = (t: Target) => (t.control === "flag" ? t.key : t.provider);

/** A request for `t` in `env`, recorded into `run`; the rest is filled in as the flow goes. */
export function request(env: string, run: string, t: Target): ControlReq {
  return { env, run, target: t, adapter: null, reason: "", expect_from: null, confirmed: false, deadline_ms: null, recheck_ms: null };
}

/** The log's line for a `control_action` event. */
export function describeRecord(r: ControlRecord): string {
  const how = r.outcome === "applied" ? (r.verified ? "applied, verified" : "applied") : r.outcome;
  const why = r.reason ? ` — ${r.reason}` : "";
  const where = r.confirmed_on ? ` (confirmed on ${r.confirmed_on})` : ` in ${r.env}`;
  return `${target(r.target)}${where}: ${setting(r.from)} → ${setting(r.to)}, ${how}${r.error ? `: ${r.error}` : ""}${why}`;
}

/** The log's line for a `control_attempted` event (its outcome follows as a `control_action`). */
export function describeAttempt(r: Pick<ControlRecord, "target" | "env" | "from" | "to" | "reason">): string {
  const why = r.reason ? ` — ${r.reason}` : "";
  return `${target(r.target)} in ${r.env}: ${setting(r.from)} → ${setting(r.to)}, about to be sent${why}`;
}

/** The log's line for a `control_read_again` event. */
export function describeReadAgain(r: ReadAgain): string {
  const after = `${Math.round(r.after_ms / 100) / 10} s`;
  const now = r.state ? setting(r.state) : `unreadable (${r.error ?? "no answer"})`;
  return `${target(r.target)} in ${r.env} read again after ${after}: ${now}${r.held ? ", held" : `, not ${setting(r.expected)}: it did not hold`}`;
}
