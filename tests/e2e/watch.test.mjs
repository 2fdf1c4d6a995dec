// The D0–D7 watch in the real window: the plan's band edited in the Watch tab (and read back
// through the CLI), the watch started in the app on a clock 30 times faster (`--watch-speed`,
// so one-minute slots come every 2 s), the strip filling as slots run, the sandbox's `down`
// fault making the health check fail (its cell red, its values on focus), its warning alert sent
// to a loopback HTTP receiver started here and shown in the alert log, a route's Test button,
// screenshots. Against a sandbox of its own; everything started here is stopped whatever happens.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { $, CLI, TAG, TAG_VAR, cli, launch, scratch, shot, startDriver, waitFor } from "./harness.mjs";
import { named, privateSandbox } from "./controls-support.mjs";

const USER = "Riley Release";
const HEALTH = "8.health-check-validation.step";
const S = scratch();
let driver;
let d;
let sandbox;
let runId;
/** The loopback receiver: every request it got ({ method, url, body }). */
const got = [];
let server;

const click = async (css) => (await $(d, css)).click();
const count = (status) =>
  d.executeScript((s) => document.querySelectorAll(`[data-testid=watch-strip] [data-slot^="check@"][data-status="${s}"]`).length, status);

/** An HTTP server on 127.0.0.1 answering 200 to everything, recording what it got. */
function receiver() {
  return new Promise((ok) => {
    const s = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c.length + body.length < 1 << 20 ? c : ""));
      req.on("end", () => {
        got.push({ method: req.method, url: req.url, body });
        res.writeHead(200, { "content-type": "text/plain", connection: "close" }).end("ok");
      });
    });
    s.listen(0, "127.0.0.1", () => ok(s));
  });
}

before(async () => {
  driver = await startDriver();
  sandbox = await privateSandbox();
  server = await receiver();
  named(S.config, USER);
  mkdirSync(S.config, { recursive: true });
  // §15's warning route to a generic JSON webhook; its URL is a secret, in the OS keyring.
  const alerts = {
    routes: [
      { name: "warning", severities: ["warning"], categories: ["health"], receivers: ["hook"] },
      { name: "critical", severities: ["critical"], categories: ["health"], receivers: ["hook"] },
    ],
    receivers: [{ type: "webhook", name: "hook", url_secret: "WATCH_E2E_HOOK_URL" }],
  };
  writeFileSync(join(S.config, "alerts.json"), JSON.stringify(alerts));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  execFileSync(CLI, ["--store", S.store, "secret", "set", "sandbox", "WATCH_E2E_HOOK_URL"], {
    input: url,
    env: { ...process.env, [TAG_VAR]: TAG },
    timeout: 20_000,
  });
  await cli(S.store, "env", "set-var", "sandbox", "SANDBOX_URL", sandbox.url);
  runId = (await cli(S.store, "run", "new", "bundled:m31", "--release", "v1.0.0", "--env", "sandbox", "--by", USER)).trim();
  const t0 = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await cli(S.store, "watch", "plan", runId, "--t0", t0, "--band", "0m-14m/1m", "--until", "14m", "--summary", "5m", "--budget", "off", "--checks", HEALTH, "--by", USER);
});

after(async () => {
  try {
    await d?.quit().catch(() => {});
  } finally {
    try {
      await sandbox?.stop();
    } finally {
      await new Promise((r) => (server ? server.close(() => r()) : r()));
      server?.closeAllConnections?.();
      await driver?.stop();
    }
  }
});

describe("the D0–D7 watch in the window", () => {
  test("the plan's band is edited in the Watch tab and the CLI reads it back", async () => {
    d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config, "--open", runId, "--watch-speed", "30"]);
    await $(d, "[data-testid=run-screen][data-complete=true]", 20_000);
    await click("[data-testid=tab-watch]");
    await $(d, "[data-testid=watch-strip]", 15_000);
    assert.equal(await count("pending"), 14);
    const band = await $(d, "[data-testid=watch-band]");
    await d.executeScript((el) => { el.value = ""; el.dispatchEvent(new Event("input", { bubbles: true })); }, band);
    await band.sendKeys("0m-12m/1m");
    await click("[data-testid=watch-plan-save]");
    await $(d, "[data-testid=watch-plan-saved]", 10_000);
    await waitFor(d, () => document.querySelectorAll('[data-testid=watch-strip] [data-slot^="check@"]').length === 12, null, 10_000, "12 check cells");
    const plan = JSON.parse(await cli(S.store, "--json", "watch", "plan", runId));
    assert.deepEqual(plan.bands.map((b) => [b.from_min, b.to_min, b.every_min]), [[0, 12, 1]]);
  });

  test("the strip fills as slots run; a failing check shows red with its values and its alert in the log", async () => {
    await click("[data-testid=watch-start]");
    await $(d, "[data-testid=watch-running]", 10_000);
    await waitFor(d, () => document.querySelectorAll('[data-testid=watch-strip] [data-status="passed"]').length >= 2, null, 30_000, "two slots passed");
    const passedBefore = await count("passed");
    await shot(d, "watch-01-filling");
    await cli(S.store, "sandbox", "fault", "down", "--url", sandbox.url);
    await waitFor(d, () => document.querySelector('[data-testid=watch-strip] [data-status="failed"]'), null, 30_000, "a failed check");
    assert.ok((await count("passed")) >= passedBefore, "passed cells stay as they were");
    // Red: the theme's --bad.
    const colour = await d.executeScript(() => {
      const cell = document.querySelector('[data-testid=watch-strip] [data-status="failed"]');
      const bad = getComputedStyle(document.documentElement).getPropertyValue("--bad").trim();
      const probe = document.createElement("span");
      probe.style.color = bad;
      document.body.append(probe);
      const want = getComputedStyle(probe).color;
      probe.remove();
      return { have: getComputedStyle(cell).backgroundColor, want };
    });
    assert.equal(colour.have, colour.want, "the failed cell is red");
    // Its values on keyboard focus (the failed cell is the strip's tab stop).
    const failed = await $(d, '[data-testid=watch-strip] [data-status="failed"]');
    assert.equal(await failed.getAttribute("tabindex"), "0");
    await d.executeScript((el) => el.focus(), failed);
    const line = await waitFor(d, (h) => document.querySelector(`[data-testid=watch-detail] [data-line="${h}"]`)?.textContent, HEALTH, 10_000, "the failed line in the detail");
    assert.match(line, /✘/);
    assert.match(line, /status=503/);
    assert.match(await failed.getAttribute("aria-label"), new RegExp(`failed: ${HEALTH.replaceAll(".", "\\.")}`));
    // Its warning goes out (group_wait 30 s on the watch's clock: 1 s here) and is in the log.
    const entry = await waitFor(
      d,
      () => document.querySelector('[data-testid=alert-log] li[data-sent="true"][data-severity="warning"]')?.textContent,
      null,
      30_000,
      "the warning in the alert log",
    );
    assert.match(entry, /warning\/warning\/health → hook/);
    const firing = got.find((r) => r.method === "POST" && r.url === "/hook" && r.body.includes('"status":"firing"'));
    assert.ok(firing, `the receiver got the warning: ${JSON.stringify(got)}`);
    assert.match(firing.body, new RegExp(HEALTH.replaceAll(".", "\\.")));
    await d.executeScript(() => document.querySelector("[data-testid=alert-log]")?.scrollIntoView({ block: "center" }));
    await shot(d, "watch-02-failed-and-alerted");
    await cli(S.store, "sandbox", "fault", "clear", "--url", sandbox.url);
    await click("[data-testid=watch-stop]");
    await $(d, "[data-testid=watch-start]", 15_000);
    const st = JSON.parse(await cli(S.store, "--json", "watch", "status", runId));
    assert.ok(st.failed >= 1 && st.passed >= 2 && st.alerts_sent >= 1, JSON.stringify({ ...st, cells: undefined, plan: undefined }));
  });

  test("a route's Test button reaches its receiver and is recorded", async () => {
    const before = got.length;
    const route = await $(d, '[data-route="critical"]');
    await d.executeScript((el) => el.scrollIntoView({ block: "center" }), route);
    await click('[data-route="critical"] [data-testid=alert-test]');
    const outcome = await waitFor(d, () => document.querySelector('[data-route="critical"] [data-receiver="hook"]')?.dataset.sent, null, 20_000, "the test's outcome");
    assert.equal(outcome, "true");
    assert.ok(got.slice(before).some((r) => r.body.includes("Flightdeck test alert")), JSON.stringify(got.slice(before)));
    await waitFor(d, () => document.querySelector('[data-testid=alert-log] li[data-test="true"]'), null, 10_000, "the test in the alert log");
    await shot(d, "watch-03-test-button");
    const events = JSON.parse(await cli(S.store, "--json", "run", "events", runId));
    const test = events.find((e) => e.kind === "alert_notified" && e.payload.test);
    assert.ok(test, "the test is an event of the run");
    assert.equal(test.by, USER);
    assert.equal(test.payload.sent, true);
    await cli(S.store, "run", "verify", runId);
  });
});
