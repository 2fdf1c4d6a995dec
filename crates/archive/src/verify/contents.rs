//! What the embedded files must say, and the checks on them: `manifest` (it parses and has our
//! format), `attachments` (each listed file is there with its stated sha256 and size, and nothing
//! unlisted is), `event_chain` (the log's hash chain, by `chain`) and `event_head` (the log ends
//! at the head and count the manifest states). What they carry comes back as `Contents`.
//!
//! Getting the files out of the PDF is `attachments`'.

use flightdeck_engine::store::{sha256_hex, StoredEvent};
use lopdf::Document;
use serde::de::DeserializeOwned;

use crate::record::{Manifest, EVENTS_FILE, FORMAT, MANIFEST_FILE, RUNBOOK_FILE};
use crate::watch_report::{ArchiveTie, WatchReport, REPORT_FILE, REPORT_FORMAT};

use super::attachments::{self, Files};
use super::limits::Budget;
use super::{chain, Checks, Contents};

/// An embedded file the checks need that is not there or does not parse.
#[derive(Debug, thiserror::Error)]
pub(super) enum FileError {
    #[error("no {0} attachment")]
    Missing(&'static str),
    #[error("{file} does not parse ({source})")]
    Parse {
        file: &'static str,
        source: serde_json::Error,
    },
}

/// The manifest, attachments and event log checks; the contents when the manifest, the log
/// and the runbook source could be read.
pub(super) fn read(doc: &Document, budget: &mut Budget, checks: &mut Checks) -> Option<Contents> {
    let files = match attachments::read(doc, budget) {
        Ok(f) => f,
        Err(e) => {
            checks.add("manifest", false, "the attachments could not be read");
            checks.add("attachments", false, e.to_string());
            return None;
        }
    };
    let manifest = manifest(&files, checks)?;
    attachments(&files, &manifest, checks);
    let (events, source) = event_log(&files, checks)?;
    match chain::chain(&events, &manifest.run_id, &source) {
        Ok(()) => checks.add(
            "event_chain",
            true,
            format!("{} events, each hash and link recomputed", events.len()),
        ),
        Err(e) => checks.add("event_chain", false, e.to_string()),
    };
    event_head(&events, &manifest, checks);
    if let Some(tie) = &manifest.watch_report_of {
        watch_report(&files, &manifest, tie, &events, &source, checks);
    }
    Some(Contents {
        manifest,
        events,
        runbook_source: source,
    })
}

/// `file` parsed as JSON.
fn json<T: DeserializeOwned>(files: &Files, file: &'static str) -> Result<T, FileError> {
    let bytes = files.get(file).ok_or(FileError::Missing(file))?;
    serde_json::from_slice(bytes).map_err(|source| FileError::Parse { file, source })
}

/// `manifest`: the manifest, when it parses and states our format.
fn manifest(files: &Files, checks: &mut Checks) -> Option<Manifest> {
    let manifest: Manifest = match json(files, MANIFEST_FILE) {
        Ok(m) => m,
        Err(e) => {
            checks.add("manifest", false, e.to_string());
            return None;
        }
    };
    let report = manifest.format == REPORT_FORMAT;
    let ours = (manifest.format == FORMAT && manifest.watch_report_of.is_none())
        || (report && manifest.watch_report_of.is_some());
    checks.add(
        "manifest",
        ours,
        match &manifest.watch_report_of {
            _ if !ours => format!(
                "format `{}` is not {FORMAT} (or {REPORT_FORMAT} naming its archive)",
                manifest.format
            ),
            Some(tie) => format!(
                "D0–D7 watch report {} of run {}, naming archive {}",
                manifest.archive_id, manifest.run_id, tie.archive_id
            ),
            None => format!("archive {} of run {}", manifest.archive_id, manifest.run_id),
        },
    );
    ours.then_some(manifest)
}

/// `attachments`: every listed file is embedded with its stated sha256 and size, and every
/// embedded file (the manifest aside) is listed.
fn attachments(files: &Files, manifest: &Manifest, checks: &mut Checks) {
    let mut bad = Vec::new();
    for entry in &manifest.attachments {
        match files.get(&entry.name) {
            None => bad.push(format!("{} is missing", entry.name)),
            Some(data) if sha256_hex(data) != entry.sha256 => {
                bad.push(format!("{} does not hash to the stated sha256", entry.name))
            }
            Some(data) if data.len() as u64 != entry.bytes => {
                bad.push(format!("{} is not the stated size", entry.name))
            }
            Some(_) => {}
        }
    }
    for name in files.keys() {
        if name != MANIFEST_FILE && !manifest.attachments.iter().any(|e| &e.name == name) {
            bad.push(format!("{name} is embedded but not listed"));
        }
    }
    checks.add(
        "attachments",
        bad.is_empty(),
        if bad.is_empty() {
            format!(
                "{} attachments, each matching its stated sha256",
                manifest.attachments.len()
            )
        } else {
            bad.join("; ")
        },
    );
}

/// The event log and the runbook source; without either, `event_chain` and `event_head` fail.
fn event_log(files: &Files, checks: &mut Checks) -> Option<(Vec<StoredEvent>, String)> {
    let events: Result<Vec<StoredEvent>, FileError> = json(files, EVENTS_FILE);
    let source = files
        .get(RUNBOOK_FILE)
        .map(|b| String::from_utf8_lossy(b).to_string());
    match (events, source) {
        (Ok(e), Some(s)) => Some((e, s)),
        (Err(e), _) => {
            checks.add("event_chain", false, e.to_string());
            checks.add("event_head", false, "no event log");
            None
        }
        (_, None) => {
            checks.add("event_chain", false, FileError::Missing(RUNBOOK_FILE).to_string());
            checks.add("event_head", false, "no runbook source");
            None
        }
    }
}

/// `event_head`: the log ends at the head and count the manifest states.
fn event_head(events: &[StoredEvent], manifest: &Manifest, checks: &mut Checks) {
    let head = events.last().map(|e| e.hash.as_str()).unwrap_or_default();
    let head_ok = head == manifest.head_hash && events.len() as u64 == manifest.event_count;
    checks.add(
        "event_head",
        head_ok,
        if head_ok {
            format!(
                "ends at event {} with the stated head {}",
                events.len(),
                short(head)
            )
        } else {
            format!(
                "the log ends at event {} ({}), the document states event {} ({})",
                events.len(),
                short(head),
                manifest.event_count,
                short(&manifest.head_hash)
            )
        },
    );
}

/// `watch_report` (a watch report's only): its `watch-report.json` is what its embedded log and
/// runbook give, recomputed, and names the archive its manifest names.
fn watch_report(
    files: &Files,
    manifest: &Manifest,
    tie: &ArchiveTie,
    events: &[StoredEvent],
    source: &str,
    checks: &mut Checks,
) {
    let stated: WatchReport = match json(files, REPORT_FILE) {
        Ok(r) => r,
        Err(e) => {
            checks.add("watch_report", false, e.to_string());
            return;
        }
    };
    let book = match flightdeck_engine::runbook::parse(&manifest.runbook_name, source.as_bytes()) {
        Ok(b) => b,
        Err(e) => {
            checks.add(
                "watch_report",
                false,
                format!("the embedded runbook does not import: {e}"),
            );
            return;
        }
    };
    let again = WatchReport::from_events(&manifest.run_id, tie.clone(), &book, events);
    let ok = again == stated;
    checks.add(
        "watch_report",
        ok,
        if ok {
            format!(
                "{} slots, {} alerts, recomputed from the embedded log",
                stated.counts.slots,
                stated.alerts.len()
            )
        } else {
            format!("{REPORT_FILE} is not what the embedded event log gives")
        },
    );
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}
