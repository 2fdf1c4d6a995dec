//! `set_field`: fill a blank (`field_set`), the value checked against the field's kind.

use super::RunState;
use super::{write, Applied, Error, Event, Op};
use crate::runbook::{Field, FieldKind, Runbook};
use crate::store::Store;

#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetFieldReq {
    pub run: String,
    pub field: String,
    pub value: String,
}

/// `req` checked against the runbook and the run's state, appended as one event by `by`.
pub fn set_field(store: &mut Store, by: &str, req: SetFieldReq) -> Result<Applied, Error> {
    write(store, by, req)
}

impl Op for SetFieldReq {
    fn run(&self) -> &str {
        &self.run
    }

    fn to_event(&self, runbook: &Runbook, state: &RunState, _by: &str, place: &str) -> Result<Event, Error> {
        to_event(runbook, state, self, place)
    }
}

/// Validate `req` against the runbook and the run's state; the event to append, or why not.
pub(crate) fn to_event(
    runbook: &Runbook,
    _state: &RunState,
    req: &SetFieldReq,
    place: &str,
) -> Result<Event, Error> {
    let id = req.field.trim();
    let Some(field) = runbook.field(id) else {
        return Err(Error::not_found(
            "field",
            id,
            place,
            runbook.fields.iter().map(|f| f.id.as_str()),
        ));
    };
    let value = normalize_value(field, &req.value)
        .map_err(|why| Error::Invalid(format!("field `{id}` in {place}: {why}")))?;
    Ok(Event::FieldSet {
        field: field.id.clone(),
        value,
    })
}

/// The value as it is stored, or why it does not fit the field: a number must parse, a percent
/// lies in 0–100 (a trailing `%` is allowed), a duration is a non-negative number in the field's
/// unit, a choice is one of the options (any case; stored as the option is written).
pub fn normalize_value(field: &Field, value: &str) -> Result<String, ValueError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValueError::Empty);
    }
    match &field.kind {
        FieldKind::Text => Ok(v.to_string()),
        FieldKind::Number => {
            number(v).ok_or_else(|| ValueError::NotANumber(v.to_string()))?;
            Ok(v.to_string())
        }
        FieldKind::Percent => {
            let bare = v.strip_suffix('%').unwrap_or(v).trim_end();
            let n = number(bare).ok_or_else(|| ValueError::NotAPercentage(v.to_string()))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(ValueError::PercentOutOfRange(v.to_string()));
            }
            Ok(bare.to_string())
        }
        FieldKind::Duration => {
            let unit = field.unit.clone();
            let n = number(v).ok_or_else(|| ValueError::NotADuration {
                value: v.to_string(),
                unit: unit.clone(),
            })?;
            if n < 0.0 {
                return Err(ValueError::NegativeDuration {
                    value: v.to_string(),
                    unit,
                });
            }
            Ok(v.to_string())
        }
        FieldKind::Choice { options } => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v) || o.to_lowercase() == v.to_lowercase())
            .cloned()
            .ok_or_else(|| ValueError::NotAnOption {
                value: v.to_string(),
                options: options.clone(),
            }),
    }
}

/// Why a value does not fit its field; the message names the value as given (trimmed), and the
/// field's unit where one applies. The caller says which field and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("an empty value is not a value")]
    Empty,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("`{0}` is not a percentage")]
    NotAPercentage(String),
    #[error("{0} is not between 0 and 100 %")]
    PercentOutOfRange(String),
    #[error("`{value}` is not a duration (a number{})", spaced(.unit))]
    NotADuration { value: String, unit: Option<String> },
    #[error("a duration cannot be negative ({value}{})", spaced(.unit))]
    NegativeDuration { value: String, unit: Option<String> },
    #[error("`{value}` is not one of {}", .options.join(", "))]
    NotAnOption { value: String, options: Vec<String> },
}

/// ` GB` after a number, or nothing when the field has no unit.
fn spaced(unit: &Option<String>) -> String {
    unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default()
}

fn number(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, unit: Option<&str>) -> Field {
        Field {
            id: "f".into(),
            label: "F".into(),
            kind,
            unit: unit.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn empty_values_are_refused_for_every_kind() {
        for kind in [
            FieldKind::Text,
            FieldKind::Number,
            FieldKind::Percent,
            FieldKind::Duration,
        ] {
            assert!(normalize_value(&field(kind, None), "  ").is_err());
        }
    }

    #[test]
    fn numbers_must_parse() {
        let f = field(FieldKind::Number, Some("GB"));
        assert_eq!(normalize_value(&f, " 12.5 ").as_deref(), Ok("12.5"));
        assert_eq!(normalize_value(&f, "-3").as_deref(), Ok("-3"));
        assert!(normalize_value(&f, "twelve").is_err());
        assert!(normalize_value(&f, "NaN").is_err(), "not a finite number");
    }

    #[test]
    fn percents_lie_between_0_and_100() {
        let f = field(FieldKind::Percent, Some("%"));
        assert_eq!(normalize_value(&f, "97.5").as_deref(), Ok("97.5"));
        assert_eq!(normalize_value(&f, "100%").as_deref(), Ok("100"));
        assert_eq!(normalize_value(&f, "0").as_deref(), Ok("0"));
        assert!(normalize_value(&f, "101").is_err());
        assert!(normalize_value(&f, "-1").is_err());
        assert!(normalize_value(&f, "most").is_err());
    }

    #[test]
    fn durations_are_non_negative_numbers() {
        let f = field(FieldKind::Duration, Some("minutes"));
        assert_eq!(normalize_value(&f, "4.2").as_deref(), Ok("4.2"));
        assert_eq!(normalize_value(&f, "0").as_deref(), Ok("0"));
        let err = normalize_value(&f, "-1").expect_err("negative");
        assert_eq!(
            err.to_string(),
            "a duration cannot be negative (-1 minutes)",
            "the message names the value in the field's unit"
        );
        assert_eq!(
            normalize_value(&f, "5m").expect_err("unit in value").to_string(),
            "`5m` is not a duration (a number minutes)",
            "a unit written into the value is not a number; the message says which unit is meant"
        );
    }

    #[test]
    fn choices_match_any_case_and_store_the_option_as_written() {
        let f = field(
            FieldKind::Choice {
                options: vec!["Success".into(), "Failed".into()],
            },
            None,
        );
        assert_eq!(normalize_value(&f, "success").as_deref(), Ok("Success"));
        assert_eq!(normalize_value(&f, "FAILED").as_deref(), Ok("Failed"));
        let err = normalize_value(&f, "maybe").expect_err("not an option");
        assert_eq!(err.to_string(), "`maybe` is not one of Success, Failed");
    }

    #[test]
    fn each_refusal_quotes_the_value_and_says_what_the_field_wants() {
        let number = field(FieldKind::Number, None);
        let percent = field(FieldKind::Percent, Some("%"));
        let why = |f: &Field, v: &str| normalize_value(f, v).expect_err(v).to_string();
        assert_eq!(why(&number, " "), "an empty value is not a value");
        assert_eq!(why(&number, "twelve"), "`twelve` is not a number");
        assert_eq!(why(&percent, "most"), "`most` is not a percentage");
        assert_eq!(
            why(&percent, " 101% "),
            "101% is not between 0 and 100 %",
            "the value as given (trimmed), with its % sign"
        );
    }

    #[test]
    fn text_takes_anything_but_nothing() {
        let f = field(FieldKind::Text, None);
        assert_eq!(
            normalize_value(&f, " backup_2025.sql ").as_deref(),
            Ok("backup_2025.sql")
        );
    }
}
