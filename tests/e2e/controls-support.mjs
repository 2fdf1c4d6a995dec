// What the Controls window test and its bench share: a sandbox of their own on a free port
// (never the shared 127.0.0.1:8731), optionally on a SQLite file seeded with many flags, tagged
// like everything the harness starts and stopped, with its whole tree, by `stop()`.
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CLI, TAG, TAG_VAR } from "./harness.mjs";
import { stopAll, trees } from "./procs.mjs";

/** `flightdeck sandbox --port 0` (on `db` when given); answers `{ url, stop }`. */
export async function privateSandbox(db) {
  const args = ["sandbox", "--port", "0", "--json", "--no-traffic", ...(db ? ["--db", db] : [])];
  const proc = spawn(CLI, args, { stdio: ["ignore", "pipe", "ignore"], detached: true, env: { ...process.env, [TAG_VAR]: TAG } });
  const stop = async () => {
    const left = await stopAll(() => (proc.pid ? [...trees([proc.pid])] : []));
    if (left.length) throw new Error(`the sandbox is still running after SIGKILL: ${left.join(", ")}`);
  };
  try {
    const line = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("flightdeck sandbox printed no URL within 20 s")), 20_000);
      proc.once("error", (e) => fail(new Error(`cannot start ${CLI}: ${e.message}`)));
      proc.once("exit", (c) => fail(new Error(`flightdeck sandbox exited with ${c}`)));
      createInterface({ input: proc.stdout }).once("line", (l) => {
        clearTimeout(timer);
        ok(l);
      });
    });
    return { url: JSON.parse(line).url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A SQLite file at `dir/flags.sqlite` holding the sandbox's `feature_flags` table with `n`
 * flags (the sandbox adds the five M31 flags it seeds, so `n - 5` here makes `n` in all). */
export function seededFlags(dir, n) {
  const db = join(dir, "flags.sqlite");
  const rows = [];
  for (let i = 0; i < n - 5; i++) {
    const key = `bench_flag_${String(i).padStart(4, "0")}`;
    rows.push(`('${key}', ${i % 3 === 0 ? 1 : 0}, ${(i * 7) % 101})`);
  }
  const sql = `CREATE TABLE feature_flags (
        flag_key TEXT PRIMARY KEY,
        is_enabled BOOLEAN NOT NULL,
        rollout_percentage BIGINT NOT NULL CHECK (rollout_percentage BETWEEN 0 AND 100),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP);
      INSERT INTO feature_flags (flag_key, is_enabled, rollout_percentage) VALUES ${rows.join(",")};`;
  writeFileSync(join(dir, "seed.sql"), sql);
  execFileSync("sqlite3", [db, `.read ${join(dir, "seed.sql")}`]);
  return db;
}

/** The app's settings with the user's name already set, so no prompt stands in the way. */
export function named(config, user) {
  execFileSync("mkdir", ["-p", config]);
  writeFileSync(join(config, "settings.json"), JSON.stringify({ user_name: user }));
}
