// The real-window harness: tauri-driver (which drives WebKitWebDriver) on a free port, one
// WebDriver session per app launch, screenshots, and the CLI on the same store.
// Run under an X server (.ci/xvfb.sh); paths come from CARGO_TARGET_DIR.
//
// Nothing it starts outlives the suite, and nothing it starts holds the test runner's output:
// a leftover process holding that pipe keeps `node --test` waiting for ever (the CI hang of
// issue 9). So:
//   - every process it starts (tauri-driver, the sandbox) and everything they start in turn
//     (WebKitWebDriver, the app, WebKit's web and network processes) carries FLIGHTDECK_E2E_TAG
//     in its environment, which survives re-parenting to init;
//   - tauri-driver runs in its own process group with its output in a log file
//     ($CARGO_TARGET_DIR/e2e-logs/), never on the runner's pipe;
//   - `d.quit()` on a session from `launch` ends the session (bounded in time) and then stops
//     the app's whole process tree, whether or not the quit succeeded;
//   - `driver.stop()` stops every tagged process, and so does this process's exit (a test
//     timeout, an exception, SIGTERM from an outer `timeout`);
//   - and should this process die without running any of that (SIGKILL), a detached watchdog
//     (reaper.mjs) stops every tagged process once it is gone.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Builder, By, until } from "selenium-webdriver";
import { killNow, marked, processes, stopAll, trees } from "./procs.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const target = process.env.CARGO_TARGET_DIR ?? "/var/tmp/flightdeck-target";
export const APP = resolve(process.env.FLIGHTDECK_APP ?? join(target, "debug/flightdeck-app"));
export const CLI = resolve(process.env.FLIGHTDECK_CLI ?? join(target, "debug/flightdeck"));
export const SHOTS = resolve(process.env.FLIGHTDECK_E2E_SHOTS ?? join(target, "e2e-screenshots"));
export const LOGS = resolve(process.env.FLIGHTDECK_E2E_LOGS ?? join(target, "e2e-logs"));
export { By, until };

const run = promisify(execFile);

/** The environment marker of everything this process starts (one value per test file). */
export const TAG_VAR = "FLIGHTDECK_E2E_TAG";
export const TAG = `${process.pid}-${randomBytes(6).toString("hex")}`;
let reaper = null;
/** The environment of a process started here; the first one starts the watchdog (reaper.mjs). */
const tagged = () => {
  if (!reaper) {
    reaper = spawn(process.execPath, [join(HERE, "reaper.mjs"), String(process.pid), TAG], { stdio: "ignore", detached: true });
    reaper.unref();
  }
  return { ...process.env, [TAG_VAR]: TAG };
};

/** Everything this process started, still running (whatever its parent is now). */
export const started = () => marked(TAG_VAR, TAG);

// Last line of defence: this process ending (normally, by a test runner's forced exit, or by a
// signal) takes everything it started with it. The signal handlers stay installed, so a second
// SIGTERM (an outer `timeout` and the test runner each send one) is absorbed instead of ending
// this process in the middle of its clean-up.
process.on("exit", () => killNow(started()));
let ending = false;
for (const [sig, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]]) {
  process.on(sig, () => {
    if (ending) return;
    ending = true;
    killNow(started());
    process.exit(code);
  });
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// The pids of the tauri-driver processes started here, and of the sandboxes and Prometheus
// servers: none is part of an app session's process tree.
const driverPids = new Set();
const sandboxPids = new Set();

/** The processes of the app sessions: everything started here but the drivers and sandboxes. */
function appProcesses() {
  const all = processes();
  const infra = new Set([...driverPids]);
  for (const p of all) if (driverPids.has(p.ppid)) infra.add(p.pid); // WebKitWebDriver
  const sandboxes = trees([...sandboxPids], all);
  return marked(TAG_VAR, TAG, all).filter((pid) => !infra.has(pid) && !sandboxes.has(pid));
}

/** Stop `pids()` (TERM, then KILL), or throw naming what survived. */
async function stopOrThrow(pids, what) {
  const left = await stopAll(pids);
  if (left.length) throw new Error(`${what}: still running after SIGKILL:\n  ${left.join("\n  ")}`);
}

/**
 * Start tauri-driver and wait until it answers /status. Its output (and WebKitWebDriver's) goes
 * to $CARGO_TARGET_DIR/e2e-logs/tauri-driver-TAG.log; `stop()` stops it and everything started
 * by this process that is still running.
 */
export async function startDriver() {
  const port = await freePort();
  const nativePort = await freePort();
  const bin = process.env.TAURI_DRIVER ?? "tauri-driver";
  mkdirSync(LOGS, { recursive: true });
  const log = join(LOGS, `tauri-driver-${TAG}.log`);
  const fd = openSync(log, "a");
  let proc;
  try {
    proc = spawn(bin, ["--port", String(port), "--native-port", String(nativePort)], {
      stdio: ["ignore", fd, fd],
      detached: true, // its own process group: never a signal meant for the runner, killable as one
      env: tagged(),
    });
  } finally {
    closeSync(fd);
  }
  let spawnError = null;
  proc.once("error", (e) => (spawnError = e));
  if (proc.pid) driverPids.add(proc.pid);
  const stop = async () => {
    try {
      await stopOrThrow(started, "stopping tauri-driver and everything the suite started");
    } finally {
      if (proc.pid) {
        try {
          process.kill(-proc.pid, "SIGKILL"); // anything left in its process group
        } catch {
          // the group is empty
        }
        driverPids.delete(proc.pid);
      }
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (proc.exitCode !== null) throw new Error(`tauri-driver exited with ${proc.exitCode} (log: ${log})`);
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tauri-driver did not answer /status within 20 s (log: ${log})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, log, stop };
}

/**
 * A benchmark or diagnostic run by hand, over one tauri-driver: `main(driver)` runs with it;
 * what it throws is printed as `error: …` (exit 1); the driver and everything started are
 * stopped whatever happens; the process exits with what `main` returned (0 when nothing).
 */
export async function withDriver(main) {
  const driver = await startDriver();
  let status = 0;
  try {
    status = (await main(driver)) ?? 0;
  } catch (e) {
    console.error(`error: ${e.message}`);
    status = 1;
  } finally {
    await driver.stop();
  }
  process.exit(status);
}

/** A scratch store and settings directory for one suite. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-e2e-"));
  mkdirSync(SHOTS, { recursive: true });
  return { dir, store: join(dir, "store.sqlite"), config: join(dir, "config") };
}

/**
 * Launch the app in a new WebDriver session. Its `quit()` ends the session (within 15 s) and then
 * stops the app's whole process tree (the app, WebKit's processes, anything they started), and
 * rejects if the session did not end cleanly; a launch that fails stops whatever it started.
 */
export async function launch(driverUrl, args) {
  const caps = { browserName: "wry", "tauri:options": { application: APP, args } };
  let d;
  try {
    d = await within(new Builder().usingServer(driverUrl).withCapabilities(caps).build(), 60_000, "starting the app's WebDriver session");
    await within(d.manage().setTimeouts({ implicit: 0, script: 10_000 }), 10_000, "setting the session's timeouts");
  } catch (e) {
    await stopOrThrow(appProcesses, "stopping the app after a failed launch").catch((stopError) => {
      e.message += `; ${stopError.message}`;
    });
    throw e;
  }
  const quit = d.quit.bind(d);
  d.quit = async () => {
    let failure = null;
    try {
      await within(quit(), 15_000, "ending the WebDriver session");
    } catch (e) {
      failure = e;
    }
    await stopOrThrow(appProcesses, "stopping the app's processes");
    if (failure) throw failure;
  };
  return d;
}

export async function shot(d, name) {
  writeFileSync(join(SHOTS, `${name}.png`), await d.takeScreenshot(), "base64");
}

/** `execFile`, promised, with the command tagged like everything else started here. */
export const exec = (file, args, options = {}) => run(file, args, { ...options, env: tagged() });

export async function cli(store, ...args) {
  const { stdout } = await exec(CLI, ["--store", store, ...args], { encoding: "utf8" });
  return stdout;
}

/**
 * `flightdeck sandbox` on 127.0.0.1:8731 (where the sandbox environment points). A sandbox
 * already answering there is used as it is (and left running); one that does not come up fails.
 * `stop()` stops the one started here (and anything it started).
 */
export async function startSandbox({ port = 8731, traffic = false } = {}) {
  const url = `http://127.0.0.1:${port}`;
  const up = () => fetch(`${url}/health`).then((r) => r.ok, () => false);
  if (port === 8731 && (await up())) return { url, stop: async () => {} };
  const args = ["sandbox", "--port", String(port), ...(traffic ? [] : ["--no-traffic"])];
  const proc = spawn(CLI, args, { stdio: "ignore", detached: true, env: tagged() });
  let spawnError = null;
  proc.once("error", (e) => (spawnError = e));
  if (proc.pid) sandboxPids.add(proc.pid);
  const stop = async () => {
    try {
      await stopOrThrow(() => (proc.pid ? [...trees([proc.pid])] : []), "stopping the sandbox");
    } finally {
      sandboxPids.delete(proc.pid);
    }
  };
  for (let i = 0; i < 200 && proc.exitCode === null && !spawnError; i++) {
    if (await up()) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(spawnError ? `cannot start ${CLI}: ${spawnError.message}` : `flightdeck sandbox did not answer /health on ${url} within 20 s`);
}

/** A free TCP port on 127.0.0.1. */
export const port = freePort;

/**
 * Debian's `prometheus` scraping `target` (host:port) every second, on a free port, its data and
 * log in a temp dir (the log under $CARGO_TARGET_DIR/e2e-logs/). Waits until it has scraped the
 * target `scrapes` times. `stop()` stops it (and anything it started). `null` when there is no
 * `prometheus` program (the caller skips, or fails under CI=true).
 */
export async function startPrometheus(target, { scrapes = 5 } = {}) {
  const bin = process.env.PROMETHEUS ?? "prometheus";
  const found = await run("sh", ["-c", `command -v ${bin}`]).then(() => true, () => false);
  if (!found) return null;
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-e2e-prom-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sandbox\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const p = await freePort();
  mkdirSync(LOGS, { recursive: true });
  const log = join(LOGS, `prometheus-${TAG}.log`);
  const fd = openSync(log, "a");
  let proc;
  try {
    const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${p}`];
    proc = spawn(bin, args, { stdio: ["ignore", fd, fd], detached: true, env: tagged() });
  } finally {
    closeSync(fd);
  }
  let spawnError = null;
  proc.once("error", (e) => (spawnError = e));
  if (proc.pid) sandboxPids.add(proc.pid);
  const url = `http://127.0.0.1:${p}`;
  const stop = async () => {
    try {
      await stopOrThrow(() => (proc.pid ? [...trees([proc.pid])] : []), "stopping Prometheus");
    } finally {
      sandboxPids.delete(proc.pid);
    }
  };
  const value = async (q) => {
    try {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(5000) });
      const doc = await r.json();
      const v = doc?.data?.result?.[0]?.value?.[1];
      return v === undefined ? null : Number(v);
    } catch {
      return null;
    }
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    }
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode} (log: ${log})`);
    const n = await value('count_over_time(up{job="sandbox"}[10m])');
    if (n !== null && n >= scrapes && (await value('up{job="sandbox"}')) === 1) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus did not scrape ${target} ${scrapes} times within 90 s (log: ${log})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, log, stop };
}

export const $ = (d, css, ms = 10_000) => d.wait(until.elementLocated(By.css(css)), ms, `no element ${css}`);

/** Wait until `fn` (run in the page) returns truthy; answers its value. */
export async function waitFor(d, fn, arg, ms = 10_000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await d.executeScript(fn, arg);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Bring `css` into the run screen and scroll it to the middle. A section builds its steps,
 * fields, sign-offs and decision panel only near the viewport (`ui/src/lib/run/window.svelte.ts`,
 * marked `data-deferred` until then): when `css` is not there yet, the sections still waiting
 * are scrolled to, one each poll, until it is; one inside a waiting section waits for it. */
export async function reveal(d, css, ms = 15_000) {
  await waitFor(
    d,
    (css) => {
      const el = document.querySelector(css);
      const waiting = el ? el.closest("[data-deferred]") : document.querySelector("[data-deferred]");
      if (waiting) {
        waiting.scrollIntoView({ block: "start" });
        return false;
      }
      if (!el) return false;
      el.scrollIntoView({ block: "center" });
      return true;
    },
    css,
    ms,
    `${css} in the run screen`,
  );
}
