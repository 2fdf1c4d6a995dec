//! An environment's own signals, from its variables (`flightdeck env set-var ENV KEY VALUE`):
//!
//! ```text
//! SIGNAL_<NAME>             = <class> <unit> promql: <PromQL with $window>
//!                           | <class> <unit> sql: <SQL with $1 start, $2 end, $3 step>
//! SIGNAL_<NAME>_ERROR_RATIO = <PromQL of the bad-event share over $window; $threshold is the SLO's>
//! ```
//!
//! `SIGNAL_CHECKOUT_P95 = latency seconds promql: histogram_quantile(0.95, ...)` makes signal
//! `checkout_p95`. Classes: latency, traffic, errors, saturation; units: seconds, per_second,
//! ratio, count. A name of the golden set replaces that default. Owns reading these variables.

use super::model::{Class, Signal, SourceKind, Unit};
use super::{SignalError, Target};

const SUFFIX: &str = "_ERROR_RATIO";

/// Every `SIGNAL_<NAME>` variable of `target`, read.
pub fn signals(target: &Target) -> Result<Vec<Signal>, SignalError> {
    let mut out = Vec::new();
    for (var, value) in &target.vars {
        let Some(name) = var.strip_prefix("SIGNAL_") else {
            continue;
        };
        if name.ends_with(SUFFIX) || name.is_empty() {
            continue;
        }
        let signal = read(name, value).map_err(|message| SignalError::BadVar {
            env: target.env.clone(),
            var: var.clone(),
            message,
        })?;
        if signal.source == SourceKind::Sql && target.database.is_none() {
            return Err(SignalError::BadVar {
                env: target.env.clone(),
                var: var.clone(),
                message: "an sql: signal needs SIGNALS_DATABASE_URL".into(),
            });
        }
        if signal.source == SourceKind::Prometheus && target.prometheus.is_none() {
            return Err(SignalError::BadVar {
                env: target.env.clone(),
                var: var.clone(),
                message: "a promql: signal needs PROMETHEUS_URL".into(),
            });
        }
        out.push(signal);
    }
    Ok(out)
}

fn read(name: &str, value: &str) -> Result<Signal, String> {
    let shape = "write `<class> <unit> promql: <query>` or `<class> <unit> sql: <query>`";
    let (head, source, query) = if let Some((h, q)) = value.split_once("promql:") {
        (h, SourceKind::Prometheus, q)
    } else if let Some((h, q)) = value.split_once("sql:") {
        (h, SourceKind::Sql, q)
    } else {
        return Err(format!("no `promql:` or `sql:`; {shape}"));
    };
    let mut words = head.split_whitespace();
    let (Some(class), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!("`{}` before the query; {shape}", head.trim()));
    };
    let class = Class::parse(class)
        .ok_or_else(|| format!("`{class}` is not a class (latency, traffic, errors, saturation)"))?;
    let unit = Unit::parse(unit)
        .ok_or_else(|| format!("`{unit}` is not a unit (seconds, per_second, ratio, count)"))?;
    let query = query.trim();
    if query.is_empty() {
        return Err("the query is empty".into());
    }
    let id = name.to_ascii_lowercase();
    Ok(Signal {
        label: id.replace('_', " "),
        name: id,
        class,
        unit,
        query: query.to_owned(),
        source,
    })
}

/// `SIGNAL_<NAME>_ERROR_RATIO` for signal `name`, `$threshold` filled.
pub fn error_ratio(target: &Target, name: &str, threshold: f64) -> Option<String> {
    let var = format!("SIGNAL_{}{SUFFIX}", name.to_ascii_uppercase());
    target
        .vars
        .get(&var)
        .map(|q| q.replace("$threshold", &threshold.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_variable_reads_class_unit_and_query() {
        let s = read(
            "CHECKOUT_P95",
            "latency seconds promql: histogram_quantile(0.95, x)",
        )
        .expect("reads");
        assert_eq!(
            (s.name.as_str(), s.class, s.unit, s.source),
            (
                "checkout_p95",
                Class::Latency,
                Unit::Seconds,
                SourceKind::Prometheus
            )
        );
        assert_eq!(s.query, "histogram_quantile(0.95, x)");
        let s = read("SIGNUPS", "traffic count sql: SELECT 1").expect("reads");
        assert_eq!(s.source, SourceKind::Sql);
        for (bad, why) in [
            ("latency seconds sum(x)", "no `promql:`"),
            ("speed seconds promql: x", "not a class"),
            ("latency furlongs promql: x", "not a unit"),
            ("latency promql: x", "before the query"),
            ("latency seconds promql:  ", "empty"),
        ] {
            let err = read("X", bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
