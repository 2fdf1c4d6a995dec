// The Watch tab's state: the engine's view of the run's watch (loaded again whenever the run's
// log moves, one load at a time), the slot under the pointer or the keyboard, Start / Stop, the
// plan's bands being edited, and each route's Test with its outcome. Nothing is guessed: every
// figure is the engine's answer.
import { type Backend, BackendError } from "../backend";
import type { AlertRecord, SlotDetail, WatchView } from "../bindings";
import { bandText } from "./model";

/** A route's Test: in flight, its outcomes, or why it could not be sent. */
export type TestState = { sending: true } | { sending: false; records: AlertRecord[] } | { sending: false; error: string };

export class WatchSession {
  view = $state<WatchView | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  /** The slot shown in the detail (`check@+25`), by hover or focus. */
  selected = $state<string | null>(null);
  tests = $state<Record<string, TestState>>({});
  /** The bands as typed in the plan editor (`0h-2h/5m`). */
  bands = $state<string[]>([]);
  planError = $state<string | null>(null);
  planSaved = $state(false);

  details: Map<string, SlotDetail> = $derived(new Map((this.view?.details ?? []).map((d) => [d.record.slot, d])));

  private loading = false;
  private again = false;

  constructor(
    private backend: Backend,
    readonly runId: string,
  ) {}

  private take(v: WatchView) {
    const before = this.view?.status?.plan.bands.map(bandText).join(" ");
    this.view = v;
    this.error = null;
    const now = v.status?.plan.bands.map(bandText) ?? [];
    // The editor follows the plan unless the user is mid-edit of the same plan.
    if (before !== now.join(" ") || this.bands.length === 0) this.bands = now;
  }

  /** Load the view; a call while one is in flight loads once more after it. */
  async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      do {
        this.again = false;
        try {
          this.take(await this.backend.watchView(this.runId));
        } catch (e) {
          this.error = BackendError.from(e).message;
        }
      } while (this.again);
    } finally {
      this.loading = false;
    }
  }

  private async act(f: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await f();
    } catch (e) {
      this.error = BackendError.from(e).message;
    } finally {
      this.busy = false;
    }
  }

  start = () => this.act(async () => this.take(await this.backend.startWatch(this.runId)));

  stop = () =>
    this.act(async () => {
      await this.backend.stopWatch(this.runId);
      // The watch's thread ends at its next reading of the clock; the view follows.
      for (let i = 0; i < 50; i++) {
        await this.load();
        if (!this.view?.running) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    });

  async saveBands(): Promise<void> {
    this.planSaved = false;
    const bands = this.bands.map((b) => b.trim()).filter(Boolean);
    if (!bands.length) {
      this.planError = "A plan needs at least one band (FROM-TO/EVERY, e.g. 0h-2h/5m).";
      return;
    }
    this.busy = true;
    try {
      const v = await this.backend.editWatchPlan({ run: this.runId, t0: null, bands, checks: null, summary_every_min: null, budget_every_min: null, end_min: null });
      this.bands = [];
      this.take(v);
      this.planError = null;
      this.planSaved = true;
    } catch (e) {
      this.planError = BackendError.from(e).message;
    } finally {
      this.busy = false;
    }
  }

  async test(route: string): Promise<void> {
    this.tests = { ...this.tests, [route]: { sending: true } };
    let t: TestState;
    try {
      t = { sending: false, records: await this.backend.testAlertRoute({ run: this.runId, route }) };
    } catch (e) {
      t = { sending: false, error: BackendError.from(e).message };
    }
    this.tests = { ...this.tests, [route]: t };
    void this.load();
  }
}
