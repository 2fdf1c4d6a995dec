// The shell over mockIPC: the name prompt on first use, and the name in the header after.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { TauriBackend } from "./lib/backend/tauri";

afterEach(() => clearMocks());

describe("App", () => {
  it("asks for the user's name on first use and shows it in the header", async () => {
    let saved = "";
    mockIPC((cmd, args) => {
      switch (cmd) {
        case "launch_info":
          return { store_path: "/tmp/s.sqlite", open_run: null, user_name: null, version: "0.1.0" };
        case "set_user_name":
          saved = (args as { name: string }).name;
          return saved;
        case "list_runs":
          return [];
        case "bundled_runbooks":
          return [];
        case "watch_store":
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
});
