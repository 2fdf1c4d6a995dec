// The run screen over tauri's mockIPC: real TauriBackend calls, answered by a fake command
// handler, so what the screen sends is what src-tauri receives.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TauriBackend } from "../backend/tauri";
import type { IpcError } from "../bindings";
import { doc, event, live, RUN_ID, state } from "../testing/fixture";
import Harness from "../testing/Harness.svelte";
import RunScreen from "./RunScreen.svelte";

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[];
let handlers: Record<string, (args: any) => unknown>;

beforeEach(() => {
  calls = [];
  handlers = { open_run: () => doc };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    const h = handlers[cmd];
    if (!h) throw new Error(`unexpected command ${cmd}`);
    return h(args);
  });
});
afterEach(() => clearMocks());

function show() {
  return render(Harness, {
    props: { backend: new TauriBackend(), component: RunScreen, inner: { runId: RUN_ID, heads: [], user: "Riley", onneedname: () => {} } },
  });
}

describe("RunScreen", () => {
  it("renders every item, field and sign-off with the stable ids the CLI uses", async () => {
    show();
    await screen.findByTestId("run-screen");
    const q = (s: string) => document.querySelectorAll(s).length;
    expect(q("input[data-item-id]")).toBe(3);
    expect(q('[data-field-id="1.pass-rate"]')).toBe(1);
    expect(q('[data-field-id="1.result"] [data-option]')).toBe(2);
    expect(q('[data-signoff="gates"]')).toBe(1);
    expect(q('[data-decision="go"], [data-decision="no-go"]')).toBe(2);
    expect(document.querySelector('[data-run-step="1.tests.step"]')).toHaveProperty("disabled", false);
    expect(screen.getByText("Expected: >95% pass rate")).toBeTruthy();
  });

  it("checks an item through check_item and shows who did it", async () => {
    handlers.check_item = ({ req }) =>
      live(
        { items: state().items.map((i) => (i.id === req.item ? { ...i, checked: true, by: "Riley", at: "2026-11-28T10:02:00.000Z" } : i)) },
        [...doc.live.events, event(2, "item_checked", { item: req.item })],
      );
    show();
    const box = (await screen.findByTestId("run-screen")).querySelector<HTMLInputElement>('[data-item-id="1.unit"]')!;
    await fireEvent.click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    expect(calls.find((c) => c.cmd === "check_item")?.args).toEqual({ req: { run: RUN_ID, item: "1.unit", checked: true } });
    expect(screen.getByTestId("event-log").textContent).toContain("checked “Unit suite”");
  });

  it("runs a step through run_step and shows its result and captures", async () => {
    handlers.run_step = ({ req }) =>
      live({
        steps: [{ id: req.step, item: "1.tests", section: "1", kind: "shell", status: "passed", runs: 1, what: "make test", by: "Riley", started_at: "2026-11-28T10:03:00.000Z", finished_at: "2026-11-28T10:03:01.000Z", result: { passed: true, failure: null, message: null, exit_code: 0, http_status: null, duration_ms: 812, assertions: [["pass_rate > 95", "97.5", "pass"]], captures: [["1.pass-rate", "97.5"]] } }],
      });
    show();
    await fireEvent.click((await screen.findByTestId("run-screen")).querySelector('[data-run-step="1.tests.step"]')!);
    await waitFor(() => expect(document.querySelector('[data-step-status="passed"]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === "run_step")?.args.req).toEqual({ run: RUN_ID, step: "1.tests.step" });
    expect(document.querySelector('[data-step-result="1.tests.step"]')!.textContent).toContain("pass_rate > 95");
  });

  it("refuses a percent above 100 in place, without calling the backend", async () => {
    show();
    const input = (await screen.findByTestId("run-screen")).querySelector<HTMLInputElement>('[data-field-id="1.pass-rate"]')!;
    await fireEvent.input(input, { target: { value: "140" } });
    await fireEvent.change(input);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByRole("alert").textContent).toMatch(/between 0 and 100/);
    expect(calls.some((c) => c.cmd === "set_field")).toBe(false);
  });

  it("shows what a refused sign-off is missing, then signs with the override reason", async () => {
    const refusal: IpcError = {
      code: "incomplete",
      message: "sign-off `gates` refused",
      missing: [{ kind: "item", id: "1.tests" }, { kind: "field", id: "1.pass-rate" }],
    };
    handlers.sign_off = ({ req }) => {
      if (!req.override_reason) throw refusal;
      return live({
        signoffs: [{ id: "gates", name: "Gates", section: "1", phase: "gates", recorded: { seq: 2, by: "Riley", at: "2026-11-28T10:05:00.000Z", override_reason: req.override_reason, incomplete: refusal.missing } }],
      });
    };
    show();
    await fireEvent.click(await screen.findByRole("button", { name: /Sign off as Riley/ }));
    const warning = await screen.findByTestId("signoff-warning-gates");
    expect(warning.textContent).toContain("Tests pass");
    expect(warning.textContent).toContain("Pass Rate");
    const reason = document.querySelector<HTMLInputElement>('[data-signoff-reason="gates"]')!;
    await fireEvent.input(reason, { target: { value: "drill" } });
    await fireEvent.click(document.querySelector('[data-signoff-override="gates"]')!);
    await waitFor(() => expect(document.querySelector('[data-signoff-slot="gates"]')!.textContent).toContain("Signed by Riley"));
    expect(calls.filter((c) => c.cmd === "sign_off").map((c) => (c.args.req as any).override_reason)).toEqual([null, "drill"]);
  });

  it("asks for an override before a GO over an unchecked criterion", async () => {
    handlers.decide = ({ req }) =>
      live({ decision: { seq: 2, decision: req.decision, maker: "Riley", rationale: req.rationale, at: "2026-11-28T11:00:00.000Z", override_reason: req.override_reason, unchecked_criteria: ["1.go-criterion"] } });
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.input(screen.getByTestId("decision-rationale"), { target: { value: "ready" } });
    await fireEvent.click(document.querySelector('[data-decision="go"]')!);
    expect((await screen.findByText(/needs an override reason/)).textContent).toMatch(/1 unchecked critical criterion/);
    await fireEvent.input(screen.getByTestId("decision-override"), { target: { value: "verified by hand" } });
    await fireEvent.click(document.querySelector('[data-decision="go"]')!);
    await screen.findByTestId("decision-recorded");
    expect(calls.find((c) => c.cmd === "decide")?.args).toEqual({
      req: { run: RUN_ID, decision: "go", rationale: "ready", override_reason: "verified by hand" },
    });
  });

  it("reloads the run when the store watcher reports a newer head (a CLI write)", async () => {
    handlers.run_live = () => live({ items: state().items.map((i) => (i.id === "1.unit" ? { ...i, checked: true, by: "Casey CLI" } : i)) }, [...doc.live.events, event(2, "item_checked", { item: "1.unit" }, "Casey CLI")]);
    const r = show();
    await screen.findByTestId("run-screen");
    await r.rerender({ backend: new TauriBackend(), component: RunScreen, inner: { runId: RUN_ID, heads: [{ run_id: RUN_ID, seq: 2, hash: "x" }], user: "Riley", onneedname: () => {} } });
    await waitFor(() => expect(document.querySelector<HTMLInputElement>('[data-item-id="1.unit"]')!.checked).toBe(true));
    expect(calls.some((c) => c.cmd === "run_live")).toBe(true);
  });
});
