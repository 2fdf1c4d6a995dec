// Where the run screen's first paint goes (a diagnostic, run by hand; not part of any suite): a
// fresh app on the run, its `fd:*` marks; then the page reloaded N times in the same web
// process (fonts, caches and code warm) and the marks again. A cost that vanishes on reload is
// a cold-start cost; one that stays is the page's own.
//
//   FLIGHTDECK_APP=... FLIGHTDECK_CLI=... node diag-first-paint.mjs STORE CONFIG RUN [RELOADS]
import { launch, withDriver, waitFor } from "./harness.mjs";

const [store, config, run, reloads = "3"] = process.argv.slice(2);

const marks = (d) =>
  d.executeScript(() =>
    performance
      .getEntriesByType("mark")
      .filter((m) => m.name.startsWith("fd:"))
      .map((m) => `${m.name.slice(3)}=${Math.round(m.startTime)}`)
      .join(" "),
  );
const painted = (d) =>
  waitFor(d, () => performance.getEntriesByName("fd:painted").length > 0, null, 60_000, "the first paint");

await withDriver(async (driver) => {
  const d = await launch(driver.url, ["--store", store, "--config-dir", config, "--open", run]);
  try {
    await painted(d);
    console.log(`cold    ${await marks(d)}`);
    for (let i = 0; i < Number(reloads); i++) {
      await d.executeScript(() => location.reload());
      await new Promise((r) => setTimeout(r, 500));
      await painted(d);
      console.log(`reload  ${await marks(d)}`);
    }
  } finally {
    await d.quit();
  }
});
