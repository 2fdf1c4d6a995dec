// The signals' refresh loop: what it asks and when, over a FakeBackend with fake timers, and a
// document whose visibility the test switches.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import { FakeBackend } from "../backend/fake";
import { RUN_ID } from "../testing/fixture";
import { badge, signalsView } from "../testing/signals";
import { SignalsSession } from "./session.svelte";

/** A document whose `visibilityState` the test sets, firing `visibilitychange` as a browser does. */
class Page extends EventTarget {
  visibilityState: DocumentVisibilityState = "visible";
  show(v: DocumentVisibilityState) {
    this.visibilityState = v;
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

let fake: FakeBackend;
let page: Page;
let s: SignalsSession;
const asked = (m: string) => fake.calls.filter((c) => c.method === m).length;

beforeEach(() => {
  vi.useFakeTimers();
  fake = new FakeBackend({ sloStatus: [badge("api-latency-p95", "ok")], signalPanels: signalsView() });
  page = new Page();
  s = new SignalsSession(fake, RUN_ID, { render: "plotters", dark: () => false, doc: page as unknown as Document });
});
afterEach(() => {
  s.stop();
  vi.useRealTimers();
});

describe("SignalsSession", () => {
  it("asks for the SLO states every interval while the view is closed, and for the panels once it opens", async () => {
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(asked("sloStatus")).toBe(1);
    expect(s.slos?.[0].state).toBe("ok");
    await vi.advanceTimersByTimeAsync(2000);
    expect(asked("sloStatus")).toBe(2);
    expect(asked("signalPanels"), "no charts are drawn for a closed view").toBe(0);
    s.setOpen(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(asked("signalPanels"), "opening the view refreshes at once").toBe(1);
    expect(fake.calls.at(-1)?.arg).toMatchObject({ run: RUN_ID, range: "h1", render: "plotters", dark: false });
    await vi.advanceTimersByTimeAsync(2000);
    expect(asked("signalPanels")).toBe(2);
    expect(asked("sloStatus"), "the panels' answer carries the SLO states: no second request").toBe(2);
  });

  it("pauses while the window is hidden and refreshes at once when it shows again", async () => {
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    page.show("hidden");
    expect(s.hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(asked("sloStatus"), "nothing asked in 30 s hidden").toBe(1);
    page.show("visible");
    await vi.advanceTimersByTimeAsync(0);
    expect(asked("sloStatus"), "shown again: asked at once, not after an interval").toBe(2);
    expect(s.hidden).toBe(false);
  });

  it("keeps the interval between 1 and 5 seconds and asks again when the range changes", async () => {
    s.setOpen(true);
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    s.setInterval(9);
    expect(s.intervalS).toBe(5);
    s.setInterval(0);
    expect(s.intervalS).toBe(1);
    s.setRange("since_t24h");
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.at(-1)?.arg).toMatchObject({ range: "since_t24h" });
    const before = asked("signalPanels");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked("signalPanels"), "a 1 s interval refreshes every second").toBe(before + 1);
  });

  it("never has two requests under way: one asked meanwhile follows the first", async () => {
    let release: () => void = () => {};
    fake.sloStatus = () => {
      fake.calls.push({ method: "sloStatus", arg: RUN_ID });
      return new Promise((ok) => (release = () => ok([badge("x", "ok")])));
    };
    s.start();
    void s.refresh();
    void s.refresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(asked("sloStatus"), "the first is still under way").toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(asked("sloStatus"), "the ones asked meanwhile make one more, not two").toBe(2);
  });

  it("a failed refresh says why and keeps the charts it had", async () => {
    s.setOpen(true);
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.view?.panels).toHaveLength(5);
    fake.answers.signalPanels = new BackendError({ code: "not_found", message: "no run 0193", missing: [] });
    await vi.advanceTimersByTimeAsync(2000);
    expect(s.viewError).toBe("no run 0193");
    expect(s.view?.panels, "the last charts stay up").toHaveLength(5);
  });

  it("keeps the frame clock running while a refresh is under way, and lets it stop once painted", async () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal("requestAnimationFrame", (f: FrameRequestCallback) => frames.push(f));
    try {
      s.setOpen(true);
      s.start();
      await vi.advanceTimersByTimeAsync(0);
      const run = () => frames.splice(0).forEach((f) => f(performance.now()));
      expect(frames, "a frame asked for with the request").toHaveLength(1);
      run();
      expect(frames, "and the next, while the answer is not painted").toHaveLength(1);
      s.notePainted(12);
      run();
      expect(frames, "painted: no more frames asked").toHaveLength(0);
      await vi.advanceTimersByTimeAsync(2000);
      expect(frames, "the next refresh starts the clock again").toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
