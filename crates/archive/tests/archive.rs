//! The archive end to end: a finished M31 run exported, signed and checked by Flightdeck's own
//! verifier and by poppler and qpdf, then tampered with in every way a file can be.

mod common;

use std::io::Write;
use std::process::{Command, Output};
use std::sync::OnceLock;

use flightdeck_archive::{verify, Identity, Report};
use flightdeck_engine::run::RunState;
use flightdeck_engine::store::StoredEvent;
use lopdf::dictionary;

/// The export and what the store held when it was made (the store itself is not `Sync`).
struct Exported {
    events: Vec<StoredEvent>,
    state: RunState,
    section_titles: Vec<String>,
    who: Identity,
    pdf: Vec<u8>,
}

fn exported() -> &'static Exported {
    static ONCE: OnceLock<Exported> = OnceLock::new();
    ONCE.get_or_init(|| {
        let fx = common::m31_run();
        let who = common::identity();
        let pdf = common::export(&fx, &who);
        let run = flightdeck_engine::run::load(&fx.store, &fx.run_id).expect("load");
        Exported {
            events: fx.store.events(&fx.run_id).expect("events"),
            state: run.state,
            section_titles: run.runbook.sections.iter().map(|s| s.title.clone()).collect(),
            who,
            pdf,
        }
    })
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".pdf")
        .tempfile()
        .expect("temp file");
    f.write_all(bytes).expect("write");
    f.flush().expect("flush");
    f
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} runs: {e}"))
}

fn failed(report: &Report) -> Vec<&'static str> {
    report.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
}

#[test]
fn the_export_verifies_and_names_each_check() {
    let e = exported();
    let report = verify(&e.pdf, Some(e.who.certificate_der()));
    assert!(report.ok, "a fresh export verifies: {:#?}", report.checks);
    let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
    for want in [
        "byte_range",
        "no_later_revision",
        "cms_signature",
        "signed_attributes",
        "cms_canonical",
        "pinned_certificate",
        "signature_field",
        "manifest",
        "attachments",
        "event_chain",
        "event_head",
    ] {
        assert!(names.contains(&want), "the report names `{want}`: {names:?}");
    }
    assert!(report.signer.as_deref().is_some_and(|s| s.contains("Ana Ruiz")));
}

#[test]
fn another_pinned_certificate_fails() {
    let e = exported();
    let other = common::identity();
    let report = verify(&e.pdf, Some(other.certificate_der()));
    assert!(!report.ok, "signed by a different key than the pinned one");
    assert_eq!(failed(&report), vec!["pinned_certificate"]);
}

#[test]
fn pdfsig_says_the_signature_is_valid_and_covers_the_whole_document() {
    let f = write_temp(&exported().pdf);
    let out = run("pdfsig", &[f.path().to_str().expect("utf-8 path")]);
    let text = String::from_utf8_lossy(&out.stdout);
    // pdfsig exits 0 even on a digest mismatch: its words are what count.
    assert!(text.contains("Signature is Valid."), "pdfsig:\n{text}");
    assert!(text.contains("Total document signed"), "pdfsig:\n{text}");
    assert!(text.contains("ETSI.CAdES.detached"), "pdfsig:\n{text}");
}

#[test]
fn qpdf_check_passes() {
    let f = write_temp(&exported().pdf);
    let out = run("qpdf", &["--check", f.path().to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "qpdf --check:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pdfdetach_gives_back_the_event_log_byte_for_byte() {
    let e = exported();
    let f = write_temp(&e.pdf);
    let dir = tempfile::tempdir().expect("dir");
    let out_path = dir.path().join("events.json");
    let out = run(
        "pdfdetach",
        &[
            "-savefile",
            "events.json",
            "-o",
            out_path.to_str().expect("utf-8"),
            f.path().to_str().expect("utf-8"),
        ],
    );
    assert!(
        out.status.success(),
        "pdfdetach: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read(&out_path).expect("detached file");
    let want = flightdeck_archive::record::events_json(&e.events);
    assert_eq!(
        got,
        want.into_bytes(),
        "the embedded log is the store's log, canonical JSON"
    );
}

#[test]
fn pdftotext_shows_the_sections_and_the_decision() {
    let f = write_temp(&exported().pdf);
    let out = run("pdftotext", &["-layout", f.path().to_str().expect("utf-8"), "-"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Critical Success Criteria",
        "Decision: GO",
        "dana",
        "load test environment down; risk accepted by VP Eng",
        "Step timing",
        "Timeline: planned against actual",
        "T-0 (Cutover Date): 2025-06-01 00:00 UTC",
        "T-24h to T-4h",
        "Document control",
        "Controls",
        "§13 emergency disable drill",
        "automatic revert (drill)",
        "OUTCOME UNKNOWN: breaker trip stripe",
        "no outcome was recorded after it",
        "read again 30 s later: ON (100%), DID NOT HOLD OFF (0%)",
        "Flag drift at the decision",
        "DRIFT community_enabled: expected OFF (0%), actual ON (5%)",
        "Attachments",
        "events.json",
        "Page 1 of",
    ] {
        assert!(text.contains(want), "pdftotext shows `{want}`");
    }
    assert!(
        !text.contains("OUTCOME UNKNOWN: flag"),
        "an attempt with its outcome recorded is not unknown"
    );
    for title in exported().section_titles.iter() {
        let words: String = title.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        assert!(text.contains(&words), "pdftotext shows section `{title}`");
    }
}

/// A small deterministic generator, so a failure names a reproducible flip.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn a_thousand_byte_flips_and_truncations_all_fail() {
    let pdf = &exported().pdf;
    let mut rng = Lcg(0x5eed);
    for round in 0..1000 {
        let mut bad = pdf.clone();
        let what = if round % 4 == 3 {
            let keep = (rng.next() as usize) % bad.len();
            bad.truncate(keep);
            format!("truncated to {keep} bytes")
        } else {
            let at = (rng.next() as usize) % bad.len();
            let flip = (rng.next() % 255 + 1) as u8;
            bad[at] ^= flip;
            format!("byte {at} xor {flip:#04x}")
        };
        let report = verify(&bad, None);
        assert!(!report.ok, "round {round}: {what} went unnoticed");
    }
}

/// Saves `inc` after the signed file and checks the verifier refuses it: nothing may follow the
/// signed revision.
fn assert_refused_as_a_later_revision(mut inc: lopdf::IncrementalDocument) {
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("save");
    let report = verify(&out, None);
    assert!(!report.ok, "a revision after the signature verifies");
    assert!(
        failed(&report).contains(&"no_later_revision"),
        "{:?}",
        failed(&report)
    );
}

#[test]
fn an_incremental_update_after_signing_fails() {
    let e = exported();
    // A changed title.
    let doc = lopdf::Document::load_mem(&e.pdf).expect("parse");
    let mut inc = lopdf::IncrementalDocument::create_from(e.pdf.clone(), doc);
    let info = dictionary! { "Title" => lopdf::Object::string_literal("Everything was fine") };
    let info_id = inc.new_document.add_object(info);
    inc.new_document.trailer.set("Info", info_id);
    assert_refused_as_a_later_revision(inc);

    // An added page.
    let doc = lopdf::Document::load_mem(&e.pdf).expect("parse");
    let pages_id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(lopdf::Object::as_reference)
        .expect("pages");
    let mut inc = lopdf::IncrementalDocument::create_from(e.pdf.clone(), doc);
    inc.opt_clone_object_to_new_document(pages_id).expect("clone");
    let page = inc.new_document.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    let pages = inc
        .new_document
        .get_object_mut(pages_id)
        .and_then(lopdf::Object::as_dict_mut)
        .expect("pages dict");
    let count = pages
        .get(b"Count")
        .and_then(lopdf::Object::as_i64)
        .expect("count");
    pages.set("Count", count + 1);
    pages
        .get_mut(b"Kids")
        .and_then(lopdf::Object::as_array_mut)
        .expect("kids")
        .push(page.into());
    assert_refused_as_a_later_revision(inc);
}

#[test]
fn an_event_removed_and_re_embedded_without_re_signing_fails() {
    let e = exported();
    let mut doc = lopdf::Document::load_mem(&e.pdf).expect("parse");
    let events = e.events.clone();
    let mut fewer = events.clone();
    fewer.remove(events.len() / 2);
    let tampered = flightdeck_archive::record::events_json(&fewer);
    // Find the events.json stream and replace its content, then rewrite the file.
    let mut replaced = false;
    let ids: Vec<_> = doc.objects.keys().copied().collect();
    for id in ids {
        let Ok(lopdf::Object::Stream(s)) = doc.get_object(id) else {
            continue;
        };
        let content = s.decompressed_content().unwrap_or_else(|_| s.content.clone());
        if content == flightdeck_archive::record::events_json(&events).as_bytes() {
            let mut stream = lopdf::Stream::new(
                dictionary! { "Type" => "EmbeddedFile" },
                tampered.clone().into_bytes(),
            );
            stream.compress().expect("compress");
            doc.objects.insert(id, lopdf::Object::Stream(stream));
            replaced = true;
        }
    }
    assert!(replaced, "the event log stream was found");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    let opened = flightdeck_archive::open(&out, None);
    assert!(!opened.report.ok);
    let bad = failed(&opened.report);
    assert!(
        bad.contains(&"event_chain"),
        "the chain check itself catches the gap: {bad:?}"
    );
    assert!(
        bad.contains(&"attachments"),
        "the stated sha256 no longer matches: {bad:?}"
    );
}

#[test]
fn the_run_is_rebuilt_offline_from_the_archive_alone() {
    let e = exported();
    let opened = flightdeck_archive::open(&e.pdf, None);
    assert!(opened.report.ok);
    let contents = opened.contents.expect("contents");
    let (_, state) = flightdeck_archive::rebuild(&contents).expect("rebuild");
    assert_eq!(
        state, e.state,
        "the fold of the embedded log is the live run's state"
    );
}

#[test]
fn an_edited_checkpoint_row_never_reaches_the_archive() {
    let f = common::m31_run();
    let path = f._dir.path().join("fd.sqlite");
    // The fixture's writes left a checkpoint of the folded state; claim someone else created the
    // run (its first event, long before the checkpoint's seq, so nothing after it corrects it).
    let conn = rusqlite::Connection::open(&path).expect("open the store file");
    let edited = conn
        .execute(
            "UPDATE state_checkpoints SET state = json_set(state, '$.created_by', 'mallory') \
             WHERE run_id = ?1",
            [&f.run_id],
        )
        .expect("edit the checkpoint row");
    assert_eq!(edited, 1, "the fixture's writes left a checkpoint row to edit");
    drop(conn);
    // A fresh connection: nothing of the real state is left in memory.
    let store = flightdeck_engine::store::Store::open(&path).expect("reopen");
    let record = flightdeck_archive::Record::gather(&store, &f.run_id, common::EXPORTED_AT).expect("gather");
    assert_eq!(
        record.run.state.created_by, "ana",
        "the archive folds the log it embeds, not the store's checkpoint"
    );
}
