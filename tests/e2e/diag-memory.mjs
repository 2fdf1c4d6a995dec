// Where the run screen's memory goes (a diagnostic, run by hand; not part of any suite): for each
// variant, a fresh app on the run, CSS rules added through the CSSOM (the CSP allows that), a few
// seconds idle, then the web process's PSS and anonymous memory and the whole tree's PSS.
//
//   FLIGHTDECK_APP=... FLIGHTDECK_CLI=... node diag-memory.mjs STORE CONFIG RUN [VARIANT...]
import { readFileSync } from "node:fs";
import { launch, started, withDriver, waitFor } from "./harness.mjs";

const [store, config, run, ...only] = process.argv.slice(2);
const SETTLE = Number(process.env.FLIGHTDECK_MEASURE_SETTLE ?? 6) * 1000;

const M = "[data-testid=run-screen] .main";
const VARIANTS = {
  base: [],
  preplain: ["pre { overflow: visible !important; white-space: pre-wrap !important; -webkit-mask-image: none !important; mask-image: none !important; }"],
  nonavscroll: ["[data-testid=run-screen] .nav { overflow: hidden !important; }"],
  norail: ["[data-testid=run-screen] .rail { display: none !important; }"],
  nomain: [`${M} > * { display: none !important; }`],
  cv: [".section { content-visibility: auto; contain-intrinsic-size: auto 400px; }"],
  noshadow: ["* { box-shadow: none !important; }"],
  hidden: ["#app { display: none !important; }"],
  noscroll: ["* { overflow: visible !important; }"],
};

function rollup(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").split("\n")) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

function memory() {
  let pss = 0;
  let web = null;
  for (const pid of started()) {
    let comm;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      continue;
    }
    if (comm === "tauri-driver" || comm === "WebKitWebDriver" || comm === "node") continue;
    const r = rollup(pid);
    pss += r.Pss ?? 0;
    if (comm === "WebKitWebProces") web = r;
  }
  return { pss, web };
}

const mib = (k) => (k / 1024).toFixed(1);
await withDriver(async (driver) => {
  for (const [name, rules] of Object.entries(VARIANTS)) {
    if (only.length && !only.includes(name)) continue;
    const d = await launch(driver.url, ["--store", store, "--config-dir", config, "--open", run]);
    try {
      await waitFor(d, () => document.querySelector("[data-testid=run-screen] .main input[data-item-id]") !== null, null, 60_000, "the run screen");
      await d.executeScript((rules) => {
        const sheet = document.styleSheets[0];
        for (const r of rules) sheet.insertRule(r, sheet.cssRules.length);
      }, rules);
      await new Promise((r) => setTimeout(r, SETTLE));
      const m = memory();
      const nodes = await d.executeScript(() => document.getElementsByTagName("*").length);
      console.log(`${name.padEnd(12)} tree PSS ${mib(m.pss)} MiB; web process PSS ${mib(m.web?.Pss ?? 0)} anon ${mib(m.web?.Anonymous ?? 0)} MiB; ${nodes} elements`);
    } finally {
      await d.quit();
    }
  }
});
