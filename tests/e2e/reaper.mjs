// The harness's watchdog: once the test process that started it is gone, however it ended (even
// SIGKILL, or a signal that beat its own handlers), stop everything that process started (every
// process whose environment carries FLIGHTDECK_E2E_TAG=TAG). harness.mjs starts one per test
// process, detached and with no output, so it never holds the runner's pipes.
//   node reaper.mjs OWNER_PID TAG
import { readFileSync } from "node:fs";
import { killNow, marked } from "./procs.mjs";

const owner = Number(process.argv[2]);
const tag = process.argv[3];
if (!Number.isInteger(owner) || owner <= 1 || !tag) {
  console.error("usage: node reaper.mjs OWNER_PID TAG");
  process.exit(2);
}

/** The owner's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it. */
function startOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? null : fields[19];
  } catch {
    return null;
  }
}

const born = startOf(owner);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
while (born !== null && startOf(owner) === born) await sleep(200);
// The owner is gone: SIGKILL what it started until nothing is left (a process can start another
// between two rounds), for at most 10 s.
const deadline = Date.now() + 10_000;
for (;;) {
  const left = marked("FLIGHTDECK_E2E_TAG", tag);
  if (left.length === 0 || Date.now() > deadline) break;
  killNow(left);
  await sleep(100);
}
