// Backups and the restore drill in the real window, against the two Postgres clusters of
// .ci/services.sh: the source (password authentication: FLIGHTDECK_TEST_PG_SOURCE_URL and
// _PASSWORD) holds a generated database big enough for the dump to take a few seconds, the
// target (FLIGHTDECK_TEST_PG_URL) takes the drill's scratch database. On the bundled M31 run:
// §3's backup (its stage and bytes bars move), §3's drill (its RTO stages charted), then §7's
// final backup cancelled in the middle of the dump: recorded `cancelled`, no partial file left,
// no pg_dump left running. Screenshots. Everything started here is stopped whatever happens.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { named } from "./controls-support.mjs";
import { $, cli, CLI, launch, reveal, scratch, shot, started, startDriver, waitFor } from "./harness.mjs";

const USER = "Riley Release";
const ENV = "pgdemo";
const BACKUP = "3.production-backup-created-2-hours-old.step";
const DRILL = "3.recovery-drill-validated-non-destructive.step";
const FINAL = "7.final-backup-created.step";
// ~150 MB of table: a dump of some 70 MB, several seconds of progress on a busy machine.
const ROWS = Number(process.env.FLIGHTDECK_E2E_BACKUP_ROWS ?? 1_200_000);

const S = scratch();
const backups = join(S.dir, "backups");
const source = process.env.FLIGHTDECK_TEST_PG_SOURCE_URL;
const password = process.env.FLIGHTDECK_TEST_PG_SOURCE_PASSWORD;
const target = process.env.FLIGHTDECK_TEST_PG_URL;
const db = `fd_e2e_backup_${process.pid}`;
let skipped = null;
let driver;
let d;
let runId;

/** psql on the source cluster, the password through its environment (never the command line). */
async function psql(database, sql) {
  const bin = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b)).at(-1);
  const url = source.replace(/\/[^/]*$/, `/${database}`);
  await promisify(execFile)(`/usr/lib/postgresql/${bin}/bin/psql`, [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    env: { ...process.env, PGPASSWORD: password },
    timeout: 90_000,
  });
}

const step = (id) => `[data-step-id="${id}"]`;
const status = (id) => d.executeScript((s) => document.querySelector(`${s} [data-step-status]`)?.dataset.stepStatus ?? null, step(id));
const bytesNow = (id) => d.executeScript((s) => Number(document.querySelector(`[data-backup-progress="${s}"]`)?.dataset.bytes ?? -1), id);
/** The pg_dump processes started by this suite (the app's children carry its tag). */
const pgDumps = () =>
  started().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "pg_dump";
    } catch {
      return false;
    }
  });

/** Click Run on `id` and wait until it is running. */
async function runStep(id) {
  await reveal(d, `[data-run-step="${id}"]`);
  await (await $(d, `[data-run-step="${id}"]`)).click();
  await waitFor(d, (s) => document.querySelector(`[data-backup-progress="${s}"]`), id, 10_000, `${id} to show its progress`);
}

before(async () => {
  if (!source || !password || !target) {
    if (process.env.CI === "true") throw new Error("FLIGHTDECK_TEST_PG_SOURCE_URL / _PASSWORD / FLIGHTDECK_TEST_PG_URL not set: run under .ci/services.sh");
    skipped = "no Postgres clusters (run under .ci/services.sh)";
    return;
  }
  const t0 = Date.now();
  await psql("postgres", `DROP DATABASE IF EXISTS ${db}`);
  await psql("postgres", `CREATE DATABASE ${db}`);
  // What M31's smoke queries read, and a table big enough for the dump to take a few seconds.
  await psql(
    db,
    `CREATE TABLE feature_flags (key text PRIMARY KEY, enabled boolean NOT NULL);
     INSERT INTO feature_flags VALUES ('community_enabled', true), ('notifications_enabled', false);
     CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric NOT NULL, note text);
     INSERT INTO payments SELECT g, g * 1.5, 'Zahlung für Zoë ' || g FROM generate_series(1, 1000) g;
     CREATE TABLE events (id bigint PRIMARY KEY, payment_id bigint REFERENCES payments(id), payload text);
     INSERT INTO events SELECT g, 1 + g % 1000, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)
       FROM generate_series(1, ${ROWS}) g;`,
  );
  console.log(`# generated ${ROWS} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await cli(S.store, "env", "new", ENV);
  await cli(S.store, "env", "set-var", ENV, "DATABASE_URL", source.replace(/\/[^/]*$/, `/${db}`));
  await cli(S.store, "env", "set-var", ENV, "RESTORE_TARGET_URL", target);
  await cli(S.store, "env", "set-var", ENV, "BACKUP_DIR", backups);
  // The source's password goes to the keyring from stdin, as a user would type it.
  await new Promise((ok, fail) => {
    const p = execFile(CLI, ["--store", S.store, "secret", "set", ENV, "DB_PASSWORD"], { timeout: 30_000 }, (e) => (e ? fail(e) : ok()));
    p.stdin.end(`${password}\n`);
  });
  named(S.config, USER);
  runId = (await cli(S.store, "run", "new", "bundled:m31", "--release", "v1.0.0", "--env", ENV, "--by", USER)).trim();
  driver = await startDriver();
});

after(async () => {
  try {
    await d?.quit().catch(() => {});
  } finally {
    try {
      await driver?.stop();
    } finally {
      if (!skipped) await psql("postgres", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      rmSync(S.dir, { recursive: true, force: true });
    }
  }
});

describe("backups and the restore drill in the window", () => {
  test("the backup's stage and bytes bars move while pg_dump runs; it passes and fills Backup File", async (t) => {
    if (skipped) return t.skip(skipped);
    d = await launch(driver.url, ["--store", S.store, "--config-dir", S.config, "--open", runId]);
    await $(d, "[data-testid=run-screen][data-complete=true]", 20_000);
    await runStep(BACKUP);
    await waitFor(d, (s) => document.querySelector(`[data-backup-progress="${s}"]`)?.dataset.stage === "dump", BACKUP, 30_000, "the dump stage");
    await waitFor(d, (s) => Number(document.querySelector(`[data-backup-progress="${s}"]`)?.dataset.bytes) > 0, BACKUP, 30_000, "the first bytes");
    const first = await bytesNow(BACKUP);
    await waitFor(d, ([s, b]) => Number(document.querySelector(`[data-backup-progress="${s}"]`)?.dataset.bytes) > b, [BACKUP, first], 30_000, "the bytes to grow");
    const seg = await d.executeScript((s) => document.querySelector(`[data-backup-progress="${s}"] .seg.current`)?.textContent, BACKUP);
    assert.equal(seg, "dump");
    await shot(d, "backup-01-dump-progress");
    await waitFor(d, (s) => ["passed", "failed"].includes(document.querySelector(`${s} [data-step-status]`)?.dataset.stepStatus), step(BACKUP), 90_000, "the backup to finish");
    assert.equal(await status(BACKUP), "passed", await d.executeScript((s) => document.querySelector(`[data-step-result="${s}"]`)?.textContent, BACKUP));
    const file = await waitFor(d, () => document.querySelector('[data-field-id="3.backup-file"]')?.value, null, 10_000, "Backup File to be filled");
    assert.match(file, /fd_e2e_backup_\d+-.*\.dump$/);
  });

  test("the drill restores it into a scratch database and charts its RTO by stage", async (t) => {
    if (skipped) return t.skip(skipped);
    await runStep(DRILL);
    await waitFor(d, (s) => ["passed", "failed"].includes(document.querySelector(`${s} [data-step-status]`)?.dataset.stepStatus), step(DRILL), 100_000, "the drill to finish");
    assert.equal(await status(DRILL), "passed", await d.executeScript((s) => document.querySelector(`[data-step-result="${s}"]`)?.textContent, DRILL));
    const chart = await d.executeScript(
      (s) => {
        const c = document.querySelector(`[data-rto-chart="${s}"]`);
        if (!c) return null;
        c.scrollIntoView({ block: "center" });
        return { stages: [...c.querySelectorAll("[data-rto-stage]")].map((r) => r.dataset.rtoStage), rto: Number(c.querySelector("[data-rto-ms]").dataset.rtoMs), verdict: c.querySelector("[data-rto-verdict]").dataset.rtoVerdict };
      },
      DRILL,
    );
    assert.ok(chart, "no RTO chart under the drill");
    assert.deepEqual(chart.stages, ["checksum", "create", "data", "post-data", "verify", "smoke"]);
    assert.ok(chart.rto > 0);
    assert.equal(chart.verdict, "within");
    await shot(d, "backup-02-drill-rto");
  });

  test("Cancel in the middle of a dump records it cancelled, kills pg_dump and leaves no partial file", { timeout: 60_000 }, async (t) => {
    if (skipped) return t.skip(skipped);
    const before = readdirSync(backups).sort();
    await runStep(FINAL);
    // The first backup gives this one its expected size: the bytes bar is a measured one now.
    await waitFor(d, (s) => Number(document.querySelector(`[data-backup-progress="${s}"] [data-bytes-bar] [role=progressbar]`)?.getAttribute("aria-valuenow")) > 0, FINAL, 30_000, "the bytes bar to start");
    assert.ok(readdirSync(backups).some((f) => f.endsWith(".partial")), "a partial file while it dumps");
    assert.ok(pgDumps().length > 0, "pg_dump running");
    await shot(d, "backup-03-before-cancel");
    t.diagnostic(`cancelling at ${await bytesNow(FINAL)} bytes`);
    await d.executeScript((s) => document.querySelector(`[data-cancel-step="${s}"]`).click(), FINAL);
    await waitFor(d, (s) => document.querySelector(`${s} [data-step-status]`)?.dataset.stepStatus === "failed", step(FINAL), 20_000, "the cancel to be recorded");
    const result = await d.executeScript((s) => document.querySelector(`[data-step-result="${s}"]`)?.textContent, FINAL);
    assert.match(result, /cancelled/);
    assert.deepEqual(readdirSync(backups).sort(), before, "nothing left behind by the cancelled dump");
    assert.equal(pgDumps().length, 0, "pg_dump still running");
    const events = JSON.parse(await cli(S.store, "--json", "run", "events", runId));
    const last = events.filter((e) => e.kind === "step_finished" && e.payload?.step === FINAL).at(-1);
    assert.equal(last?.payload?.result?.failure, "cancelled", JSON.stringify(last));
    await shot(d, "backup-04-cancelled");
  });
});
