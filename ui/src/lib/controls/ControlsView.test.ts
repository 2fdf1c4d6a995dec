// The Controls view over the FakeBackend: what it lists (flags with expected state and drift,
// breakers), and the change flow: preview → reason → confirmation naming production → apply →
// verified; a control moved since its preview is previewed again; a failure shows as recorded.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { FakeBackend } from "../backend/fake";
import type { ApplyControlReq, ControlRecord, ControlsOverview, Preview } from "../bindings";
import ControlsView from "./ControlsView.svelte";
import { ControlsSession } from "./session.svelte";

const overview = (production = false): ControlsOverview => ({
  env: production ? "production" : "sandbox",
  production,
  adapter: "http",
  flags: [
    { key: "community_enabled", enabled: true, rollout: 100 },
    { key: "rate_limiting_enabled", enabled: true, rollout: 100 },
    { key: "extra_flag", enabled: false, rollout: 0 },
  ],
  flags_error: null,
  breakers: [
    { provider: "stripe", state: "closed", failure_count: 0, updated_at: "2026-12-03 10:00:00" },
    { provider: "twilio", state: "open", failure_count: 7, updated_at: "2026-12-03 10:05:00" },
  ],
  breakers_error: null,
  drift: [
    { key: "community_enabled", expected: "OFF (0%)", actual: "ON (100%)", drift: true, line: 10 },
    { key: "rate_limiting_enabled", expected: "ON (100%)", actual: "ON (100%)", drift: false, line: 12 },
    { key: "budget_guards_enabled", expected: "ON (100%)", actual: null, drift: true, line: 14 },
  ],
});

const preview = (production = false): Preview => ({
  env: production ? "production" : "sandbox",
  production,
  adapter: "http",
  target: { control: "flag", key: "community_enabled", enabled: false, rollout: null },
  from: { type: "flag", enabled: true, rollout: 100 },
  to: { type: "flag", enabled: false, rollout: 100 },
  inverse: { control: "flag", key: "community_enabled", enabled: true, rollout: 100 },
  needs_confirmation: production,
});

const record = (over: Partial<ControlRecord> = {}): ControlRecord => ({
  env: "sandbox",
  adapter: "http",
  target: { control: "flag", key: "community_enabled", enabled: false, rollout: null },
  reason: "cutover §5",
  from: { type: "flag", enabled: true, rollout: 100 },
  to: { type: "flag", enabled: false, rollout: 100 },
  inverse: { control: "flag", key: "community_enabled", enabled: true, rollout: 100 },
  outcome: "applied",
  read_back: { type: "flag", enabled: false, rollout: 100 },
  verified: true,
  ...over,
});

function show(b: FakeBackend) {
  const c = new ControlsSession(b, "run-1");
  render(ControlsView, { props: { c } });
  return c;
}

const applied = (b: FakeBackend) => b.calls.filter((c) => c.method === "applyControl").map((c) => c.arg as ApplyControlReq);

async function toggleCommunity(b: FakeBackend) {
  await screen.findByTestId("controls-env");
  await fireEvent.click(document.querySelector('[data-flag="community_enabled"] [data-flag-action="toggle"]')!);
  await screen.findByTestId("control-preview");
}

describe("ControlsView", () => {
  it("lists flags with state, rollout, expected and drift, and breakers with state, failures and last change", async () => {
    const b = new FakeBackend({ listControls: overview() });
    show(b);
    await screen.findByTestId("controls-env");
    expect(b.calls[0]).toEqual({ method: "listControls", arg: "run-1" });
    const community = document.querySelector('[data-flag="community_enabled"]')!;
    expect(community.textContent).toMatch(/ON.*100%.*OFF \(0%\)/);
    expect(community.querySelector("[data-flag-drift]")!.getAttribute("data-flag-drift")).toBe("true");
    expect(document.querySelector('[data-flag="rate_limiting_enabled"] [data-flag-drift]')!.getAttribute("data-flag-drift")).toBe("false");
    expect(document.querySelector('[data-flag="budget_guards_enabled"]')!.textContent).toMatch(/missing/);
    expect(screen.getByTestId("drift-count").textContent).toBe("2 drift");
    const twilio = document.querySelector('[data-breaker="twilio"]')!;
    expect(twilio.textContent).toMatch(/open.*7.*2026-12-03 10:05:00.*Reset/);
    expect(document.querySelector('[data-breaker="stripe"] [data-breaker-action="trip"]')).not.toBeNull();

    await userEvent.type(screen.getByTestId("controls-filter"), "drift");
    await waitFor(() => expect(document.querySelectorAll("[data-flag]").length).toBe(2));
  });

  it("shows a side that cannot be read as its error, and the other side still", async () => {
    const b = new FakeBackend({ listControls: { ...overview(), breakers: [], breakers_error: "admin API: no answer within the deadline of 5s" } });
    show(b);
    expect((await screen.findByTestId("breakers-error")).textContent).toMatch(/no answer within/);
    expect(document.querySelectorAll("[data-flag]").length).toBe(4);
  });

  it("previews, needs a reason, applies with the preview's from, and shows the verified badge", async () => {
    const b = new FakeBackend({ listControls: overview(), previewControl: preview(), applyControl: record() });
    show(b);
    await toggleCommunity(b);
    expect(screen.getByTestId("control-from").textContent).toBe("ON (100%)");
    expect(screen.getByTestId("control-to").textContent).toBe("OFF (100%)");
    expect(screen.getByTestId("control-env").textContent).toBe("sandbox");
    expect(screen.getByTestId("control-inverse").textContent).toBe("set flag community_enabled ON (100%)");
    const apply = screen.getByTestId("control-apply") as HTMLButtonElement;
    expect(apply.disabled, "no reason yet").toBe(true);
    await userEvent.type(screen.getByTestId("control-reason"), "cutover §5{Enter}");
    expect(await screen.findByTestId("control-verified")).toBeTruthy();
    expect(screen.getByTestId("control-read-back").textContent).toBe("OFF (100%)");
    const [req] = applied(b);
    expect(req.confirm_env).toBeNull();
    expect(req.change.reason).toBe("cutover §5");
    expect(req.change.run).toBe("run-1");
    expect(req.change.expect_from).toEqual(preview().from);
    expect(b.calls.filter((c) => c.method === "listControls").length, "read again after the change").toBe(2);
  });

  it("on production asks for the environment's name before applying, and sends it", async () => {
    const b = new FakeBackend({ listControls: overview(true), previewControl: preview(true), applyControl: record({ env: "production", confirmed_on: "production" }) });
    show(b);
    await toggleCommunity(b);
    await userEvent.type(screen.getByTestId("control-reason"), "rollback drill");
    await fireEvent.click(screen.getByTestId("control-next"));
    expect(screen.getByTestId("control-dialog").getAttribute("role")).toBe("alertdialog");
    expect(screen.getByTestId("control-confirm-env").textContent).toBe("production");
    const apply = screen.getByTestId("control-apply") as HTMLButtonElement;
    await userEvent.type(screen.getByTestId("control-confirm-input"), "sandbox");
    expect(apply.disabled, "the wrong name does not confirm").toBe(true);
    await userEvent.clear(screen.getByTestId("control-confirm-input"));
    await userEvent.type(screen.getByTestId("control-confirm-input"), "production");
    expect(apply.disabled).toBe(false);
    await fireEvent.click(apply);
    await screen.findByTestId("control-verified");
    expect(applied(b)[0].confirm_env).toBe("production");
  });

  it("a control moved since the preview: nothing was sent, it is previewed again, and applying again holds to the new from", async () => {
    const b = new FakeBackend({
      listControls: overview(),
      previewControl: preview(),
      applyControl: record({ outcome: "refused", verified: false, error: "flag community_enabled in sandbox changed since the preview: it was ON (100%), it is now ON (50%); nothing was sent, preview again" }),
    });
    show(b);
    await toggleCommunity(b);
    await userEvent.type(screen.getByTestId("control-reason"), "cutover");
    b.answers.previewControl = { ...preview(), from: { type: "flag", enabled: true, rollout: 50 }, to: { type: "flag", enabled: false, rollout: 50 } };
    await fireEvent.click(screen.getByTestId("control-apply"));
    expect((await screen.findByTestId("control-moved")).textContent).toMatch(/nothing was sent.*ON \(50%\)/);
    expect(screen.getByTestId("control-from").textContent).toBe("ON (50%)");
    expect((screen.getByTestId("control-reason") as HTMLInputElement).value, "the reason is kept").toBe("cutover");
    b.answers.applyControl = record();
    await fireEvent.click(screen.getByTestId("control-apply"));
    await screen.findByTestId("control-verified");
    expect(applied(b)[1].change.expect_from).toEqual({ type: "flag", enabled: true, rollout: 50 });
  });

  it("a failed change shows as recorded, with its error and the state read afterwards", async () => {
    const b = new FakeBackend({
      listControls: overview(),
      previewControl: preview(),
      applyControl: record({ outcome: "failed", verified: false, error: "POST /admin/feature-flags/community_enabled: HTTP 500: boom", read_back: { type: "flag", enabled: true, rollout: 100 } }),
    });
    show(b);
    await toggleCommunity(b);
    await userEvent.type(screen.getByTestId("control-reason"), "x{Enter}");
    expect((await screen.findByTestId("control-failed")).textContent).toMatch(/Failed.*recorded as failed.*HTTP 500/);
    expect(screen.getByTestId("control-read-back").textContent).toBe("ON (100%)");
    expect(screen.queryByTestId("control-verified")).toBeNull();
  });

  it("a refusal before anything is sent (an error) stays in the dialog", async () => {
    const b = new FakeBackend({ listControls: overview(true), previewControl: preview(true), applyControl: new BackendError({ code: "confirm", message: "environment `production` is marked production: confirm the change", missing: [] }) });
    show(b);
    await toggleCommunity(b);
    await userEvent.type(screen.getByTestId("control-reason"), "x{Enter}");
    await userEvent.type(screen.getByTestId("control-confirm-input"), "production{Enter}");
    expect((await screen.findByTestId("control-error")).textContent).toMatch(/marked production/);
  });

  it("a breaker is read again after its open interval, and drifting back shows as a failure", async () => {
    const trip: Preview = { ...preview(), target: { control: "breaker", provider: "stripe", action: "trip" }, from: { type: "breaker", state: "closed" }, to: { type: "breaker", state: "open" }, inverse: { control: "breaker", provider: "stripe", action: "reset" } };
    const b = new FakeBackend({
      listControls: overview(),
      previewControl: trip,
      applyControl: record({ target: trip.target, from: trip.from, to: trip.to, inverse: trip.inverse, read_back: trip.to }),
      readAgainControl: { env: "sandbox", target: trip.target, after_ms: 50, expected: trip.to, state: { type: "breaker", state: "half_open" }, held: false },
    });
    show(b);
    await screen.findByTestId("controls-env");
    await fireEvent.click(document.querySelector('[data-breaker="stripe"] [data-breaker-action="trip"]')!);
    await screen.findByTestId("control-preview");
    const recheck = screen.getByTestId("control-recheck") as HTMLInputElement;
    await userEvent.clear(recheck);
    await userEvent.type(recheck, "0.05");
    await userEvent.type(screen.getByTestId("control-reason"), "drill{Enter}");
    await screen.findByTestId("control-verified");
    expect((await screen.findByTestId("control-recheck-drift")).textContent).toMatch(/reads half_open.*did not stay open/);
    // The app waits and reads (and records the read in the run's log), told what the change set.
    const again = b.calls.find((c) => c.method === "readAgainControl");
    expect(again?.arg).toMatchObject({ after_ms: 50, expected: { type: "breaker", state: "open" }, change: { run: "run-1", reason: "drill", target: trip.target } });
  });

  it("a thousand flags: only the rows in sight are in the DOM, and scrolling brings the others", async () => {
    const flags = Array.from({ length: 1000 }, (_, i) => ({ key: `f${String(i).padStart(4, "0")}`, enabled: i % 2 === 0, rollout: i % 101 }));
    const b = new FakeBackend({ listControls: { ...overview(), flags, drift: [] } });
    show(b);
    await screen.findByTestId("controls-env");
    const rows = () => document.querySelectorAll("[data-flag]");
    expect(screen.getByTestId("controls-view").dataset.flags).toBe("1000");
    expect(rows().length).toBeGreaterThan(20);
    expect(rows().length).toBeLessThan(100);
    const scroller = screen.getByTestId("flags-scroll");
    scroller.scrollTop = 500 * 26;
    await fireEvent.scroll(scroller);
    await waitFor(() => expect(document.querySelector('[data-flag="f0500"]')).not.toBeNull());
    expect(document.querySelector('[data-flag="f0000"]')).toBeNull();
  });
});
