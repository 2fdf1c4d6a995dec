// The run session's read-only mode: built from a RunDoc, it answers every write with a refusal
// and never reaches a backend (it has none), so an archive's run cannot be changed by accident.
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import { doc, RUN_ID } from "../testing/fixture";
import { RunSession } from "./session.svelte";

describe("RunSession.readonly", () => {
  it("holds the given run as it is, and refuses every write", async () => {
    const s = RunSession.readonly(doc);
    expect(s.readonly).toBe(true);
    expect(s.id).toBe(RUN_ID);
    expect(s.runbook?.name).toBe("mini.md");
    expect(s.idx?.items.get("1.unit")?.checked).toBe(false);

    expect(await s.check("1.unit", true)).toBe(false);
    expect(await s.setField("1.pass-rate", "99")).toBe(false);
    expect(await s.setMeta("release-version", "v9")).toBe(false);
    expect(await s.note("hi", null)).toBe(false);
    expect(await s.runStep("1.tests.step", () => {}, true)).toEqual({ outcome: "failed" });
    expect(await s.cancelStep("1.tests.step")).toBe(false);
    await expect(s.signOff("gates", "because")).rejects.toBeInstanceOf(BackendError);
    await expect(s.decide("go", "ready", null)).rejects.toThrow(/read-only/);
    await s.load();
    await s.follow(99);
    expect(s.live).toEqual(doc.live);
  });
});
