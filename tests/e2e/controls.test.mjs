// The Controls view in the real window: a flag changed on a production environment from the
// window (preview → reason → a confirmation naming production → apply → the verified badge),
// the attempt in the run's log (in the window and through the CLI), screenshots. Against a
// sandbox of its own on a free port; everything started here is stopped whatever happens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { $, cli, launch, scratch, shot, startDriver, waitFor } from "./harness.mjs";
import { named, privateSandbox } from "./controls-support.mjs";

const USER = "Riley Release";
const S = scratch();
let driver;
let d;
let sandbox;
let runId;

const click = async (css) => (await $(d, css)).click();

before(async () => {
  driver = await startDriver();
  sandbox = await privateSandbox();
  named(S.config, USER);
  await cli(S.store, "env", "set-var", "production", "SANDBOX_URL", sandbox.url);
  runId = (await cli(S.store, "run", "new", "bundled:m31", "--release", "v1.0.0", "--env", "production", "--by", USER)).trim();
});

after(async () => {
  try {
    await d?.quit().catch(() => {});
  } finally {
    try {
      await sandbox?.stop();
    } finally {
      await driver?.stop();
    }
  }
});

describe("the Controls view", () => {
  test("lists the flags with their expected state and drift, and the breakers", async () => {
    d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config, "--open", runId]);
    await $(d, "[data-testid=run-screen][data-complete=true]", 20_000);
    await click("[data-testid=tab-controls]");
    await $(d, '[data-flag="community_enabled"]', 15_000);
    const env = await (await $(d, "[data-testid=controls-env]")).getText();
    assert.equal(env, "production");
    const drift = await d.executeScript(() => document.querySelector('[data-flag="community_enabled"] [data-flag-drift]')?.dataset.flagDrift);
    assert.equal(drift, "false", "the sandbox starts as M31 §5 expects");
    for (const p of ["stripe", "square", "twilio", "fcm", "apns"]) await $(d, `[data-breaker="${p}"]`);
    await shot(d, "controls-01-view");
  });

  test("preview → reason → confirm naming production → apply → the verified badge; the event in the log", async () => {
    await click('[data-flag="notifications_enabled"] [data-flag-action="rollout"]');
    const pct = await $(d, "[data-testid=rollout-input]");
    await pct.clear();
    await pct.sendKeys("10", "\uE007");
    await $(d, "[data-testid=control-preview]", 15_000);
    assert.equal(await (await $(d, "[data-testid=control-from]")).getText(), "OFF (1%)");
    assert.equal(await (await $(d, "[data-testid=control-to]")).getText(), "OFF (10%)");
    assert.equal(await (await $(d, "[data-testid=control-env]")).getText(), "production");
    assert.match(await (await $(d, "[data-testid=control-inverse]")).getText(), /notifications_enabled OFF \(1%\)/);
    await shot(d, "controls-02-preview");
    await (await $(d, "[data-testid=control-reason]")).sendKeys("gradual notifications rollout, M31 §13");
    await click("[data-testid=control-next]");
    const confirm = await $(d, "[data-testid=control-confirm-input]");
    assert.equal(await (await $(d, "[data-testid=control-confirm-env]")).getText(), "production");
    assert.equal(await (await $(d, "[data-testid=control-apply]")).isEnabled(), false, "not before the environment is named");
    await confirm.sendKeys("production");
    await shot(d, "controls-03-confirm");
    await click("[data-testid=control-apply]");
    await $(d, "[data-testid=control-verified]", 15_000);
    assert.equal(await (await $(d, "[data-testid=control-read-back]")).getText(), "OFF (10%)");
    await shot(d, "controls-04-verified");
    await click("[data-testid=control-close]");
    await waitFor(d, () => document.querySelector('[data-flag="notifications_enabled"] [data-flag-rollout]')?.textContent === "10%", null, 10_000, "the view to read the flag again");

    await click("[data-testid=tab-events]");
    const line = await waitFor(d, () => document.querySelector("[data-kind=control_action]")?.textContent, null, 10_000, "the control_action event in the log");
    assert.match(line, /notifications_enabled.*confirmed on production.*OFF \(1%\) → OFF \(10%\), applied, verified/);
    assert.match(line, new RegExp(USER));
    await shot(d, "controls-05-log");

    const events = JSON.parse(await cli(S.store, "--json", "run", "events", runId));
    const ev = events.find((e) => e.kind === "control_action");
    assert.ok(ev, "the CLI sees the event");
    assert.equal(ev.by, USER);
    assert.equal(ev.payload.outcome, "applied");
    assert.equal(ev.payload.confirmed_on, "production");
    assert.equal(ev.payload.reason, "gradual notifications rollout, M31 §13");
    await cli(S.store, "run", "verify", runId);
  });
});
