// The shell over mockIPC: the name prompt on first use, and the name in the header after.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { TauriBackend } from "./lib/backend/tauri";
import type { ArchiveReview } from "./lib/bindings";
import { doc } from "./lib/testing/fixture";

afterEach(() => clearMocks());

/** The shell's own commands for a user who has a name, plus `more`. */
function backendWith(more: Record<string, (args: any) => unknown>) {
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "launch_info":
        return { store_path: "/tmp/s.sqlite", open_run: null, user_name: "Dana", version: "0.1.0", charts: "plotters", open_signals: false, utc_offsets: [] };
      case "list_runs":
      case "bundled_runbooks":
      case "list_envs":
        return more[cmd]?.(args) ?? [];
      case "store_heads": // the first heads at once; the long poll then waits
        return (args as { seen: number }).seen ? new Promise(() => {}) : { version: 1, heads: [] };
      case "ui_ready":
        return null;
    }
    const h = more[cmd];
    if (!h) throw new Error(`unexpected ${cmd}`);
    return h(args);
  });
  return new TauriBackend();
}

describe("App", () => {
  it("asks for the user's name on first use and shows it in the header", async () => {
    let saved = "";
    mockIPC((cmd, args) => {
      switch (cmd) {
        case "launch_info":
          return { store_path: "/tmp/s.sqlite", open_run: null, user_name: null, version: "0.1.0", charts: "plotters", open_signals: false, utc_offsets: [] };
        case "set_user_name":
          saved = (args as { name: string }).name;
          return saved;
        case "list_runs":
          return [];
        case "bundled_runbooks":
          return [];
        case "store_heads":
          return (args as { seen: number }).seen ? new Promise(() => {}) : { version: 1, heads: [] };
        case "ui_ready":
          return null;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(App, { props: { backend: new TauriBackend() } });
    const input = await screen.findByTestId("user-name-input");
    await fireEvent.input(input, { target: { value: "  Dana  " } });
    await fireEvent.click(screen.getByTestId("user-name-save"));
    await waitFor(() => expect(screen.queryByTestId("name-prompt")).toBeNull());
    expect(saved).toBe("Dana");
    expect(screen.getByTestId("user-chip").textContent).toContain("Dana");
  });

  it("goes to the environment editor from the top bar", async () => {
    const backend = backendWith({
      list_envs: () => [{ name: "sandbox", production: false, vars: 2, secrets: 0 }],
      show_env: ({ env }) => ({ name: env, production: false, vars: [], secrets: [] }),
    });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId("nav-envs"));
    await screen.findByTestId("env-screen", {}, { timeout: 10_000 }); // a chunk of its own, loaded on first use
    await waitFor(() => expect(screen.getByTestId("env-detail").dataset.env).toBe("sandbox"));
    await fireEvent.click(screen.getByTestId("home"));
    await screen.findByTestId("new-run");
  });

  it("opens an archive from the start screen onto the review screen, with a breadcrumb back", async () => {
    const review: ArchiveReview = { path: "/tmp/a.pdf", bytes: 2048, ok: true, checks: [{ name: "signature", ok: true, detail: "ok" }], signer: "Dana", signer_cert_sha256: "ab".repeat(32), signatures: [], trust: { state: "trusted", text: "trusted: Dana (your trusted signers)" }, verdict: "verified", doc };
    let asked = "";
    const backend = backendWith({ open_archive: ({ path }) => ((asked = path), review) });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId("open-archive"));
    await fireEvent.input(screen.getByTestId("archive-path"), { target: { value: "/tmp/a.pdf" } });
    await fireEvent.click(screen.getByTestId("archive-open"));
    expect((await screen.findByTestId("archive-verdict")).dataset.ok).toBe("true");
    expect(asked).toBe("/tmp/a.pdf");
    expect(screen.getByTestId("run-screen").dataset.readonly).toBe("true");
    expect(document.querySelector(".topbar")!.textContent).toContain("a.pdf");
    await fireEvent.click(screen.getByTestId("back-to-runs"));
    await screen.findByTestId("new-run");
  });
});
