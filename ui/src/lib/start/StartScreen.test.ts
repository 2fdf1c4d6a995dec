// The start screen over the FakeBackend: what it lists, and what "Start run" asks for.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../backend/fake";
import type { RunSummary } from "../bindings";
import Harness from "../testing/Harness.svelte";
import StartScreen from "./StartScreen.svelte";

const run: RunSummary = {
  id: "0193aaaa-0000-7000-8000-000000000001",
  release: "v1.0.0",
  env: "production",
  runbook_name: "m31.md",
  runbook_title: "M31 Production Cutover Checklist",
  created_at: "2026-11-28T09:00:00.000Z",
  created_by: "Riley",
  items_checked: 40,
  items_total: 85,
  fields_filled: 10,
  fields_total: 78,
  signoffs_done: 2,
  signoffs_total: 5,
  decision: "go",
  event_count: 53,
  updated_at: "2026-11-28T11:00:00.000Z",
};

function show(backend: FakeBackend, onopen = (_: string) => {}, extra: Record<string, unknown> = {}) {
  return render(Harness, { props: { backend, component: StartScreen, inner: { heads: [], onopen, onneedname: () => {}, ...extra } } });
}

describe("StartScreen", () => {
  it("lists runs with release, environment, progress and decision", async () => {
    show(new FakeBackend({ listRuns: [run], bundledRunbooks: [{ name: "m31", file: "m31.md", description: "M31" }] }));
    const row = await screen.findByText("v1.0.0");
    const tr = row.closest("tr")!;
    expect(tr.textContent).toContain("production");
    expect(tr.textContent).toContain("40/85 items");
    expect(tr.textContent).toContain("2/5");
    expect(tr.textContent).toContain("GO");
  });

  it("opens an archive from the path box, on Enter", async () => {
    let opened = "";
    show(new FakeBackend({ listRuns: [run], bundledRunbooks: [] }), undefined, { onarchive: (p: string) => (opened = p) });
    expect(screen.queryByTestId("archive-path")).toBeNull();
    const user = userEvent.setup();
    await user.click(screen.getByTestId("open-archive"));
    const box = screen.getByTestId("archive-path");
    expect(document.activeElement).toBe(box);
    expect(screen.getByTestId("archive-open")).toBeTruthy();
    await user.type(box, "  /tmp/flightdeck-v1.0.0.pdf {Enter}");
    expect(opened).toBe("/tmp/flightdeck-v1.0.0.pdf");
  });

  it("offers the store's environments, production ones marked, for a new run", async () => {
    show(
      new FakeBackend({
        listRuns: [],
        bundledRunbooks: [],
        listEnvs: [
          { name: "prod-eu", production: true, vars: 0, secrets: 1 },
          { name: "sandbox", production: false, vars: 2, secrets: 0 },
        ],
      }),
    );
    const select = await screen.findByTestId("new-env");
    await waitFor(() => expect([...select.querySelectorAll("option")].map((o) => o.textContent)).toEqual(["prod-eu (production)", "sandbox"]));
  });

  it("starts a run from the bundled runbook and opens it", async () => {
    const b = new FakeBackend({ listRuns: [], bundledRunbooks: [{ name: "m31", file: "m31.md", description: "M31" }], createRun: "new-id" });
    let opened = "";
    show(b, (id) => (opened = id));
    await screen.findByText("No runs yet.");
    await fireEvent.input(screen.getByTestId("new-release"), { target: { value: "v2.0.0" } });
    await fireEvent.submit(screen.getByTestId("new-run"));
    await waitFor(() => expect(opened).toBe("new-id"));
    expect(b.calls.find((c) => c.method === "createRun")?.arg).toEqual({ source: "bundled:m31", env: "sandbox", release: "v2.0.0" });
  });

  it("asks for a release before starting", async () => {
    const b = new FakeBackend({ listRuns: [], bundledRunbooks: [] });
    show(b);
    await fireEvent.submit(await screen.findByTestId("new-run"));
    expect((await screen.findByTestId("new-run-error")).textContent).toMatch(/release/);
    expect(b.calls.some((c) => c.method === "createRun")).toBe(false);
  });
});
