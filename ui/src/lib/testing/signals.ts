// Signals for component tests: a Signals view answer with the four golden panels and one SLO's
// burn-rate panel, and SLO badges, shaped as the app sends them.
import type { ChartPanel, Panel, SignalsView, SloBadge, SloState } from "../bindings";
import { RUN_ID } from "./fixture";

export const NOW = 1_796_130_300;

export function panel(id: string, title: string, lines: [string, number][], extra: Partial<Panel> = {}): Panel {
  return {
    id,
    title,
    unit: "s",
    from: NOW - 3600,
    to: NOW,
    scale: { type: "linear" },
    lines: lines.map(([label, v]) => ({
      label,
      unit: extra.unit ?? "s",
      points: [
        [NOW - 60, v],
        [NOW - 30, v],
        [NOW, v],
      ],
      no_data: null,
    })),
    marks: [{ at: NOW, label: "now", kind: "now" }],
    thresholds: [],
    verdicts: [],
    no_data: null,
    ...extra,
  };
}

export function chart(p: Panel, svg = true): ChartPanel {
  const drawn = p.lines.reduce((n, l) => n + l.points.filter((x) => x[1] !== null).length, 0);
  const why = drawn ? null : (p.no_data ?? p.lines.map((l) => `${l.label}: ${l.no_data}`).join("; "));
  return { panel: svg ? { ...p, lines: p.lines.map((l) => ({ ...l, points: [] })) } : p, svg: svg ? `<svg xmlns="http://www.w3.org/2000/svg"><text>${p.title}</text></svg>` : null, drawn, no_data: why, width: 480, height: 190 };
}

export function badge(id: string, state: SloState, reason = "every window pair under its factor"): SloBadge {
  return { id, label: id, text: `${id} < 500ms (5min window)`, state, reason, at: NOW };
}

export function signalsView(extra: Partial<SignalsView> = {}): SignalsView {
  const failed = panel("saturation", "Saturation", [], { unit: "ratio" });
  failed.lines = [{ label: "CPU", unit: "ratio", points: [], no_data: "Prometheus at http://127.0.0.1:9090 answered 500 for cpu (environment sandbox)" }];
  return {
    run: RUN_ID,
    env: "sandbox",
    source: "Prometheus http://127.0.0.1:9090",
    from: NOW - 3600,
    to: NOW,
    arrived_ms: Date.now(),
    panels: [
      chart(panel("latency", "Latency", [["p50", 0.1], ["p95", 0.4], ["p99", 0.6]])),
      chart(panel("traffic", "Traffic", [["requests/s", 12], ["active users", 30]], { unit: "/s" })),
      chart(panel("errors", "Errors", [["5xx", 0.001], ["4xx", 0.01]], { unit: "ratio" })),
      chart(failed),
      chart(panel("slo:api-latency-p95", "API latency P95 < 500ms", [["2m", 0.2], ["10s", 0.1]], { unit: "x", scale: { type: "log", floor: 0.1 } })),
    ],
    slos: [badge("api-latency-p95", "ok")],
    slo_error: null,
    ...extra,
  };
}
