// The Signals view in the real window, against a real Prometheus scraping a real sandbox every
// second: four golden panels with points (drawn by plotters, the default), one burn-rate panel
// per SLO, the SLO badges in the run header; then a sandbox fault (errors=5%) and the error SLO's
// badge turns red within one refresh after the engine's own evaluation (an `slo` step run through
// the CLI on the same store) says critical. Screenshots of both.
//
// Everything started here (tauri-driver, the app, the sandbox, Prometheus) is stopped in `after`,
// and by the harness' exit handlers and watchdog whatever happens.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { $, CLI, exec, launch, port, scratch, shot, startDriver, startPrometheus, startSandbox, waitFor } from "./harness.mjs";

const S = scratch();
const GOLDEN = ["latency", "traffic", "errors", "saturation"];
const SLO_STEP = "12.slo-compliance-check.step";
let driver;
let sandbox;
let prometheus;
let d;
let runId;
let skipped = null;

const cli = async (...args) => (await exec(CLI, ["--store", S.store, ...args], { encoding: "utf8" })).stdout;

/** The engine's evaluation of the run's SLOs now: an `slo` step through the CLI. Its body is the
 * evaluation as JSON; answers each SLO's state by id. */
async function evaluate() {
  let out;
  try {
    out = await cli("--json", "run", "step", runId, SLO_STEP, "--by", "e2e");
  } catch (e) {
    out = e.stdout; // exit 8: the step failed (an SLO breached); its result is still printed
  }
  const [r] = JSON.parse(out);
  const body = JSON.parse(r?.result?.body?.text ?? "null");
  assert.ok(body?.slos, `the slo step's result carries its evaluation: ${out.slice(0, 400)}`);
  return Object.fromEntries(body.slos.map((s) => [s.slo.id, s.state]));
}

const refreshes = () => d.executeScript(() => Number(document.querySelector("[data-testid=signals-view]")?.dataset.refreshes ?? 0));
const badges = () =>
  d.executeScript(() =>
    Object.fromEntries([...document.querySelectorAll("[data-testid=slo-badges] [data-slo-id]")].map((b) => [b.dataset.sloId, { state: b.dataset.state, text: b.title }])),
  );

before(async () => {
  driver = await startDriver();
  sandbox = await startSandbox({ port: await port(), traffic: true });
  prometheus = await startPrometheus(sandbox.url.replace("http://", ""));
  if (!prometheus) {
    if (process.env.CI === "true") throw new Error("no `prometheus` program (apt install prometheus)");
    skipped = "no `prometheus` program";
    return;
  }
  mkdirSync(S.config, { recursive: true });
  writeFileSync(join(S.config, "settings.json"), JSON.stringify({ user_name: "Riley Release" }));
  await cli("env", "set-var", "sandbox", "SANDBOX_URL", sandbox.url);
  await cli("env", "set-var", "sandbox", "PROMETHEUS_URL", prometheus.url);
  runId = (await cli("run", "new", "bundled:m31", "--env", "sandbox", "--release", "v1.0.0", "--by", "Riley Release")).trim();
  // The SLO step runs as `e2e`: someone known to the run.
  await cli("run", "people", "add", runId, "e2e", "--role", "engineer", "--by", "Riley Release");
});

after(async () => {
  await d?.quit().catch(() => {});
  await prometheus?.stop().catch(() => {});
  await sandbox?.stop().catch(() => {});
  await driver?.stop();
});

describe("the Signals view", () => {
  test("shows the four golden panels with points and a burn-rate panel per SLO, drawn by plotters", async (t) => {
    if (skipped) return t.skip(skipped);
    d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config, "--open", runId, "--view", "signals"]);
    await $(d, "[data-testid=signals-view]", 30_000);
    const golden = await waitFor(
      d,
      (ids) => {
        const figs = ids.map((id) => document.querySelector(`[data-testid=signals-view] figure[data-panel-id="${id}"]`));
        if (figs.some((f) => !f || Number(f.dataset.points) === 0)) return null;
        return figs.map((f) => ({ id: f.dataset.panelId, points: Number(f.dataset.points), render: f.dataset.render, img: !!f.querySelector("img") }));
      },
      GOLDEN,
      90_000,
      "four golden panels with points",
    );
    for (const p of golden) {
      assert.ok(p.points > 0, `${p.id} has points`);
      assert.equal(p.render, "plotters", "plotters draws the live view by default");
      assert.ok(p.img, `${p.id} is plotters' SVG`);
    }
    const slos = await waitFor(d, () => document.querySelectorAll("[data-testid=slo-badges] [data-slo-id]").length, null, 30_000, "the SLO badges");
    assert.equal(slos, 4, "M31 §4's four SLOs have a badge each");
    const burn = await d.executeScript(() => document.querySelectorAll('[data-testid=signals-view] figure[data-panel-id^="slo:"]').length);
    assert.equal(burn, 4, "one burn-rate panel per SLO");
    await shot(d, "signals-01-live");
  });

  test("a sandbox fault turns the error SLO's badge red within one refresh after the evaluation does", async (t) => {
    if (skipped) return t.skip(skipped);
    const all = await badges();
    const [errorSlo] = Object.entries(all).find(([, b]) => /Error rate/.test(b.text)) ?? [];
    assert.ok(errorSlo, `an Error rate SLO badge: ${JSON.stringify(all)}`);
    assert.notEqual(all[errorSlo].state, "critical", "not red before the fault");
    const r = await fetch(`${sandbox.url}/__sandbox/fault`, { method: "POST", body: "errors=5%" });
    assert.equal(r.status, 200, "the sandbox takes the fault");
    try {
      // The engine's evaluation, until it says critical: the fast pair (2 min / 10 s of the
      // sandbox's 1-day SLOs) trips within about a minute of 5 % errors.
      let seen;
      for (let i = 0; ; i++) {
        const states = await evaluate();
        if (states[errorSlo] === "critical") {
          seen = await refreshes();
          break;
        }
        assert.ok(i < 90, `the error SLO never went critical in the evaluation: ${JSON.stringify(states)}`);
        await new Promise((ok) => setTimeout(ok, 2000));
      }
      // Refresh seen+1 may have started before the evaluation; seen+2 started after it. Counted
      // in refreshes, not in seconds.
      await waitFor(d, (n) => Number(document.querySelector("[data-testid=signals-view]")?.dataset.refreshes ?? 0) >= n, seen + 2, 60_000, "two more refreshes");
      const now = await badges();
      assert.equal(now[errorSlo].state, "critical", `the badge is red: ${now[errorSlo].text}`);
      const cls = await d.executeScript((id) => document.querySelector(`[data-slo-id="${id}"]`)?.className, errorSlo);
      assert.match(cls, /\bbad\b/, "drawn red");
      await shot(d, "signals-02-slo-critical");
    } finally {
      await fetch(`${sandbox.url}/__sandbox/fault`, { method: "POST", body: "clear" }).catch(() => {});
    }
  });
});
