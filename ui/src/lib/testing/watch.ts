// A run's watch as the engine would answer it, for the Watch tab's tests: a plan of two check
// bands and hourly summaries, some slots recorded (passed, failed with its values, missed), a
// band run clean, the §15 routes and an alert log.
import type { AlertEntry, AlertRecord, WatchCell, WatchView } from "../bindings";

export const T0 = "2026-12-04T09:00:00Z";

const cell = (kind: "check" | "summary" | "budget", minute: number, status: WatchCell["status"], seq: number | null, over: Partial<WatchCell> = {}): WatchCell => ({
  slot: `${kind}@+${minute}`,
  kind,
  minute,
  due: `2026-12-04T09:${String(minute % 60).padStart(2, "0")}:00Z`,
  status,
  reason: null,
  catch_up: false,
  failed: [],
  seq,
  ...over,
});

export const alertRecord = (over: Partial<AlertRecord> = {}): AlertRecord => ({
  route: "warning",
  receiver: "team-chat",
  receiver_kind: "slack",
  group: "warning/warning/health",
  severity: "warning",
  category: "health",
  firing: ["flightdeck/0193abcd/8.health-check-validation.step/warning"],
  resolved: [],
  repeat: false,
  test: false,
  sent: true,
  attempts: 1,
  delay_ms: 31_000,
  ...over,
});

export function watchView(over: Partial<WatchView> = {}): WatchView {
  const cells: WatchCell[] = [
    cell("check", 0, "passed", 10),
    cell("check", 5, "passed", 11),
    cell("check", 10, "missed", 12, { reason: "suspended" }),
    cell("check", 15, "failed", 13, { failed: ["8.health-check-validation.step"] }),
    cell("check", 20, null, null),
    cell("check", 30, null, null),
    cell("summary", 60, "passed", 14),
  ];
  const alerts: AlertEntry[] = [{ seq: 15, time: "2026-12-04T09:16:00Z", actor: "Riley", record: alertRecord() }];
  return {
    status: {
      run_id: "0193abcd-run",
      plan: {
        t0: T0,
        bands: [
          { from_min: 0, to_min: 20, every_min: 5, items: ["16.hour-0-2-intensive-monitoring"] },
          { from_min: 20, to_min: 40, every_min: 10, items: [] },
        ],
        checks: ["8.health-check-validation.step"],
        summary_every_min: 60,
        budget_every_min: 0,
        budget_url: "${SANDBOX_URL}/admin/budgets",
        end_min: 60,
      },
      cells,
      passed: 3,
      failed: 1,
      missed: 1,
      pending: 2,
      clean_bands: [],
      alerts_sent: 1,
      alerts_failed: 0,
    },
    plan_error: null,
    details: [
      { seq: 12, record: { slot: "check@+10", kind: "check", minute: 10, due: cells[2].due, status: "missed", reason: "suspended" } },
      {
        seq: 13,
        record: {
          slot: "check@+15",
          kind: "check",
          minute: 15,
          due: cells[3].due,
          status: "failed",
          lines: [{ name: "8.health-check-validation.step", passed: false, values: { status: "503", ms: "4" }, message: "status was 503, expected 200" }],
        },
      },
      { seq: 14, record: { slot: "summary@+60", kind: "summary", minute: 60, due: cells[6].due, status: "passed", lines: [{ name: "Request rate", passed: true, values: { value: "12.5 req/s" } }] } },
    ],
    clean: [],
    alerts,
    alert_config: {
      routes: [
        { name: "critical", severities: ["critical"], categories: ["health"], receivers: ["on-call"] },
        { name: "warning", severities: ["warning"], categories: ["health"], receivers: ["team-chat"] },
      ],
      receivers: [
        { type: "pagerduty", name: "on-call", routing_key_secret: "PAGERDUTY_ROUTING_KEY", url: null },
        { type: "slack", name: "team-chat", webhook_secret: "SLACK_WEBHOOK_URL" },
      ],
      group_wait_s: 30,
      group_interval_s: 300,
      repeat_interval_s: 14400,
      critical_after: 3,
    },
    alert_config_error: null,
    running: false,
    failure: null,
    speed: 1,
    ...over,
  };
}
