// One open run: its runbook, its live state, and the writes the run screen makes. Every write
// answers the run's new state (RunLive), so the screen never guesses what the log holds.
import { getContext, setContext } from "svelte";
import { type Backend, BackendError } from "../backend";
import type { DecideReq, Runbook, RunLive, StepOutput, Verdict } from "../bindings";
import { indexState, type StateIndex, visibleItems } from "./model";

export class RunSession {
  runbook = $state<Runbook | null>(null);
  live = $state<RunLive | null>(null);
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
    private backend: Backend,
    readonly runId: string,
    private onerror: (e: BackendError) => void,
  ) {}

  get id(): string {
    return this.live?.state.run_id ?? this.runId;
  }

  async load(): Promise<void> {
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
    if (!this.live || headSeq === this.live.state.event_count) return;
    try {
      this.live = await this.backend.runLive(this.id);
    } catch (e) {
      this.onerror(BackendError.from(e));
    }
  }

  private async apply(p: Promise<RunLive>): Promise<boolean> {
    try {
      this.live = await p;
      return true;
    } catch (e) {
      this.onerror(BackendError.from(e));
      return false;
    }
  }

  check = (item: string, checked: boolean) => this.apply(this.backend.checkItem({ run: this.id, item, checked }));
  setField = (field: string, value: string) => this.apply(this.backend.setField({ run: this.id, field, value }));
  setMeta = (key: string, value: string) => this.apply(this.backend.setMeta({ run: this.id, key, value }));
  note = (text: string, item: string | null) => this.apply(this.backend.addNote({ run: this.id, text, item }));

  /** Sign off; an `incomplete` refusal is thrown back so the slot can show what is missing. */
  async signOff(signoff: string, overrideReason: string | null): Promise<void> {
    this.live = await this.backend
      .signOff({ run: this.id, signoff, override_reason: overrideReason })
      .catch((e) => Promise.reject(BackendError.from(e)));
  }

  /** Run a step; `onOutput` sees its live output. False when it could not be run. */
  runStep = (step: string, onOutput: (o: StepOutput) => void) =>
    this.apply(this.backend.runStep({ run: this.id, step }, onOutput));

  async decide(decision: Verdict, rationale: string, overrideReason: string | null): Promise<void> {
    const req: DecideReq = { run: this.id, decision, rationale, override_reason: overrideReason };
    this.live = await this.backend.decide(req).catch((e) => Promise.reject(BackendError.from(e)));
  }
}

const KEY = Symbol("run-session");
export const provideSession = (s: RunSession) => setContext(KEY, s);
export const useSession = () => getContext<RunSession>(KEY);
