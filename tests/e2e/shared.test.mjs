// Several people on one cutover (issue 17), in two real app windows: the release manager and the
// decision maker, each with their own app (their own config folder and name, their own
// tauri-driver and WebDriver session), both on one run in a shared Postgres store (a database of
// its own on .ci/services.sh's Postgres: FLIGHTDECK_TEST_PG_URL). A check made in one window
// shows in the other without a reload (LISTEN/NOTIFY, then a refetch); a GO made in the other
// window goes stale in both when the release manager then changes the evidence it rested on.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { $, By, cli, launch, reveal, scratch, shot, startDriver, waitFor } from "./harness.mjs";

const admin = process.env.FLIGHTDECK_TEST_PG_URL;
const RM = "Riley Release";
const DM = "Dana Decider";
const ITEM = "1.database-migration-dry-run";
// A Critical Success Criterion: a GO rests on it, so checking it afterwards changes its evidence.
const CRITERION = "critical-success-criteria.all-pre-flight-gates-passed-security";
const db = `fd_e2e_shared_${process.pid}`;
const S = scratch();
// Each machine keeps its environments in its own store file beside a shared store (the default
// one under XDG_DATA_HOME): here a scratch one, for the CLI, the drivers and both apps.
process.env.XDG_DATA_HOME = join(S.dir, "data");
let url; // the shared store
let runId;
const people = {}; // name -> { driver, d, config }

async function psql(sql) {
  const bin = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b)).at(-1);
  await promisify(execFile)(`/usr/lib/postgresql/${bin}/bin/psql`, [admin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    encoding: "utf8",
  });
}

/** One person's app: their own config folder (with their name already set) on the shared store. */
async function openApp(name) {
  const config = join(S.dir, `config-${name.split(" ")[0].toLowerCase()}`);
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, "settings.json"), JSON.stringify({ user_name: name }));
  const driver = await startDriver();
  const d = await launch(driver.url, ["--store", url, "--config-dir", config]);
  people[name] = { driver, d, config };
  await $(d, "[data-testid=user-chip]", 30_000);
  const row = await $(d, `[data-run-id="${runId}"]`, 20_000);
  await (await row.findElement(By.css("td strong"))).click();
  await waitFor(d, (id) => document.querySelector("[data-testid=run-screen][data-complete=true]")?.dataset.runId === id, runId, 20_000, `run ${runId} open`);
  return d;
}

const checked = (d, id) => d.executeScript((id) => document.querySelector(`[data-item-id="${id}"]`)?.checked ?? null, id);

before(async () => {
  if (!admin) {
    if (process.env.CI === "true") throw new Error("FLIGHTDECK_TEST_PG_URL not set: run under .ci/services.sh");
    return;
  }
  await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await psql(`CREATE DATABASE ${db}`);
  url = `${admin.slice(0, admin.lastIndexOf("/"))}/${db}`;
  runId = (await cli(url, "run", "new", "bundled:m31", "--env", "sandbox", "--release", "v1.0.0", "--by", RM)).trim();
  await cli(url, "run", "meta", runId, "release-manager", RM, "--by", RM);
  await cli(url, "run", "meta", runId, "rollback-decision-maker", DM, "--by", RM);
});

after(async () => {
  for (const p of Object.values(people)) {
    await p.d?.quit().catch(() => {});
    await p.driver?.stop().catch(() => {});
  }
  if (admin) await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
});

describe("two people, two windows, one shared run", { skip: !admin && "no test Postgres (run under .ci/services.sh)" }, () => {
  test("a check made in one window shows in the other", async () => {
    const rm = await openApp(RM);
    const dm = await openApp(DM);
    assert.equal(await checked(dm, ITEM), false);
    await reveal(rm, `[data-item-id="${ITEM}"]`);
    const t0 = Date.now();
    await (await $(rm, `[data-item-id="${ITEM}"]`)).click();
    await waitFor(rm, (id) => document.querySelector(`[data-item-id="${id}"]`)?.checked, ITEM, 10_000, "checked in the release manager's window");
    await waitFor(dm, (id) => document.querySelector(`[data-item-id="${id}"]`)?.checked, ITEM, 10_000, "the check in the decision maker's window");
    console.log(`# the check showed in the other window after ${Date.now() - t0} ms (WebDriver polling included)`);
    // Who did it is the release manager, in both windows' event logs.
    const log = await dm.executeScript(() => document.querySelector("[data-testid=event-log]")?.textContent ?? document.body.textContent);
    assert.match(log, new RegExp(RM), "the other window names who checked it");
    await shot(dm, "shared-01-check-seen-by-the-decision-maker");
  });

  test("a GO made by the decision maker goes stale in both windows when its evidence changes", async () => {
    const { d: rm } = people[RM];
    const { d: dm } = people[DM];
    // The decision maker decides GO (from the CLI as themselves: the window's decision form is
    // the app suite's; here the point is what both windows show).
    await cli(url, "run", "decide", runId, "go", "--by", DM, "--rationale", "rehearsal evidence reviewed", "--override", "rehearsal");
    for (const d of [rm, dm]) {
      await reveal(d, "[data-testid=decision-panel]");
      await waitFor(d, () => document.querySelector("[data-testid=decision-recorded]") !== null, null, 10_000, "the decision shown");
    }
    // The release manager then checks a criterion the GO was made over (unchecked, overridden).
    await reveal(rm, `[data-item-id="${CRITERION}"]`);
    await (await $(rm, `[data-item-id="${CRITERION}"]`)).click();
    for (const d of [rm, dm]) {
      const text = await waitFor(
        d,
        () => document.querySelector("[data-testid=decision-stale-banner]")?.textContent ?? null,
        null,
        10_000,
        "the stale-decision banner",
      );
      assert.match(text, /stale/i);
      assert.match(text, new RegExp(RM), "names who changed the evidence");
    }
    await shot(dm, "shared-02-stale-decision-banner");
  });
});
