//! The document: cover, Critical Success Criteria, step timing, the golden signals and SLO burn
//! rates, backups and restore drills, each phase and section with its items, steps, evidence and sign-offs, notes, flag and
//! breaker controls, and document control, written as PDF/A-3b with the record's attachments
//! embedded.
//!
//! Owns what is said and in which order: one file per part of the document (`cover`,
//! `criteria`, `planned`, `timing`, `signals`, `backup`, `body` with its `step`s, `notes`, `controls` (flag
//! and breaker actions, the drift at the decision), `control` (document control)), and `pdf` for
//! the PDF/A-3b file around them. Positions belong to `layout`, the chart to `chart`, the
//! signature (added afterwards, by incremental update) to `sign`.

mod backup;
mod body;
mod control;
mod controls;
mod cover;
mod criteria;
mod notes;
mod pdf;
mod planned;
mod signals;
mod step;
mod timing;
mod watch;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::layout::{Fonts, Metrics, Pages};
use crate::record::Record;

/// The unsigned PDF/A-3b document for `record`, signed-by line naming `signer`.
pub fn render(record: &Record, signer: &str, now: OffsetDateTime) -> Result<Vec<u8>> {
    let metrics = Metrics::new().ok_or_else(|| Error::Pdf("the bundled fonts do not parse".into()))?;
    let fonts = Fonts::load().ok_or_else(|| Error::Pdf("the bundled fonts do not load".into()))?;
    let mut pages = Pages::new(metrics);
    let svgs = lay_out(&mut pages, record, signer)?;
    pdf::write(record, &pages, &fonts, &svgs, now)
}

/// The unsigned PDF/A-3b D0–D7 watch report of `record` (made by `Record::for_watch_report`).
pub fn render_watch(
    record: &Record,
    report: &crate::watch_report::WatchReport,
    signer: &str,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let metrics = Metrics::new().ok_or_else(|| Error::Pdf("the bundled fonts do not parse".into()))?;
    let fonts = Fonts::load().ok_or_else(|| Error::Pdf("the bundled fonts do not load".into()))?;
    let mut pages = Pages::new(metrics);
    watch::pages(&mut pages, record, report, signer);
    pdf::write(record, &pages, &fonts, &[], now)
}

/// Every part of the document onto `pages`, in reading order; the charts they place come back.
fn lay_out(pages: &mut Pages, record: &Record, signer: &str) -> Result<Vec<usvg::Tree>> {
    let mut svgs = Vec::new();
    cover::cover(pages, record, signer);
    pages.new_page();
    criteria::criteria(pages, record);
    planned::planned_vs_actual(pages, record);
    timing::timing(pages, record, &mut svgs)?;
    signals::signals(pages, record, &mut svgs)?;
    backup::backups(pages, record);
    body::body(pages, record);
    notes::notes(pages, record);
    controls::controls(pages, record);
    pages.new_page();
    control::control(pages, record, signer);
    Ok(svgs)
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.trim().is_empty()).unwrap_or("—").to_string()
}

/// When the run was completed: its decision, else its last event.
fn completed_at(record: &Record) -> String {
    record
        .run
        .state
        .decision
        .as_ref()
        .map(|d| d.at.clone())
        .or_else(|| record.events.last().map(|e| e.time.clone()))
        .unwrap_or_default()
}
