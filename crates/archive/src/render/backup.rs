//! "Backups and restore drills": each `pg-backup` step's manifest (source, server, snapshot,
//! size, sha256, tables) and each `pg-restore` drill's report (stages, RTO against the
//! objective, the row-count parity table, smoke queries), read from the step's latest recorded
//! body. The manifests and reports are attached (`record`); the dump itself never is.

use flightdeck_engine::backup::{human_bytes, DrillReport, Manifest};

use crate::layout::{Face, Pages, GREEN, INK, LEFT, MUTED, RED};
use crate::record::{backup_bodies, Record};

/// Rows of a parity table drawn; the attached report has them all.
const PARITY_ROWS: usize = 60;

pub(super) fn backups(p: &mut Pages, r: &Record) {
    let (backups, drills) = backup_bodies(r);
    if backups.is_empty() && drills.is_empty() {
        return;
    }
    p.heading(16.0, "Backups and restore drills", 60.0);
    for (step, m) in &backups {
        manifest(p, step, m);
    }
    for (step, d) in &drills {
        drill(p, step, d);
    }
}

fn manifest(p: &mut Pages, step: &str, m: &Manifest) {
    p.text_line(LEFT, Face::Bold, 10.5, INK, &format!("Backup: {step}"));
    let s = &m.source;
    let rows = [
        (
            "Artifact",
            format!("{} ({:?}, {} job(s))", m.artifact, m.format, m.jobs),
        ),
        (
            "Size",
            format!("{} ({} bytes)", human_bytes(m.size_bytes), m.size_bytes),
        ),
        ("sha256", m.sha256.clone()),
        (
            "Source",
            format!("{}@{}:{}/{}", s.user, s.host, s.port, s.database),
        ),
        (
            "Server",
            format!(
                "PostgreSQL {} (system identifier {})",
                s.server.version, s.server.system_identifier
            ),
        ),
        (
            "Taken",
            format!("{} → {} ({} ms)", m.started_at, m.finished_at, m.duration_ms),
        ),
        ("pg_dump", m.pg_dump_version.clone()),
        (
            "Contents",
            format!(
                "{} TOC entries, {} tables, {} rows, {} large object(s), snapshot {}",
                m.toc_entries,
                m.tables.len(),
                m.tables.iter().map(|t| t.rows).sum::<u64>(),
                m.large_objects,
                m.snapshot
            ),
        ),
    ];
    for (k, v) in rows {
        p.field(LEFT + 8.0, 78.0, k, &v, 9.0, INK);
    }
    p.space(6.0);
}

fn drill(p: &mut Pages, step: &str, d: &DrillReport) {
    let (verdict, color) = if d.passed {
        ("PASSED", GREEN)
    } else {
        ("FAILED", RED)
    };
    p.text_line(
        LEFT,
        Face::Bold,
        10.5,
        color,
        &format!("Restore drill: {step} — {verdict}"),
    );
    let rto = format!(
        "{:.2} min against an objective of {:.2} min: {}",
        d.rto_ms as f64 / 60_000.0,
        d.rto_objective_ms as f64 / 60_000.0,
        if d.within_objective { "within" } else { "over" }
    );
    let stages: Vec<String> = d
        .stages
        .iter()
        .map(|s| format!("{} {} ms", s.stage.name(), s.ms))
        .collect();
    let rows = [
        ("Backup", format!("{} (sha256 {})", d.backup, d.backup_sha256)),
        (
            "Source",
            format!("{} (system identifier {})", d.source, d.source_system_identifier),
        ),
        (
            "Target",
            format!(
                "{} (system identifier {}), scratch database {}{}",
                d.target,
                d.target_system_identifier,
                d.scratch,
                if d.kept { ", kept" } else { ", dropped" }
            ),
        ),
        ("RTO", rto),
        ("Stages", stages.join(" · ")),
        (
            "Restore",
            format!("{} ms (pg_restore: create, data, post-data)", d.restore_ms),
        ),
    ];
    for (k, v) in rows {
        let c = if k == "RTO" && !d.within_objective {
            RED
        } else {
            INK
        };
        p.field(LEFT + 8.0, 78.0, k, &v, 9.0, c);
    }
    parity(p, d);
    for s in &d.smoke {
        let line = format!(
            "{} {} → {}",
            if s.ok { "pass" } else { "FAIL" },
            s.query,
            s.detail
        );
        p.text_line(LEFT + 16.0, Face::Mono, 8.5, if s.ok { INK } else { RED }, &line);
    }
    p.space(6.0);
}

/// The row-count parity table: `=` or `≠`, the manifest's count, the restored count, the table.
fn parity(p: &mut Pages, d: &DrillReport) {
    p.text_line(
        LEFT + 8.0,
        Face::Bold,
        9.0,
        MUTED,
        "Row counts: table · manifest · restored",
    );
    for t in d
        .tables
        .iter()
        .chain(std::iter::once(&d.large_objects))
        .take(PARITY_ROWS)
    {
        let actual = t.actual.map_or("missing".to_owned(), |a| a.to_string());
        let line = format!(
            "{}  {} · {}  {}",
            if t.ok { "=" } else { "≠" },
            t.expected,
            actual,
            t.table
        );
        p.text_line(LEFT + 16.0, Face::Mono, 8.5, if t.ok { INK } else { RED }, &line);
    }
    if d.tables.len() + 1 > PARITY_ROWS {
        let more = d.tables.len() + 1 - PARITY_ROWS;
        p.text_line(
            LEFT + 16.0,
            Face::Sans,
            8.5,
            MUTED,
            &format!("… {more} more in the attached report"),
        );
    }
}
