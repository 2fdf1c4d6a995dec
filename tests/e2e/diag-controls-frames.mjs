// Diagnostic for the Controls view benchmark (not a test): where a frame's time goes in the real
// window. Opens the M31 run on a sandbox seeded with FLAGS (1,000) flags, optionally the Controls
// tab (OPEN_CONTROLS=1), optionally injects CSS (CSS="...") or replaces parts of the page
// (BLANK="blank" | "bigtext" | "bigscroll" | "bigscroll+main" | a comma list of selectors whose
// children are removed), then for each toggle (ONLY=name for one; REPS=6) changes one thing by
// hand and prints the forced layout time and the time to the first and second animation frame
// after it. Also prints every element with opacity/transform/fixed/filter/animation, and the
// animation-frame intervals over 4 s with and without focus.
//   (under .ci/xvfb.sh, app and CLI built; FLIGHTDECK_APP / FLIGHTDECK_CLI as for the harness)
//   OPEN_CONTROLS=1 node tests/e2e/diag-controls-frames.mjs
import { $, cli, launch, scratch, startDriver } from "./harness.mjs";
import { named, privateSandbox, seededFlags } from "./controls-support.mjs";
const S = scratch();
let driver, sandbox, d;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
try {
  driver = await startDriver();
  sandbox = await privateSandbox(seededFlags(S.dir, Number(process.env.FLAGS ?? 1000)));
  named(S.config, "bench");
  await cli(S.store, "env", "new", "bench");
  await cli(S.store, "env", "set-var", "bench", "SANDBOX_URL", sandbox.url);
  const run = (await cli(S.store, "run", "new", "bundled:m31", "--release", "bench", "--env", "bench", "--by", "bench")).trim();
  d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config, "--open", run]);
  await $(d, "[data-testid=run-screen]", 30_000);
  await new Promise((r) => setTimeout(r, 3000));
  if (process.env.OPEN_CONTROLS) { await (await $(d, "[data-testid=tab-controls]")).click(); await new Promise((r) => setTimeout(r, 4000)); }
  if (process.env.CSS) await d.executeScript((t) => { const s = document.createElement("style"); s.textContent = t; document.head.append(s); }, process.env.CSS);
  const info = await d.executeScript(() => ({ main: document.querySelector(".main")?.scrollHeight, nodes: document.querySelectorAll("*").length, w: innerWidth, h: innerHeight, dpr: devicePixelRatio }));
  console.log(JSON.stringify(info));
  const odd = await d.executeScript(() => [...document.querySelectorAll("*")].map((e) => { const c = getComputedStyle(e); const r = e.getBoundingClientRect(); const f = []; if (c.position === "fixed" || c.position === "sticky") f.push(c.position); if (c.filter !== "none") f.push("filter " + c.filter); if (c.backdropFilter && c.backdropFilter !== "none") f.push("backdrop " + c.backdropFilter); if (c.webkitBackdropFilter && c.webkitBackdropFilter !== "none") f.push("wbackdrop " + c.webkitBackdropFilter); if (c.opacity !== "1") f.push("opacity " + c.opacity); if (c.transform !== "none") f.push("transform"); if (c.willChange !== "auto") f.push("will-change " + c.willChange); if (c.mixBlendMode !== "normal") f.push("blend"); if (c.animationName !== "none") f.push("anim " + c.animationName); if (c.transitionDuration !== "0s") f.push("transition " + c.transitionProperty + " " + c.transitionDuration); return f.length ? `${e.tagName}.${[...e.classList].join(".")} ${Math.round(r.width)}x${Math.round(r.height)}: ${f.join(", ")}` : null; }).filter(Boolean));
  console.log(odd.slice(0, 40).join("\n"));
  if (process.env.BLANK) await d.executeScript((mode) => {
    for (const m of mode.split(",")) { const e = document.querySelector(m); if (e && m !== "blank") e.replaceChildren(); }
    if (mode === "bigtext") { document.body.innerHTML = '<div id="big" style="position:absolute;right:0;top:80px;width:590px;height:700px;overflow:hidden;font:12px system-ui">' + Array.from({ length: 60 }, (_, i) => `<div style="height:26px;border-top:1px solid #ddd">bench_flag_${i} <b style="border-radius:9px;background:#e3f4ea;padding:0 6px">ON</b> ${i}% <button style="border:1px solid #ccc;border-radius:4px">Turn off</button></div>`).join("") + '</div>'; }
    if (mode === "bigscroll" || mode === "bigscroll+main") { const rows = Array.from({ length: 60 }, (_, i) => `<div style="height:26px;border-top:1px solid #ddd">bench_flag_${i} <b style="border-radius:9px;background:#e3f4ea;padding:0 6px">ON</b> ${i}% <button style="border:1px solid #ccc;border-radius:4px">Turn off</button></div>`).join(""); document.body.innerHTML = (mode === "bigscroll+main" ? '<div style="position:absolute;left:232px;top:80px;width:450px;height:700px;overflow:auto"><div style="height:11000px;background:linear-gradient(#fff,#eee)">' + Array.from({ length: 300 }, (_, i) => `<p>runbook line ${i} with some words in it to paint</p>`).join("") + '</div></div>' : '') + '<div id="big" style="position:absolute;right:0;top:80px;width:590px;height:700px;overflow:auto;font:12px system-ui"><div>' + rows + '</div><div style="height:26000px"></div></div>'; }
    if (mode === "blank") { document.body.innerHTML = '<div style="padding:20px"><h4 id="t">Hello</h4><p>small page</p></div>'; }
  }, process.env.BLANK);
  const hide = (sel) => `() => { const e = document.querySelector('${sel}'); e.style.display = e.style.display ? '' : 'none'; }`;
  const toggles = {
    nothing: "() => {}",
    "bigtext change": "() => { const b = document.getElementById('big'); if (b) b.firstChild.textContent += '.'; b && (b.style.paddingTop = b.style.paddingTop ? '' : '3px'); }",
    "scroll flags 30 rows": "() => { const e = document.querySelector('[data-testid=flags-scroll]'); e.scrollTop = e.scrollTop > 2000 ? 0 : e.scrollTop + 26 * 30; }",
    "filter text x": "() => { const e = document.querySelector('[data-testid=controls-filter]'); e.value = e.value ? '' : 'bench_flag_01'; e.dispatchEvent(new Event('input', { bubbles: true })); }",
    "blank h4 text": "() => { const h = document.getElementById('t'); if (h) h.textContent += '.'; }",
    "rail text": "() => { const h = document.querySelector('.rail h4, .rail h5'); h.textContent += '.'; }",
    "controls view": hide("[data-testid=controls-view]"),
    "breakers section": hide(".controls > section:not(.flags)"),
    "flags section": hide("section.flags"),
    "flags scroll": hide("[data-testid=flags-scroll]"),
    "filter input": hide("[data-testid=controls-filter]"),
    "flag buttons": "() => document.querySelectorAll('[data-flag] .acts').forEach((e) => e.style.visibility = e.style.visibility ? '' : 'hidden')",
    "flag badges": "() => document.querySelectorAll('[data-flag] .badge').forEach((e) => e.style.visibility = e.style.visibility ? '' : 'hidden')",
    "flag keys": "() => document.querySelectorAll('[data-flag] .key').forEach((e) => e.style.visibility = e.style.visibility ? '' : 'hidden')",
  };
  if (process.env.ONLY) for (const k of Object.keys(toggles)) if (k !== process.env.ONLY) delete toggles[k];
  console.log("READY");
  for (const blur of [false, true]) {
    const tr = await d.executeAsyncScript((blur, done) => {
      if (blur) document.activeElement?.blur();
      const t0 = performance.now(), raf = []; let last = t0;
      const f = () => { const n = performance.now(); raf.push(Math.round(n - last)); last = n; if (n - t0 < 4000) requestAnimationFrame(f); else done({ raf, active: document.activeElement?.tagName + "." + document.activeElement?.className }); };
      requestAnimationFrame(f);
    }, blur);
    const big = tr.raf.filter((x) => x > 40);
    console.log(`blur=${blur} active=${tr.active} frames in 4 s: ${tr.raf.length}, over 40 ms: ${big.length} [${big.join(" ")}]`);
  }
  for (const [name, fn] of Object.entries(toggles)) {
    const xs = [];
    for (let i = 0; i < Number(process.env.REPS ?? 6); i++) {
      xs.push(await d.executeAsyncScript(`const done = arguments[0]; const t0 = performance.now(); (${fn})(); void document.body.offsetHeight; const tl = performance.now() - t0; requestAnimationFrame(() => { const ta = performance.now() - t0; requestAnimationFrame(() => done([tl, ta, performance.now() - t0])); });`));
      await new Promise((r) => setTimeout(r, 300));
    }
    console.log(`${name.padEnd(28)} layout ${median(xs.map((x) => x[0])).toFixed(0)} ms, 1st rAF ${median(xs.map((x) => x[1])).toFixed(0)}, 2nd rAF ${median(xs.map((x) => x[2])).toFixed(0)} ms`);
  }
} finally {
  await d?.quit().catch((e) => console.error(`quit: ${e.message}`));
  await sandbox?.stop().catch((e) => console.error(`sandbox: ${e.message}`));
  await driver?.stop();
}
