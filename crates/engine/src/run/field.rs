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
pub fn normalize_value(field: &Field, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("an empty value is not a value".into());
    }
    let unit = field.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
    match &field.kind {
        FieldKind::Text => Ok(v.to_string()),
        FieldKind::Number => {
            number(v).ok_or_else(|| format!("`{v}` is not a number"))?;
            Ok(v.to_string())
        }
        FieldKind::Percent => {
            let bare = v.strip_suffix('%').unwrap_or(v).trim_end();
            let n = number(bare).ok_or_else(|| format!("`{v}` is not a percentage"))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(format!("{v} is not between 0 and 100 %"));
            }
            Ok(bare.to_string())
        }
        FieldKind::Duration => {
            let n = number(v).ok_or_else(|| format!("`{v}` is not a duration (a number{unit})"))?;
            if n < 0.0 {
                return Err(format!("a duration cannot be negative ({v}{unit})"));
            }
            Ok(v.to_string())
        }
        FieldKind::Choice { options } => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v) || o.to_lowercase() == v.to_lowercase())
            .cloned()
            .ok_or_else(|| format!("`{v}` is not one of {}", options.join(", "))),
    }
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
        assert!(err.contains("negative"), "{err}");
        assert!(normalize_value(&f, "5m")
            .expect_err("unit in value")
            .contains("minutes"));
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
        assert_eq!(err, "`maybe` is not one of Success, Failed");
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
