//! SLOs: read from the runbook's own words, bound to an environment's signals, and evaluated as
//! a threshold check and as an error budget burning over window pairs.
//!
//! - `grammar`: an SLO line (`API latency P95 < 500ms (5min window)`) and which runbook items
//!   are SLOs.
//! - `bind`: which signal a line checks (its `signal` option, else its indicator's words) and the
//!   PromQL of its bad-event share, with the objective and period filled from the line, else the
//!   environment (`SLO_OBJECTIVE`, `SLO_PERIOD`), else 99.9 % over 30 days.
//! - `burn`: the workbook's window pairs and factors, scaled to the period (no I/O).
//! - `eval`: asking the environment's Prometheus and judging: [`status`], [`burn_range`].
//!
//! A state is never `ok` without data: a window with no samples, a source that failed, or a
//! NaN answer makes it `no-data` (unless a page pair fires on the windows that do have data).

use crate::runbook::{Runbook, Warning};

use super::{SignalError, Slo, Target};

mod bind;
pub mod burn;
mod eval;
mod grammar;

pub use eval::{burn_range, status};
pub use grammar::{parse_line, parse_objective, slo_items, SloLine, DEFAULT_WINDOW_S};

/// The SLOs of a runbook that read, and a warning (with its line) for each SLO-looking item that
/// does not: it stays a plain item.
pub fn from_runbook(runbook: &Runbook) -> (Vec<SloLine>, Vec<Warning>) {
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for (id, line, text) in slo_items(runbook) {
        match parse_line(id, line, text) {
            Ok(l) => lines.push(l),
            Err(why) => warnings.push(Warning {
                line,
                message: format!(
                    "`{text}` looks like an SLO but does not read as one ({why}); it stays a plain item \
                     (SLO grammar: docs/runbook-format.md)"
                ),
            }),
        }
    }
    (lines, warnings)
}

/// The M31 checklist's four SLO rules: every environment's SLOs when no runbook gives its own.
pub const DEFAULT_LINES: [(&str, &str); 4] = [
    ("api-latency-p95", "API latency P95 < 500ms (5min window)"),
    ("error-rate", "Error rate < 1% (5min window)"),
    ("payment-success", "Payment success > 99% (15min window)"),
    ("db-latency", "DB latency < 100ms (5min window)"),
];

/// The environment's own SLOs: [`DEFAULT_LINES`], then every `SLO_<NAME>` variable holding an
/// SLO line (which replaces a default of the same id, `SLO_ERROR_RATE` → `error-rate`).
pub fn env_lines(target: &Target) -> Result<Vec<SloLine>, SignalError> {
    let mut out: Vec<SloLine> = DEFAULT_LINES
        .iter()
        .map(|(id, text)| parse_line(id, 0, text).map_err(SignalError::Invalid))
        .collect::<Result<_, _>>()?;
    for (var, value) in &target.vars {
        let Some(name) = var.strip_prefix("SLO_") else {
            continue;
        };
        if matches!(name, "OBJECTIVE" | "PERIOD") {
            continue;
        }
        let id = name.to_ascii_lowercase().replace('_', "-");
        let line = parse_line(&id, 0, value).map_err(|why| SignalError::BadVar {
            env: target.env.clone(),
            var: var.clone(),
            message: format!("`{value}` is not an SLO line: {why}"),
        })?;
        match out.iter_mut().find(|l| l.id == id) {
            Some(l) => *l = line,
            None => out.push(line),
        }
    }
    Ok(out)
}

/// The SLOs to evaluate: the runbook's (when it has any), else the environment's, bound to the
/// environment's signals.
pub fn for_env(target: &Target, runbook: Option<&Runbook>) -> Result<Vec<Slo>, SignalError> {
    let from_book = runbook.map(|r| from_runbook(r).0).unwrap_or_default();
    let lines = if from_book.is_empty() {
        env_lines(target)?
    } else {
        from_book
    };
    let signals = super::for_env(target)?;
    lines.iter().map(|l| bind::bind(target, &signals, l)).collect()
}

/// One line bound to the environment's signals.
pub fn bind_line(target: &Target, line: &SloLine) -> Result<Slo, SignalError> {
    let signals = super::for_env(target)?;
    bind::bind(target, &signals, line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_slo_looking_line_that_does_not_read_stays_an_item_and_the_import_warns_with_its_line() {
        let md =
            "# R\n\n- [ ] **SLO Alert Rules Configured**\n  - [ ] API latency P95 < 500ms (5min window)\n  \
                  - [ ] Error rate below one percent\n  - [ ] Payment success > 99% (fortnight)\n";
        let rb = crate::runbook::parse("r.md", md.as_bytes()).expect("imports");
        let (lines, warnings) = super::from_runbook(&rb);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].line, 4);
        let lines_warned: Vec<u32> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines_warned, vec![5, 6], "{warnings:?}");
        assert!(
            warnings[0].message.contains("no comparison"),
            "{}",
            warnings[0].message
        );
        assert!(
            warnings[1].message.contains("fortnight"),
            "{}",
            warnings[1].message
        );
        // The import itself carries them, and both stay plain items.
        for l in [5, 6] {
            assert!(rb
                .warnings
                .iter()
                .any(|w| w.line == l && w.message.contains("looks like an SLO")));
            assert!(rb.items.iter().any(|i| i.line == l));
        }
    }
}
