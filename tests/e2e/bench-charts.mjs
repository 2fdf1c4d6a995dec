// The chart benchmark's window half (run by bench-charts.sh): the app on a run with its Signals
// view open and `--synthetic-signals N` (4 golden panels x 3 series x N samples made up in the
// app each refresh), refreshed every second; for each renderer (plotters' SVG, the canvas chart)
// in the same run, the time from the samples' arrival in the app to the painted frame of each
// refresh, as the view reports it (`data-paint-ms`). Prints one line per renderer:
//   charts RENDER refreshes=K median_ms=M p90_ms=P min_ms=A max_ms=B points=N
import { launch, withDriver, waitFor } from "./harness.mjs";

const [store, config, run, points = "2880", samples = "30"] = process.argv.slice(2);
const K = Number(samples);
const WARMUP = 3;

const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * (s.length - 1) + 0.5))];
};

await withDriver(async (driver) => {
  for (const render of ["plotters", "canvas"]) {
    const d = await launch(driver.url, ["--store", store, "--config-dir", config, "--open", run, "--view", "signals", "--charts", render, "--synthetic-signals", points]);
    try {
      await waitFor(d, () => Number(document.querySelector("[data-testid=signals-view]")?.dataset.refreshes ?? 0) >= 1, null, 60_000, "the first refresh");
      await d.executeScript(() => {
        const s = document.querySelector("[data-testid=signals-interval]");
        s.value = "1";
        s.dispatchEvent(new Event("change", { bubbles: true }));
      });
      const drawn = await d.executeScript(() => [...document.querySelectorAll("[data-testid=signals-view] figure")].map((f) => Number(f.dataset.points)));
      const times = [];
      const phases = [];
      let last = 0;
      while (times.length < K + WARMUP) {
        const [n, ms, ph] = await waitFor(
          d,
          (last) => {
            const v = document.querySelector("[data-testid=signals-view]");
            const n = Number(v?.dataset.refreshes ?? 0);
            return n > last ? [n, Number(v.dataset.paintMs), v.dataset.paintPhases ?? ""] : null;
          },
          last,
          30_000,
          "the next refresh",
        );
        last = n;
        times.push(ms);
        phases.push(ph.split(" ").map(Number));
      }
      const t = times.slice(WARMUP);
      console.log(
        `  ${render}: medians from the samples' arrival, ms: ${["ipc", "dom", "decode", "frame", "painted"].map((k, i) => `${k} ${q(phases.slice(WARMUP).map((p) => p[i]), 0.5).toFixed(2)}`).join(", ")}`,
      );
      console.log(
        `charts ${render} refreshes=${t.length} median_ms=${q(t, 0.5).toFixed(2)} p90_ms=${q(t, 0.9).toFixed(2)} min_ms=${Math.min(...t).toFixed(2)} max_ms=${Math.max(...t).toFixed(2)} panels=${drawn.length} drawn_points=${drawn.join("+")} samples_per_series=${points}`,
      );
    } finally {
      await d.quit();
    }
  }
});
