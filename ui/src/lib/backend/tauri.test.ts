// The UI's side of "one list of commands": every command of src-tauri/src/commands/all.rs
// (generated into bindings/commands.ts) is invoked by exactly one TauriBackend method, and no
// method invokes anything else. Together with the Rust build's check of the capability file,
// a command added, renamed or dropped on one side fails here or in svelte-check.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../bindings";
import type { Backend } from "./index";
import { TauriBackend } from "./tauri";

afterEach(() => clearMocks());

describe("TauriBackend", () => {
  it("has one method per command of the Rust list, and invokes nothing else", async () => {
    const invoked = new Map<string, string[]>();
    let current = "";
    mockIPC((cmd, args) => {
      invoked.set(cmd, [...(invoked.get(cmd) ?? []), current]);
      // The store watcher's long poll: the first heads, then it waits (for ever, here).
      if (cmd === "store_heads") return (args as { seen: number }).seen ? new Promise(() => {}) : { version: 1, heads: [] };
      return null;
    });
    const backend = new TauriBackend();
    const methods = Object.keys(backend).concat(
      Object.getOwnPropertyNames(TauriBackend.prototype).filter((m) => m !== "constructor"),
    ) as (keyof Backend)[];
    for (const m of methods) {
      current = m;
      const fn = backend[m] as (...args: unknown[]) => Promise<unknown>;
      // Arguments do not matter to the mock; callbacks get a no-op (watchStore's is its first).
      await (m === "watchStore" ? fn.call(backend, () => {}) : fn.call(backend, {}, () => {}));
    }
    expect([...invoked.keys()].sort()).toEqual([...COMMANDS].sort());
    for (const [cmd, by] of invoked) {
      expect(new Set(by), `${cmd} is invoked by one method`).toHaveProperty("size", 1);
    }
  });

  it("answers the first launchInfo from the info the app put in the page, later ones over IPC", async () => {
    const launched = { store_path: "/s.sqlite", open_run: "r1", user_name: "ana", version: "1", charts: "plotters", open_signals: false, utc_offsets: [] };
    const invoked: string[] = [];
    mockIPC((cmd) => {
      invoked.push(cmd);
      return { ...launched, user_name: "bea" };
    });
    const g = globalThis as { __FLIGHTDECK_LAUNCH__?: unknown };
    g.__FLIGHTDECK_LAUNCH__ = launched;
    try {
      const backend = new TauriBackend();
      expect(await backend.launchInfo()).toEqual(launched);
      expect(invoked).toEqual([]);
      expect((await backend.launchInfo()).user_name).toBe("bea");
      expect(invoked).toEqual(["launch_info"]);
    } finally {
      delete g.__FLIGHTDECK_LAUNCH__;
    }
  });

  it("answers the first openRun of the launched run from the page, anything else over IPC", async () => {
    const doc = { runbook: { title: "M31" }, live: { state: { run_id: "r1" }, events: [] } };
    const invoked: string[] = [];
    mockIPC((cmd, args) => {
      invoked.push(`${cmd} ${(args as { run: string }).run}`);
      return { ...doc, fresh: true };
    });
    const g = globalThis as { __FLIGHTDECK_OPEN_RUN__?: unknown };
    g.__FLIGHTDECK_OPEN_RUN__ = { run: "r1", doc };
    try {
      const backend = new TauriBackend();
      // Read once: the window's global no longer holds the first answer alive.
      expect(g.__FLIGHTDECK_OPEN_RUN__).toBeUndefined();
      expect(await backend.openRun("r1")).toEqual(doc);
      expect(invoked).toEqual([]);
      expect(await backend.openRun("r1")).toHaveProperty("fresh", true);
      expect(invoked).toEqual(["open_run r1"]);
    } finally {
      delete g.__FLIGHTDECK_OPEN_RUN__;
    }
    g.__FLIGHTDECK_OPEN_RUN__ = { run: "r1", doc };
    try {
      expect(await new TauriBackend().openRun("r2")).toHaveProperty("fresh", true);
      expect(invoked).toEqual(["open_run r1", "open_run r2"]);
    } finally {
      delete g.__FLIGHTDECK_OPEN_RUN__;
    }
  });
});
