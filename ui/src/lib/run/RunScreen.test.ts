// The run screen over tauri's mockIPC: real TauriBackend calls, answered by a fake command
// handler, so what the screen sends is what src-tauri receives.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBackend } from "../backend/fake";
import { TauriBackend } from "../backend/tauri";
import type { ArchiveProgress, IpcError, RunLive, StepOutput, StepState } from "../bindings";
import { toasts } from "../shared/Toasts.svelte";
import { decision, doc, event, live, RUN_ID, state } from "../testing/fixture";
import Harness from "../testing/Harness.svelte";
import RunScreen from "./RunScreen.svelte";

type Call = { cmd: string; args: Record<string, unknown> };
let calls: Call[];
let handlers: Record<string, (args: any) => unknown>;

beforeEach(() => {
  calls = [];
  handlers = { open_run: () => doc, slo_status: () => [] };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    const h = handlers[cmd];
    if (!h) throw new Error(`unexpected command ${cmd}`);
    return h(args);
  });
});
afterEach(() => {
  clearMocks();
  toasts.splice(0);
});

function show(extra: Record<string, unknown> = {}) {
  return render(Harness, {
    props: { backend: new TauriBackend(), component: RunScreen, inner: { runId: RUN_ID, heads: [], user: "Riley", onneedname: () => {}, ...extra } },
  });
}

/** The fixture's step after a run that ended as `status`, `failure` saying why. */
function stepAfter(status: StepState["status"], failure: string | null = null): RunLive {
  return live({
    steps: [{ id: "1.tests.step", item: "1.tests", section: "1", kind: "shell", status, runs: 1, what: "make test", by: "Riley", started_at: "2026-11-28T10:03:00.000Z", finished_at: "2026-11-28T10:03:04.000Z", result: { passed: status === "passed", failure, message: failure, exit_code: null, http_status: null, duration_ms: 4000, assertions: [], captures: [] }, confirmed_on: null }],
  });
}

const runButton = () => document.querySelector<HTMLButtonElement>('[data-run-step="1.tests.step"]')!;

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
        steps: [{ id: req.scope.step, item: "1.tests", section: "1", kind: "shell", status: "passed", runs: 1, what: "make test", by: "Riley", started_at: "2026-11-28T10:03:00.000Z", finished_at: "2026-11-28T10:03:01.000Z", result: { passed: true, failure: null, message: null, exit_code: 0, http_status: null, duration_ms: 812, assertions: [["pass_rate > 95", "97.5", "pass"]], captures: [["1.pass-rate", "97.5"]] }, confirmed_on: null }],
      });
    show();
    await fireEvent.click((await screen.findByTestId("run-screen")).querySelector('[data-run-step="1.tests.step"]')!);
    await waitFor(() => expect(document.querySelector('[data-step-status="passed"]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === "run_step")?.args.req).toEqual({ run: RUN_ID, scope: { step: "1.tests.step" }, concurrency: null, confirmed: false });
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

  it("takes T-0 as local time to the minute, and refuses in place what is not one", async () => {
    handlers.set_meta = ({ req }) =>
      live({ metadata: state().metadata.map((m) => (m.key === req.key ? { ...m, value: req.value, by: "Riley", at: "2026-11-28T10:02:00.000Z" } : m)) });
    show();
    await screen.findByTestId("run-screen");
    await waitFor(() => expect(document.querySelector('[data-meta-key="cutover-date"]')).toBeTruthy());
    const t0 = document.querySelector<HTMLInputElement>('[data-meta-key="cutover-date"]')!;
    expect(t0.type).toBe("text");
    await fireEvent.input(t0, { target: { value: "friday 9pm" } });
    await fireEvent.change(t0);
    expect(t0.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("t0-error").textContent).toMatch(/YYYY-MM-DD HH:MM/);
    expect(calls.some((c) => c.cmd === "set_meta")).toBe(false);

    await fireEvent.input(t0, { target: { value: "2026-12-04 21:30" } });
    expect(screen.queryByTestId("t0-error")).toBeNull();
    await fireEvent.change(t0);
    const utc = new Date(2026, 11, 4, 21, 30).toISOString().replace(/:00\.000Z$/, "Z");
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_meta")?.args).toEqual({ req: { run: RUN_ID, key: "cutover-date", value: utc } }));
    await waitFor(() => expect(t0.value).toBe("2026-12-04 21:30"));
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
        signoffs: [{ id: "gates", name: "Gates", section: "1", phase: "gates", recorded: { seq: 2, by: "Riley", at: "2026-11-28T10:05:00.000Z", override_reason: req.override_reason, incomplete: refusal.missing, solo_reason: null, changed: [] }, covers: [], revoked: [] }],
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
      live({ decision: decision({ decision: req.decision, rationale: req.rationale, override_reason: req.override_reason, unchecked_criteria: ["1.go-criterion"] }) });
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.input(screen.getByTestId("decision-rationale"), { target: { value: "ready" } });
    await fireEvent.click(document.querySelector('[data-decision="go"]')!);
    expect((await screen.findByText(/needs an override reason/)).textContent).toMatch(/1 unchecked critical criterion/);
    await fireEvent.input(screen.getByTestId("decision-override"), { target: { value: "verified by hand" } });
    await fireEvent.click(document.querySelector('[data-decision="go"]')!);
    await screen.findByTestId("decision-recorded");
    expect(calls.find((c) => c.cmd === "decide")?.args).toEqual({
      req: { run: RUN_ID, decision: "go", rationale: "ready", override_reason: "verified by hand", solo_reason: null },
    });
  });

  it("shows a stale decision as a banner naming why, and lets it be made again", async () => {
    const stale = { seq: 3, at: "2026-11-28T11:05:00.000Z", by: "Casey CLI", reason: "criterion `1.go-criterion` was unchecked" };
    handlers.open_run = () => ({ ...doc, live: live({ decision: decision({ maker: "Dana", stale }) }) });
    handlers.decide = ({ req }) => live({ decision: decision({ seq: 4, maker: "Dana", decision: req.decision, head_seq: 3 }) });
    show();
    const banner = await screen.findByTestId("decision-stale-banner");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.textContent).toContain("The GO decision is stale.");
    expect(banner.textContent).toContain("criterion `1.go-criterion` was unchecked");
    expect(banner.textContent).toContain("event 3, Casey CLI");
    expect(screen.getByTestId("decision-recorded").dataset.stale).toBe("true");
    expect(screen.getByTestId("decision-stale").textContent).toContain("Make the decision again");
    // The form is back: made again, the banner goes.
    await fireEvent.input(screen.getByTestId("decision-rationale"), { target: { value: "re-checked" } });
    await fireEvent.click(document.querySelector('[data-decision="no-go"]')!);
    await waitFor(() => expect(screen.queryByTestId("decision-stale-banner")).toBeNull());
    expect(screen.getByTestId("decision-recorded").dataset.stale).toBe("false");
  });

  it("records a solo override on a sign-off, with its reason", async () => {
    handlers.sign_off = ({ req }) =>
      live({ signoffs: [{ id: "gates", name: "Gates", section: "1", phase: "gates", recorded: { seq: 2, by: "Riley", at: "2026-11-28T10:05:00.000Z", override_reason: req.override_reason, incomplete: [], solo_reason: req.solo_reason, changed: [] }, covers: [], revoked: [] }] });
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.click(document.querySelector('[data-signoff-solo="gates"]')!);
    await fireEvent.input(document.querySelector('[data-signoff-solo-reason="gates"]')!, { target: { value: "alone on shift" } });
    await fireEvent.click(await screen.findByRole("button", { name: /Sign off as Riley/ }));
    expect((await screen.findByTestId("signoff-solo-gates")).textContent).toContain("solo override: alone on shift");
    expect((calls.find((c) => c.cmd === "sign_off")?.args.req as any).solo_reason).toBe("alone on shift");
  });

  it("shows a rule's refusal of a sign-off in the slot", async () => {
    const rule: IpcError = { code: "conflict", message: "refused by rule signer-not-checker: Riley cannot sign off `gates`", missing: [] };
    handlers.sign_off = () => {
      throw rule;
    };
    show();
    await fireEvent.click(await screen.findByRole("button", { name: /Sign off as Riley/ }));
    expect((await screen.findByTestId("signoff-refused-gates")).textContent).toContain("signer-not-checker");
  });

  it("reloads the run when the store watcher reports a newer head (a CLI write)", async () => {
    handlers.run_live = () => live({ items: state().items.map((i) => (i.id === "1.unit" ? { ...i, checked: true, by: "Casey CLI" } : i)) }, [...doc.live.events, event(2, "item_checked", { item: "1.unit" }, "Casey CLI")]);
    const r = show();
    await screen.findByTestId("run-screen");
    await r.rerender({ backend: new TauriBackend(), component: RunScreen, inner: { runId: RUN_ID, heads: [{ run_id: RUN_ID, seq: 2, hash: "x" }], user: "Riley", onneedname: () => {} } });
    await waitFor(() => expect(document.querySelector<HTMLInputElement>('[data-item-id="1.unit"]')!.checked).toBe(true));
    expect(calls.some((c) => c.cmd === "run_live")).toBe(true);
  });

  it("shows the elapsed time against the deadline while a step runs, and cancels it through cancel_step", async () => {
    let finish: (l: RunLive) => void = () => {};
    handlers.run_step = ({ onOutput }) => {
      (onOutput.onmessage as (o: StepOutput) => void)({ type: "started", step: "1.tests.step", kind: "shell", what: "make test", deadline_ms: 30_000 });
      return new Promise<RunLive>((resolve) => (finish = resolve));
    };
    // The backend kills the probe and records the step as cancelled; the run's answer follows.
    handlers.cancel_step = () => {
      finish(stepAfter("failed", "cancelled"));
      return true;
    };
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.click(runButton());
    const cancel = await waitFor(() => document.querySelector<HTMLButtonElement>('[data-cancel-step="1.tests.step"]')!);
    expect(document.querySelector('[data-step-status="running"]')!.textContent).toMatch(/running… \d+ s/);
    const progress = document.querySelector('[data-step-progress="1.tests.step"]')!;
    expect(progress.textContent).toContain("of 30 s deadline");
    expect(progress.querySelector('[role="progressbar"]')!.getAttribute("aria-valuenow")).toBe("0");
    expect(runButton().disabled).toBe(true);
    await fireEvent.click(cancel);
    await waitFor(() => expect(document.querySelector('[data-step-status="failed"]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === "cancel_step")?.args).toEqual({ req: { run: RUN_ID, step: "1.tests.step" } });
    expect(document.querySelector("[data-cancel-step]")).toBeNull();
    expect(document.querySelector('[data-step-result="1.tests.step"]')!.textContent).toContain("cancelled");
  });

  it("shows a backup step's stage and bytes bars as its progress streams, and cancels it through cancel_step", async () => {
    const idle = state().steps[0];
    handlers.open_run = () => ({ ...doc, live: live({ steps: [{ ...idle, kind: "pg-backup" }] }) });
    let send: (o: StepOutput) => void = () => {};
    let finish: (l: RunLive) => void = () => {};
    handlers.run_step = ({ onOutput }) => {
      send = onOutput.onmessage as (o: StepOutput) => void;
      send({ type: "started", step: "1.tests.step", kind: "pg-backup", what: "pg_dump --format=custom of shop", deadline_ms: 600_000 });
      return new Promise<RunLive>((resolve) => (finish = resolve));
    };
    handlers.cancel_step = () => {
      const after = stepAfter("failed", "cancelled");
      after.state.steps[0].kind = "pg-backup";
      finish(after);
      return true;
    };
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.click(runButton());
    const box = await waitFor(() => document.querySelector<HTMLElement>('[data-backup-progress="1.tests.step"]')!);
    expect(box.getAttribute("data-stage")).toBe("");
    const progress = (stage: "connect" | "dump", bytes: number) =>
      send({ type: "progress", step: "1.tests.step", done: bytes, total: null, message: `${stage}: ${bytes} B`, backup: { stage, bytes, elapsed_ms: 500, rate_bytes_per_s: 4_000_000, expected_bytes: 8_000_000 } });
    progress("connect", 0);
    progress("dump", 2_000_000);
    await waitFor(() => expect(box.getAttribute("data-stage")).toBe("dump"));
    const bar = () => box.querySelector('[data-bytes-bar] [role="progressbar"]')!.getAttribute("aria-valuenow");
    expect(bar()).toBe("25");
    expect(box.querySelector(".seg.current")!.textContent).toBe("dump");
    progress("dump", 6_000_000);
    await waitFor(() => expect(bar()).toBe("75"));
    // The dump's repeated lines replace each other in the live log.
    expect(document.querySelector('[data-step-output="1.tests.step"]')!.textContent!.match(/… dump:/g)).toHaveLength(1);
    await fireEvent.click(document.querySelector<HTMLButtonElement>('[data-cancel-step="1.tests.step"]')!);
    await waitFor(() => expect(document.querySelector('[data-step-status="failed"]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === "cancel_step")?.args).toEqual({ req: { run: RUN_ID, step: "1.tests.step" } });
    expect(document.querySelector("[data-backup-progress]")).toBeNull();
    expect(document.querySelector('[data-step-result="1.tests.step"]')!.textContent).toContain("cancelled");
  });

  it("charts a drill's RTO stages under its result", async () => {
    const after = stepAfter("passed");
    const st = after.state.steps[0];
    st.kind = "pg-restore";
    st.result = { ...st.result!, captures: [["1.result", "Success"]], rto: { stages: [{ stage: "create", ms: 200 }, { stage: "data", ms: 800 }], rto_ms: 1000, rto_objective_ms: 900_000, within_objective: true } };
    handlers.open_run = () => ({ ...doc, live: after });
    show();
    await screen.findByTestId("run-screen");
    const chart = await waitFor(() => document.querySelector('[data-rto-chart="1.tests.step"]')!);
    expect([...chart.querySelectorAll("[data-rto-stage]")].map((r) => r.getAttribute("data-rto-stage"))).toEqual(["create", "data"]);
    expect(chart.querySelector<HTMLElement>('[data-rto-stage="create"] .bar')!.style.width).toBe("25%");
    expect(chart.querySelector("[data-rto-verdict]")!.textContent).toBe("within objective");
  });

  it("asks before a step that changes a production target, naming it and the environment, then runs it confirmed", async () => {
    handlers.open_run = () => ({ ...doc, live: live({ env: "production" }) });
    handlers.run_step = ({ req }) => {
      if (!req.confirmed) throw { code: "confirm", message: "step `1.tests.step` changes the target of `production`, a production environment: confirm it", missing: [] } satisfies IpcError;
      return stepAfter("passed");
    };
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.click(runButton());
    const dialog = await screen.findByTestId("confirm-dialog");
    expect(dialog.textContent).toContain("changes the target of `production`");
    expect(screen.getByTestId("confirm-step").textContent).toBe("1.tests.step");
    expect(screen.getByTestId("confirm-env").textContent).toBe("production");
    // The safe answer has the focus, and the refusal is the dialog, not an error toast.
    expect(document.activeElement).toBe(screen.getByTestId("confirm-cancel"));
    expect(toasts).toEqual([]);
    await fireEvent.click(screen.getByTestId("confirm-run"));
    await waitFor(() => expect(document.querySelector('[data-step-status="passed"]')).toBeTruthy());
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(calls.filter((c) => c.cmd === "run_step").map((c) => (c.args.req as { confirmed: boolean }).confirmed)).toEqual([false, true]);
  });

  it("leaves a production step unrun when its confirmation is cancelled with Esc", async () => {
    handlers.open_run = () => ({ ...doc, live: live({ env: "production" }) });
    handlers.run_step = () => {
      throw { code: "confirm", message: "confirm it", missing: [] } satisfies IpcError;
    };
    show();
    await screen.findByTestId("run-screen");
    await fireEvent.click(runButton());
    await fireEvent.keyDown(await screen.findByTestId("confirm-dialog"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("confirm-dialog")).toBeNull());
    expect(calls.filter((c) => c.cmd === "run_step")).toHaveLength(1);
    expect(toasts).toEqual([]);
    await waitFor(() => expect(document.activeElement).toBe(runButton()));
  });

  it("shows a given run read-only: no backend call, and every control that writes disabled", async () => {
    const backend = new FakeBackend();
    const decided = { ...doc, live: live({ env: "production" }) };
    render(Harness, { props: { backend, component: RunScreen, inner: { doc: decided, heads: [{ run_id: RUN_ID, seq: 9, hash: "x" }] } } });
    const run = await screen.findByTestId("run-screen");
    // The first frame has the section to work on; the rest follows it.
    await waitFor(() => expect(run.dataset.complete).toBe("true"));
    expect(run.dataset.readonly).toBe("true");
    expect(screen.getByTestId("readonly-badge")).toBeTruthy();
    const all = <T extends Element>(sel: string) => [...run.querySelectorAll<T>(sel)];
    expect(all<HTMLInputElement>("input[data-item-id]").map((b) => b.disabled)).toEqual([true, true, true]);
    expect(all<HTMLInputElement>('input[data-field-id]').every((i) => i.readOnly)).toBe(true);
    expect(all<HTMLButtonElement>("[data-field-id] [data-option]").every((b) => b.disabled)).toBe(true);
    expect(all<HTMLInputElement>("[data-meta-key]").every((i) => i.readOnly)).toBe(true);
    expect(all<HTMLButtonElement>("[data-signoff], [data-decision], [data-run-step]").every((b) => b.disabled)).toBe(true);
    expect((screen.getByTestId("decision-rationale") as HTMLTextAreaElement).readOnly).toBe(true);
    expect(screen.queryByTestId("export-archive")).toBeNull();
    await fireEvent.click(all<HTMLInputElement>("input[data-item-id]")[0]);
    await fireEvent.change(all<HTMLInputElement>("[data-meta-key]")[0], { target: { value: "v9" } });
    expect(backend.calls).toEqual([]);
  });

  it("exports the run as a signed archive, showing each stage, then what was written and the way to review it", async () => {
    let finish: () => void = () => {};
    let reviewed = "";
    handlers.suggest_archive_path = ({ run }) => `/home/riley/Documents/flightdeck-v1.0.0-${run.slice(0, 8)}.pdf`;
    handlers.export_archive = ({ req, onProgress }) => {
      const send = onProgress.onmessage as (p: ArchiveProgress) => void;
      send({ stage: "reading the run", done: 0, total: 5 });
      send({ stage: "drawing and signing the document", done: 2, total: 5 });
      return new Promise((resolve) => (finish = () => resolve({ path: req.path, bytes: 12_288, signer: "Riley (ACME)", signer_cert_sha256: "ab".repeat(32), verified: true, trust_hint: null })));
    };
    show({ onreview: (p: string) => (reviewed = p) });
    await fireEvent.click(await screen.findByTestId("export-archive"));
    await screen.findByTestId("export-dialog", {}, { timeout: 10_000 }); // a chunk of its own, loaded on first use
    const path = screen.getByTestId("export-path") as HTMLInputElement;
    await waitFor(() => expect(path.value).toBe("/home/riley/Documents/flightdeck-v1.0.0-0193aaaa.pdf"));
    expect((screen.getByTestId("export-signer-name") as HTMLInputElement).value).toBe("Riley");
    expect(screen.getByTestId("export-signer-note").textContent).toMatch(/only matter on the first export.*OS keyring/);
    await fireEvent.input(screen.getByTestId("export-signer-org"), { target: { value: "ACME" } });
    await fireEvent.click(screen.getByTestId("export-go"));
    const progress = await screen.findByTestId("export-progress");
    await waitFor(() => expect(progress.textContent).toContain("drawing and signing the document… 2/5"));
    expect(progress.querySelector('[role="progressbar"]')!.getAttribute("aria-valuenow")).toBe("40");
    finish();
    const result = await screen.findByTestId("export-result");
    expect(result.dataset.verified).toBe("true");
    expect(result.textContent).toContain("/home/riley/Documents/flightdeck-v1.0.0-0193aaaa.pdf");
    expect(result.textContent).toContain("12.0 KiB");
    expect(result.textContent).toContain("Riley (ACME)");
    expect(calls.find((c) => c.cmd === "export_archive")?.args.req).toEqual({
      run: RUN_ID,
      path: "/home/riley/Documents/flightdeck-v1.0.0-0193aaaa.pdf",
      signer_name: "Riley",
      signer_org: "ACME",
    });
    await fireEvent.click(screen.getByTestId("export-review"));
    expect(reviewed).toBe("/home/riley/Documents/flightdeck-v1.0.0-0193aaaa.pdf");
  });

  it("shows an export failure in the dialog, the keyring named when it is the cause", async () => {
    handlers.suggest_archive_path = () => "/tmp/a.pdf";
    handlers.export_archive = () => {
      throw { code: "keyring", message: "the OS keyring is locked: unlock it and try again", missing: [] } satisfies IpcError;
    };
    show();
    await fireEvent.click(await screen.findByTestId("export-archive"));
    await waitFor(() => expect((screen.getByTestId("export-path") as HTMLInputElement).value).toBe("/tmp/a.pdf"));
    await fireEvent.click(screen.getByTestId("export-go"));
    const err = await screen.findByTestId("export-error");
    expect(err.dataset.code).toBe("keyring");
    expect(err.textContent).toContain("keyring cannot be used");
    expect(err.textContent).toContain("unlock it and try again");
    expect(screen.queryByTestId("export-result")).toBeNull();
    expect((screen.getByTestId("export-go") as HTMLButtonElement).disabled).toBe(false);
  });
});
