// The Controls view's state: the run's environment's flags and breakers (with expected state and
// drift), and one change at a time going preview → reason → confirmation (production) → apply →
// read back → verified (or the failure). Every step is the engine's answer; nothing is guessed.
import { flushSync } from "svelte";
import { type Backend, BackendError } from "../backend";
import type { ControlRecord, ControlReq, ControlsOverview, DriftRow, FlagState, Preview, Setting, Target } from "../bindings";
import { request } from "./format";

export type Stage = "loading" | "preview" | "confirm" | "applying" | "done";

/** One change in progress. */
export class Change {
  stage = $state<Stage>("loading");
  preview = $state<Preview | null>(null);
  reason = $state("");
  /** What the user typed to confirm a production change (must be the environment's name). */
  confirmText = $state("");
  record = $state<ControlRecord | null>(null);
  error = $state<string | null>(null);
  /** The preview was taken again because the control moved since the last one. */
  moved = $state<string | null>(null);
  /** A breaker read again after its open interval: the state then, or the read's error. */
  again = $state<{ after_s: number; state: Setting | null; error: string | null } | null>(null);
  /** Seconds to wait before reading a breaker again (its open interval); 0: do not. */
  recheckS = $state(30);

  constructor(
    private backend: Backend,
    readonly req: ControlReq,
  ) {}

  get production(): boolean {
    return this.preview?.needs_confirmation ?? false;
  }

  get confirmed(): boolean {
    return !this.production || this.confirmText.trim() === this.req.env;
  }

  async start(): Promise<void> {
    this.stage = "loading";
    this.error = null;
    try {
      this.preview = await this.backend.previewControl(this.req);
      this.stage = "preview";
    } catch (e) {
      this.error = BackendError.from(e).message;
      this.stage = "preview";
    }
  }

  /** From the preview and its reason: to the confirmation on production, else apply. */
  async next(onapplied: () => void): Promise<void> {
    if (!this.preview || !this.reason.trim()) {
      this.error = "A reason is required: it is kept with the change in the run's log.";
      return;
    }
    this.error = null;
    if (this.production && this.stage === "preview") {
      this.stage = "confirm";
      return;
    }
    if (!this.confirmed) {
      this.error = `Type ${this.req.env} to confirm a change on production.`;
      return;
    }
    await this.apply(onapplied);
  }

  private async apply(onapplied: () => void): Promise<void> {
    const p = this.preview!;
    this.stage = "applying";
    try {
      const change: ControlReq = { ...this.req, reason: this.reason.trim(), expect_from: p.from };
      const r = await this.backend.applyControl({ change, confirm_env: this.production ? this.confirmText.trim() : null });
      onapplied();
      if (r.outcome === "refused") {
        // Someone moved it since the preview: nothing was sent; preview again, reason kept.
        this.moved = r.error ?? "it changed since the preview";
        this.confirmText = "";
        await this.start();
        return;
      }
      this.record = r;
      this.stage = "done";
      if (r.outcome === "applied" && this.req.target.control === "breaker" && this.recheckS > 0) void this.readAgain(change, r, this.recheckS);
    } catch (e) {
      this.error = BackendError.from(e).message;
      this.stage = this.production ? "confirm" : "preview";
    }
  }

  /** Read a breaker again after `s` seconds (the app waits, reads, and records the read in the
   * run's log next to the change): a forced state drifting back shows as a failure. */
  async readAgain(change: ControlReq, r: ControlRecord, s: number): Promise<void> {
    try {
      const a = await this.backend.readAgainControl({ change, attempt: r.attempt ?? null, expected: r.to, after_ms: Math.round(s * 1000) });
      this.again = { after_s: s, state: a.state, error: a.error ?? null };
    } catch (e) {
      this.again = { after_s: s, state: null, error: BackendError.from(e).message };
    }
  }
}

/** A flag as shown: as read, with its expected state; `missing`: expected but not on the target. */
export type FlagRow = FlagState & { expected: string | null; drift: boolean; missing: boolean };

export class ControlsSession {
  view = $state<ControlsOverview | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  filter = $state("");
  change = $state<Change | null>(null);
  /** Milliseconds from the answer to the rows in the DOM and laid out (`render_ms`), from the
   * answer to two animation frames later (`painted_ms`), and from asking to painted (`load_ms`). */
  timing = $state<{ load_ms: number; render_ms: number; painted_ms: number } | null>(null);

  rows: FlagRow[] = $derived(this.view ? joinDrift(this.view.flags, this.view.drift) : []);
  shown: FlagRow[] = $derived(filterRows(this.rows, this.filter));

  constructor(
    private backend: Backend,
    readonly runId: string,
  ) {}

  async load(): Promise<void> {
    this.loading = true;
    this.timing = null;
    const t0 = performance.now();
    try {
      const v = await this.backend.listControls(this.runId);
      const t1 = performance.now();
      this.view = v;
      this.error = null;
      // The rows in the DOM now, and laid out (reading a layout property forces it).
      flushSync();
      void document.body?.offsetHeight;
      const t2 = performance.now();
      // Two frames later they have been painted.
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          const t3 = performance.now();
          this.timing = { load_ms: t3 - t0, render_ms: t2 - t1, painted_ms: t3 - t1 };
        }),
      );
    } catch (e) {
      this.error = BackendError.from(e).message;
    } finally {
      this.loading = false;
    }
  }

  begin(t: Target): void {
    if (!this.view) return;
    const c = new Change(this.backend, request(this.view.env, this.runId, t));
    this.change = c;
    void c.start();
  }

  close(): void {
    this.change = null;
  }
}

export function joinDrift(flags: FlagState[], drift: DriftRow[]): FlagRow[] {
  const byKey = new Map(drift.map((d) => [d.key, d]));
  const rows: FlagRow[] = flags.map((f) => {
    const d = byKey.get(f.key);
    return { ...f, expected: d?.expected ?? null, drift: d?.drift ?? false, missing: false };
  });
  // An expected flag the target does not have is drift too.
  const have = new Set(flags.map((f) => f.key));
  for (const d of drift) if (!have.has(d.key)) rows.push({ key: d.key, enabled: false, rollout: 0, expected: d.expected, drift: true, missing: true });
  return rows;
}

function filterRows(rows: FlagRow[], q: string): FlagRow[] {
  const t = q.trim().toLowerCase();
  if (!t) return rows;
  if (t === "drift") return rows.filter((r) => r.drift);
  return rows.filter((r) => r.key.toLowerCase().includes(t));
}
