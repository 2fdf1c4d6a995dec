//! [`Value`]: what conditions compare and captures record, and how it reads as text
//! ([`format_num`]), including the option of a choice field a verdict picks ([`verdict_option`]).
//!
//! Parsing conditions is `parse`; judging them over a probe's facts is `eval`.

/// A value a condition compares: what a probe observed, a literal, or a capture.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not observed (no such header, a JSON path that leads nowhere, a failed regex).
    Missing,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    /// A JSON value as a condition sees it: objects and arrays become their compact JSON text.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Missing,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Value::Missing, Value::Num),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            other => Value::Str(other.to_string()),
        }
    }

    /// The number this value stands for: numbers, and strings that read as one (`" 42 "`, `97.5%`).
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => {
                let t = s.trim();
                let t = t.strip_suffix('%').unwrap_or(t).trim_end();
                t.parse().ok()
            }
            Value::Bool(_) | Value::Missing => None,
        }
    }

    /// Text for a capture or an assertion's actual value.
    pub fn render(&self) -> String {
        match self {
            Value::Missing => "missing".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => format_num(*n),
            Value::Str(s) => s.clone(),
        }
    }

    pub(super) fn is_present(&self) -> bool {
        !matches!(self, Value::Missing)
    }
}

/// Integers without a fraction, others with at most 6 decimals (`0.30000000000000004` → `0.3`).
pub fn format_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else if n.is_finite() {
        let s = format!("{n:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        n.to_string()
    }
}

/// Which option of a choice field a verdict picks: the first "good" name (Success, Yes, Healthy,
/// Pass, Working, GO, OK) when passed, the first "bad" one (Failed, Fail, No, Unhealthy, NO-GO,
/// Error) otherwise; the first or last option when no name matches. No options: `passed`/`failed`.
pub fn verdict_option(options: &[String], passed: bool) -> String {
    const GOOD: &[&str] = &[
        "success", "yes", "healthy", "pass", "passed", "working", "go", "ok",
    ];
    const BAD: &[&str] = &["failed", "fail", "no", "unhealthy", "no-go", "error", "down"];
    if options.is_empty() {
        return if passed { "passed" } else { "failed" }.to_owned();
    }
    let names = if passed { GOOD } else { BAD };
    let hit = names
        .iter()
        .find_map(|n| options.iter().find(|o| o.trim().eq_ignore_ascii_case(n)).cloned());
    hit.unwrap_or_else(|| {
        let fallback = if passed { options.first() } else { options.last() };
        fallback.cloned().unwrap_or_default()
    })
}

/// An assertion's actual value for people: when `expr` compares with a duration (`500ms`, `2s`),
/// the actual value is milliseconds and reads as whole ones with the unit (`807 ms`, not
/// `807.471127`); anything else as it is.
pub fn readable_actual(expr: &str, actual: &str) -> String {
    match actual.trim().parse::<f64>() {
        Ok(ms) if ms.is_finite() && has_duration_literal(expr) => format!("{} ms", ms.round()),
        _ => actual.to_owned(),
    }
}

/// Whether `expr` holds a number written with a duration unit (`500ms`, `2s`, `1m`, `1h`).
fn has_duration_literal(expr: &str) -> bool {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_number {
            i += 1;
            continue;
        }
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let unit_start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit: String = chars[unit_start..i].iter().collect();
        if matches!(unit.as_str(), "ms" | "s" | "m" | "h") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod readable_tests {
    use super::readable_actual;

    #[test]
    fn durations_read_in_whole_milliseconds() {
        assert_eq!(readable_actual("latency < 500ms", "807.471127"), "807 ms");
        assert_eq!(readable_actual("duration < 2s", "12"), "12 ms");
        assert_eq!(readable_actual("status == 200", "503"), "503");
        assert_eq!(readable_actual("latency < 500ms", "missing"), "missing");
        assert_eq!(readable_actual("rows2s > 1", "3"), "3");
    }
}
