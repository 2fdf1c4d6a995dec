//! What the sandbox's load looks like beyond HTTP: database query times and busy connections, and
//! the users active in the last minute, with their Prometheus text exposition.
//!
//! Owns [`DbStats`] (a histogram of query durations, `db_query_duration_seconds`, dense around the
//! M31 "DB latency < 100ms" SLO, and `db_connections_busy_seconds_total`, whose rate over a window
//! is the average number of connections in use — a gauge sampled at scrape time would mostly read
//! 0) and [`ActiveUsers`] (`active_users`: distinct `X-Session-User` values seen in the last 60 s,
//! which the synthetic traffic varies slowly). `db` times its queries into the first; the metrics
//! middleware feeds the second; `routes::metrics_text` renders both.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bucket bounds of `db_query_duration_seconds`.
pub const DB_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// How long a user counts as active after their last request.
pub const ACTIVE_WINDOW: Duration = Duration::from_secs(60);

/// The header a request names its user session in.
pub const SESSION_HEADER: &str = "x-session-user";

#[derive(Debug, Default)]
struct Hist {
    /// Non-cumulative counts; the last slot is +Inf.
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Database query times, recorded by `db` around every statement.
#[derive(Debug, Default)]
pub struct DbStats {
    hist: Mutex<Hist>,
}

impl DbStats {
    pub fn observe(&self, seconds: f64) {
        let Ok(mut h) = self.hist.lock() else {
            return;
        };
        if h.buckets.is_empty() {
            h.buckets = vec![0; DB_BUCKETS.len() + 1];
        }
        let slot = DB_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(DB_BUCKETS.len());
        h.buckets[slot] += 1;
        h.sum += seconds;
        h.count += 1;
    }

    /// Starts timing one statement; the time lands when the guard drops, however it ends.
    pub fn time(&self) -> Timed<'_> {
        Timed(self, Instant::now())
    }

    /// The histogram and the busy-seconds counter (each statement holds one connection for its
    /// duration, so their sums are the same seconds).
    pub fn render(&self, out: &mut String) {
        let h = match self.hist.lock() {
            Ok(h) => (h.buckets.clone(), h.sum, h.count),
            Err(_) => return,
        };
        let (buckets, sum, count) = h;
        let name = "db_query_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time a database statement took.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in DB_BUCKETS.iter().enumerate() {
            cumulative += buckets.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {count}");
        let busy = "db_connections_busy_seconds_total";
        let _ = writeln!(
            out,
            "# HELP {busy} Seconds database connections spent busy, summed."
        );
        let _ = writeln!(out, "# TYPE {busy} counter");
        let _ = writeln!(out, "{busy} {sum}");
    }
}

/// Times one statement into its [`DbStats`] when dropped.
pub struct Timed<'a>(&'a DbStats, Instant);

impl Drop for Timed<'_> {
    fn drop(&mut self) {
        self.0.observe(self.1.elapsed().as_secs_f64());
    }
}

/// Users seen recently, by session.
#[derive(Debug, Default)]
pub struct ActiveUsers {
    last_seen: Mutex<HashMap<String, Instant>>,
}

impl ActiveUsers {
    pub fn seen(&self, session: &str) {
        if session.is_empty() || session.len() > 128 {
            return;
        }
        if let Ok(mut m) = self.last_seen.lock() {
            // Bounded: forget the stale ones before a new one is added to a big map.
            if m.len() >= 10_000 {
                m.retain(|_, t| t.elapsed() < ACTIVE_WINDOW);
            }
            m.insert(session.to_owned(), Instant::now());
        }
    }

    /// Sessions seen within [`ACTIVE_WINDOW`].
    pub fn count(&self) -> usize {
        self.last_seen
            .lock()
            .map(|mut m| {
                m.retain(|_, t| t.elapsed() < ACTIVE_WINDOW);
                m.len()
            })
            .unwrap_or(0)
    }

    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP active_users Distinct user sessions seen in the last 60 s."
        );
        let _ = writeln!(out, "# TYPE active_users gauge");
        let _ = writeln!(out, "active_users {}", self.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_times_land_in_cumulative_buckets_and_the_busy_counter() {
        let s = DbStats::default();
        s.observe(0.002);
        s.observe(0.3);
        let mut out = String::new();
        s.render(&mut out);
        assert!(
            out.contains("db_query_duration_seconds_bucket{le=\"0.0025\"} 1"),
            "{out}"
        );
        assert!(
            out.contains("db_query_duration_seconds_bucket{le=\"0.1\"} 1"),
            "the slow one is above 100 ms"
        );
        assert!(out.contains("db_query_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(out.contains("db_connections_busy_seconds_total 0.302"), "{out}");
    }

    #[test]
    fn active_users_count_distinct_sessions() {
        let u = ActiveUsers::default();
        for s in ["a", "b", "a", ""] {
            u.seen(s);
        }
        assert_eq!(u.count(), 2, "repeats and empty names do not count");
    }
}
