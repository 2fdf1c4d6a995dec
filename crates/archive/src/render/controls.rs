//! Controls: every flag and breaker action recorded in the run (who, why, where, from → to, the
//! state read back, any revert), then the flag drift table as it stood at the decision (the last
//! `flags_checked` before `decision_recorded`, else the last one).

use flightdeck_engine::controls::{
    ControlIntent, ControlOutcome, ControlRecord, DriftRow, ReadAgain, Target,
};
use flightdeck_engine::run::Event;
use flightdeck_engine::store::StoredEvent;

use crate::layout::{Face, Pages, GREEN, INK, LEFT, MUTED, RED};
use crate::record::Record;

pub(super) fn controls(p: &mut Pages, r: &Record) {
    let mut actions: Vec<(&StoredEvent, ControlRecord)> = Vec::new();
    let mut open: Vec<(&StoredEvent, ControlIntent)> = Vec::new();
    let mut again: Vec<ReadAgain> = Vec::new();
    let mut drift: Option<(&StoredEvent, String, Vec<DriftRow>)> = None;
    let mut decided = false;
    for e in &r.events {
        match Event::decode(e) {
            Ok(Event::ControlAttempted(i)) => open.push((e, *i)),
            Ok(Event::ControlReadAgain(a)) => again.push(*a),
            Ok(Event::ControlAction(rec)) => {
                open.retain(|(_, i)| rec.attempt.as_deref() != Some(i.attempt.as_str()));
                actions.push((e, *rec));
            }
            Ok(Event::FlagsChecked { env, rows, .. }) if !decided => drift = Some((e, env, rows)),
            Ok(Event::DecisionRecorded { .. }) => decided = true,
            _ => {}
        }
    }
    if actions.is_empty() && open.is_empty() && drift.is_none() {
        return;
    }
    p.heading(14.0, "Controls", 30.0);
    for (e, i) in &open {
        unknown(p, e, i);
    }
    if actions.is_empty() && open.is_empty() {
        p.para(
            LEFT,
            Face::Sans,
            9.5,
            MUTED,
            "No flag or breaker action was recorded in this run.",
        );
    }
    for (e, a) in &actions {
        let later: Vec<&ReadAgain> = again
            .iter()
            .filter(|r| r.attempt.is_some() && r.attempt == a.attempt)
            .collect();
        action(p, e, a, &later);
    }
    if let Some((e, env, rows)) = drift {
        let when = if decided {
            "at the decision"
        } else {
            "latest check; no decision yet"
        };
        p.heading(
            11.0,
            &format!("Flag drift {when} ({env}, event {}, {})", e.seq, e.time),
            30.0,
        );
        for row in &rows {
            let (mark, color) = if row.drift { ("DRIFT", RED) } else { ("ok", GREEN) };
            let actual = row.actual.as_deref().unwrap_or("missing");
            p.para(
                LEFT,
                Face::Sans,
                9.5,
                color,
                &format!(
                    "{mark}  {}: expected {}, actual {actual} (runbook line {})",
                    row.key, row.expected, row.line
                ),
            );
        }
    }
}

fn action(p: &mut Pages, e: &StoredEvent, a: &ControlRecord, later: &[&ReadAgain]) {
    let (outcome, color) = match a.outcome {
        ControlOutcome::Applied => ("applied, verified", GREEN),
        ControlOutcome::Failed => ("FAILED", RED),
        ControlOutcome::Refused => ("REFUSED", RED),
    };
    let revert = a
        .revert
        .as_deref()
        .map(|w| format!(" — automatic revert ({w})"))
        .unwrap_or_default();
    p.para(
        LEFT,
        Face::Sans,
        10.0,
        color,
        &format!("#{} {}: {}{revert}", e.seq, outcome, a.target.describe()),
    );
    let from = a
        .from
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".into());
    let back = a
        .read_back
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "could not be read".into());
    let mut lines = vec![
        format!("who: {} at {}; why: {}", e.actor, e.time, a.reason),
        format!(
            "where: {} ({} adapter){}; step: {}",
            a.env,
            a.adapter,
            a.confirmed_on
                .as_deref()
                .map(|c| format!(", production confirmed on {c}"))
                .unwrap_or_default(),
            a.step.as_deref().unwrap_or("—")
        ),
        format!(
            "from → to: {from} → {}; read back: {back}; inverse: {}",
            a.to,
            a.inverse
                .as_ref()
                .map_or_else(|| "unknown".to_string(), Target::describe)
        ),
    ];
    if let Some(again) = &a.read_again {
        lines.push(format!("read again after its open interval: {again}"));
    }
    if let Some(err) = &a.error {
        lines.push(format!("error: {err}"));
    }
    for r in later {
        let now = r.state.as_ref().map_or_else(
            || format!("unreadable ({})", r.error.as_deref().unwrap_or("no answer")),
            ToString::to_string,
        );
        let held = if r.held {
            "held".to_string()
        } else {
            format!("DID NOT HOLD {}", r.expected)
        };
        lines.push(format!(
            "read again {} later: {now}, {held}",
            flightdeck_engine::probe::human_duration(std::time::Duration::from_millis(r.after_ms))
        ));
    }
    for l in lines {
        p.para(LEFT + 12.0, Face::Sans, 8.5, INK, &l);
    }
}

/// An attempt recorded as about to be sent with no outcome after it.
fn unknown(p: &mut Pages, e: &StoredEvent, i: &ControlIntent) {
    p.para(
        LEFT,
        Face::Sans,
        10.0,
        RED,
        &format!("#{} OUTCOME UNKNOWN: {}", e.seq, i.target.describe()),
    );
    let lines = [
        format!("who: {} at {}; why: {}", e.actor, e.time, i.reason),
        format!(
            "where: {} ({} adapter); step: {}",
            i.env,
            i.adapter,
            i.step.as_deref().unwrap_or("—")
        ),
        format!(
            "from → to: {} → {}; inverse: {}",
            i.from,
            i.to,
            i.inverse.describe()
        ),
        "recorded as about to be sent, and no outcome was recorded after it (the process stopped in \
         between): whether the change was made is unknown; read the control's state"
            .to_string(),
    ];
    for l in lines {
        p.para(LEFT + 12.0, Face::Sans, 8.5, INK, &l);
    }
}
