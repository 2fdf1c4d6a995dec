//! What an archive holds: the run as loaded from the store, with the files embedded beside it.
//!
//! Owns gathering (`Record::gather`: the run, its events and the latest evidence of each step),
//! the attachments (canonical event log, runbook source, full evidence outputs) and the
//! manifest that states each attachment's sha256 and the log's head. Drawing it belongs to
//! `render`; checking it back to `verify`.

use std::collections::BTreeMap;

use flightdeck_engine::probe::Excerpt;
use flightdeck_engine::run::{self, Event, LoadedRun};
use flightdeck_engine::store::{canonical_json, sha256_hex, Store, StoredEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::signals::{self, Signals};

/// The format tag written into every manifest.
pub const FORMAT: &str = "flightdeck-archive/1";
/// The attachment holding the event log (canonical JSON array of stored events).
pub const EVENTS_FILE: &str = "events.json";
/// The attachment holding the runbook source the run was created from.
pub const RUNBOOK_FILE: &str = "runbook.md";
/// The attachment stating the archive's contents.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A file embedded in the PDF.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub description: String,
    pub data: Vec<u8>,
    pub sha256: String,
}

impl Attachment {
    pub(crate) fn new(name: String, mime: &'static str, description: String, data: Vec<u8>) -> Attachment {
        let sha256 = sha256_hex(&data);
        Attachment {
            name,
            mime,
            description,
            data,
            sha256,
        }
    }
}

/// What the manifest says about one attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

/// `manifest.json`: what the document states about itself, signed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub archive_id: String,
    pub run_id: String,
    pub release: String,
    pub env: String,
    pub runbook_name: String,
    pub runbook_sha256: String,
    pub event_count: u64,
    pub head_hash: String,
    pub exported_at: String,
    pub attachments: Vec<ManifestEntry>,
    /// A D0–D7 watch report's: the archive it follows (format `flightdeck-watch-report/1`;
    /// `archive_id` is then the report's own id). Absent from an archive's manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_report_of: Option<crate::watch_report::ArchiveTie>,
}

/// A step's latest output, one excerpt per stream, with the attachment holding it.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub stream: String,
    pub excerpt: Excerpt,
    pub attachment: String,
}

/// Everything the document is drawn from.
#[derive(Debug, Clone)]
pub struct Record {
    pub run: LoadedRun,
    pub events: Vec<StoredEvent>,
    /// Latest evidence per step id.
    pub evidence: BTreeMap<String, Vec<Evidence>>,
    pub attachments: Vec<Attachment>,
    pub manifest: Manifest,
    /// The cutover window's golden signals and SLO burn rates, or why there are none.
    pub signals: Signals,
}

impl Record {
    /// Load `run_ref` from `store`, read its signals for an export at `now`, and prepare its
    /// attachments and manifest.
    pub fn gather(store: &Store, run_ref: &str, now: time::OffsetDateTime) -> Result<Record> {
        let exported_at = flightdeck_engine::store::format_time(now);
        let mut run = run::load(store, run_ref)?;
        let events = store.events(&run.record.id).map_err(run::Error::from)?;
        // The archive proves what the log holds: its state is folded from the very events it
        // embeds, never taken from the store's checkpoint (a cache that `run verify` does not
        // check, so an edited checkpoint row must not reach a signed record).
        run.state = run::fold(&run.runbook, &events);
        let signals = signals::gather(store, &run, &events, now);
        Ok(Self::from_parts(run, events, &exported_at, signals))
    }

    fn from_parts(run: LoadedRun, events: Vec<StoredEvent>, exported_at: &str, signals: Signals) -> Record {
        let head_hash = events.last().map(|e| e.hash.clone()).unwrap_or_default();
        let archive_id = archive_id(&run.record.id, &head_hash, exported_at);
        let mut attachments = vec![
            Attachment::new(
                EVENTS_FILE.into(),
                "application/json",
                "The run's complete event log: canonical JSON, hash-chained".into(),
                events_json(&events).into_bytes(),
            ),
            Attachment::new(
                RUNBOOK_FILE.into(),
                "text/markdown",
                format!(
                    "The runbook source the run was created from ({})",
                    run.record.runbook_name
                ),
                run.record.runbook_source.clone().into_bytes(),
            ),
        ];
        let (evidence, outputs) = evidence(&events);
        attachments.extend(outputs);
        attachments.extend(
            signals::attachments(&signals)
                .into_iter()
                .map(|(name, description, json)| {
                    Attachment::new(name, "application/json", description, json.into_bytes())
                }),
        );
        attachments.extend(backup_attachments(&run, &evidence));
        let attachments = last_of_each_name(attachments);
        let manifest = Manifest {
            format: FORMAT.into(),
            archive_id,
            run_id: run.record.id.clone(),
            release: run.record.release.clone(),
            env: run.record.env.clone(),
            runbook_name: run.record.runbook_name.clone(),
            runbook_sha256: run.record.runbook_sha256.clone(),
            event_count: events.len() as u64,
            head_hash,
            exported_at: exported_at.to_string(),
            watch_report_of: None,
            attachments: attachments
                .iter()
                .map(|a| ManifestEntry {
                    name: a.name.clone(),
                    sha256: a.sha256.clone(),
                    bytes: a.data.len() as u64,
                })
                .collect(),
        };
        Record {
            run,
            events,
            evidence,
            attachments,
            manifest,
            signals,
        }
    }

    /// A D0–D7 watch report's record: the run's log and runbook as they stand, `report` (its
    /// `watch-report.json`), a manifest of format `flightdeck-watch-report/1` naming `tie`.
    pub(crate) fn for_watch_report(
        run: LoadedRun,
        events: Vec<StoredEvent>,
        exported_at: &str,
        report: Attachment,
        tie: crate::watch_report::ArchiveTie,
    ) -> Record {
        let mut r = Self::from_parts(
            run,
            events,
            exported_at,
            Signals::Absent("not part of a watch report".into()),
        );
        r.attachments
            .retain(|a| a.name == EVENTS_FILE || a.name == RUNBOOK_FILE);
        r.attachments.push(report);
        r.evidence.clear();
        r.manifest.format = crate::watch_report::REPORT_FORMAT.into();
        // Its own id, never an archive's (even one exported at the same second and head).
        r.manifest.archive_id = archive_id(
            &format!("watch-report {}", r.manifest.run_id),
            &r.manifest.head_hash,
            exported_at,
        );
        r.manifest.watch_report_of = Some(tie);
        r.manifest.attachments = r
            .attachments
            .iter()
            .map(|a| ManifestEntry {
                name: a.name.clone(),
                sha256: a.sha256.clone(),
                bytes: a.data.len() as u64,
            })
            .collect();
        r
    }

    /// The manifest as the attachment that carries it.
    pub fn manifest_attachment(&self) -> Attachment {
        let value = serde_json::to_value(&self.manifest).unwrap_or(Value::Null);
        Attachment::new(
            MANIFEST_FILE.into(),
            "application/json",
            "What this archive states: each attachment's sha256 and the event log's head".into(),
            canonical_json(&value).into_bytes(),
        )
    }
}

/// The event log as embedded: a canonical JSON array of the stored events.
pub fn events_json(events: &[StoredEvent]) -> String {
    let value = serde_json::to_value(events).unwrap_or(Value::Null);
    canonical_json(&value)
}

/// Each step's latest output, one excerpt per stream (a new run of the step replaces what the
/// last one left), and every output recorded as an attachment of its own, in log order.
fn evidence(events: &[StoredEvent]) -> (BTreeMap<String, Vec<Evidence>>, Vec<Attachment>) {
    let mut evidence: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    let mut outputs = Vec::new();
    let mut runs: BTreeMap<String, u32> = BTreeMap::new();
    for e in events {
        match Event::decode(e) {
            Ok(Event::StepStarted { step, .. }) => {
                *runs.entry(step.clone()).or_default() += 1;
                evidence.remove(&step);
            }
            Ok(Event::StepOutput { step, stream, output }) => {
                let n = runs.get(&step).copied().unwrap_or(1);
                let suffix = if n > 1 { format!(".run{n}") } else { String::new() };
                let name = format!("evidence/{}{suffix}.{}.txt", file_safe(&step), file_safe(&stream));
                outputs.push(Attachment::new(
                    name.clone(),
                    "text/plain",
                    format!(
                        "Output of step {step} ({stream}), event {}, as recorded (redacted, capped)",
                        e.seq
                    ),
                    output.text.clone().into_bytes(),
                ));
                evidence.entry(step).or_default().push(Evidence {
                    stream,
                    excerpt: output,
                    attachment: name,
                });
            }
            _ => {}
        }
    }
    (evidence, outputs)
}

/// `attachments` with one of each name, the last, in their order.
fn last_of_each_name(mut attachments: Vec<Attachment>) -> Vec<Attachment> {
    // A name repeated by a re-run of the same attempt number keeps the last; names must be unique.
    let mut seen = std::collections::HashSet::new();
    attachments.reverse();
    attachments.retain(|a| seen.insert(a.name.clone()));
    attachments.reverse();
    attachments
}

/// 16 hex digits naming this export of this run at this head.
fn archive_id(run_id: &str, head_hash: &str, exported_at: &str) -> String {
    let full = sha256_hex(format!("{run_id}\n{head_hash}\n{exported_at}").as_bytes());
    full[..16].to_string()
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Backup manifests and drill reports by step id.
pub type BackupBodies = (
    Vec<(String, flightdeck_engine::backup::Manifest)>,
    Vec<(String, flightdeck_engine::backup::DrillReport)>,
);

/// The latest body of each `pg-backup` step that reads as a backup manifest, and of each
/// `pg-restore` step that reads as a drill report, in step order.
pub fn backup_bodies(r: &Record) -> BackupBodies {
    bodies_of(&r.run, &r.evidence)
}

fn bodies_of(run: &LoadedRun, evidence: &BTreeMap<String, Vec<Evidence>>) -> BackupBodies {
    let (mut backups, mut drills) = (Vec::new(), Vec::new());
    for st in &run.state.steps {
        let Some(body) = evidence
            .get(&st.id)
            .and_then(|evs| evs.iter().find(|e| e.stream == "body"))
        else {
            continue;
        };
        match st.kind.as_str() {
            "pg-backup" => {
                if let Ok(m) = serde_json::from_str(&body.excerpt.text) {
                    backups.push((st.id.clone(), m));
                }
            }
            "pg-restore" => {
                if let Ok(d) = serde_json::from_str(&body.excerpt.text) {
                    drills.push((st.id.clone(), d));
                }
            }
            _ => {}
        }
    }
    (backups, drills)
}

/// Each backup manifest and drill report as an attachment of its own (`backup/STEP.manifest.json`,
/// `backup/STEP.drill.json`); never the dump.
fn backup_attachments(run: &LoadedRun, evidence: &BTreeMap<String, Vec<Evidence>>) -> Vec<Attachment> {
    let (backups, drills) = bodies_of(run, evidence);
    let json = |v: Value| canonical_json(&v).into_bytes();
    let mut out = Vec::new();
    for (step, m) in backups {
        out.push(Attachment::new(
            format!("backup/{}.manifest.json", file_safe(&step)),
            "application/json",
            format!("The manifest of the backup step {step} took (the dump itself is not attached)"),
            json(serde_json::to_value(&m).unwrap_or(Value::Null)),
        ));
    }
    for (step, d) in drills {
        out.push(Attachment::new(
            format!("backup/{}.drill.json", file_safe(&step)),
            "application/json",
            format!("The restore drill report of step {step}: stages, RTO, row-count parity"),
            json(serde_json::to_value(&d).unwrap_or(Value::Null)),
        ));
    }
    out
}
