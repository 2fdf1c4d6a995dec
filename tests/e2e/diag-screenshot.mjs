// Whether WebKitWebDriver's screenshots work with the present WEBKIT_DISABLE_COMPOSITING_MODE (a
// diagnostic for choosing the compositing default, run by hand): the app on a run, three
// screenshots in a row, each bounded to 30 s. Prints one line: screenshots ok=N of 3, ms=...
//   FLIGHTDECK_APP=... node diag-screenshot.mjs STORE CONFIG RUN
import { launch, withDriver, waitFor } from "./harness.mjs";

const [store, config, run] = process.argv.slice(2);
await withDriver(async (driver) => {
  let status = 0;
  const d = await launch(driver.url, ["--store", store, "--config-dir", config, "--open", run]);
  try {
    await waitFor(d, () => document.querySelector("[data-testid=run-screen] input[data-item-id]") !== null, null, 60_000, "the run screen");
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const shot = await Promise.race([d.takeScreenshot(), new Promise((r) => setTimeout(() => r(null), 30_000))]);
      if (shot === null) break;
      times.push(Date.now() - t0);
    }
    console.log(`screenshots ok=${times.length} of 3, ms=${times.join(",")} (WEBKIT_DISABLE_COMPOSITING_MODE=${process.env.WEBKIT_DISABLE_COMPOSITING_MODE ?? "unset"})`);
    if (times.length < 3) status = 3;
  } finally {
    await d.quit().catch(() => {});
  }
  return status;
});
