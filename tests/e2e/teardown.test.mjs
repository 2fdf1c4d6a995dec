// The window suite's teardown, checked from outside (issue 9: on a clean clone the suite passed,
// then `node --test` never exited, because the app of the last test was left running, re-parented
// to init, holding the runner's output pipe).
//
// Each test runs teardown-fixture.mjs in its own `node --test`, the way .ci/e2e.sh runs the real
// suite: the fixture starts the real app over WebDriver with the real harness and ends its test
// with the app open (passing, throwing, timing out, with the app killed, with WebKitWebDriver
// killed, with the test's own process killed, with the driver stopped under the open session). Every process of that run carries FLIGHTDECK_E2E_TEARDOWN_RUN=<fresh value> in its
// environment, so it is found even after it lost its parent, and only this run's processes are
// counted (other suites may be running on the same machine). From outside, each test asserts that
//   - the runner exits (its output pipes closed: what the CI waited on) within 10 s of reporting
//     its last test, and
//   - none of the run's processes is still running by then.
// Whatever happens, the test then stops what the run left, so a failure here never hangs CI.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describe as list, killNow, marked, stopAll } from "./procs.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const RUN = "FLIGHTDECK_E2E_TEARDOWN_RUN";
/** From the runner's last test report to its exit. */
const EXIT_LIMIT_MS = 10_000;
/** From start to the last test report: the fixture's test has a 40 s timeout, plus hooks. */
const REPORT_LIMIT_MS = 150_000;

const runs = [];
after(() => {
  for (const run of runs) killNow(marked(RUN, run));
});

/**
 * Run the fixture ending as `how`. Answers its exit code, output, how long the runner took from
 * its last test report to closing (null: it had not closed EXIT_LIMIT_MS after it), and the
 * run's processes still alive EXIT_LIMIT_MS after that report.
 */
async function runFixture(how) {
  const run = randomBytes(8).toString("hex");
  runs.push(run);
  const started = Date.now();
  // A fresh runner, not a child of this one: without NODE_TEST_CONTEXT (which marks a test
  // file's process), `node --test` runs the file as CI's does.
  const env = { ...process.env, FLIGHTDECK_E2E_ABORT: how, [RUN]: run };
  delete env.NODE_TEST_CONTEXT;
  const runner = spawn(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=tap", "teardown-fixture.mjs"], {
    cwd: HERE,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, stopped as one if it hangs
  });
  let output = "";
  let lastReport = null;
  createInterface({ input: runner.stdout }).on("line", (line) => {
    output += `${line}\n`;
    if (/^\s*(not )?ok \d+ /.test(line)) lastReport = Date.now();
  });
  runner.stderr.on("data", (chunk) => (output += chunk));
  let closed = null;
  runner.on("close", (code, signal) => (closed = { code, signal, at: Date.now() }));

  for (;;) {
    if (closed) break;
    const now = Date.now();
    if (lastReport !== null && now - lastReport > EXIT_LIMIT_MS) break;
    if (lastReport === null && now - started > REPORT_LIMIT_MS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const closedInTime = closed; // before the clean-up below, which makes any runner close
  // What is still running by then; the harness's watchdog (reaper.mjs) may take a moment after
  // the test process has gone, within the same 10 s.
  const deadline = (lastReport ?? Date.now()) + EXIT_LIMIT_MS;
  while (closedInTime && marked(RUN, run).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = list(marked(RUN, run));

  // Clean up after a failure: the runner's group first, then anything of the run still alive.
  if (!closedInTime) {
    try {
      process.kill(-runner.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const survivors = await stopAll(() => marked(RUN, run));
  return {
    code: closedInTime?.code ?? null,
    output,
    reported: lastReport !== null,
    exitAfterMs: closedInTime && lastReport !== null ? closedInTime.at - lastReport : null,
    left,
    survivors,
  };
}

/** The checks every ending shares; `failed`: whether the fixture's test is meant to fail. */
async function endsCleanly(how, failed) {
  const r = await runFixture(how);
  const out = `\n--- the fixture's run ---\n${r.output}`;
  assert.ok(
    r.reported,
    `the fixture's runner reported no test result within ${REPORT_LIMIT_MS / 1000} s (exit ${r.code}); still running:\n  ${r.left.join("\n  ")}${out}`,
  );
  assert.match(r.output, /# app up: \d+/, `the app was up when the test ended (otherwise this checks nothing)${out}`);
  assert.notEqual(
    r.exitAfterMs,
    null,
    `the runner had not exited ${EXIT_LIMIT_MS / 1000} s after its last test; still running:\n  ${r.left.join("\n  ")}${out}`,
  );
  assert.ok(r.exitAfterMs <= EXIT_LIMIT_MS, `the runner exited ${r.exitAfterMs} ms after its last test${out}`);
  assert.deepEqual(r.left, [], `nothing the run started outlives its runner${out}`);
  assert.equal(r.code !== 0, failed, `the fixture's test ${failed ? "fails" : "passes"} (exit ${r.code})${out}`);
  assert.deepEqual(r.survivors, [], "and the clean-up here had nothing it could not stop");
  console.log(`# ${how}: the runner exited ${r.exitAfterMs} ms after its last test`);
}

test("a last test that passes with the app open: the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("pass", false));

test("a test that throws with the app open: the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("throw", true));

test("a test that hangs with the app open is timed out; the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("hang", true));

test("the app killed mid-test: the runner exits and leaves nothing running (WebKit's processes included)", { timeout: 240_000 }, () =>
  endsCleanly("kill-app", true));

test("WebKitWebDriver killed mid-test, orphaning the app: the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("kill-webdriver", true));

test("the test process itself killed (SIGKILL) with the app open: the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("kill-test", true));

test("tauri-driver stopped mid-test with the session open (as after a failed quit): the runner exits and leaves nothing running", { timeout: 240_000 }, () =>
  endsCleanly("stop-driver", true));
