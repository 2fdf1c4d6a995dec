//! The runbook's expected flag states, and drift: expected against actual.
//!
//! Grammar (docs/runbook-format.md, "Expected flag state"): a line that is only the bold label
//! `**Expected State**:` opens a list; each list line under it is one expectation,
//! `` - `flag_key`: ON (100%) `` — the key in backticks, `ON`/`OFF` (or `enabled`/`disabled`,
//! `true`/`false`), then optionally the rollout percentage in parentheses, after which any words
//! may follow (`(1% initial)`). Without a percentage only on/off is checked. The list ends at the
//! first line that is neither a list line nor blank. A list line under the label that does not
//! parse is an import warning naming its line; code fences are skipped.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{FlagState, Setting};
use crate::runbook::{Runbook, Warning};

/// One expected flag state, from the runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Expectation {
    pub key: String,
    pub enabled: bool,
    /// `None`: the line gives no percentage; only on/off is checked.
    pub rollout: Option<u8>,
    /// The line it was read from.
    pub line: u32,
    /// The section it is written in.
    pub section: Option<String>,
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.enabled { "ON" } else { "OFF" };
        match self.rollout {
            Some(p) => write!(f, "{state} ({p}%)"),
            None => f.write_str(state),
        }
    }
}

/// One expectation held against the flag as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DriftRow {
    pub key: String,
    /// As the runbook writes it (`OFF (1%)`).
    pub expected: String,
    /// As read (`ON (100%)`); `None` when the target has no such flag.
    pub actual: Option<String>,
    pub drift: bool,
    /// The runbook line of the expectation.
    pub line: u32,
}

fn label() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)^\s*(?:\*\*|__)\s*expected\s+state\s*:?\s*(?:\*\*|__)\s*:?\s*$")
            .expect("static regex")
    })
}

fn entry() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)^\s*[-*+]\s+`([A-Za-z0-9_.:/-]+)`\s*:\s*(on|off|enabled|disabled|true|false)\b\s*(?:\(\s*(\d{1,3})\s*%[^)]*\))?\s*$")
            .expect("static regex")
    })
}

fn is_list_line(l: &str) -> bool {
    let t = l.trim_start();
    t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ")
}

/// Reads every expectation of `source` (the runbook's Markdown), with the warnings for list
/// lines under an `**Expected State**:` label that do not parse.
pub fn import(source: &str, runbook: &Runbook) -> (Vec<Expectation>, Vec<Warning>) {
    let (mut out, mut warnings) = (Vec::new(), Vec::new());
    let mut fence: Option<String> = None;
    let mut open = false;
    for (i, l) in source.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = l.trim_start();
        if let Some(f) = &fence {
            if t.starts_with(f.as_str()) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(t[..3].to_string());
            continue;
        }
        if label().is_match(l) {
            open = true;
            continue;
        }
        if !open || t.is_empty() {
            continue;
        }
        if !is_list_line(l) {
            open = false;
            continue;
        }
        match parse_entry(l) {
            Ok((key, enabled, rollout)) => out.push(Expectation {
                key,
                enabled,
                rollout,
                line,
                section: section_at(runbook, line),
            }),
            Err(why) => warnings.push(Warning {
                line,
                message: format!(
                    "expected flag state `{}` does not parse: {why}; the form is - `flag_key`: ON (100%) (see docs/runbook-format.md)",
                    t.trim()
                ),
            }),
        }
    }
    (out, warnings)
}

fn parse_entry(l: &str) -> Result<(String, bool, Option<u8>), String> {
    let c = entry()
        .captures(l)
        .ok_or_else(|| "expected a `key` in backticks, ON or OFF, and an optional (N%)".to_string())?;
    let key = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
    let state = c
        .get(2)
        .map(|m| m.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let enabled = matches!(state.as_str(), "on" | "enabled" | "true");
    let rollout = match c.get(3) {
        None => None,
        Some(m) => {
            let p: u16 = m.as_str().parse().map_err(|_| "bad percentage".to_string())?;
            Some(
                u8::try_from(p)
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or("the percentage is over 100")?,
            )
        }
    };
    Ok((key, enabled, rollout))
}

fn section_at(runbook: &Runbook, line: u32) -> Option<String> {
    runbook
        .sections
        .iter()
        .filter(|s| s.line <= line)
        .max_by_key(|s| s.line)
        .map(|s| s.id.clone())
}

/// The runbook's expectations written in `section` (all of them for `None`).
pub fn expectations<'a>(
    runbook: &'a Runbook,
    section: Option<&'a str>,
) -> impl Iterator<Item = &'a Expectation> {
    runbook
        .expectations
        .iter()
        .filter(move |e| section.is_none() || e.section.as_deref() == section)
}

/// Each expectation against the flags as read.
pub fn drift<'a>(expected: impl IntoIterator<Item = &'a Expectation>, actual: &[FlagState]) -> Vec<DriftRow> {
    expected
        .into_iter()
        .map(|e| {
            let found = actual.iter().find(|f| f.key == e.key);
            let drift = match found {
                None => true,
                Some(f) => f.enabled != e.enabled || e.rollout.is_some_and(|p| p != f.rollout),
            };
            DriftRow {
                key: e.key.clone(),
                expected: e.to_string(),
                actual: found.map(|f| Setting::of_flag(f).to_string()),
                drift,
                line: e.line,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_m31_list_imports_and_a_look_alike_warns_with_its_line() {
        let src = "### 5. Flags\n**Expected State**:\n- `community_enabled`: OFF (0%)\n- `notifications_enabled`: OFF (1% initial)\n- `rate_limiting_enabled`: ON (100%)\n- `x`: MAYBE\n\nText\n- `after`: ON (1%)\n```\n**Expected State**:\n- nope\n```\n";
        let (e, w) = import(src, &Runbook::default());
        let keys: Vec<_> = e
            .iter()
            .map(|e| (e.key.as_str(), e.enabled, e.rollout, e.line))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("community_enabled", false, Some(0), 3),
                ("notifications_enabled", false, Some(1), 4),
                ("rate_limiting_enabled", true, Some(100), 5)
            ]
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].line, 6);
        assert!(w[0].message.contains("`x`: MAYBE"), "{}", w[0].message);
    }

    #[test]
    fn the_bundled_m31_expects_its_five_flags_in_section_5_and_warns_of_nothing() {
        let b = crate::runbook::bundled("m31").expect("bundled");
        let book = crate::runbook::parse(b.file, b.source.as_bytes()).expect("imports");
        let keys: Vec<(&str, bool, Option<u8>)> = book
            .expectations
            .iter()
            .map(|e| (e.key.as_str(), e.enabled, e.rollout))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("community_enabled", false, Some(0)),
                ("notifications_enabled", false, Some(1)),
                ("rate_limiting_enabled", true, Some(100)),
                ("circuit_breakers_enabled", true, Some(100)),
                ("budget_guards_enabled", true, Some(100)),
            ]
        );
        let section5 = book
            .sections
            .iter()
            .find(|s| s.number.as_deref() == Some("5"))
            .expect("§5");
        assert!(book
            .expectations
            .iter()
            .all(|e| e.section.as_deref() == Some(section5.id.as_str())));
        assert!(book
            .warnings
            .iter()
            .all(|w| !w.message.contains("expected flag state")));
    }

    #[test]
    fn a_look_alike_line_is_an_import_warning_of_the_runbook() {
        let md = "# T\n### 1. S\n- [ ] Item\n  **Expected State**:\n  - `a`: ON (100%)\n  - `b`: ON (150%)\n";
        let book = crate::runbook::parse("t.md", md.as_bytes()).expect("imports");
        assert_eq!(book.expectations.len(), 1);
        let w: Vec<_> = book
            .warnings
            .iter()
            .filter(|w| w.message.contains("expected flag state"))
            .collect();
        assert_eq!(w.len(), 1, "{:?}", book.warnings);
        assert_eq!(w[0].line, 6);
        assert!(w[0].message.contains("over 100"), "{}", w[0].message);
    }

    #[test]
    fn drift_names_each_difference() {
        let e = |k: &str, on: bool, p: Option<u8>| Expectation {
            key: k.into(),
            enabled: on,
            rollout: p,
            line: 1,
            section: None,
        };
        let f = |k: &str, on: bool, p: u8| FlagState {
            key: k.into(),
            enabled: on,
            rollout: p,
        };
        let rows = drift(
            &[e("a", true, Some(100)), e("b", false, None), e("c", true, None)],
            &[f("a", true, 50), f("b", false, 7)],
        );
        let d: Vec<_> = rows.iter().map(|r| (r.key.as_str(), r.drift)).collect();
        assert_eq!(d, vec![("a", true), ("b", false), ("c", true)]);
        assert_eq!(rows[0].actual.as_deref(), Some("ON (50%)"));
        assert_eq!(rows[2].actual, None);
    }
}
