// Scrolling the run screen in the real window (run by measure.sh): the app on a run, its
// checklist column scrolled from top to bottom by STEP px an animation frame, and the time
// between animation frames (requestAnimationFrame's timestamps) over the whole way down. It also
// checks what the scroll passed: every item of the runbook had its `data-item-id` checkbox in the
// DOM. With `hello` for STORE, FLIGHTDECK_APP is the hello-world and its scroll.html (a tall
// column of plain text) is scrolled the same way: the yardstick at the machine's present load.
// CPU is the app's whole process tree's (utime + stime, /proc) over the scroll, per frame.
// Prints one line:
//   scroll frames=N p50_ms=A p95_ms=B max_ms=C over_16.7ms=K cpu_ms_per_frame=U height_px=H ...
//
//   node measure-scroll.mjs STORE CONFIG RUN [STEP_PX] [-- APP ARGS...]
//   node measure-scroll.mjs hello - - [STEP_PX]
import { readFileSync } from "node:fs";
import { launch, started, withDriver, waitFor } from "./harness.mjs";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const [store, config, run, stepArg = "40"] = dash < 0 ? argv : argv.slice(0, dash);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const STEP = Number(stepArg);
const hello = store === "hello";
const SCROLLER = hello ? "#list" : "[data-testid=run-screen] .main";

/** CPU ms (utime + stime) of every process this script started and is still running. */
function cpuMs() {
  let ticks = 0;
  for (const pid of started()) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * (s.length - 1) + 0.5))];
};

await withDriver(async (driver) => {
  const d = await launch(driver.url, hello ? [] : ["--store", store, "--config-dir", config, "--open", run, ...extra]);
  try {
    if (hello) await d.executeScript(() => (location.href = "scroll.html"));
    // The run screen complete (its first frame has one section, the rest follows).
    const ready = hello ? "#list p" : "[data-testid=run-screen]:not([data-complete=false]) .main input[data-item-id]";
    await waitFor(d, (css) => document.querySelector(css) !== null, ready, 60_000, "the page to scroll");
    // The way to the first paint: ms since the page's navigation began, for each mark set.
    const marks = await d.executeScript(() =>
      performance
        .getEntriesByType("mark")
        .filter((m) => m.name.startsWith("fd:"))
        .map((m) => `${m.name.slice(3)}=${m.startTime.toFixed(0)}`)
        .join(" "),
    );
    if (marks) console.log(`marks (ms since navigation): ${marks}`);
    // Let the first screen settle (idle callbacks, the rest of the run rendered).
    await new Promise((r) => setTimeout(r, 2000));
    const cpu0 = cpuMs();
    await d.executeScript((step, css) => {
      const el = document.querySelector(css);
      el.scrollTop = 0;
      const seen = new Set();
      const times = [];
      let last = null;
      window.__scroll = null;
      const frame = (t) => {
        if (last !== null) times.push(t - last);
        last = t;
        for (const b of el.querySelectorAll("input[data-item-id]")) seen.add(b.dataset.itemId);
        const bottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
        // At most 60 s: on a loaded machine a slow window would take minutes to reach the end.
        if (bottom || times.reduce((a, b) => a + b, 0) > 60_000) {
          window.__scroll = { times, height: el.scrollHeight, seen: seen.size, bottom };
          return;
        }
        el.scrollTop += step;
        requestAnimationFrame(frame);
      };
      // Two frames first, so the first delta timed is a scrolling one.
      requestAnimationFrame(() => requestAnimationFrame(frame));
    }, STEP, SCROLLER);
    const r = await waitFor(d, () => window.__scroll, null, 120_000, "the scroll to end");
    const cpu = (cpuMs() - cpu0) / r.times.length;
    const t = r.times.slice(1);
    const over = t.filter((x) => x > 16.7).length;
    console.log(
      `scroll frames=${t.length} p50_ms=${q(t, 0.5).toFixed(1)} p95_ms=${q(t, 0.95).toFixed(1)} max_ms=${Math.max(...t).toFixed(1)} over_16.7ms=${over} cpu_ms_per_frame=${cpu.toFixed(1)} height_px=${r.height} reached_bottom=${r.bottom} items_seen=${r.seen} step_px=${STEP}`,
    );
  } finally {
    await d.quit();
  }
});
