//! The watch plan of a run: when checks run after T-0 and what runs.
//!
//! Owns [`WatchPlan`] (bands of check intervals anchored at T-0, the steps annotated
//! `watch: true`, the hourly signals summary and the daily budget summary), reading its default
//! from the runbook (§16's `Hour A-B` items and their `every N minutes`, then daily to D+7), the
//! band grammar the CLI takes (`0h-2h/5m`), and expanding a plan into its [`Slot`]s.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::probe::Spec;
use crate::runbook::Runbook;

/// Minutes in a day.
pub const DAY_MIN: u32 = 1440;
/// The watch's length: D+7.
pub const DEFAULT_END_MIN: u32 = 7 * DAY_MIN;

/// One band: checks every `every_min` minutes from `from_min` to `to_min` after T-0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Band {
    pub from_min: u32,
    pub to_min: u32,
    pub every_min: u32,
    /// The runbook items this band vouches for (§16's `Hour 0-2` item and the sub-items the watch
    /// itself does: `Monitor every 5 minutes`, `Hourly summary reports`, `Automated alerts active`):
    /// checked when every check slot of the band passed.
    #[serde(default)]
    pub items: Vec<String>,
}

/// What the watch of a run does, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchPlan {
    /// T-0, RFC 3339 (the run's Cutover Date).
    pub t0: String,
    pub bands: Vec<Band>,
    /// Step ids run at every check slot (the steps annotated `watch: true`).
    pub checks: Vec<String>,
    /// Minutes between signals summaries (0: none).
    pub summary_every_min: u32,
    /// Minutes between budget summaries (0: none).
    pub budget_every_min: u32,
    /// Where the budget summary reads from (`/admin/budgets`' shape), `${VAR}`s allowed.
    pub budget_url: String,
    /// The watch ends this many minutes after T-0.
    pub end_min: u32,
}

/// What a slot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SlotKind {
    Check,
    Summary,
    Budget,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Check => "check",
            SlotKind::Summary => "summary",
            SlotKind::Budget => "budget",
        }
    }
}

/// One planned run of the watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub kind: SlotKind,
    /// Minutes after T-0.
    pub minute: u32,
    pub at: OffsetDateTime,
}

impl Slot {
    /// `check@+125`: unique within a plan.
    pub fn key(&self) -> String {
        slot_key(self.kind, self.minute)
    }
}

pub fn slot_key(kind: SlotKind, minute: u32) -> String {
    format!("{}@+{minute}", kind.as_str())
}

/// A plan or a band that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

impl WatchPlan {
    /// The runbook's plan at `t0`: §16's bands, then daily to D+7; its `watch: true` steps; an
    /// hourly summary and a daily budget summary of `${SANDBOX_URL}/admin/budgets`.
    pub fn from_runbook(runbook: &Runbook, t0: OffsetDateTime) -> Result<WatchPlan, PlanError> {
        let mut bands = runbook_bands(runbook);
        if bands.is_empty() {
            bands.push(Band {
                from_min: 0,
                to_min: DAY_MIN,
                every_min: 60,
                items: vec![],
            });
        }
        let last = bands.iter().map(|b| b.to_min).max().unwrap_or(0);
        if last < DEFAULT_END_MIN {
            bands.push(Band {
                from_min: last.max(DAY_MIN),
                to_min: DEFAULT_END_MIN,
                every_min: DAY_MIN,
                items: vec![],
            });
        }
        let plan = WatchPlan {
            t0: crate::store::format_time(t0),
            bands,
            checks: watch_steps(runbook),
            summary_every_min: 60,
            budget_every_min: DAY_MIN,
            budget_url: "${SANDBOX_URL}/admin/budgets".into(),
            end_min: DEFAULT_END_MIN,
        };
        plan.validate()?;
        Ok(plan)
    }

    pub fn t0(&self) -> Result<OffsetDateTime, PlanError> {
        parse_time(&self.t0)
    }

    /// Bands sorted, within the plan, not overlapping, each interval at least a minute.
    pub fn validate(&self) -> Result<(), PlanError> {
        self.t0()?;
        if self.end_min == 0 || self.end_min > 31 * DAY_MIN {
            return Err(PlanError(format!(
                "the watch ends {} minutes after T-0: it must be 1 minute to 31 days",
                self.end_min
            )));
        }
        let mut prev = 0;
        for b in &self.bands {
            if b.every_min == 0 || b.from_min >= b.to_min {
                return Err(PlanError(format!(
                    "band {}: empty or with no interval",
                    band_text(b)
                )));
            }
            if b.from_min < prev {
                return Err(PlanError(format!(
                    "band {} overlaps the band before it (bands go in order)",
                    band_text(b)
                )));
            }
            prev = b.to_min;
        }
        Ok(())
    }

    /// Every slot of the plan, in time order (checks before summaries at the same minute).
    pub fn slots(&self) -> Result<Vec<Slot>, PlanError> {
        let t0 = self.t0()?;
        let mut out = Vec::new();
        let mut push = |kind, minute: u32| {
            out.push(Slot {
                kind,
                minute,
                at: t0 + time::Duration::minutes(i64::from(minute)),
            })
        };
        for b in &self.bands {
            let mut m = b.from_min;
            while m < b.to_min.min(self.end_min) {
                push(SlotKind::Check, m);
                m += b.every_min;
            }
        }
        for (every, kind) in [
            (self.summary_every_min, SlotKind::Summary),
            (self.budget_every_min, SlotKind::Budget),
        ] {
            if every > 0 {
                let mut m = every;
                while m <= self.end_min {
                    push(kind, m);
                    m += every;
                }
            }
        }
        out.sort_by_key(|s| (s.minute, s.kind));
        Ok(out)
    }

    /// Replace the bands (the CLI's `--band`s, the window's plan editor): a new band with the
    /// same bounds as an old one keeps the runbook items it vouches for. Checked as a whole.
    pub fn replace_bands(&mut self, bands: Vec<Band>) -> Result<(), PlanError> {
        let old = std::mem::replace(&mut self.bands, bands);
        for b in &mut self.bands {
            if let Some(o) = old
                .iter()
                .find(|o| o.from_min == b.from_min && o.to_min == b.to_min)
            {
                b.items = o.items.clone();
            }
        }
        let checked = self.validate();
        if checked.is_err() {
            self.bands = old;
        }
        checked
    }

    /// The band a check slot at `minute` belongs to.
    pub fn band_of(&self, minute: u32) -> Option<&Band> {
        self.bands
            .iter()
            .find(|b| (b.from_min..b.to_min).contains(&minute))
    }
}

/// `0h-2h/5m` (also `0-120m/5m`, `24h-7d/1d`): a band; items are kept from the runbook's band
/// with the same bounds, if any.
pub fn parse_band(text: &str) -> Result<Band, PlanError> {
    let bad = || PlanError(format!("band `{text}` is not FROM-TO/EVERY, e.g. `0h-2h/5m`"));
    let (range, every) = text.trim().split_once('/').ok_or_else(bad)?;
    let (from, to) = range.split_once('-').ok_or_else(bad)?;
    let unit_of_to = to.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let minutes = |s: &str| -> Result<u32, PlanError> {
        let s = s.trim();
        let s = if s.chars().all(|c| c.is_ascii_digit()) {
            format!("{s}{unit_of_to}")
        } else {
            s.to_string()
        };
        let secs = crate::signals::parse_duration(&s).ok_or_else(bad)?;
        u32::try_from(secs / 60).map_err(|_| bad())
    };
    let band = Band {
        from_min: minutes(from)?,
        to_min: minutes(to)?,
        every_min: minutes(every)?,
        items: vec![],
    };
    if band.every_min == 0 || band.from_min >= band.to_min {
        return Err(bad());
    }
    Ok(band)
}

/// `0h-2h/5m`, for messages and the CLI.
pub fn band_text(b: &Band) -> String {
    format!(
        "{}-{}/{}",
        minutes_text(b.from_min),
        minutes_text(b.to_min),
        minutes_text(b.every_min)
    )
}

/// `5m`, `2h`, `1d`, `90m`.
pub fn minutes_text(m: u32) -> String {
    if m > 0 && m.is_multiple_of(DAY_MIN) {
        format!("{}d", m / DAY_MIN)
    } else if m > 0 && m.is_multiple_of(60) {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

/// RFC 3339, or `YYYY-MM-DD HH:MM` (UTC), or a date (00:00 UTC).
pub fn parse_time(text: &str) -> Result<OffsetDateTime, PlanError> {
    use time::format_description::well_known::Rfc3339;
    let t = text.trim();
    if let Ok(v) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(v);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    if let Ok(v) = time::PrimitiveDateTime::parse(&t.replace('T', " "), &fmt) {
        return Ok(v.assume_utc());
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(v) = time::Date::parse(t, &day) {
        return Ok(v.midnight().assume_utc());
    }
    Err(PlanError(format!(
        "T-0 `{t}` is not a time: write RFC 3339 (2026-12-04T09:00:00Z) or `2026-12-04 09:00` (UTC)"
    )))
}

/// §16's `Hour A-B` items, each with the `every N minutes` of its sub-items (hourly without).
fn runbook_bands(runbook: &Runbook) -> Vec<Band> {
    let hour = regex::Regex::new(r"(?i)\bhour\s+(\d+)\s*[-–]\s*(\d+)").ok();
    let every = regex::Regex::new(r"(?i)every\s+(\d+)\s*min").ok();
    let own = regex::Regex::new(r"(?i)monitor every|hourly summary|automated alerts").ok();
    let (Some(hour), Some(every), Some(own)) = (hour, every, own) else {
        return vec![];
    };
    let mut bands: Vec<Band> = Vec::new();
    for item in runbook.items.iter().filter(|i| i.depth == 0) {
        let Some(c) = hour.captures(&item.text) else {
            continue;
        };
        let (Ok(from), Ok(to)) = (c[1].parse::<u32>(), c[2].parse::<u32>()) else {
            continue;
        };
        let subs: Vec<&crate::runbook::Item> =
            item.children.iter().filter_map(|id| runbook.item(id)).collect();
        let every_min = subs
            .iter()
            .find_map(|s| every.captures(&s.text).and_then(|c| c[1].parse::<u32>().ok()))
            .unwrap_or(60);
        // The band item, and the sub-items the watch itself does (not "All team leads available").
        let mut items = vec![item.id.clone()];
        items.extend(
            subs.iter()
                .filter(|s| own.is_match(&s.text))
                .map(|s| s.id.clone()),
        );
        if from < to && every_min > 0 && bands.last().is_none_or(|b| b.to_min <= from * 60) {
            bands.push(Band {
                from_min: from * 60,
                to_min: to * 60,
                every_min,
                items,
            });
        }
    }
    bands
}

/// The runbook's steps annotated `watch: true`, in document order.
pub fn watch_steps(runbook: &Runbook) -> Vec<String> {
    runbook
        .steps
        .iter()
        .filter(|s| matches!(Spec::from_step(s), Ok(Some(spec)) if spec.watch))
        .map(|s| s.id.clone())
        .collect()
}
