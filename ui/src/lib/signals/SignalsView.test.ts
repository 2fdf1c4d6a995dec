// The Signals view and the SLO badges over a FakeBackend: what they show and what they ask.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBackend } from "../backend/fake";
import { RUN_ID } from "../testing/fixture";
import { badge, signalsView } from "../testing/signals";
import { SignalsSession } from "./session.svelte";
import SignalsView from "./SignalsView.svelte";
import SloBadges from "./SloBadges.svelte";

let fake: FakeBackend;
let s: SignalsSession;

beforeEach(() => {
  fake = new FakeBackend({ signalPanels: signalsView(), sloStatus: [badge("api-latency-p95", "ok")] });
  s = new SignalsSession(fake, RUN_ID, { render: "plotters", dark: () => false });
  s.open = true;
});
afterEach(() => s.stop());

describe("SignalsView", () => {
  it("shows the four golden-signal panels and each SLO's burn-rate panel as the app drew them", async () => {
    render(SignalsView, { props: { sig: s } });
    s.start();
    const figs = await waitFor(() => {
      const f = document.querySelectorAll("[data-panel-id]");
      expect(f).toHaveLength(5);
      return [...f] as HTMLElement[];
    });
    expect(figs.map((f) => f.dataset.panelId)).toEqual(["latency", "traffic", "errors", "saturation", "slo:api-latency-p95"]);
    const latency = figs[0].querySelector("img")!;
    const src = latency.getAttribute("src")!;
    expect(src, "the SVG as a Blob URL, not a percent-encoded data: URL").toMatch(/^blob:/);
    const res = await fetch(src);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(await res.text()).toContain("<text>Latency</text>");
    expect(Number(figs[0].dataset.points), "three series of three points").toBe(9);
    expect(screen.getByText("sandbox · Prometheus http://127.0.0.1:9090")).toBeTruthy();
  });

  it("a signal that failed says no data and why, never a blank", async () => {
    render(SignalsView, { props: { sig: s } });
    s.start();
    const sat = await waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-panel-id="saturation"]');
      expect(el).toBeTruthy();
      return el!;
    });
    expect(sat.dataset.points).toBe("0");
    expect(sat.dataset.noData).toMatch(/^CPU: Prometheus at http:\/\/127\.0\.0\.1:9090 answered 500/);
    expect(sat.querySelector("img")?.getAttribute("alt")).toMatch(/Saturation: no data \(CPU: Prometheus/);
    expect(sat.textContent).toContain("CPU: no data — Prometheus at http://127.0.0.1:9090 answered 500");
  });

  it("asks again over the range chosen, and says when the window is hidden that it paused", async () => {
    render(SignalsView, { props: { sig: s } });
    s.start();
    await waitFor(() => expect(document.querySelectorAll("[data-panel-id]")).toHaveLength(5));
    await fireEvent.click(document.querySelector('[data-range="h6"]')!);
    await waitFor(() => expect(fake.calls.at(-1)?.arg).toMatchObject({ range: "h6", width: 240 }));
    expect(document.querySelector('[data-range="h6"]')?.getAttribute("aria-checked")).toBe("true");
    s.hidden = true;
    await screen.findByTestId("signals-paused");
  });

  it("times each refresh from the samples' arrival to its painted frame", async () => {
    render(SignalsView, { props: { sig: s } });
    s.start();
    const view = await screen.findByTestId("signals-view");
    await waitFor(() => expect(Number(view.dataset.refreshes)).toBeGreaterThan(0));
    expect(Number(view.dataset.paintMs)).toBeGreaterThanOrEqual(0);
  });

  it("draws the points itself with the canvas chart, header and legend in the page", async () => {
    fake.answers.signalPanels = signalsView({ panels: [] });
    const canvas = new SignalsSession(fake, RUN_ID, { render: "canvas", dark: () => false });
    canvas.open = true;
    render(SignalsView, { props: { sig: canvas } });
    canvas.start();
    await screen.findByText("No signals or SLOs for this environment.");
    expect(fake.calls.at(-1)?.arg).toMatchObject({ render: "canvas" });
    canvas.stop();
  });
});

describe("SloBadges", () => {
  it("shows each SLO's state and turns red when its evaluation goes critical", async () => {
    s.open = false;
    render(SloBadges, { props: { sig: s } });
    s.start();
    const b = await waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-slo-id="api-latency-p95"]');
      expect(el).toBeTruthy();
      return el!;
    });
    expect(b.dataset.state).toBe("ok");
    expect(b.className).toContain("ok");
    fake.answers.sloStatus = [badge("api-latency-p95", "critical", "page pair 14.4× over 2m and 10s fires")];
    await s.refresh();
    await waitFor(() => expect(document.querySelector<HTMLElement>('[data-slo-id="api-latency-p95"]')?.dataset.state).toBe("critical"));
    const red = document.querySelector<HTMLElement>('[data-slo-id="api-latency-p95"]')!;
    expect(red.className, "critical is the red badge").toContain("bad");
    expect(red.title).toContain("page pair 14.4×");
  });

  it("a missing reading is no data, never ok", async () => {
    fake.answers.sloStatus = [badge("error-rate", "no_data", "no samples for the 10s window")];
    s.open = false;
    render(SloBadges, { props: { sig: s } });
    s.start();
    const b = await waitFor(() => {
      const el = document.querySelector<HTMLElement>('[data-slo-id="error-rate"]');
      expect(el).toBeTruthy();
      return el!;
    });
    expect(b.textContent).toContain("no data");
    expect(b.className).not.toContain("ok");
  });
});
