// A one-test suite that teardown.test.mjs runs in its own `node --test` and watches from outside.
// It starts the real app over WebDriver exactly as app.test.mjs does (the same harness, the same
// before/after hooks), waits for the app's first screen, and then ends its test with the app
// open in the way FLIGHTDECK_E2E_ABORT names:
//   pass            the test passes and leaves the session to the `after` hook (how app.test.mjs
//                   ends: the CI hang of issue 9 was at this point)
//   throw           a failed assertion
//   hang            a wait longer than the test's timeout, so node:test times the test out
//   kill-app        the app is killed (SIGKILL), then the test talks to it
//   kill-webdriver  WebKitWebDriver is killed (SIGKILL), so the session is torn down under the
//                   test and the app loses its parent, then the test talks to it
//   kill-test       the test's own process is killed (SIGKILL): no hook, handler or `finally` runs
//   stop-driver     the suite's driver is stopped with the session still open (what the `after`
//                   hook does when the session's quit failed), then the test talks to the app
// Not named *.test.mjs: it is only ever run by teardown.test.mjs.
import { after, before, test } from "node:test";
import { $, launch, scratch, startDriver } from "./harness.mjs";
import { processes } from "./procs.mjs";

const how = process.env.FLIGHTDECK_E2E_ABORT ?? "";
const RUN = "FLIGHTDECK_E2E_TEARDOWN_RUN";
const run = process.env[RUN];
if (!["pass", "throw", "hang", "kill-app", "kill-webdriver", "kill-test", "stop-driver"].includes(how) || !run) {
  throw new Error(`teardown-fixture.mjs: set FLIGHTDECK_E2E_ABORT (got "${how}") and ${RUN}: teardown.test.mjs runs it`);
}

const S = scratch();
let driver;
let d;

before(async () => {
  driver = await startDriver();
});

after(async () => {
  console.log(`# DEBUG t=${Date.now()%100000} quit`);
  await d?.quit().catch(() => {});
  console.log(`# DEBUG t=${Date.now()%100000} quit done`);
  await driver?.stop();
});

/** This run's processes named `comm` (the kernel's 15-character name). */
const named = (comm) => processes().filter((p) => p.comm === comm && p.env?.get(RUN) === run);

test(`the app is open, then the test ends (${how})`, { timeout: 40_000 }, async () => {
  d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config]);
  await $(d, "[data-testid=user-name-input]", 30_000);
  const app = named("flightdeck-app");
  // teardown.test.mjs reads this line: proof that the app was up when the test ended.
  console.log(`# app up: ${app.map((p) => p.pid).join(" ")}`);
  if (how === "pass") return;
  if (how === "throw") throw new Error("a failed assertion with the app open");
  if (how === "hang") {
    await $(d, "[data-testid=not-on-any-screen]", 600_000);
    return;
  }
  if (how === "kill-test") process.kill(process.pid, "SIGKILL");
  if (how === "stop-driver") {
    await driver.stop();
    await $(d, "[data-testid=user-name-input]", 5000);
    throw new Error("the session still answered after its driver was stopped");
  }
  const victims = how === "kill-app" ? app : named("WebKitWebDriver");
  if (victims.length === 0) throw new Error(`nothing to kill for ${how}`);
  for (const p of victims) process.kill(p.pid, "SIGKILL");
  await $(d, "[data-testid=user-name-input]", 5000);
  throw new Error(`the session still answered after ${how}`);
});
