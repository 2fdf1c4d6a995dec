//! The archive's "planned against actual" timeline: for each phase, the window the runbook gives
//! it relative to T-0 (its `**Timeframe**`, else its sections'), placed on the clock when the
//! run's Cutover Date (T-0) can be read, against the first and last thing recorded in that
//! phase (an item checked, a field set, a step run, a sign-off).
//!
//! Owns only that computation; drawing it is `render`'s, and the times are the fold's
//! (`flightdeck_engine::run`), never re-derived from the log here.

use std::collections::HashMap;

use flightdeck_engine::run::RunState;
use flightdeck_engine::runbook::{Phase, Runbook, Timeframe};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

/// One phase on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub phase: String,
    /// The runbook's words for the window (`T-24 to T-4 Hours`), if any.
    pub planned_text: Option<String>,
    /// The window in minutes from T-0.
    pub planned_min: Option<(i64, i64)>,
    /// The window on the clock, when T-0 is known.
    pub planned_at: Option<(OffsetDateTime, OffsetDateTime)>,
    /// The first and last activity recorded in the phase.
    pub actual: Option<(OffsetDateTime, OffsetDateTime)>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing recorded in the phase.
    NotStarted,
    /// Work recorded, but no window to hold it against (no timeframe, or no T-0).
    Unplanned,
    Within,
    /// Minutes before the window opened.
    Early(i64),
    /// Minutes after the window closed.
    Late(i64),
}

/// T-0 from the Cutover Date as the app stores it (`2025-06-01T20:30Z`) or people type it: RFC 3339
/// (seconds optional), `YYYY-MM-DDTHH:MM[:SS]` or
/// `YYYY-MM-DD HH:MM` (read as UTC), or a bare date (midnight UTC).
pub fn parse_t0(text: &str) -> Option<OffsetDateTime> {
    let t = text.trim();
    if let Ok(v) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(v);
    }
    // The app stores minutes only (`2025-06-01T20:30Z`): RFC 3339 with the seconds left out.
    let zoned_minutes = t.len() > 16
        && t.as_bytes().get(13) == Some(&b':')
        && t.as_bytes()
            .get(16)
            .is_some_and(|c| matches!(c, b'Z' | b'z' | b'+' | b'-'));
    if zoned_minutes {
        if let (Some(head), Some(zone)) = (t.get(..16), t.get(16..)) {
            if let Ok(v) = OffsetDateTime::parse(&format!("{head}:00{zone}"), &Rfc3339) {
                return Some(v);
            }
        }
    }
    let t = t.replacen(' ', "T", 1);
    let with_secs = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let no_secs = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    if let Ok(v) = PrimitiveDateTime::parse(&t, with_secs).or_else(|_| PrimitiveDateTime::parse(&t, no_secs))
    {
        return Some(v.assume_utc());
    }
    Date::parse(&t, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}

fn window(tf: Option<&Timeframe>) -> Option<(i64, i64)> {
    let tf = tf?;
    Some((tf.start_min?, tf.end_min?))
}

/// Every phase in runbook order, with its planned window and what was done when.
pub fn rows(runbook: &Runbook, state: &RunState) -> Vec<Row> {
    let t0 = state
        .meta("cutover-date")
        .and_then(|m| m.value.as_deref())
        .and_then(parse_t0);
    let times = activity(runbook, state);
    runbook
        .phases
        .iter()
        .filter(|p| !p.sections.is_empty() || p.timeframe.is_some())
        .map(|p| row(runbook, p, t0, times.get(p.id.as_str())))
        .collect()
}

/// When something was recorded in each phase, by phase id: an item checked, a field set, a step
/// started or finished, a sign-off (a phase-level one, with no section, counts for its phase).
fn activity<'a>(runbook: &'a Runbook, state: &RunState) -> HashMap<&'a str, Vec<OffsetDateTime>> {
    let phase_of_section: HashMap<&str, &str> = runbook
        .sections
        .iter()
        .filter_map(|s| s.phase.as_deref().map(|p| (s.id.as_str(), p)))
        .collect();
    let mut times: HashMap<&str, Vec<OffsetDateTime>> = HashMap::new();
    let mut phase_times: Vec<(&str, OffsetDateTime)> = Vec::new();
    let mut note = |section: Option<&str>, at: Option<&str>| {
        let (Some(sec), Some(at)) = (section, at) else {
            return;
        };
        let (Some(phase), Ok(at)) = (phase_of_section.get(sec), OffsetDateTime::parse(at, &Rfc3339)) else {
            return;
        };
        times.entry(*phase).or_default().push(at);
    };
    for i in state.items.iter().filter(|i| i.checked) {
        note(i.section.as_deref(), i.at.as_deref());
    }
    for f in state.fields.iter().filter(|f| f.value.is_some()) {
        note(f.section.as_deref(), f.at.as_deref());
    }
    for s in &state.steps {
        note(s.section.as_deref(), s.started_at.as_deref());
        note(s.section.as_deref(), s.finished_at.as_deref());
    }
    for o in &state.signoffs {
        let Some(r) = &o.recorded else { continue };
        match (o.section.as_deref(), o.phase.as_deref()) {
            (Some(sec), _) => note(Some(sec), Some(&r.at)),
            // A phase-level sign-off (no section) belongs to its phase directly.
            (None, Some(ph)) => {
                if let (Some(p), Ok(at)) = (
                    runbook.phases.iter().find(|p| p.id == ph),
                    OffsetDateTime::parse(&r.at, &Rfc3339),
                ) {
                    phase_times.push((p.id.as_str(), at));
                }
            }
            (None, None) => {}
        }
    }
    for (p, at) in phase_times {
        times.entry(p).or_default().push(at);
    }
    times
}

/// Phase `p`'s row, with T-0 when known and the times recorded in it.
fn row(runbook: &Runbook, p: &Phase, t0: Option<OffsetDateTime>, times: Option<&Vec<OffsetDateTime>>) -> Row {
    let (planned_min, planned_text) = planned(runbook, p);
    let planned_at = match (t0, planned_min) {
        (Some(t0), Some((a, b))) => on_clock(t0, a).zip(on_clock(t0, b)),
        _ => None,
    };
    let actual = times.and_then(|v| {
        let first = v.iter().min()?;
        let last = v.iter().max()?;
        Some((*first, *last))
    });
    Row {
        phase: p.title.clone(),
        planned_text,
        planned_min,
        planned_at,
        actual,
        verdict: verdict(actual, planned_at),
    }
}

/// The phase's window in minutes from T-0, and the runbook's words for it: its own timeframe,
/// else the span of its sections' timeframes (the words of the first that has one).
fn planned(runbook: &Runbook, p: &Phase) -> (Option<(i64, i64)>, Option<String>) {
    let sections: Vec<_> = runbook
        .sections
        .iter()
        .filter(|s| s.phase.as_deref() == Some(p.id.as_str()))
        .collect();
    let planned_min = window(p.timeframe.as_ref()).or_else(|| {
        let ws: Vec<_> = sections
            .iter()
            .filter_map(|s| window(s.timeframe.as_ref()))
            .collect();
        let start = ws.iter().map(|w| w.0).min()?;
        let end = ws.iter().map(|w| w.1).max()?;
        Some((start, end))
    });
    let planned_text = p
        .timeframe
        .as_ref()
        .or_else(|| sections.iter().find_map(|s| s.timeframe.as_ref()))
        .map(|t| t.text.clone());
    (planned_min, planned_text)
}

/// `m` minutes from `t0` on the clock. Checked: a runbook's "T+3000000 Days" or a Cutover Date
/// near year 9999 is out of range, and then the window stays relative rather than the export
/// failing.
fn on_clock(t0: OffsetDateTime, m: i64) -> Option<OffsetDateTime> {
    m.checked_mul(60)
        .map(Duration::seconds)
        .and_then(|d| t0.checked_add(d))
}

/// The first and last activity against the window on the clock.
fn verdict(
    actual: Option<(OffsetDateTime, OffsetDateTime)>,
    planned_at: Option<(OffsetDateTime, OffsetDateTime)>,
) -> Verdict {
    match (actual, planned_at) {
        (None, _) => Verdict::NotStarted,
        (Some(_), None) => Verdict::Unplanned,
        (Some((first, last)), Some((open, close))) => {
            if first < open {
                Verdict::Early((open - first).whole_minutes())
            } else if last > close {
                Verdict::Late((last - close).whole_minutes())
            } else {
                Verdict::Within
            }
        }
    }
}

/// `T-24h`, `T-0`, `T+15m`, `D+7` for minutes from T-0.
pub fn relative(min: i64) -> String {
    let sign = if min < 0 { '-' } else { '+' };
    let m = min.unsigned_abs();
    // Before T-0 in hours (the runbook's own "T-24"); after it, whole days as D+n (its "D0-D7").
    if min == 0 {
        "T-0".into()
    } else if min > 0 && m.is_multiple_of(1440) {
        format!("D{sign}{}", m / 1440)
    } else if m.is_multiple_of(60) {
        format!("T{sign}{}h", m / 60)
    } else {
        format!("T{sign}{m}m")
    }
}

/// `2025-06-01 20:00 UTC`.
pub fn clock(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "on time", "started 35 min early", "ran 2 h 5 min over", ...
pub fn verdict_text(v: Verdict) -> String {
    fn span(m: i64) -> String {
        if m >= 60 {
            format!("{} h {} min", m / 60, m % 60)
        } else {
            format!("{m} min")
        }
    }
    match v {
        Verdict::NotStarted => "nothing recorded".into(),
        Verdict::Unplanned => "no planned window to compare (no timeframe or no Cutover Date)".into(),
        Verdict::Within => "within the planned window".into(),
        Verdict::Early(m) => format!("started {} before the window", span(m)),
        Verdict::Late(m) => format!("ran {} past the window", span(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_engine::run::fold;
    use flightdeck_engine::store::{StoredEvent, GENESIS_HASH};
    use serde_json::json;

    const BOOK: &str = "# Cutover\n\n**Cutover Date**: ____\n\n## Prep\n**Timeframe**: T-24 to T-4 Hours\n\n### 1. Checks\n\n- [ ] First\n- [ ] Second\n\n## Go\n**Timeframe**: T-Hour\n\n### 2. Deploy\n\n- [ ] Ship\n\n## Later\n\n### 3. Watch\n\n- [ ] Look\n";

    fn ev(seq: u64, time: &str, kind: &str, payload: serde_json::Value) -> StoredEvent {
        StoredEvent {
            run_id: "r".into(),
            seq,
            time: time.into(),
            actor: "ana".into(),
            kind: kind.into(),
            payload,
            prev_hash: GENESIS_HASH.into(),
            hash: format!("{seq:064}"),
        }
    }

    /// A run created at 2025-06-01 00:00 whose Cutover Date is then set to `cutover`.
    fn started(cutover: &str) -> Vec<StoredEvent> {
        vec![
            ev(
                1,
                "2025-06-01T00:00:00.000Z",
                "run_created",
                json!({"runbook_name": "t.md", "runbook_sha256": "x", "env": "sandbox", "release": "v1"}),
            ),
            ev(
                2,
                "2025-06-01T01:00:00.000Z",
                "metadata_set",
                json!({"key": "cutover-date", "value": cutover}),
            ),
        ]
    }

    #[test]
    fn t0_reads_what_people_type() {
        let want = OffsetDateTime::parse("2025-06-01T20:30:00Z", &Rfc3339).expect("rfc3339");
        for t in [
            "2025-06-01T20:30:00Z",
            "2025-06-01T20:30Z",
            "2025-06-01T22:30+02:00",
            "2025-06-01T20:30",
            "2025-06-01 20:30",
            "2025-06-01T20:30:00",
        ] {
            assert_eq!(parse_t0(t), Some(want), "{t}");
        }
        assert_eq!(
            parse_t0("2025-06-01").map(clock).as_deref(),
            Some("2025-06-01 00:00 UTC")
        );
        assert_eq!(parse_t0("next Tuesday"), None);
        assert_eq!(parse_t0("2025-06-01T20:3é"), None, "non-ASCII never panics");
    }

    #[test]
    fn a_window_out_of_the_calendar_stays_relative() {
        let book = flightdeck_engine::runbook::parse(
            "t.md",
            "# X\n\n**Cutover Date**: ___\n\n## Far\n**Timeframe**: T+3000000 to T+3000001 Days\n\n### 1. S\n\n- [ ] A\n"
                .as_bytes(),
        )
        .expect("parses");
        let events = started("9999-12-30");
        let state = fold(&book, &events);
        for row in rows(&book, &state) {
            assert!(row.planned_min.is_some(), "the window parses: {row:?}");
            assert_eq!(row.planned_at, None, "{row:?}");
        }
    }

    #[test]
    fn relative_times_read_like_the_runbook() {
        assert_eq!(
            [-1440, -240, 0, 15, 60, 1440, 10080].map(relative),
            ["T-24h", "T-4h", "T-0", "T+15m", "T+1h", "D+1", "D+7"]
        );
        assert_eq!(
            relative(i64::MIN),
            "T-9223372036854775808m",
            "no overflow at the ends"
        );
    }

    #[test]
    fn each_phase_is_held_against_its_window() {
        let book = flightdeck_engine::runbook::parse("t.md", BOOK.as_bytes()).expect("parses");
        let prep = book.phases.iter().find(|p| p.title == "Prep").expect("prep");
        let (start, end) = window(prep.timeframe.as_ref()).expect("prep has a window");
        assert_eq!((start, end), (-24 * 60, -4 * 60));
        let first = book.items[0].id.clone();
        let ship = book.items[2].id.clone();
        let mut events = started("2025-06-02T12:00");
        events.extend([
            // Prep: T-24h..T-4h is 06-01 12:00..06-02 08:00; checked at 06-01 10:00, two hours early.
            ev(
                3,
                "2025-06-01T10:00:00.000Z",
                "item_checked",
                json!({"item": first}),
            ),
            // Go ("T-Hour") is checked within the hour after T-0... at T+30m.
            ev(
                4,
                "2025-06-02T12:30:00.000Z",
                "item_checked",
                json!({"item": ship}),
            ),
        ]);
        let state = fold(&book, &events);
        let rows = rows(&book, &state);
        let by = |t: &str| rows.iter().find(|r| r.phase == t).cloned().expect(t);
        let prep = by("Prep");
        assert_eq!(prep.verdict, Verdict::Early(120), "{prep:?}");
        assert_eq!(
            prep.planned_at.map(|(a, b)| (clock(a), clock(b))),
            Some(("2025-06-01 12:00 UTC".into(), "2025-06-02 08:00 UTC".into()))
        );
        assert_eq!(by("Later").verdict, Verdict::NotStarted);
        let go = by("Go");
        assert!(go.actual.is_some(), "{go:?}");
        assert!(
            matches!(
                go.verdict,
                Verdict::Within | Verdict::Late(_) | Verdict::Unplanned
            ),
            "{go:?}"
        );
    }
}
