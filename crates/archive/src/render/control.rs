//! Document control, on the last page: the checklist and its sha256, the versions, the run and
//! archive ids, the event log's head, the signer, and each attachment with its hash.

use crate::layout::{Face, Pages, INK, LEFT, MUTED};
use crate::record::Record;

use super::{completed_at, or_dash};

pub(super) fn control(p: &mut Pages, r: &Record, signer: &str) {
    let m = &r.manifest;
    p.heading(16.0, "Document control", 40.0);
    let w = 130.0;
    p.field(LEFT, w, "Checklist", &m.runbook_name, 9.5, INK);
    p.field(LEFT, w, "Checklist sha256", &m.runbook_sha256, 9.5, INK);
    p.field(
        LEFT,
        w,
        "Version",
        &format!("{} · Flightdeck {}", m.format, env!("CARGO_PKG_VERSION")),
        9.5,
        INK,
    );
    p.field(LEFT, w, "Release", &m.release, 9.5, INK);
    p.field(LEFT, w, "Environment", &m.env, 9.5, INK);
    p.field(
        LEFT,
        w,
        "Completion date",
        &or_dash(Some(&completed_at(r))),
        9.5,
        INK,
    );
    p.field(LEFT, w, "Archive id", &m.archive_id, 9.5, INK);
    p.field(LEFT, w, "Run id", &m.run_id, 9.5, INK);
    p.field(LEFT, w, "Events", &m.event_count.to_string(), 9.5, INK);
    p.field(LEFT, w, "Event log head", &m.head_hash, 9.5, INK);
    p.field(LEFT, w, "Signed by", signer, 9.5, INK);
    p.space(6.0);
    p.heading(12.0, "Attachments", 40.0);
    p.para(
        LEFT,
        Face::Sans,
        8.5,
        MUTED,
        "Embedded in this PDF. manifest.json states the same hashes; `flightdeck archive verify` checks the \
         signature over the whole file, the event chain and each hash below.",
    );
    for a in &m.attachments {
        p.text_line(
            LEFT,
            Face::Sans,
            8.5,
            INK,
            &format!("{} ({} bytes)", a.name, a.bytes),
        );
        p.text_line(
            LEFT + 12.0,
            Face::Mono,
            7.5,
            MUTED,
            &format!("sha256 {}", a.sha256),
        );
    }
}
