//! The D0–D7 watch report: a second signed PDF that names its archive (id and bytes) and
//! continues its event log. It verifies on its own like an archive (pdfsig agrees, pdftotext
//! reads the slots and alerts), and `review_pair` ties it to its archive: a tampered report, a
//! report naming another archive, or an archive file that is not the one named, fail with a
//! message saying which.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;

use flightdeck_archive::identity::{IdentityStore, MemoryIdentityStore};
use flightdeck_archive::watch_report::{self, review_pair, WatchReport};
use flightdeck_archive::{verify, Anchors, ExportOpts, Identity, Limits, SignerChoice, Subject, Verdict};
use flightdeck_engine::run::Event;
use flightdeck_engine::watch::alert::{AlertRecord, Severity};
use flightdeck_engine::watch::{self, Line, SlotKind, SlotRecord, SlotStatus, WatchPlan};
use time::macros::datetime;

const REPORT_AT: time::OffsetDateTime = datetime!(2025-06-09 10:00 UTC);

fn slot(minute: u32, status: SlotStatus, catch_up: bool) -> Event {
    let failed = status == SlotStatus::Failed;
    Event::WatchSlot(Box::new(SlotRecord {
        slot: format!("check@+{minute}"),
        kind: SlotKind::Check,
        minute,
        due: format!("2025-06-02T10:{minute:02}:00Z"),
        status,
        reason: (status == SlotStatus::Missed).then(|| "suspended".into()),
        catch_up,
        lines: if status == SlotStatus::Missed {
            vec![]
        } else {
            vec![Line {
                name: "8.health-check-validation.step".into(),
                passed: !failed,
                values: BTreeMap::from([("status".into(), if failed { "503" } else { "200" }.into())]),
                message: failed.then(|| "HTTP 503".into()),
            }]
        },
    }))
}

fn alert(sent: bool, delay_ms: u64) -> Event {
    Event::AlertNotified(Box::new(AlertRecord {
        route: "warning".into(),
        receiver: if sent { "team-chat" } else { "hook" }.into(),
        receiver_kind: if sent { "slack" } else { "webhook" }.into(),
        group: "warning/warning/health".into(),
        severity: Severity::Warning,
        category: "health".into(),
        firing: vec!["flightdeck/abcd/8.health-check-validation.step/warning".into()],
        resolved: vec![],
        repeat: false,
        test: false,
        sent,
        attempts: if sent { 1 } else { 4 },
        error: (!sent).then(|| "POST to 127.0.0.1: connection refused".into()),
        delay_ms,
    }))
}

/// The M31 fixture, archived, then a watch after it: a plan, 3 passed slots, a failed one, a
/// missed one and its catch-up, an alert sent in 31.5 s and one that failed.
struct Watched {
    fx: common::Fixture,
    archive: Vec<u8>,
    ids: MemoryIdentityStore,
    who: Identity,
}

fn watched() -> Watched {
    let (who, pair) = Identity::self_signed(
        &Subject {
            name: "Ana Ruiz".into(),
            organisation: None,
        },
        datetime!(2025-01-01 00:00 UTC),
    )
    .expect("identity");
    let ids = MemoryIdentityStore::default();
    ids.save(&pair).expect("keep the identity");
    let mut fx = common::m31_run();
    let archive = common::export(&fx, &who);
    let loaded = flightdeck_engine::run::load(&fx.store, &fx.run_id).expect("load");
    let mut plan = WatchPlan::from_runbook(&loaded.runbook, datetime!(2025-06-02 10:00 UTC)).expect("plan");
    plan.bands = vec![watch::parse_band("0h-1h/5m").expect("band")];
    plan.end_min = 60;
    let run = fx.run_id.clone();
    watch::set_plan(
        &mut fx.store,
        "ana",
        watch::SetWatchPlanReq {
            run: run.clone(),
            plan,
        },
    )
    .expect("plan set");
    for e in [
        slot(0, SlotStatus::Passed, false),
        slot(5, SlotStatus::Passed, false),
        slot(10, SlotStatus::Failed, false),
        alert(true, 31_500),
        alert(false, 38_000),
        slot(15, SlotStatus::Missed, false),
        slot(20, SlotStatus::Passed, true),
    ] {
        common::append(&mut fx.store, &run, e);
    }
    Watched {
        fx,
        archive,
        ids,
        who,
    }
}

fn report_of(w: &Watched, archive: &[u8]) -> Vec<u8> {
    watch_report::export_watch_report(
        &w.fx.store,
        &w.fx.run_id,
        archive,
        &w.ids,
        &SignerChoice::default(),
        &ExportOpts { now: REPORT_AT },
    )
    .expect("the watch report")
    .pdf
}

fn temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write");
    p
}

fn pinned(w: &Watched) -> Anchors {
    Anchors {
        pinned: Some(w.who.certificate_der().to_vec()),
        ..Anchors::default()
    }
}

#[test]
fn the_report_verifies_on_its_own_and_ties_to_its_archive() {
    let w = watched();
    let pdf = report_of(&w, &w.archive);
    let alone = verify(&pdf, Some(w.who.certificate_der()));
    assert!(alone.ok, "{:#?}", alone.checks);
    let names: Vec<_> = alone.checks.iter().map(|c| c.name).collect();
    assert!(
        names.contains(&"watch_report") && names.contains(&"cms_signature"),
        "{names:?}"
    );
    let manifest = alone
        .checks
        .iter()
        .find(|c| c.name == "manifest")
        .expect("manifest");
    assert!(manifest.detail.contains("watch report"), "{}", manifest.detail);

    let dir = tempfile::tempdir().expect("dir");
    let (a, r) = (temp(&dir, "a.pdf", &w.archive), temp(&dir, "r.pdf", &pdf));
    let pair = review_pair(&a, &r, &pinned(&w), &Limits::default()).expect("review");
    assert_eq!(pair.verdict, Verdict::Verified, "{:#?}", pair.tie);
    assert!(
        pair.tie.iter().all(|c| c.ok) && pair.tie.len() == 2,
        "{:#?}",
        pair.tie
    );

    // What it says: the slots and alerts of the watch, with how long the alert took.
    let data: WatchReport = {
        let opened = flightdeck_archive::open(&pdf, None);
        let c = opened.contents.expect("contents");
        assert_eq!(c.manifest.format, flightdeck_archive::REPORT_FORMAT);
        let tie = c.manifest.watch_report_of.clone().expect("names the archive");
        let am = flightdeck_archive::open(&w.archive, None)
            .contents
            .expect("archive")
            .manifest;
        assert_eq!(tie.archive_id, am.archive_id);
        let book = flightdeck_engine::runbook::parse(&c.manifest.runbook_name, c.runbook_source.as_bytes())
            .expect("runbook");
        WatchReport::from_events(&c.manifest.run_id, tie, &book, &c.events)
    };
    let n = &data.counts;
    assert_eq!(
        (n.slots, n.passed, n.failed, n.missed, n.catch_up),
        (5, 3, 1, 1, 1)
    );
    assert_eq!((n.alerts_sent, n.alerts_failed, n.max_delay_ms), (1, 1, 31_500));
    assert_eq!(
        data.slots.len(),
        3,
        "failed, missed and the catch-up: {:#?}",
        data.slots
    );
}

#[test]
fn pdfsig_and_pdftotext_read_the_report() {
    let w = watched();
    let dir = tempfile::tempdir().expect("dir");
    let r = temp(&dir, "r.pdf", &report_of(&w, &w.archive));
    let out = Command::new("pdfsig").arg(&r).output().expect("pdfsig runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // pdfsig exits 0 even on a digest mismatch: its words are what count.
    assert!(text.contains("Signature is Valid."), "pdfsig:\n{text}");
    assert!(text.contains("Total document signed"), "pdfsig:\n{text}");
    assert!(
        text.contains("Signature Field Name: Flightdeck watch report signature"),
        "its field names it:\n{text}"
    );
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&r)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let am = flightdeck_archive::open(&w.archive, None)
        .contents
        .expect("archive")
        .manifest;
    for want in [
        "SIGNED D0–D7 WATCH REPORT",
        am.archive_id.as_str(),
        "5 recorded: 3 passed, 1 failed, 1 missed, 1 run late as catch-up",
        "check@+10",
        "HTTP 503",
        "(suspended)",
        "31.5 s",
        "connection refused",
    ] {
        assert!(text.contains(want), "pdftotext has `{want}`:\n{text}");
    }
}

#[test]
fn a_tampered_report_fails_its_signature() {
    let w = watched();
    let mut pdf = report_of(&w, &w.archive);
    // One byte of the signed revision changed: the title in the XMP metadata (plain text).
    let at = pdf
        .windows(12)
        .position(|x| x == b"watch report")
        .expect("the title in the metadata");
    pdf[at] = b'W';
    let dir = tempfile::tempdir().expect("dir");
    let (a, r) = (temp(&dir, "a.pdf", &w.archive), temp(&dir, "r.pdf", &pdf));
    let pair = review_pair(&a, &r, &pinned(&w), &Limits::default()).expect("review");
    assert_eq!(pair.verdict, Verdict::Failed);
    assert!(pair.archive.report.ok, "the archive itself holds");
    let failed: Vec<_> = pair
        .watch_report
        .report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name)
        .collect();
    assert!(failed.contains(&"signed_attributes"), "{failed:?}");
    let digest = &pair
        .watch_report
        .report
        .checks
        .iter()
        .find(|c| c.name == "signed_attributes")
        .expect("check")
        .detail;
    assert!(digest.contains("message-digest differs"), "{digest}");
}

#[test]
fn a_report_naming_another_archive_or_other_bytes_fails_saying_which() {
    let w = watched();
    let report = report_of(&w, &w.archive);
    // Another export of the same run (a later second): another archive id.
    let other = flightdeck_archive::export(
        &w.fx.store,
        &w.fx.run_id,
        &w.who,
        &ExportOpts {
            now: common::EXPORTED_AT + time::Duration::seconds(1),
        },
    )
    .expect("another export");
    let dir = tempfile::tempdir().expect("dir");
    let (b, r) = (temp(&dir, "b.pdf", &other), temp(&dir, "r.pdf", &report));
    let pair = review_pair(&b, &r, &pinned(&w), &Limits::default()).expect("review");
    assert_eq!(pair.verdict, Verdict::Failed);
    assert!(
        pair.archive.report.ok && pair.watch_report.report.ok,
        "each holds alone"
    );
    let names = pair
        .tie
        .iter()
        .find(|c| c.name == "report_names_archive")
        .expect("the tie");
    assert!(
        !names.ok && names.detail.contains("names archive") && names.detail.contains("not this archive"),
        "{}",
        names.detail
    );

    // A report is made only from an archive that verifies, of the same run.
    let mut broken = w.archive.clone();
    let at = broken.len() / 2;
    broken[at] ^= 1;
    let e = watch_report::export_watch_report(
        &w.fx.store,
        &w.fx.run_id,
        &broken,
        &w.ids,
        &SignerChoice::default(),
        &ExportOpts { now: REPORT_AT },
    )
    .expect_err("a broken archive");
    assert!(e.to_string().contains("does not verify"), "{e}");
    let elsewhere = common::m31_run();
    let e = watch_report::export_watch_report(
        &elsewhere.store,
        &elsewhere.run_id,
        &w.archive,
        &w.ids,
        &SignerChoice::default(),
        &ExportOpts { now: REPORT_AT },
    )
    .expect_err("another run");
    assert!(e.to_string().contains("is of run"), "{e}");
}

#[test]
fn a_report_made_before_the_archive_was_co_signed_still_ties_to_it() {
    let w = watched();
    let pdf = report_of(&w, &w.archive);
    let (dana, _) = Identity::self_signed(
        &Subject {
            name: "Dana Decision".into(),
            organisation: None,
        },
        datetime!(2025-01-01 00:00 UTC),
    )
    .expect("identity");
    let cosigned = flightdeck_archive::cosign(
        &w.archive,
        &dana,
        &flightdeck_archive::CosignOpts {
            now: REPORT_AT,
            reason: Some("GO approved".into()),
        },
    )
    .expect("co-signed")
    .pdf;
    let dir = tempfile::tempdir().expect("dir");
    let (a, r) = (temp(&dir, "a.pdf", &cosigned), temp(&dir, "r.pdf", &pdf));
    let pair = review_pair(&a, &r, &pinned(&w), &Limits::default()).expect("review");
    assert_eq!(pair.verdict, Verdict::Verified, "{:#?}", pair.tie);
    // A later unsigned change to the archive is no earlier signed revision: the pair fails.
    let mut tampered = cosigned.clone();
    tampered.extend_from_slice(b"\n%%EOF");
    let a2 = temp(&dir, "a2.pdf", &tampered);
    let pair = review_pair(&a2, &r, &pinned(&w), &Limits::default()).expect("review");
    assert_eq!(pair.verdict, Verdict::Failed);
}
