// Where the run screen's scrolling frames go (a diagnostic, run by hand; not part of any suite):
// the app on a run, its checklist scrolled top to bottom (as measure-scroll.mjs) once as built and
// once under each CSS rule below, added through the CSSOM (the CSP allows that), so a cost can be
// pinned on one property without a rebuild. Prints one line per variant.
//
//   FLIGHTDECK_APP=... FLIGHTDECK_CLI=... node diag-scroll.mjs STORE CONFIG RUN [STEP_PX] [VARIANT...]
import { launch, withDriver, waitFor } from "./harness.mjs";

const [store, config, run, stepArg = "40", ...only] = process.argv.slice(2);
const STEP = Number(stepArg);

const VARIANTS = {
  base: [],
  noshadow: ["* { box-shadow: none !important; }"],
  nomask: ["pre { -webkit-mask-image: none !important; mask-image: none !important; }"],
  noradius: ["* { border-radius: 0 !important; }"],
  previsible: ["pre { overflow: visible !important; }"],
  cv: [".section { content-visibility: auto; contain-intrinsic-size: auto 400px; }"],
  hidden: ["[data-testid=run-screen] .main > * { visibility: hidden !important; }"],
  notext: ["[data-testid=run-screen] .main * { color: transparent !important; }"],
  nobg: ["[data-testid=run-screen] .main * { background: none !important; border-color: transparent !important; box-shadow: none !important; }"],
  noinputs: ["[data-testid=run-screen] .main input, [data-testid=run-screen] .main button, [data-testid=run-screen] .main select { visibility: hidden !important; }"],
  norail: ["[data-testid=run-screen] .rail, [data-testid=run-screen] .nav { visibility: hidden !important; }"],
  nocheck: ["[data-testid=run-screen] .main input[type=checkbox] { appearance: none !important; width: 13px; height: 13px; border: 1px solid #888 !important; }"],
  nocode: ["[data-testid=run-screen] .main pre { display: none !important; }"],
  all: [
    "* { box-shadow: none !important; border-radius: 0 !important; }",
    "pre { -webkit-mask-image: none !important; mask-image: none !important; overflow: visible !important; }",
  ],
  // As built again, every section's detail built by the passes before (the first pass builds them).
  again: [],
};

const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * (s.length - 1) + 0.5))];
};

await withDriver(async (driver) => {
  const d = await launch(driver.url, ["--store", store, "--config-dir", config, "--open", run]);
  try {
    await waitFor(d, () => document.querySelector("[data-testid=run-screen]:not([data-complete=false]) .main input[data-item-id]") !== null, null, 60_000, "the run screen");
    await new Promise((r) => setTimeout(r, 2000));
    for (const [name, rules] of Object.entries(VARIANTS)) {
      if (only.length && !only.includes(name)) continue;
      await d.executeScript(
        (rules, step) => {
          const sheet = document.styleSheets[0];
          const base = sheet.cssRules.length;
          for (const r of rules) sheet.insertRule(r, sheet.cssRules.length);
          const el = document.querySelector("[data-testid=run-screen] .main");
          el.scrollTop = 0;
          const times = [];
          let last = null;
          window.__scroll = null;
          const frame = (t) => {
            if (last !== null) times.push(t - last);
            last = t;
            if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
              while (sheet.cssRules.length > base) sheet.deleteRule(sheet.cssRules.length - 1);
              window.__scroll = { times };
              return;
            }
            el.scrollTop += step;
            requestAnimationFrame(frame);
          };
          requestAnimationFrame(() => requestAnimationFrame(frame));
        },
        rules,
        STEP,
      );
      const r = await waitFor(d, () => window.__scroll, null, 300_000, `scrolling (${name})`);
      const t = r.times.slice(1);
      console.log(`${name.padEnd(11)} frames=${t.length} p50_ms=${q(t, 0.5).toFixed(1)} p95_ms=${q(t, 0.95).toFixed(1)} max_ms=${Math.max(...t).toFixed(1)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await d.quit();
  }
});
