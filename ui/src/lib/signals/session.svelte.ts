// The signals of one open run: its SLOs' states (the run header shows them at all times) and,
// while the Signals view is open, its charts. Refreshed every 1–5 s, one request at a time,
// and paused while the window is hidden (document.visibilityState): a minimised app asks
// nothing of Prometheus and draws nothing.
import { type Backend, BackendError } from "../backend";
import type { ChartRange, ChartRender, SignalsView, SloBadge } from "../bindings";
import { offsetAt } from "../shared/time";

export const RANGES: { id: ChartRange; label: string }[] = [
  { id: "m15", label: "15 m" },
  { id: "h1", label: "1 h" },
  { id: "h6", label: "6 h" },
  { id: "since_t24h", label: "since T-24h" },
];

/** The refresh intervals offered, in seconds. */
export const INTERVALS = [1, 2, 3, 4, 5] as const;

export type SignalsOptions = {
  /** `plotters`: the SVG the app draws (the default); `canvas`: uPlot draws the points here. */
  render: ChartRender;
  /** Whether the charts are drawn for the dark theme. */
  dark: () => boolean;
  /** Where visibility is read from (tests pass their own). */
  doc?: Document;
};

export class SignalsSession {
  /** The SLOs' states; null until the first answer. Raw state, like `view`: each answer is
   * replaced whole, never changed in place. */
  slos = $state.raw<SloBadge[] | null>(null);
  sloError = $state<string | null>(null);
  /** The Signals view's last answer, and why the last refresh failed (the panels stay as they were).
   * Raw state: each answer replaces the last whole, so no deep proxy is made over its thousands
   * of points (reading them through one cost the canvas chart hundreds of milliseconds a refresh). */
  view = $state.raw<SignalsView | null>(null);
  viewError = $state<string | null>(null);
  open = $state(false);
  range = $state<ChartRange>("h1");
  intervalS = $state(2);
  hidden = $state(false);
  /** Refreshes that reached the screen, and the last one's time from the samples' arrival in
   * the app to its painted frame (the benchmark reads both from the view's data attributes). */
  painted = $state(0);
  lastPaintMs = $state<number | null>(null);
  /** Where the last refresh's time went, in ms from the samples' arrival: the answer in the
   * page, the DOM updated, images decoded, the animation frame, painted (`ipc dom decode frame
   * paint`, as the chart benchmark prints them). */
  lastPhases = $state<string | null>(null);
  /** When the last answer reached the page (epoch ms). */
  receivedAt = 0;
  /** Each panel's drawing size in CSS pixels, as the view lays them out. */
  size = { width: 560, height: 190 };

  private timer: ReturnType<typeof setTimeout> | null = null;
  private framesUntil = 0;
  private framesOn = false;
  private stopped = true;
  private inflight = false;
  private again = false;
  private readonly doc: Document;

  constructor(
    private backend: Backend,
    readonly runId: string,
    private opts: SignalsOptions,
  ) {
    this.doc = opts.doc ?? document;
  }

  get render(): ChartRender {
    return this.opts.render;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.doc.addEventListener("visibilitychange", this.onVisibility);
    this.hidden = this.doc.visibilityState === "hidden";
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.doc.removeEventListener("visibilitychange", this.onVisibility);
    this.clearTimer();
  }

  /** Show or hide the Signals view; showing it refreshes at once. */
  setOpen(open: boolean): void {
    this.open = open;
    if (open) void this.refresh();
  }

  setRange(range: ChartRange): void {
    this.range = range;
    void this.refresh();
  }

  setInterval(seconds: number): void {
    this.intervalS = Math.min(5, Math.max(1, Math.round(seconds)));
    void this.refresh();
  }

  /** A refresh reached the screen: `ms` from the samples' arrival to the painted frame. */
  notePainted(ms: number, phases?: number[]): void {
    this.framesUntil = 0;
    this.painted += 1;
    this.lastPaintMs = ms;
    this.lastPhases = phases ? phases.map((x) => x.toFixed(2)).join(" ") : null;
  }

  /** Keep the page's frame clock running for up to `ms` while a refresh is under way (until it
   * is painted). An idle WebKit page starts its clock at the first animation-frame request and
   * runs it a whole frame later (~16 ms); on a running clock the answer waits only for the next
   * tick, half a frame on average. A few frames a refresh, none while nothing is asked. */
  private keepFrames(ms: number) {
    if (typeof requestAnimationFrame !== "function") return;
    this.framesUntil = performance.now() + ms;
    if (this.framesOn) return;
    this.framesOn = true;
    const tick = () => {
      if (!this.stopped && performance.now() < this.framesUntil) requestAnimationFrame(tick);
      else this.framesOn = false;
    };
    requestAnimationFrame(tick);
  }

  private onVisibility = () => {
    this.hidden = this.doc.visibilityState === "hidden";
    if (this.hidden) this.clearTimer();
    else void this.refresh();
  };

  private clearTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Ask now; the next refresh follows `intervalS` after the answer. A request already under
   * way is not doubled: one more follows it at once. */
  async refresh(): Promise<void> {
    this.clearTimer();
    if (this.stopped || this.hidden) return;
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = true;
    try {
      await this.fetch();
    } finally {
      this.inflight = false;
    }
    if (this.again) {
      this.again = false;
      return this.refresh();
    }
    if (!this.stopped && !this.hidden) {
      this.timer = setTimeout(() => void this.refresh(), this.intervalS * 1000);
    }
  }

  private async fetch(): Promise<void> {
    if (!this.open) {
      try {
        this.slos = await this.backend.sloStatus(this.runId);
        this.sloError = null;
      } catch (e) {
        this.sloError = BackendError.from(e).message;
      }
      return;
    }
    this.keepFrames(1000);
    try {
      const view = await this.backend.signalPanels({
        run: this.runId,
        range: this.range,
        width: Math.round(this.size.width),
        height: Math.round(this.size.height),
        dark: this.opts.dark(),
        utc_offset_min: offsetAt(Date.now()),
        render: this.opts.render,
      });
      this.receivedAt = performance.timeOrigin + performance.now();
      this.view = view;
      this.viewError = null;
      this.slos = view.slos;
      this.sloError = view.slo_error;
    } catch (e) {
      this.viewError = BackendError.from(e).message;
    }
  }
}
