//! The golden set: the signals every environment with a Prometheus gets, over the metric names
//! the sandbox exposes (the common ones: `http_request_duration_seconds`, `http_requests_total`),
//! covering each sub-item of M31 §4 — latency P50/P95/P99 (and the database's P95), requests/s
//! and active users, 4xx and 5xx rates, CPU, memory, DB connections in use over max — plus
//! payment success; and, with `SIGNALS_DATABASE_URL`, payment success read from the `payments`
//! table through SQL.
//!
//! Also owns the PromQL of each default signal's bad-event share for the error budget
//! ([`error_ratio`]). `$window` is the rate window, filled when a query is sent.

use super::model::{Class, Signal, SourceKind, Unit};
use super::Target;

const PAYMENTS: &str = "route=\"/api/payments/process\"";

fn quantile(q: &str, metric: &str) -> String {
    format!("histogram_quantile({q}, sum by (le) (rate({metric}_bucket[$window])))")
}

/// `part` requests (`status=~"5.."`) as a share of all: 0 when there are none of them.
fn share(part: &str, all: &str) -> String {
    format!(
        "(sum(rate(http_requests_total{{{part}}}[$window])) or vector(0)) / sum(rate(http_requests_total{{{all}}}[$window]))"
    )
}

fn prom(name: &str, label: &str, class: Class, unit: Unit, query: String) -> Signal {
    Signal {
        name: name.into(),
        label: label.into(),
        class,
        unit,
        query,
        source: SourceKind::Prometheus,
    }
}

/// The default signals of `target` (Prometheus ones only when it has a Prometheus).
pub fn signals(target: &Target) -> Vec<Signal> {
    use Class::*;
    let http = "http_request_duration_seconds";
    let mut out = vec![
        prom(
            "latency_p50",
            "Latency P50",
            Latency,
            Unit::Seconds,
            quantile("0.5", http),
        ),
        prom(
            "latency_p95",
            "Latency P95",
            Latency,
            Unit::Seconds,
            quantile("0.95", http),
        ),
        prom(
            "latency_p99",
            "Latency P99",
            Latency,
            Unit::Seconds,
            quantile("0.99", http),
        ),
        prom(
            "db_latency_p95",
            "DB latency P95",
            Latency,
            Unit::Seconds,
            quantile("0.95", "db_query_duration_seconds"),
        ),
        prom(
            "requests_per_second",
            "Requests/s",
            Traffic,
            Unit::PerSecond,
            "sum(rate(http_requests_total[$window]))".into(),
        ),
        prom(
            "active_users",
            "Active users",
            Traffic,
            Unit::Count,
            "max(active_users)".into(),
        ),
        prom(
            "errors_4xx",
            "4xx rate",
            Errors,
            Unit::Ratio,
            share("status=~\"4..\"", ""),
        ),
        prom(
            "errors_5xx",
            "5xx rate",
            Errors,
            Unit::Ratio,
            share("status=~\"5..\"", ""),
        ),
        prom(
            "payment_success",
            "Payment success",
            Errors,
            Unit::Ratio,
            format!(
                "sum(rate(http_requests_total{{{PAYMENTS},status!~\"5..\"}}[$window])) / \
                 sum(rate(http_requests_total{{{PAYMENTS}}}[$window]))"
            ),
        ),
        prom(
            "cpu",
            "CPU",
            Saturation,
            Unit::Ratio,
            "max(process_cpu_ratio)".into(),
        ),
        prom(
            "memory",
            "Memory",
            Saturation,
            Unit::Ratio,
            "max(process_memory_ratio)".into(),
        ),
        prom(
            "db_connections",
            "DB connections (in use / max)",
            Saturation,
            Unit::Ratio,
            "sum(rate(db_connections_busy_seconds_total[$window])) / max(db_connections_max)".into(),
        ),
    ];
    if target.prometheus.is_none() {
        out.clear();
    }
    if target.database.is_some() {
        out.push(Signal {
            name: "payment_success_db".into(),
            label: "Payment success (database)".into(),
            class: Errors,
            unit: Unit::Ratio,
            query: PAYMENTS_SQL.into(),
            source: SourceKind::Sql,
        });
    }
    out
}

/// Share of payments not `failed`, per step, from the sandbox's `payments` table.
const PAYMENTS_SQL: &str = "SELECT extract(epoch FROM b.t)::float8 AS t, \
     avg(CASE WHEN p.status = 'failed' THEN 0.0 ELSE 1.0 END)::float8 AS value \
     FROM generate_series(to_timestamp($1), to_timestamp($2), make_interval(secs => $3)) AS b(t) \
     JOIN payments p ON p.created_at > b.t - make_interval(secs => greatest($3, 60)) AND p.created_at <= b.t \
     GROUP BY b.t ORDER BY b.t";

/// PromQL for the share of bad events over `$window` of a default signal held to `threshold`:
/// answers slower than the threshold for latencies (the histogram bucket `le` must be a bucket
/// bound), 5xx answers for the error rate, failed payments for payment success.
pub fn error_ratio(signal: &str, threshold: f64) -> Option<String> {
    let slower = |metric: &str| {
        format!(
            "1 - (sum(rate({metric}_bucket{{le=\"{threshold}\"}}[$window])) / sum(rate({metric}_count[$window])))"
        )
    };
    match signal {
        "latency_p50" | "latency_p95" | "latency_p99" => Some(slower("http_request_duration_seconds")),
        "db_latency_p95" => Some(slower("db_query_duration_seconds")),
        "errors_5xx" => Some(share("status=~\"5..\"", "")),
        "errors_4xx" => Some(share("status=~\"4..\"", "")),
        "payment_success" => Some(share(&format!("{PAYMENTS},status=~\"5..\""), PAYMENTS)),
        _ => None,
    }
}

/// The default signal an SLO's indicator names by its words (`API latency P95` → `latency_p95`,
/// `DB latency` → `db_latency_p95`, `Error rate` → `errors_5xx`, `Payment success` →
/// `payment_success`), or `None`.
pub fn signal_for(indicator: &str) -> Option<String> {
    let l = indicator.to_ascii_lowercase();
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let pct = ["p50", "p95", "p99"]
        .into_iter()
        .find(|p| has(p))
        .unwrap_or("p95");
    let name = if has("latency") && (has("db") || has("database")) {
        format!("db_latency_{pct}")
    } else if has("latency") {
        format!("latency_{pct}")
    } else if has("payment") || has("payments") {
        "payment_success".into()
    } else if has("4xx") {
        "errors_4xx".into()
    } else if has("error") || has("errors") || has("5xx") {
        "errors_5xx".into()
    } else if has("cpu") {
        "cpu".into()
    } else if has("memory") {
        "memory".into()
    } else if has("connections") {
        "db_connections".into()
    } else if has("users") {
        "active_users".into()
    } else if has("requests") || has("traffic") || has("throughput") {
        "requests_per_second".into()
    } else {
        return None;
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_m31_indicators_name_their_signals() {
        assert_eq!(signal_for("API latency P95").as_deref(), Some("latency_p95"));
        assert_eq!(signal_for("Error rate").as_deref(), Some("errors_5xx"));
        assert_eq!(signal_for("Payment success").as_deref(), Some("payment_success"));
        assert_eq!(signal_for("DB latency").as_deref(), Some("db_latency_p95"));
        assert_eq!(signal_for("Happiness"), None);
    }

    #[test]
    fn latency_error_ratio_counts_answers_slower_than_the_threshold_bucket() {
        let q = error_ratio("latency_p95", 0.5).expect("a default");
        assert!(q.contains("le=\"0.5\""), "{q}");
        let q = error_ratio("db_latency_p95", 0.1).expect("a default");
        assert!(q.contains("db_query_duration_seconds_bucket{le=\"0.1\"}"), "{q}");
        assert_eq!(error_ratio("cpu", 0.9), None, "a gauge has no good/all events");
    }
}
