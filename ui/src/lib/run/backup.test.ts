// The backup and drill views: the stage and bytes bars of a running backup or drill, and the
// drill's RTO stages as a bar chart.
import { render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { Progress, RtoSummary } from "../bindings";
import BackupProgress from "./BackupProgress.svelte";
import { bytes, bytesFraction, progressLine, rtoBars, stageFraction } from "./backup";
import RtoChart from "./RtoChart.svelte";

const dump = (b: number, expected: number | null = null): Progress => ({ stage: "dump", bytes: b, elapsed_ms: 2100, rate_bytes_per_s: 5_100_000, expected_bytes: expected });
const rto: RtoSummary = {
  stages: [
    { stage: "checksum", ms: 120 },
    { stage: "create", ms: 300 },
    { stage: "data", ms: 2400 },
    { stage: "post-data", ms: 1200 },
    { stage: "verify", ms: 60 },
    { stage: "smoke", ms: 12 },
  ],
  rto_ms: 4092,
  rto_objective_ms: 900_000,
  within_objective: true,
};

describe("backup progress", () => {
  it("places a stage among a backup's or a drill's stages, and the bytes against the expected size", () => {
    expect(stageFraction("pg-backup", "connect")).toBe(0);
    expect(stageFraction("pg-backup", "dump")).toBe(0.25);
    expect(stageFraction("pg-restore", "data")).toBeCloseTo(2 / 7);
    expect(bytesFraction(dump(10_000_000, 40_000_000))).toBe(0.25);
    expect(bytesFraction(dump(50_000_000, 40_000_000))).toBe(1);
    expect(bytesFraction(dump(10_000_000))).toBeNull();
    expect(bytes(1_500_000_000)).toBe("1.50 GB");
    expect(progressLine(dump(12_300_000, 40_000_000))).toBe("dump · 12.3 MB of ~40.0 MB at 5.1 MB/s");
    expect(progressLine({ stage: "create", bytes: 0, elapsed_ms: 10, rate_bytes_per_s: 0 })).toBe("create");
  });

  it("draws the stages done, the current one, and a bytes bar that moves with the dump", async () => {
    const r = render(BackupProgress, { props: { kind: "pg-backup", progress: dump(10_000_000, 40_000_000), step: "3.s" } });
    const segs = [...document.querySelectorAll("[data-seg]")];
    expect(segs.map((s) => s.getAttribute("data-seg"))).toEqual(["connect", "dump", "checksum", "inventory"]);
    expect(segs.map((s) => (s.classList.contains("done") ? "done" : s.classList.contains("current") ? "current" : "-"))).toEqual(["done", "current", "-", "-"]);
    const bar = () => document.querySelector('[data-bytes-bar] [role="progressbar"]')!;
    expect(bar().getAttribute("aria-valuenow")).toBe("25");
    expect(document.querySelector("[data-backup-line]")!.textContent).toBe("dump · 10.0 MB of ~40.0 MB at 5.1 MB/s");
    await r.rerender({ kind: "pg-backup", progress: dump(30_000_000, 40_000_000), step: "3.s" });
    expect(bar().getAttribute("aria-valuenow")).toBe("75");
    expect(document.querySelector("[data-backup-progress]")!.getAttribute("data-bytes")).toBe("30000000");
  });

  it("slides the bytes bar when no earlier backup gives an expected size", () => {
    render(BackupProgress, { props: { kind: "pg-backup", progress: dump(1_000_000), step: "3.s" } });
    expect(document.querySelector("[data-bytes-bar] .indeterminate")).toBeTruthy();
  });
});

describe("RTO chart", () => {
  it("draws one bar per stage scaled to the longest, and the RTO against the objective", () => {
    render(RtoChart, { props: { rto, step: "3.d" } });
    const rows = [...document.querySelectorAll("[data-rto-stage]")];
    expect(rows.map((r) => r.getAttribute("data-rto-stage"))).toEqual(["checksum", "create", "data", "post-data", "verify", "smoke"]);
    const width = (stage: string) => document.querySelector<HTMLElement>(`[data-rto-stage="${stage}"] .bar`)!.style.width;
    expect(width("data")).toBe("100%");
    expect(width("post-data")).toBe("50%");
    expect(width("smoke")).toBe("1%");
    expect(document.querySelector('[data-rto-stage="data"]')!.textContent).toContain("2.4 s");
    expect(document.querySelector("[data-rto-ms]")!.textContent).toBe("4.1 s");
    expect(document.querySelector("[data-rto-verdict]")!.textContent).toBe("within objective");
    expect(rtoBars(rto)[0].share).toBeCloseTo(0.05);
  });

  it("says when the RTO is over its objective", () => {
    render(RtoChart, { props: { rto: { ...rto, rto_objective_ms: 1000, within_objective: false }, step: "3.d" } });
    expect(document.querySelector("[data-rto-verdict]")!.getAttribute("data-rto-verdict")).toBe("over");
    expect(document.querySelector("[data-rto-chart]")!.textContent).toContain("of 1.0 s objective");
  });
});
