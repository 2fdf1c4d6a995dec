//! The D0–D7 watch report: the week of watching after the cutover (slots, failures, alerts and
//! how long each took to go out), as a second signed PDF that names the archive it follows.
//!
//! Why a second file and not a new revision of the archive: `verify` refuses any byte after the
//! last signed revision (`no_later_revision`) and any revision that does more than add a
//! signature (`only_signatures_added`, for co-signatures), which is what makes an appended page
//! or a swapped attachment fail; a report added to the archive would undo that rule. So the report is a file of its own, built and signed by the same code as the
//! archive (PAdES B-B, P-256), with the run's event log as of the report embedded and chained,
//! and its manifest (format [`REPORT_FORMAT`]) names the archive: its id, the sha256 of its
//! bytes, and the event count and head its log ended at. `tie` holds a report against an
//! archive: same run, that archive id, those exact bytes, and a log that continues the
//! archive's (the archive's head event is in the report's log at the same place).
//!
//! Owns the report's data (`watch-report.json`, recomputed from the embedded log when the report
//! is verified), making the report (`export_watch_report`) and the tie checks. Its pages are
//! `render::watch`'s.

use flightdeck_engine::run::{self, Event};
use flightdeck_engine::runbook::Runbook;
use flightdeck_engine::store::{canonical_json, sha256_hex, Store, StoredEvent};
use flightdeck_engine::watch::alert::AlertRecord;
use flightdeck_engine::watch::{self, SlotKind, SlotStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::record::{Attachment, Manifest, Record};
use crate::verify::Check;
use crate::{identity, ExportOpts, Exported, IdentityStore, SignerChoice};

/// The format tag of a watch report's manifest.
pub const REPORT_FORMAT: &str = "flightdeck-watch-report/1";
/// The attachment holding the report's data.
pub const REPORT_FILE: &str = "watch-report.json";

/// The archive a watch report follows, as its manifest names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveTie {
    pub archive_id: String,
    /// sha256 of the archive file, byte for byte.
    pub archive_sha256: String,
    /// The archive's event log ended at this event, with this hash.
    pub event_count: u64,
    pub head_hash: String,
}

/// The watch's plan as the report states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanLine {
    pub t0: String,
    pub bands: Vec<String>,
    pub checks: Vec<String>,
    pub end_min: u32,
}

/// What the slots came to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub slots: u64,
    pub passed: u64,
    pub failed: u64,
    pub missed: u64,
    pub catch_up: u64,
    pub alerts_sent: u64,
    pub alerts_failed: u64,
    /// The longest an alert took to go out (from its first failing slot), ms.
    pub max_delay_ms: u64,
}

/// A slot that did not pass, or ran late.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotRow {
    pub seq: u64,
    pub slot: String,
    pub kind: SlotKind,
    pub due: String,
    pub status: SlotStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub catch_up: bool,
    /// `name: why` of each line that failed.
    pub failed: Vec<String>,
}

/// One notice to one receiver, with its event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub seq: u64,
    pub at: String,
    pub alert: AlertRecord,
}

/// `watch-report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchReport {
    pub run_id: String,
    pub archive: ArchiveTie,
    pub plan: Option<PlanLine>,
    pub counts: Counts,
    pub slots: Vec<SlotRow>,
    pub bands_clean: Vec<String>,
    pub alerts: Vec<AlertRow>,
}

impl WatchReport {
    /// The report of the run whose log is `events` (its runbook `book`), tied to `archive`.
    pub fn from_events(
        run_id: &str,
        archive: ArchiveTie,
        book: &Runbook,
        events: &[StoredEvent],
    ) -> WatchReport {
        let state = run::fold(book, events);
        let plan = watch::plan_of(book, &state, events).ok().map(|p| PlanLine {
            bands: p.bands.iter().map(watch::band_text).collect(),
            t0: p.t0,
            checks: p.checks,
            end_min: p.end_min,
        });
        let mut r = WatchReport {
            run_id: run_id.to_string(),
            archive,
            plan,
            counts: Counts::default(),
            slots: Vec::new(),
            bands_clean: Vec::new(),
            alerts: Vec::new(),
        };
        for e in events {
            match Event::decode(e) {
                Ok(Event::WatchSlot(s)) => r.slot(e.seq, &s),
                Ok(Event::WatchBandClean(b)) => r.bands_clean.push(b.band),
                Ok(Event::AlertNotified(a)) => {
                    if a.sent {
                        r.counts.alerts_sent += 1;
                        r.counts.max_delay_ms = r.counts.max_delay_ms.max(a.delay_ms);
                    } else {
                        r.counts.alerts_failed += 1;
                    }
                    r.alerts.push(AlertRow {
                        seq: e.seq,
                        at: e.time.clone(),
                        alert: *a,
                    });
                }
                _ => {}
            }
        }
        r
    }

    fn slot(&mut self, seq: u64, s: &watch::SlotRecord) {
        let c = &mut self.counts;
        c.slots += 1;
        match s.status {
            SlotStatus::Passed => c.passed += 1,
            SlotStatus::Failed => c.failed += 1,
            SlotStatus::Missed => c.missed += 1,
        }
        if s.catch_up {
            c.catch_up += 1;
        }
        if s.status == SlotStatus::Passed && !s.catch_up {
            return;
        }
        self.slots.push(SlotRow {
            seq,
            slot: s.slot.clone(),
            kind: s.kind,
            due: s.due.clone(),
            status: s.status,
            reason: s.reason.clone(),
            catch_up: s.catch_up,
            failed: s
                .lines
                .iter()
                .filter(|l| !l.passed)
                .map(|l| format!("{}: {}", l.name, l.message.as_deref().unwrap_or("failed")))
                .collect(),
        });
    }

    /// The attachment carrying it (canonical JSON).
    pub fn attachment(&self) -> Attachment {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        Attachment::new(
            REPORT_FILE.into(),
            "application/json",
            "The D0-D7 watch report: slots, failures, alerts and their delays, recomputed from events.json on verify".into(),
            canonical_json(&value).into_bytes(),
        )
    }
}

/// The archive `archive` (its bytes) as a report would name it, once it verifies on its own.
pub fn tie_of(archive: &[u8]) -> Result<(ArchiveTie, Manifest)> {
    let opened = crate::verify::open(archive, None);
    let Some(contents) = opened.contents.filter(|_| opened.report.ok) else {
        let failed: Vec<String> = opened
            .report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(Error::NotAnArchive(format!(
            "the archive to tie the watch report to does not verify ({}); a report names only an intact archive",
            failed.join("; ")
        )));
    };
    let m = contents.manifest;
    if m.format != crate::record::FORMAT {
        return Err(Error::NotAnArchive(format!(
            "format `{}`: a watch report names an archive ({}), not another report",
            m.format,
            crate::record::FORMAT
        )));
    }
    Ok((
        ArchiveTie {
            archive_id: m.archive_id.clone(),
            archive_sha256: sha256_hex(archive),
            event_count: m.event_count,
            head_hash: m.head_hash.clone(),
        },
        m,
    ))
}

/// The signed watch report of `run_ref`, tied to the archive `archive` (its bytes), signed by
/// the identity in `ids` and verified against it before it is handed back.
pub fn export_watch_report(
    store: &Store,
    run_ref: &str,
    archive: &[u8],
    ids: &dyn IdentityStore,
    choice: &SignerChoice,
    opts: &ExportOpts,
) -> Result<Exported> {
    let (tie, archived) = tie_of(archive)?;
    let loaded = run::load(store, run_ref)?;
    if archived.run_id != loaded.record.id {
        return Err(Error::NotAnArchive(format!(
            "archive {} is of run {}, not of run {}",
            tie.archive_id, archived.run_id, loaded.record.id
        )));
    }
    let events = store.events(&loaded.record.id).map_err(run::Error::from)?;
    continues(&events, &tie).map_err(Error::NotAnArchive)?;
    let report = WatchReport::from_events(&loaded.record.id, tie.clone(), &loaded.runbook, &events);
    let exported_at = flightdeck_engine::store::format_time(opts.now);
    let record = Record::for_watch_report(loaded, events, &exported_at, report.attachment(), tie.clone());
    let subject = crate::Subject {
        name: choice
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| {
                record
                    .run
                    .state
                    .meta("release-manager")
                    .and_then(|m| m.value.clone())
            })
            .unwrap_or_else(|| record.run.state.created_by.clone()),
        organisation: choice.organisation.clone().filter(|o| !o.trim().is_empty()),
    };
    let signer = identity::obtain(ids, &subject, opts.now)?;
    let pdf = crate::render::render_watch(&record, &report, &signer.subject(), opts.now)?;
    let reason = format!(
        "Flightdeck D0-D7 watch report {} of archive {} (run {})",
        record.manifest.archive_id, tie.archive_id, record.manifest.run_id
    );
    let pdf = crate::sign::sign(pdf, &signer, opts.now, &reason, crate::sign::WATCH_REPORT_FIELD)?;
    let checked = crate::verify(&pdf, Some(signer.certificate_der()));
    let report = crate::verified(checked)?;
    Ok(Exported {
        pdf,
        signer: signer.subject(),
        report,
    })
}

/// `events` continue the log the archive ended at: its head event is there, at the same place.
fn continues(events: &[StoredEvent], tie: &ArchiveTie) -> std::result::Result<(), String> {
    let at = usize::try_from(tie.event_count).unwrap_or(usize::MAX);
    match at.checked_sub(1).and_then(|i| events.get(i)) {
        Some(e) if e.hash == tie.head_hash => Ok(()),
        Some(e) => Err(format!(
            "event {} of the run's log has hash {}, archive {} ended there at {}: the log is not the one archived",
            e.seq,
            short(&e.hash),
            tie.archive_id,
            short(&tie.head_hash)
        )),
        None => Err(format!(
            "the log has {} events, archive {} ended at event {}: the log is not the one archived",
            events.len(),
            tie.archive_id,
            tie.event_count
        )),
    }
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// The checks that tie a report (its manifest and embedded log) to the archive file whose bytes
/// hash to `archive_sha256` and whose manifest is `archive`: `report_names_archive` (that
/// archive id, those bytes, the same run) and `report_continues_archive` (the archive's head is
/// in the report's log at the same place). `earlier` holds the sha256 of the archive's earlier
/// signed revisions (the file before each co-signature `verify` found to add a signature and
/// nothing else): a report made before the archive was co-signed still names it.
pub fn tie(
    archive: &Manifest,
    archive_sha256: &str,
    earlier: &[String],
    report: &Manifest,
    report_events: &[StoredEvent],
) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(named) = report.watch_report_of.as_ref() else {
        out.push(Check {
            name: "report_names_archive",
            ok: false,
            detail: format!(
                "the second file is not a watch report (format `{}`, not {REPORT_FORMAT})",
                report.format
            ),
        });
        return out;
    };
    let problem = if named.archive_id != archive.archive_id {
        Some(format!(
            "the watch report names archive {}, not this archive {}",
            named.archive_id, archive.archive_id
        ))
    } else if named.archive_sha256 != archive_sha256 && !earlier.contains(&named.archive_sha256) {
        Some(format!(
            "the watch report names archive {} with sha256 {}, this file hashes to {}: not the file the report was made from",
            named.archive_id, named.archive_sha256, archive_sha256
        ))
    } else if report.run_id != archive.run_id {
        Some(format!(
            "the watch report is of run {}, the archive of run {}",
            report.run_id, archive.run_id
        ))
    } else {
        None
    };
    out.push(Check {
        name: "report_names_archive",
        ok: problem.is_none(),
        detail: problem.unwrap_or_else(|| {
            format!(
                "watch report {} names archive {} (sha256 {}), run {}",
                report.archive_id,
                archive.archive_id,
                short(archive_sha256),
                archive.run_id
            )
        }),
    });
    let head = ArchiveTie {
        archive_id: archive.archive_id.clone(),
        archive_sha256: archive_sha256.to_string(),
        event_count: archive.event_count,
        head_hash: archive.head_hash.clone(),
    };
    let cont = continues(report_events, &head);
    out.push(Check {
        name: "report_continues_archive",
        ok: cont.is_ok(),
        detail: match cont {
            Ok(()) => format!(
                "the report's log holds the archive's {} events and goes on to event {}",
                archive.event_count, report.event_count
            ),
            Err(e) => e,
        },
    });
    out
}

/// An archive and its watch report verified together: each on its own (signature, contents,
/// signer), then the report's tie to the archive.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewedPair {
    pub archive: crate::Reviewed,
    pub watch_report: crate::Reviewed,
    pub tie: Vec<Check>,
    pub verdict: crate::Verdict,
}

/// Verify the archive at `archive` and the watch report at `report` (each within `limits`,
/// each signer judged against `anchors`) and tie the report to the archive.
pub fn review_pair(
    archive: &std::path::Path,
    report: &std::path::Path,
    anchors: &crate::Anchors,
    limits: &crate::Limits,
) -> Result<ReviewedPair> {
    use crate::Verdict;
    let a = crate::review_file(archive, anchors, limits)?;
    let r = crate::review_file(report, anchors, limits)?;
    let tie = match (&a.contents, &r.contents) {
        (Some(ac), Some(rc)) => {
            let bytes = crate::read_file(archive, limits)?;
            let sha = sha256_hex(&bytes);
            let earlier: Vec<String> = a
                .report
                .signatures
                .iter()
                .filter_map(|s| s.revision_end)
                .filter(|&end| end < bytes.len())
                .map(|end| sha256_hex(&bytes[..end]))
                .collect();
            let mut checks = tie(&ac.manifest, &sha, &earlier, &rc.manifest, &rc.events);
            if ac.manifest.watch_report_of.is_some() {
                checks.insert(
                    0,
                    Check {
                        name: "report_names_archive",
                        ok: false,
                        detail:
                            "the first file is itself a watch report: give the archive, then --watch-report"
                                .into(),
                    },
                );
            }
            checks
        }
        _ => vec![Check {
            name: "report_names_archive",
            ok: false,
            detail: "the archive or the report could not be read, so the tie cannot be checked".into(),
        }],
    };
    let tied = tie.iter().all(|c| c.ok);
    let verdict = match (a.verdict, r.verdict, tied) {
        (Verdict::Failed, _, _) | (_, Verdict::Failed, _) | (_, _, false) => Verdict::Failed,
        (Verdict::Verified, Verdict::Verified, true) => Verdict::Verified,
        _ => Verdict::IntactUnauthenticated,
    };
    Ok(ReviewedPair {
        archive: a,
        watch_report: r,
        tie,
        verdict,
    })
}
