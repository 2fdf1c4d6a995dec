//! The error-budget arithmetic of multi-window, multi-burn-rate alerts, with no I/O.
//!
//! Owns the window pairs and burn-rate factors of the Google SRE workbook ("Alerting on SLOs",
//! table 5-8; Sloth's `google-30d` plugin): page at 14.4× over 1 h and 5 m and at 6× over 6 h and
//! 30 m; ticket at 3× over 1 d and 2 h and at 1× over 3 d and 6 h, for a 30-day period. For another
//! period every window scales by `period / 30 d` (as Pyrra does), so each pair still fires after
//! the same share of the budget is spent: a 1-day SLO pages over 2 min and 10 s. A pair fires when
//! both its windows' error ratios are above `factor × (1 − objective)`. Asking Prometheus is
//! `eval`'s.

use crate::signals::model::Severity;

/// The period the workbook's windows are written for.
pub const BASE_PERIOD_S: u64 = 30 * 86_400;

/// One window pair, before or after scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub severity: Severity,
    /// Burn-rate threshold.
    pub factor: f64,
    pub long_s: u64,
    pub short_s: u64,
}

/// The workbook's pairs for a 30-day period, page pairs first.
pub const GOOGLE_30D: [Pair; 4] = [
    Pair {
        severity: Severity::Page,
        factor: 14.4,
        long_s: 3600,
        short_s: 300,
    },
    Pair {
        severity: Severity::Page,
        factor: 6.0,
        long_s: 6 * 3600,
        short_s: 1800,
    },
    Pair {
        severity: Severity::Ticket,
        factor: 3.0,
        long_s: 86_400,
        short_s: 2 * 3600,
    },
    Pair {
        severity: Severity::Ticket,
        factor: 1.0,
        long_s: 3 * 86_400,
        short_s: 6 * 3600,
    },
];

/// The pairs for an SLO over `period_s`: the workbook's windows times `period / 30 d`, rounded to
/// whole seconds, never under one second.
pub fn pairs(period_s: u64) -> [Pair; 4] {
    let scale = |w: u64| -> u64 {
        let scaled = (w as f64 * period_s as f64 / BASE_PERIOD_S as f64).round();
        (scaled as u64).max(1)
    };
    GOOGLE_30D.map(|p| Pair {
        long_s: scale(p.long_s),
        short_s: scale(p.short_s),
        ..p
    })
}

/// The error ratio above which a window burns at `factor`: `factor × (1 − objective)`.
pub fn ratio_threshold(factor: f64, objective: f64) -> f64 {
    factor * (1.0 - objective)
}

/// How fast the budget burns at `error_ratio`: 1 spends it exactly over the period.
pub fn burn_rate(error_ratio: f64, objective: f64) -> f64 {
    let budget = 1.0 - objective;
    if budget <= 0.0 {
        f64::INFINITY
    } else {
        error_ratio / budget
    }
}

/// Both windows above the pair's threshold (strictly, as the workbook and Sloth write it).
pub fn fires(pair: &Pair, long_ratio: f64, short_ratio: f64, objective: f64) -> bool {
    let t = ratio_threshold(pair.factor, objective);
    long_ratio > t && short_ratio > t
}

/// The share of the budget left after the period's error ratio: 1 untouched, 0 spent.
pub fn remaining(period_ratio: f64, objective: f64) -> f64 {
    1.0 - burn_rate(period_ratio, objective)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn thresholds_for_a_30_day_999_slo_are_the_workbooks_table() {
        // SRE workbook table 5-8 (99.9 %, 30 days): burn rate, long & short window, and the
        // error ratio each pair alerts above (the "2 % / 5 % / 10 % of budget" rows).
        let p = pairs(BASE_PERIOD_S);
        let table = [
            (Severity::Page, 14.4, 3600, 300, 0.0144),
            (Severity::Page, 6.0, 21_600, 1800, 0.006),
            (Severity::Ticket, 3.0, 86_400, 7200, 0.003),
            (Severity::Ticket, 1.0, 259_200, 21_600, 0.001),
        ];
        for (pair, (sev, factor, long, short, ratio)) in p.iter().zip(table) {
            assert_eq!(pair.severity, sev);
            assert_eq!((pair.factor, pair.long_s, pair.short_s), (factor, long, short));
            assert!(close(ratio_threshold(pair.factor, 0.999), ratio), "{pair:?}");
        }
        // Budget spent when each pair first fires, as the workbook states it: 14.4 × 1 h of 30 d
        // is 2 %, 6 × 6 h is 5 %, 3 × 1 d is 10 %.
        let spent = |p: &Pair| p.factor * p.long_s as f64 / BASE_PERIOD_S as f64;
        assert!(close(spent(&p[0]), 0.02) && close(spent(&p[1]), 0.05) && close(spent(&p[2]), 0.10));
    }

    #[test]
    fn windows_scale_with_the_period_like_pyrra() {
        // A 1-day SLO: the fast pair is 2 min / 10 s, the slowest 2 h 24 min / 12 min.
        let day = pairs(86_400);
        assert_eq!((day[0].long_s, day[0].short_s), (120, 10));
        assert_eq!((day[1].long_s, day[1].short_s), (720, 60));
        assert_eq!((day[2].long_s, day[2].short_s), (2880, 240));
        assert_eq!((day[3].long_s, day[3].short_s), (8640, 720));
        // Factors do not scale: the same share of the budget is spent when each pair fires.
        assert_eq!(day.map(|p| p.factor), GOOGLE_30D.map(|p| p.factor));
        // A 7-day SLO (Pyrra's common case): 1 h → 14 min, 5 m → 70 s.
        let week = pairs(7 * 86_400);
        assert_eq!((week[0].long_s, week[0].short_s), (840, 70));
        // Tiny periods never give a zero-second window.
        assert!(pairs(60).iter().all(|p| p.short_s >= 1));
    }

    /// Error ratio over the last `window` seconds at second `now`, when every second from
    /// `outage_start` on is entirely bad and traffic is even.
    fn ratio(now: u64, window: u64, outage_start: u64) -> f64 {
        let from = now.saturating_sub(window);
        let bad = now.saturating_sub(outage_start.max(from));
        bad as f64 / window as f64
    }

    #[test]
    fn a_full_outage_at_999_trips_the_1h_5m_pair_after_about_52_seconds() {
        // 60 min × 14.4 / 1000 = 51.84 s of bad data fill the hour's 1.44 % threshold; the 5 m
        // window passes its own after 4.3 s, so the long window decides.
        let pair = GOOGLE_30D[0];
        let start = 10_000;
        let first = (start..start + 3600)
            .find(|&t| fires(&pair, ratio(t, 3600, start), ratio(t, 300, start), 0.999))
            .map(|t| t - start);
        assert_eq!(first, Some(52), "fires at the first whole second past 51.84 s");
        // The 6 h / 30 m page pair needs 6 × 6 h / 1000 = 129.6 s.
        let slow = (start..start + 3600)
            .find(|&t| {
                fires(
                    &GOOGLE_30D[1],
                    ratio(t, 21_600, start),
                    ratio(t, 1800, start),
                    0.999,
                )
            })
            .map(|t| t - start);
        assert_eq!(slow, Some(130));
    }

    #[test]
    fn burn_rate_and_remaining_budget_follow_the_objective() {
        assert!(
            close(burn_rate(0.05, 0.999), 50.0),
            "errors=5% burns a 99.9 % SLO 50× over"
        );
        assert!(close(remaining(0.0005, 0.999), 0.5), "half the budget spent");
        assert!(remaining(0.002, 0.999) < 0.0, "overspent goes below zero");
        assert!(
            burn_rate(0.01, 1.0).is_infinite(),
            "a 100 % objective has no budget"
        );
    }
}
