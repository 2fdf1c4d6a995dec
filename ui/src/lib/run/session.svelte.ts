// One open run: its runbook, its live state, and the writes the run screen makes. Every write
// answers the run's new state (RunLive), so the screen never guesses what the log holds.
// A read-only session (an archive's run, rebuilt from its embedded log) has no backend: every
// write refuses without a call, and the components render disabled.
import { getContext, setContext } from "svelte";
import { type Backend, BackendError } from "../backend";
import type { DecideReq, Runbook, RunDoc, RunLive, StepOutput, Verdict } from "../bindings";
import { indexState, type StateIndex, visibleItems } from "./model";

/** How a step run ended: recorded (passed, failed or cancelled), not run (the error was
 * reported), or held for the user's confirmation (a production target), with the reason. */
export type StepRun = { outcome: "ran" } | { outcome: "failed" } | { outcome: "confirm"; message: string };

const READ_ONLY = "This run is read-only: it was rebuilt from an archive.";

export class RunSession {
  // Raw: both are replaced whole by every answer and never changed in place, so Svelte needs
  // no deep proxy (and its per-property signals) over the whole runbook and log.
  runbook = $state.raw<Runbook | null>(null);
  live = $state.raw<RunLive | null>(null);
  loadError = $state<string | null>(null);
  idx: StateIndex | null = $derived(this.live ? indexState(this.live.state) : null);
  /** The search box's text, and the items it leaves visible (null: all). */
  query = $state("");
  visible: Set<string> | null = $derived(this.runbook ? visibleItems(this.runbook, this.query) : null);
  /** Who the app records events as (shown on sign-off and decision buttons). */
  user = $state<string | null>(null);
  /** The item the keyboard cursor is on. */
  cursor = $state<string | null>(null);

  constructor(
    private backend: Backend | null,
    readonly runId: string,
    private onerror: (e: BackendError) => void,
  ) {}

  /** A session over `doc` as given: nothing is loaded, followed or written. */
  static readonly(doc: RunDoc): RunSession {
    const s = new RunSession(null, doc.live.state.run_id, () => {});
    s.runbook = doc.runbook;
    s.live = doc.live;
    return s;
  }

  /** No writes: the components render disabled and every write method refuses. */
  get readonly(): boolean {
    return this.backend === null;
  }

  get id(): string {
    return this.live?.state.run_id ?? this.runId;
  }

  async load(): Promise<void> {
    if (!this.backend) return;
    try {
      const doc = await this.backend.openRun(this.runId);
      this.runbook = doc.runbook;
      this.live = doc.live;
    } catch (e) {
      this.loadError = BackendError.from(e).message;
    }
  }

  /** Reload the live part when the store says the log moved past what is shown. */
  async follow(headSeq: number): Promise<void> {
    if (!this.backend || !this.live || headSeq === this.live.state.event_count) return;
    try {
      this.live = await this.backend.runLive(this.id);
    } catch (e) {
      this.onerror(BackendError.from(e));
    }
  }

  private async apply(call: (b: Backend) => Promise<RunLive>): Promise<boolean> {
    const b = this.backend;
    if (!b) return false;
    try {
      this.live = await call(b);
      return true;
    } catch (e) {
      this.onerror(BackendError.from(e));
      return false;
    }
  }

  /** For writes whose refusals the caller shows itself: rejects with the BackendError. */
  private async applyOrThrow(call: (b: Backend) => Promise<RunLive>): Promise<void> {
    const b = this.backend;
    if (!b) throw new BackendError({ code: "invalid", message: READ_ONLY, missing: [] });
    this.live = await call(b).catch((e) => Promise.reject(BackendError.from(e)));
  }

  check = (item: string, checked: boolean) => this.apply((b) => b.checkItem({ run: this.id, item, checked }));
  setField = (field: string, value: string) => this.apply((b) => b.setField({ run: this.id, field, value }));
  setMeta = (key: string, value: string) => this.apply((b) => b.setMeta({ run: this.id, key, value }));
  note = (text: string, item: string | null) => this.apply((b) => b.addNote({ run: this.id, text, item }));

  /** Sign off; an `incomplete` refusal is thrown back so the slot can show what is missing. */
  signOff = (signoff: string, overrideReason: string | null, soloReason: string | null = null): Promise<void> =>
    this.applyOrThrow((b) => b.signOff({ run: this.id, signoff, override_reason: overrideReason, solo_reason: soloReason }));

  /**
   * Run a step; `onOutput` sees its live output. A step that changes a production target is
   * refused with `confirm` until `confirmed`: that refusal is answered, not reported, so the
   * step can ask the user and run again.
   */
  async runStep(step: string, onOutput: (o: StepOutput) => void, confirmed = false): Promise<StepRun> {
    const b = this.backend;
    if (!b) return { outcome: "failed" };
    try {
      this.live = await b.runStep({ run: this.id, scope: { step }, concurrency: null, confirmed }, onOutput);
      return { outcome: "ran" };
    } catch (e) {
      const be = BackendError.from(e);
      if (be.code === "confirm" && !confirmed) return { outcome: "confirm", message: be.message };
      this.onerror(be);
      return { outcome: "failed" };
    }
  }

  /** Cancel a running step: its run then answers, recorded as cancelled. False if it was not running. */
  async cancelStep(step: string): Promise<boolean> {
    const b = this.backend;
    if (!b) return false;
    try {
      return await b.cancelStep({ run: this.id, step });
    } catch (e) {
      this.onerror(BackendError.from(e));
      return false;
    }
  }

  /** Decide (or vote GO toward the minimum of approvers); `soloReason` is a solo override. */
  decide = (decision: Verdict, rationale: string, overrideReason: string | null, soloReason: string | null = null): Promise<void> => {
    const req: DecideReq = { run: this.id, decision, rationale, override_reason: overrideReason, solo_reason: soloReason };
    return this.applyOrThrow((b) => b.decide(req));
  };
}

const KEY = Symbol("run-session");
export const provideSession = (s: RunSession) => setContext(KEY, s);
export const useSession = () => getContext<RunSession>(KEY);
