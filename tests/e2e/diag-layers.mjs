// Diagnostic (by hand): the document's overflow and the elements that may get composited layers.
//   node diag-layers.mjs STORE CONFIG RUN|-
import { launch, withDriver, shot } from "./harness.mjs";
const [store, config, run] = process.argv.slice(2);
await withDriver(async (driver) => {
  const args = ["--store", store, "--config-dir", config];
  if (run && run !== "-") args.push("--open", run);
  const d = await launch(driver.url, args);
  try {
    await new Promise((r) => setTimeout(r, 5000));
    const out = await d.executeScript(() => {
      const de = document.documentElement;
      const res = { doc: [de.scrollWidth, de.scrollHeight, de.clientWidth, de.clientHeight], body: [document.body.scrollWidth, document.body.scrollHeight], win: [innerWidth, innerHeight], trig: [] };
      for (const el of document.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        const sc = el.closest(".main, .start");
        const edge = sc && sc.getBoundingClientRect().left + sc.clientWidth + 1;
        // The outermost element past its scroll box's right edge (its parent is not).
        if (sc && sc !== el && r.right > edge && !(el.parentElement.getBoundingClientRect().right > edge)) res.trig.push(`OVERFLOW ${el.tagName.toLowerCase()}.${[...el.classList].join(".")} right ${Math.round(r.right)} width ${Math.round(r.width)} text ${(el.textContent || "").slice(0, 40)}`);
        const cs = getComputedStyle(el);
        const t = [];
        if (cs.position === "fixed" || cs.position === "sticky") t.push(cs.position);
        if (cs.transform !== "none") t.push("transform " + cs.transform);
        if (cs.willChange !== "auto") t.push("will-change " + cs.willChange);
        if (cs.animationName !== "none") t.push("anim " + cs.animationName);
        if (cs.filter !== "none") t.push("filter");
        if (cs.opacity !== "1") t.push("opacity " + cs.opacity);
        if (/(auto|scroll)/.test(cs.overflow + cs.overflowX + cs.overflowY) && (el.scrollHeight > el.clientHeight || el.scrollWidth > el.clientWidth)) t.push(`scroller ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
        if (el.tagName === "CANVAS" || el.tagName === "VIDEO" || el.tagName === "IFRAME") t.push(el.tagName);
        if (t.length) res.trig.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} [${Math.round(r.width)}x${Math.round(r.height)}]: ${t.join("; ")}`);
      }
      return res;
    });
    console.log(JSON.stringify({ doc: out.doc, body: out.body, win: out.win }));
    console.log(await d.executeScript(() => `elements ${document.getElementsByTagName("*").length}`));
    for (const t of out.trig) console.log("  " + t);
    if (process.env.SHOT) await shot(d, process.env.SHOT);
  } finally {
    await d.quit();
  }
});
