// The real-window harness: tauri-driver (which drives WebKitWebDriver) on a free port, one
// WebDriver session per app launch, screenshots, and the CLI on the same store.
// Run under an X server (.ci/xvfb.sh); paths come from CARGO_TARGET_DIR.
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Builder, By, until } from "selenium-webdriver";

const target = process.env.CARGO_TARGET_DIR ?? "/var/tmp/flightdeck-target";
export const APP = resolve(process.env.FLIGHTDECK_APP ?? join(target, "debug/flightdeck-app"));
export const CLI = resolve(process.env.FLIGHTDECK_CLI ?? join(target, "debug/flightdeck"));
export const SHOTS = resolve(process.env.FLIGHTDECK_E2E_SHOTS ?? join(target, "e2e-screenshots"));
export { By, until };

const run = promisify(execFile);

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

/** Start tauri-driver and wait until it answers /status. */
export async function startDriver() {
  const port = await freePort();
  const nativePort = await freePort();
  const bin = process.env.TAURI_DRIVER ?? "tauri-driver";
  const proc = spawn(bin, ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tauri-driver exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("tauri-driver did not answer /status within 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise((done) => {
        if (proc.exitCode !== null) return done();
        proc.once("exit", () => done());
        proc.kill("SIGTERM");
      }),
  };
}

/** A scratch store and settings directory for one suite. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-e2e-"));
  mkdirSync(SHOTS, { recursive: true });
  return { dir, store: join(dir, "store.sqlite"), config: join(dir, "config") };
}

/** Launch the app in a new WebDriver session. */
export async function launch(driverUrl, args) {
  const caps = { browserName: "wry", "tauri:options": { application: APP, args } };
  const d = await new Builder().usingServer(driverUrl).withCapabilities(caps).build();
  await d.manage().setTimeouts({ implicit: 0, script: 10_000 });
  return d;
}

export async function shot(d, name) {
  writeFileSync(join(SHOTS, `${name}.png`), await d.takeScreenshot(), "base64");
}

export async function cli(store, ...args) {
  const { stdout } = await run(CLI, ["--store", store, ...args], { encoding: "utf8" });
  return stdout;
}

/**
 * `flightdeck sandbox` on 127.0.0.1:8731 (where the sandbox environment points). A sandbox
 * already answering there is used as it is (and left running); one that does not come up fails.
 */
export async function startSandbox() {
  const up = () => fetch("http://127.0.0.1:8731/health").then((r) => r.ok, () => false);
  if (await up()) return { stop: () => {} };
  const proc = spawn(CLI, ["sandbox", "--port", "8731", "--no-traffic"], { stdio: "ignore" });
  for (let i = 0; i < 200 && proc.exitCode === null; i++) {
    if (await up()) return { stop: () => proc.kill("SIGTERM") };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGTERM");
  throw new Error("flightdeck sandbox did not answer /health on 127.0.0.1:8731 within 20 s");
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
