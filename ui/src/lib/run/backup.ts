// What the window draws for a backup (`pg-backup`) or a restore drill (`pg-restore`) step: the
// stages it goes through, where a progress update stands in them, its bytes, and the drill's RTO
// stages as bars. The stage names are the engine's (`backup::Stage`).
import type { Progress, RtoSummary, Stage } from "../bindings";

/** The stages a backup goes through, in order (a directory dump adds `checksum`). */
export const BACKUP_STAGES: Stage[] = ["connect", "dump", "checksum", "inventory"];
/** The stages a drill goes through, in order. */
export const DRILL_STAGES: Stage[] = ["checksum", "create", "data", "post-data", "verify", "smoke", "cleanup"];

export const isBackupKind = (kind: string | undefined | null) => kind === "pg-backup" || kind === "pg-restore";

export function stagesOf(kind: string): Stage[] {
  return kind === "pg-restore" ? DRILL_STAGES : BACKUP_STAGES;
}

/** How far through its stages `stage` is: the stages before it done, 0..1. */
export function stageFraction(kind: string, stage: Stage): number {
  const all = stagesOf(kind);
  const i = all.indexOf(stage);
  return i < 0 ? 0 : i / all.length;
}

/** `1.50 GB`, `320.0 MB`, `12.3 kB`, `12 B` (decimal, as the engine writes them). */
export function bytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b} B`;
}

export function ms(n: number): string {
  if (n < 1000) return `${n} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  return `${(n / 60_000).toFixed(1)} min`;
}

/** The bytes bar: the share of the expected bytes, or null when nothing is expected. */
export function bytesFraction(p: Progress): number | null {
  return p.expected_bytes ? Math.min(1, p.bytes / p.expected_bytes) : null;
}

/** `dump · 12.3 MB of ~40.0 MB at 5.1 MB/s`. */
export function progressLine(p: Progress): string {
  const of = p.expected_bytes ? ` of ~${bytes(p.expected_bytes)}` : "";
  const rate = p.rate_bytes_per_s > 0 ? ` at ${bytes(p.rate_bytes_per_s)}/s` : "";
  return p.bytes > 0 || p.stage === "dump" ? `${p.stage} · ${bytes(p.bytes)}${of}${rate}` : p.stage;
}

export type RtoBar = { stage: Stage; ms: number; share: number };

/** One bar per timed stage, each as a share of the longest (the chart's scale). */
export function rtoBars(rto: RtoSummary): RtoBar[] {
  const longest = Math.max(1, ...rto.stages.map((s) => s.ms));
  return rto.stages.map((s) => ({ stage: s.stage, ms: s.ms, share: s.ms / longest }));
}
