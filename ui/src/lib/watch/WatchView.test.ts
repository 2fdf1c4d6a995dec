// The Watch tab over a FakeBackend: the strip (a cell a slot, grouped, the failed one red with
// its values on hover and on keyboard focus, arrows between cells), §16's items with their
// evidence, the summaries, Start / Stop, the plan's bands edited, a route's Test with its
// outcome, and the alert log.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { FakeBackend } from "../backend/fake";
import type { EditWatchPlanReq } from "../bindings";
import { alertRecord, watchView } from "../testing/watch";
import { WatchSession } from "./session.svelte";
import WatchView from "./WatchView.svelte";

function show(b: FakeBackend) {
  const w = new WatchSession(b, "run-1");
  render(WatchView, { props: { w, itemText: (id: string) => (id === "16.hour-0-2-intensive-monitoring" ? "Hour 0-2: Intensive Monitoring" : id) } });
  return w;
}

const cellOf = (slot: string) => document.querySelector<HTMLElement>(`[data-testid=watch-strip] [data-slot="${slot}"]`)!;

describe("WatchView", () => {
  it("draws a cell a slot, grouped by band and day, each with its state", async () => {
    const b = new FakeBackend({ watchView: watchView() });
    show(b);
    await screen.findByTestId("watch-strip");
    expect(b.calls[0]).toEqual({ method: "watchView", arg: "run-1" });
    const states = [...document.querySelectorAll<HTMLElement>("[data-slot]")].map((c) => `${c.dataset.slot}:${c.dataset.status}`);
    expect(states).toEqual(["check@+0:passed", "check@+5:passed", "check@+10:missed", "check@+15:failed", "check@+20:pending", "check@+30:pending", "summary@+60:passed"]);
    expect([...document.querySelectorAll("[data-group]")].map((g) => g.getAttribute("data-group"))).toEqual(["band:0m-20m/5m", "band:20m-40m/10m", "summary:0"]);
    expect(screen.getByTestId("watch-counts").textContent).toMatch(/3 passed · 1 failed · 1 missed · 2 to come/);
    expect(cellOf("check@+15").getAttribute("aria-label")).toBe("check T+0:15: failed: 8.health-check-validation.step");
  });

  it("shows a failed check's values on hover, and on focus from the keyboard", async () => {
    show(new FakeBackend({ watchView: watchView() }));
    await screen.findByTestId("watch-strip");
    // The failed cell is the strip's tab stop.
    expect(cellOf("check@+15").tabIndex).toBe(0);
    expect(cellOf("check@+0").tabIndex).toBe(-1);
    await fireEvent.mouseEnter(cellOf("check@+15"));
    const detail = screen.getByTestId("watch-detail");
    const line = detail.querySelector<HTMLElement>('[data-line="8.health-check-validation.step"]')!;
    expect(line.dataset.passed).toBe("false");
    expect(line.textContent).toContain("status=503");
    expect(line.textContent).toContain("status was 503, expected 200");
    // Keyboard: focus, then arrows move the focus and the detail follows.
    cellOf("check@+15").focus();
    await fireEvent.keyDown(cellOf("check@+15"), { key: "ArrowLeft" });
    expect(document.activeElement).toBe(cellOf("check@+10"));
    await waitFor(() => expect(detail.textContent).toContain("missed (suspended)"));
    await fireEvent.keyDown(cellOf("check@+10"), { key: "End" });
    expect(document.activeElement).toBe(cellOf("summary@+60"));
    await waitFor(() => expect(detail.textContent).toContain("value=12.5 req/s"));
  });

  it("lists §16's items with the band that vouches for them, and its evidence once clean", async () => {
    const v = watchView({ clean: [{ seq: 16, band: { band: "0m-20m/5m", items: ["16.hour-0-2-intensive-monitoring"], evidence: [10, 11] } }] });
    show(new FakeBackend({ watchView: v }));
    const item = await waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-watch-item="16.hour-0-2-intensive-monitoring"]');
      expect(el).toBeTruthy();
      return el!;
    });
    expect(item.dataset.checked).toBe("true");
    expect(item.textContent).toContain("Hour 0-2: Intensive Monitoring");
    expect(item.textContent).toContain("band clean #16");
    await fireEvent.click([...item.querySelectorAll("button")].find((x) => x.textContent === "#11")!);
    expect(document.activeElement).toBe(cellOf("check@+5"));
  });

  it("keeps the summaries viewable", async () => {
    show(new FakeBackend({ watchView: watchView() }));
    const s = await screen.findByTestId("watch-summaries");
    expect(s.querySelector('[data-summary="summary@+60"]')?.textContent).toContain("12.5 req/s");
  });

  it("starts and stops the watch in the app", async () => {
    const b = new FakeBackend({ watchView: watchView(), startWatch: watchView({ running: true, speed: 60 }), stopWatch: true });
    const w = show(b);
    await fireEvent.click(await screen.findByTestId("watch-start"));
    expect((await screen.findByTestId("watch-running")).textContent).toBe("running ×60");
    expect(b.calls.some((c) => c.method === "startWatch" && c.arg === "run-1")).toBe(true);
    await fireEvent.click(screen.getByTestId("watch-stop"));
    await screen.findByTestId("watch-start");
    expect(w.view?.running).toBe(false);
  });

  it("edits the plan's bands and shows the engine's refusal", async () => {
    const edited = watchView();
    edited.status!.plan.bands = [{ from_min: 0, to_min: 20, every_min: 2, items: [] }];
    const b = new FakeBackend({ watchView: watchView(), editWatchPlan: edited });
    show(b);
    const inputs = await screen.findAllByTestId("watch-band");
    expect(inputs.map((i) => (i as HTMLInputElement).value)).toEqual(["0m-20m/5m", "20m-40m/10m"]);
    await fireEvent.input(inputs[0], { target: { value: "0m-20m/2m" } });
    await fireEvent.click(screen.getByRole("button", { name: "Remove band 2" }));
    await fireEvent.click(screen.getByTestId("watch-plan-save"));
    await screen.findByTestId("watch-plan-saved");
    const req = b.calls.find((c) => c.method === "editWatchPlan")!.arg as EditWatchPlanReq;
    expect([req.run, req.bands]).toEqual(["run-1", ["0m-20m/2m"]]);
    b.answers.editWatchPlan = new BackendError({ code: "invalid", message: "band `0h-2h` is not FROM-TO/EVERY, e.g. `0h-2h/5m`", missing: [] });
    await fireEvent.input(screen.getAllByTestId("watch-band")[0], { target: { value: "0h-2h" } });
    await fireEvent.click(screen.getByTestId("watch-plan-save"));
    expect((await screen.findByTestId("watch-plan-error")).textContent).toContain("is not FROM-TO/EVERY");
  });

  it("sends a route's test and shows each receiver's outcome; the alert log lists every notice", async () => {
    const failed = alertRecord({ route: "critical", receiver: "on-call", receiver_kind: "pagerduty", test: true, sent: false, attempts: 1, error: "secret `PAGERDUTY_ROUTING_KEY` is not set" });
    const b = new FakeBackend({ watchView: watchView(), testAlertRoute: [failed] });
    show(b);
    const log = await screen.findByTestId("alert-log");
    expect(log.querySelectorAll("li")).toHaveLength(1);
    expect(log.querySelector("li")!.textContent).toMatch(/warning.*warning\/warning\/health → team-chat.*\(slack\).*sent.*out after 31 s/s);
    const route = document.querySelector('[data-route="critical"]')!;
    await fireEvent.click(route.querySelector("[data-testid=alert-test]")!);
    const outcome = await waitFor(() => {
      const el = route.querySelector<HTMLElement>('[data-receiver="on-call"]');
      expect(el).toBeTruthy();
      return el!;
    });
    expect(outcome.dataset.sent).toBe("false");
    expect(outcome.textContent).toContain("failed after 1 try: secret `PAGERDUTY_ROUTING_KEY` is not set");
    expect(b.calls.find((c) => c.method === "testAlertRoute")!.arg).toEqual({ run: "run-1", route: "critical" });
    // The view is loaded again: the test's record is in the log.
    expect(b.calls.filter((c) => c.method === "watchView").length).toBeGreaterThanOrEqual(2);
  });

  it("says why there is no plan yet", async () => {
    show(new FakeBackend({ watchView: watchView({ status: null, plan_error: "run 0193abcd: no T-0: set the Cutover Date" }) }));
    expect((await screen.findByTestId("watch-no-plan")).textContent).toContain("set the Cutover Date");
    expect(screen.queryByTestId("watch-start")).toBeNull();
  });
});
