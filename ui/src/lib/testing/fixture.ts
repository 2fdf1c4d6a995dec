// A small run for component tests: one phase with a timeframe, one section holding a parent
// item with a sub-item, a step, a percent and a choice field, a sign-off, and the decision.
import type { DecisionState, JsonValue, Runbook, RunDoc, RunLive, RunState, StoredEvent } from "../bindings";

export const RUN_ID = "0193aaaa-bbbb-7ccc-8ddd-eeeeffff0000";

export const runbook: Runbook = {
  name: "mini.md",
  title: "Mini Cutover",
  sha256: "ab".repeat(32),
  metadata: [
    { key: "release-version", label: "Release Version", line: 3, value: "v1.0.0" },
    { key: "cutover-date", label: "Cutover Date", line: 4, value: null },
  ],
  preamble: [],
  phases: [
    {
      id: "gates",
      title: "Gates",
      line: 6,
      timeframe: { text: "T-24 to T-4 Hours", start_min: -1440, end_min: -240 },
      sections: ["1"],
      blocks: [],
    },
  ],
  sections: [
    {
      id: "1",
      number: "1",
      title: "1. Readiness",
      line: 9,
      phase: "gates",
      timeframe: null,
      blocks: [
        { type: "item", id: "1.tests" },
        { type: "item", id: "1.go-criterion" },
        { type: "sign_off", id: "gates" },
        { type: "decision" },
      ],
    },
  ],
  items: [
    {
      id: "1.tests",
      text: "Tests pass",
      line: 10,
      depth: 0,
      parent: null,
      children: ["1.unit"],
      section: "1",
      phase: "gates",
      checked: false,
      critical: false,
      steps: ["1.tests.step"],
      fields: ["1.pass-rate", "1.result"],
      blocks: [
        { type: "item", id: "1.unit" },
        { type: "step", id: "1.tests.step" },
        { type: "fields", ids: ["1.pass-rate", "1.result"], line: 15 },
      ],
    },
    {
      id: "1.unit",
      text: "Unit suite",
      line: 11,
      depth: 1,
      parent: "1.tests",
      children: [],
      section: "1",
      phase: "gates",
      checked: false,
      critical: false,
      steps: [],
      fields: [],
      blocks: [],
    },
    {
      id: "1.go-criterion",
      text: "All gates passed",
      line: 17,
      depth: 0,
      parent: null,
      children: [],
      section: "1",
      phase: "gates",
      checked: false,
      critical: true,
      steps: [],
      fields: [],
      blocks: [],
    },
  ],
  steps: [
    {
      id: "1.tests.step",
      item: "1.tests",
      section: "1",
      phase: "gates",
      line: 12,
      lang: "bash",
      info: "bash",
      code: "make test\n# Expected: >95% pass rate\n",
      expected: [">95% pass rate"],
      annotation: null,
    },
  ],
  fields: [
    { id: "1.pass-rate", label: "Pass Rate", group: null, unit: "%", kind: { kind: "percent" }, line: 15, item: "1.tests", section: "1", phase: "gates", hint: null },
    { id: "1.result", label: "Result", group: null, unit: null, kind: { kind: "choice", options: ["Success", "Failed"] }, line: 15, item: "1.tests", section: "1", phase: "gates", hint: null },
  ],
  signoffs: [
    { id: "gates", name: "Gates", line: 20, section: "1", phase: "gates", items: ["1.tests", "1.unit"], fields: ["1.pass-rate", "1.result"] },
  ],
  decision: { line: 22, label: "Final Go-Live Decision", section: "1", options: ["GO", "NO-GO"], criteria: ["1.go-criterion"] },
  warnings: [],
};

const created: StoredEvent = {
  run_id: RUN_ID,
  seq: 1,
  time: "2026-11-28T10:00:00.000Z",
  actor: "Riley",
  kind: "run_created",
  payload: { runbook_name: "mini.md", runbook_sha256: "ab", env: "sandbox", release: "v1.0.0" },
  prev_hash: "0".repeat(64),
  hash: "1".repeat(64),
};

export function state(over: Partial<RunState> = {}): RunState {
  return {
    run_id: RUN_ID,
    runbook_name: "mini.md",
    runbook_title: "Mini Cutover",
    runbook_sha256: runbook.sha256,
    env: "sandbox",
    release: "v1.0.0",
    created_at: created.time,
    created_by: "Riley",
    metadata: runbook.metadata.map((m) => ({ key: m.key, label: m.label, value: m.value, by: null, at: null })),
    items: runbook.items.map((i) => ({ id: i.id, text: i.text, depth: i.depth, section: i.section, critical: i.critical, checked: false, by: null, at: null })),
    fields: runbook.fields.map((f) => ({ id: f.id, label: f.label, unit: f.unit, kind: f.kind, item: f.item, section: f.section, value: null, by: null, at: null, captured_from: null })),
    notes: [],
    signoffs: [{ id: "gates", name: "Gates", section: "1", phase: "gates", recorded: null, covers: [], revoked: [] }],
    decision: null,
    steps: [{ id: "1.tests.step", item: "1.tests", section: "1", kind: "shell", status: "idle", runs: 0, what: null, by: null, started_at: null, finished_at: null, result: null, confirmed_on: null }],
    event_count: 1,
    head_hash: created.hash,
    orphans: [],
    controls_open: [],
    decision_criteria: ["1.go-criterion"],
    people: [{ name: "Riley", roles: [{ role: "run-creator", source: "creator", seq: 1 }] }],
    min_approvers: 1,
    votes: [],
    revoked_decisions: [],
    ...over,
  };
}

/** A recorded decision (GO by Riley unless `over` says otherwise), as the fold gives it. */
export function decision(over: Partial<DecisionState> = {}): DecisionState {
  return {
    seq: 2,
    decision: "go",
    maker: "Riley",
    rationale: "ready",
    at: "2026-11-28T11:00:00.000Z",
    override_reason: null,
    unchecked_criteria: [],
    approvers: [over.maker ?? "Riley"],
    solo_reason: null,
    head_seq: 1,
    head_hash: created.hash,
    evidence: { criteria: [{ id: "1.go-criterion", checked: false }], signoffs: [], steps: [] },
    stale: null,
    ...over,
  };
}

export function live(over: Partial<RunState> = {}, events: StoredEvent[] = [created]): RunLive {
  return { state: state({ event_count: events.length, ...over }), events };
}

export function event(seq: number, kind: string, payload: Record<string, unknown>, actor = "Riley"): StoredEvent {
  return { ...created, seq, kind, payload: payload as JsonValue, actor, time: `2026-11-28T10:0${seq}:00.000Z` };
}

export const doc: RunDoc = { runbook, live: live() };
