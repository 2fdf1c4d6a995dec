//! The grammar of an SLO line, as the M31 checklist writes them under "SLO Alert Rules
//! Configured" (documented in docs/runbook-format.md):
//!
//! ```text
//! slo       = indicator op number [unit] [ "(" option { "," option } ")" ]
//! op        = "<" | "<=" | ">" | ">=" | "≤" | "≥"
//! unit      = "ms" | "s" | "%"                     (none: a plain number)
//! option    = duration "window" | "window" duration
//!           | "objective" number "%" | "period" duration | "signal" name
//! duration  = number ("s" | "m" | "min" | "h" | "d" | "w")
//! ```
//!
//! `API latency P95 < 500ms (5min window)` reads as indicator `API latency P95`, `<`, 0.5 s, a
//! 5-minute window. Owns [`SloLine`] (a line as written, before it is bound to an environment's
//! signals), [`parse_line`], and which items of a runbook are SLOs ([`slo_items`]: the task
//! children of an item that names "SLO"). Binding is `slo::bind`'s.

use serde::{Deserialize, Serialize};

use crate::runbook::Runbook;
use crate::signals::model::Op;
use crate::signals::parse_duration;

/// An SLO line as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SloLine {
    /// The item's id (or a name for an environment's own SLOs).
    pub id: String,
    pub text: String,
    pub line: u32,
    pub indicator: String,
    pub op: Op,
    /// In base units: seconds for `ms`/`s`, a ratio for `%`.
    pub threshold: f64,
    /// `ms`, `s`, `%` or none.
    pub unit: Option<String>,
    /// The threshold check's window in seconds (default 5 minutes).
    pub window_s: u64,
    pub objective: Option<f64>,
    pub period_s: Option<u64>,
    /// `signal NAME`: the signal it binds to, instead of the one its indicator names.
    pub signal: Option<String>,
}

/// The window of the threshold check when the line gives none.
pub const DEFAULT_WINDOW_S: u64 = 300;

/// Reads one SLO line; the error says what did not read.
pub fn parse_line(id: &str, line: u32, text: &str) -> Result<SloLine, String> {
    let text = text.trim();
    let (at, op, op_len) = find_op(text).ok_or("no comparison (<, <=, >, >=)")?;
    let indicator = text[..at].trim();
    if indicator.is_empty() {
        return Err("nothing names what is measured before the comparison".into());
    }
    let rest = text[at + op_len..].trim();
    let (value, rest) = split_number(rest).ok_or("no number after the comparison")?;
    let (unit, rest) = split_unit(rest);
    let threshold = match unit {
        Some("ms") => value / 1000.0,
        Some("%") => value / 100.0,
        _ => value,
    };
    let mut slo = SloLine {
        id: id.to_owned(),
        text: text.to_owned(),
        line,
        indicator: indicator.to_owned(),
        op,
        threshold,
        unit: unit.map(str::to_owned),
        window_s: DEFAULT_WINDOW_S,
        objective: None,
        period_s: None,
        signal: None,
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(slo);
    }
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("`{rest}` after the threshold: options go in one ( ... )"))?;
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        option(&mut slo, part)?;
    }
    Ok(slo)
}

fn option(slo: &mut SloLine, part: &str) -> Result<(), String> {
    let lower = part.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let dur = |s: &str| parse_duration(s).filter(|d| *d > 0);
    match words.as_slice() {
        // `5min window`, `5 min window`, `window 5m`.
        [d @ .., "window"] | ["window", d @ ..] if !d.is_empty() => {
            let d = d.concat();
            slo.window_s = dur(&d).ok_or_else(|| format!("`{d}` is not a window (5min, 1h)"))?;
        }
        ["objective", o] => {
            slo.objective =
                Some(parse_objective(o).ok_or_else(|| format!("`{o}` is not an objective (99.9%)"))?);
        }
        ["period", p] => {
            slo.period_s = Some(dur(p).ok_or_else(|| format!("`{p}` is not a period (30d, 7d)"))?);
        }
        ["signal", _] => {
            // The name as written (case kept).
            let name = part.split_whitespace().nth(1).unwrap_or_default();
            slo.signal = Some(name.to_owned());
        }
        _ => {
            return Err(format!(
                "`{part}` is not an option (5min window, objective 99.9%, period 30d, signal NAME)"
            ))
        }
    }
    Ok(())
}

/// `99.9%` (or `0.999`): a share strictly between 0 and 1.
pub fn parse_objective(s: &str) -> Option<f64> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => s.parse::<f64>().ok()?,
    };
    (v > 0.0 && v < 1.0).then_some(v)
}

/// The first comparison operator outside the options: (byte offset, op, its length).
fn find_op(text: &str) -> Option<(usize, Op, usize)> {
    let head = text.split('(').next().unwrap_or(text);
    for (i, c) in head.char_indices() {
        let next = head[i + c.len_utf8()..].chars().next();
        let found = match (c, next) {
            ('<', Some('=')) => Some((Op::Le, 2)),
            ('>', Some('=')) => Some((Op::Ge, 2)),
            ('<', _) => Some((Op::Lt, 1)),
            ('>', _) => Some((Op::Gt, 1)),
            ('≤', _) => Some((Op::Le, c.len_utf8())),
            ('≥', _) => Some((Op::Ge, c.len_utf8())),
            _ => None,
        };
        if let Some((op, len)) = found {
            return Some((i, op, len));
        }
    }
    None
}

fn split_number(s: &str) -> Option<(f64, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    let v: f64 = s[..end].parse().ok()?;
    v.is_finite().then_some((v, &s[end..]))
}

fn split_unit(s: &str) -> (Option<&'static str>, &str) {
    let t = s.trim_start();
    for unit in ["ms", "%", "s"] {
        if let Some(rest) = t.strip_prefix(unit) {
            // `s` must end the word (`5s`, not `5seconds`-like text that is not ours).
            if rest.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
                return (Some(unit), rest);
            }
        }
    }
    (None, s)
}

/// The items that are SLOs: the task children of an item whose text names "SLO" (the M31
/// checklist's "SLO Alert Rules Configured"), as (item id, line, text).
pub fn slo_items(runbook: &Runbook) -> Vec<(&str, u32, &str)> {
    let names_slo = |t: &str| {
        t.split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "SLO" || w == "SLOs")
    };
    runbook
        .items
        .iter()
        .filter(|i| {
            i.parent
                .as_deref()
                .and_then(|p| runbook.item(p))
                .is_some_and(|p| names_slo(&p.text))
        })
        .map(|i| (i.id.as_str(), i.line, i.text.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_m31_lines_read_as_written() {
        let l = parse_line("a", 1, "API latency P95 < 500ms (5min window)").expect("reads");
        assert_eq!(
            (l.indicator.as_str(), l.op, l.threshold, l.window_s),
            ("API latency P95", Op::Lt, 0.5, 300)
        );
        let l = parse_line("b", 2, "Error rate < 1% (5min window)  ").expect("reads");
        assert_eq!((l.op, l.threshold, l.unit.as_deref()), (Op::Lt, 0.01, Some("%")));
        let l = parse_line("c", 3, "Payment success > 99% (15min window)").expect("reads");
        assert_eq!((l.op, l.threshold, l.window_s), (Op::Gt, 0.99, 900));
        let l = parse_line("d", 4, "DB latency < 100ms (5min window)").expect("reads");
        assert!((l.threshold - 0.1).abs() < 1e-12);
        let l =
            parse_line("e", 5, "DB latency < 100ms (5 min window)").expect("a space in the window reads too");
        assert_eq!(l.window_s, 300);
    }

    #[test]
    fn options_set_objective_period_and_signal() {
        let l = parse_line(
            "x",
            1,
            "Checkout p99 <= 2s (window 10m, objective 99.5%, period 7d, signal checkout_p99)",
        )
        .expect("reads");
        assert_eq!(l.op, Op::Le);
        assert_eq!(l.threshold, 2.0);
        assert_eq!(l.window_s, 600);
        assert_eq!(l.objective, Some(0.995));
        assert_eq!(l.period_s, Some(7 * 86_400));
        assert_eq!(l.signal.as_deref(), Some("checkout_p99"));
    }

    #[test]
    fn lines_that_do_not_read_say_why() {
        for (text, why) in [
            ("Latency is fine", "no comparison"),
            ("< 500ms", "nothing names"),
            ("Latency < fast", "no number"),
            ("Latency < 500ms (5 parsecs window)", "not a window"),
            ("Latency < 500ms (objective 120%)", "not an objective"),
            ("Latency < 500ms mostly", "options go in one"),
            ("Latency < 500ms (soon)", "is not an option"),
        ] {
            let err = parse_line("x", 1, text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
