//! Binding an SLO line to an environment: the signal it checks (its `signal NAME` option, else
//! the signal its indicator's words name), that the threshold's unit fits the signal's, the PromQL
//! of its bad-event share (`SIGNAL_<NAME>_ERROR_RATIO`, else the golden set's), and the
//! objective and period (the line's, else the environment's).

use super::grammar::SloLine;
use crate::signals::model::{Signal, Slo, Unit};
use crate::signals::{custom, defaults, SignalError, Target};

pub fn bind(target: &Target, signals: &[Signal], line: &SloLine) -> Result<Slo, SignalError> {
    let at = || {
        if line.line > 0 {
            format!("SLO `{}` (line {})", line.text, line.line)
        } else {
            format!("SLO `{}`", line.text)
        }
    };
    let name = match &line.signal {
        Some(s) => s.clone(),
        None => defaults::signal_for(&line.indicator).ok_or_else(|| {
            SignalError::Invalid(format!(
                "{}: `{}` names no signal; add `signal NAME` in its options (signals of `{}`: {})",
                at(),
                line.indicator,
                target.env,
                names(signals)
            ))
        })?,
    };
    let signal = signals.iter().find(|s| s.name == name).ok_or_else(|| {
        SignalError::Invalid(format!(
            "{}: environment `{}` has no signal `{name}` (it has: {})",
            at(),
            target.env,
            names(signals)
        ))
    })?;
    let fits = match line.unit.as_deref() {
        Some("ms" | "s") => signal.unit == Unit::Seconds,
        Some("%") => signal.unit == Unit::Ratio,
        _ => !matches!(signal.unit, Unit::Seconds | Unit::Ratio),
    };
    if !fits {
        return Err(SignalError::Invalid(format!(
            "{}: the threshold's unit does not fit signal `{name}`, which counts in {}",
            at(),
            signal.unit.as_str()
        )));
    }
    let error_ratio_query = custom::error_ratio(target, &name, line.threshold)
        .or_else(|| defaults::error_ratio(&name, line.threshold));
    Ok(Slo {
        id: line.id.clone(),
        text: line.text.clone(),
        line: line.line,
        signal: name,
        op: line.op,
        threshold: line.threshold,
        window_s: line.window_s,
        objective: line.objective.unwrap_or(target.objective),
        period_s: line.period_s.unwrap_or(target.period_s),
        error_ratio_query,
    })
}

fn names(signals: &[Signal]) -> String {
    if signals.is_empty() {
        return "none; set PROMETHEUS_URL or SIGNAL_<NAME>".into();
    }
    signals
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
