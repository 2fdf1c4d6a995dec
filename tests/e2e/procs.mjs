// Processes on this machine, read from /proc: who is whose parent, which ones carry a given
// environment marker, and stopping a set of them for sure (TERM, a grace period, then KILL).
// The window suite uses it to find everything it started (tauri-driver, WebKitWebDriver, the
// app, WebKit's web and network processes, the sandbox) even after a process lost its parent
// and was re-parented to init, and to stop all of it.
import { readFileSync, readdirSync } from "node:fs";

/**
 * @typedef {{ pid: number, ppid: number, state: string, comm: string, cmd: string, env: Map<string, string> | null }} Proc
 * env is null where /proc/PID/environ cannot be read (another user's process, or one that exited).
 */

function readOr(path, fallback) {
  try {
    return readFileSync(path);
  } catch {
    return fallback;
  }
}

/** One process's entry, or null when it is gone. */
export function proc(pid) {
  const stat = readOr(`/proc/${pid}/stat`, null);
  if (stat === null) return null;
  // "PID (COMM) STATE PPID ..."; COMM may hold spaces and parentheses, so split at the last ')'.
  const s = stat.toString("utf8");
  const close = s.lastIndexOf(")");
  const comm = s.slice(s.indexOf("(") + 1, close);
  const [state, ppid] = s.slice(close + 2).split(" ");
  const cmd = readOr(`/proc/${pid}/cmdline`, Buffer.alloc(0)).toString("utf8").split("\0").filter(Boolean).join(" ");
  const raw = readOr(`/proc/${pid}/environ`, null);
  let env = null;
  if (raw !== null) {
    env = new Map();
    for (const kv of raw.toString("utf8").split("\0")) {
      const eq = kv.indexOf("=");
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
  }
  return { pid, ppid: Number(ppid), state, comm, cmd, env };
}

/** Every live process (zombies left out: they hold nothing and only wait to be reaped). */
export function processes() {
  const all = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const p = proc(Number(name));
    if (p && p.state !== "Z") all.push(p);
  }
  return all;
}

/** The pids of `roots` and all their descendants, in `all`. */
export function trees(roots, all = processes()) {
  const children = new Map();
  for (const p of all) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return seen;
}

/** This process and its ancestors: never to be stopped by the suite's own clean-up. */
export function selfAndAncestors() {
  const mine = new Set();
  for (let pid = process.pid; pid > 1 && !mine.has(pid); ) {
    mine.add(pid);
    const p = proc(pid);
    if (!p) break;
    pid = p.ppid;
  }
  return mine;
}

/** Live processes whose environment holds NAME=VALUE, with everything under them. */
export function marked(name, value, all = processes()) {
  const roots = all.filter((p) => p.env?.get(name) === value).map((p) => p.pid);
  const mine = selfAndAncestors();
  return [...trees(roots, all)].filter((pid) => !mine.has(pid));
}

/** "PID COMMAND" lines for a report. */
export function describe(pids) {
  return pids
    .map((pid) => proc(pid))
    .filter((p) => p && p.state !== "Z")
    .map((p) => `${p.pid} ${p.cmd || `[${p.comm}]`}`.slice(0, 200));
}

export function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

const alive = (pid) => {
  const p = proc(pid);
  return p !== null && p.state !== "Z";
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Stop `pids()` for sure: SIGTERM, up to `graceMs` for them to exit, then SIGKILL; repeated
 * (the list is asked again each round, so a process started meanwhile is caught too) until none
 * is left or `limitMs` has passed. Answers the "PID COMMAND" lines of any still alive.
 */
export async function stopAll(pids, { graceMs = 3000, limitMs = 10_000 } = {}) {
  const deadline = Date.now() + limitMs;
  let round = 0;
  for (;;) {
    const live = pids().filter(alive);
    if (live.length === 0) return [];
    if (Date.now() > deadline) return describe(live);
    signal(live, round === 0 ? "SIGTERM" : "SIGKILL");
    const until = Date.now() + (round === 0 ? graceMs : 1000);
    while (Date.now() < until && live.some(alive)) await sleep(50);
    round++;
  }
}

/** SIGKILL `pids` now, without waiting (for process exit handlers, where nothing async runs). */
export function killNow(pids) {
  signal(pids.filter(alive), "SIGKILL");
}
