//! The attachments as Flightdeck embeds them, and nothing else: the catalog's `/AF` and the
//! embedded files tree name the same file specifications (one only in either fails), a file
//! specification's `/F` and `/UF` name its file as the tree does, `/EF /UF` is the same stream
//! as `/EF /F`, and names are plain relative names (poppler's `pdfdetach -saveall` would write
//! `../../x` outside its folder). Each built from a real archive with lopdf.

mod common;

use std::sync::OnceLock;

use common::hostile;
use flightdeck_archive::{open, Report};
use lopdf::{dictionary, Document, Object, ObjectId, Stream};

fn archive() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| common::export(&common::m31_run(), &common::identity()))
}

/// `attachments`' detail on `pdf`, which must fail.
fn attachments_detail(pdf: &[u8]) -> String {
    let report: Report = open(pdf, None).report;
    report
        .checks
        .iter()
        .find(|c| c.name == "attachments" && !c.ok)
        .map(|c| c.detail.clone())
        .unwrap_or_else(|| panic!("attachments fails: {:#?}", report.checks))
}

/// The archive, changed by `edit`, saved whole.
fn edited(edit: impl FnOnce(&mut Document)) -> Vec<u8> {
    let mut doc = Document::load_mem(archive()).expect("parse");
    edit(&mut doc);
    hostile::save(&mut doc)
}

/// The file specification of `name`.
fn spec_of(doc: &Document, name: &str) -> ObjectId {
    *doc.objects
        .iter()
        .find(|(_, o)| {
            o.as_dict().is_ok_and(|d| {
                d.has(b"EF")
                    && d.get(b"F")
                        .and_then(Object::as_str)
                        .is_ok_and(|f| f == name.as_bytes())
            })
        })
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("{name} has a file specification"))
}

fn af_mut(doc: &mut Document) -> &mut Vec<Object> {
    doc.catalog_mut()
        .and_then(|c| c.get_mut(b"AF"))
        .and_then(Object::as_array_mut)
        .expect("the catalog's /AF")
}

#[test]
fn the_untouched_archive_has_its_attachments_the_same_through_af_and_the_tree() {
    let report = open(archive(), None).report;
    let a = report
        .checks
        .iter()
        .find(|c| c.name == "attachments")
        .expect("checked");
    assert!(a.ok, "{}", a.detail);
}

#[test]
fn a_file_reachable_only_through_af_fails() {
    let pdf = edited(|doc| {
        let stream = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"NO-GO".to_vec(),
        ));
        let spec = doc.add_object(dictionary! {
            "Type" => "Filespec", "F" => Object::string_literal("hidden.txt"),
            "UF" => Object::string_literal("hidden.txt"), "EF" => dictionary! { "F" => stream },
        });
        af_mut(doc).push(spec.into());
    });
    let detail = attachments_detail(&pdf);
    assert!(
        detail.contains("/AF lists object") && detail.contains("which is not in the embedded files tree"),
        "{detail}"
    );
}

#[test]
fn a_file_in_the_tree_but_not_in_af_fails() {
    let pdf = edited(|doc| {
        let spec = spec_of(doc, "runbook.md");
        af_mut(doc).retain(|o| o.as_reference().ok() != Some(spec));
    });
    assert_eq!(
        attachments_detail(&pdf),
        "runbook.md is in the embedded files tree but not in the catalog's /AF"
    );
}

#[test]
fn an_ef_uf_stream_other_than_ef_f_fails() {
    let pdf = edited(|doc| {
        let other = doc.add_object(Stream::new(
            dictionary! { "Type" => "EmbeddedFile" },
            b"[]".to_vec(),
        ));
        let spec = spec_of(doc, "events.json");
        doc.get_object_mut(spec)
            .and_then(Object::as_dict_mut)
            .and_then(|d| d.get_mut(b"EF"))
            .and_then(Object::as_dict_mut)
            .expect("/EF")
            .set("UF", other);
    });
    assert_eq!(
        attachments_detail(&pdf),
        "events.json: /EF /UF is not the same stream as /EF /F"
    );
}

#[test]
fn a_uf_or_f_naming_another_file_than_the_tree_fails() {
    for key in ["UF", "F"] {
        let pdf = edited(|doc| {
            let spec = spec_of(doc, "events.json");
            doc.get_object_mut(spec)
                .and_then(Object::as_dict_mut)
                .expect("spec")
                .set(key, Object::string_literal("other.json"));
        });
        assert_eq!(
            attachments_detail(&pdf),
            format!("events.json: its file specification's /{key} does not name it")
        );
    }
}

#[test]
fn names_that_climb_out_start_at_the_root_or_hide_control_characters_fail() {
    for name in [
        "../../x",
        "evidence/../../../x",
        "/etc/cron.d/x",
        "\\x",
        "a\u{1b}[2Jb",
        "",
    ] {
        let pdf = edited(|doc| {
            let spec = spec_of(doc, "runbook.md");
            let names = doc
                .catalog_mut()
                .and_then(|c| c.get_mut(b"Names"))
                .and_then(Object::as_dict_mut)
                .and_then(|n| n.get_mut(b"EmbeddedFiles"))
                .and_then(Object::as_dict_mut)
                .and_then(|t| t.get_mut(b"Names"))
                .and_then(Object::as_array_mut)
                .expect("the tree's /Names");
            let at = names
                .iter()
                .position(|o| o.as_reference().ok() == Some(spec))
                .expect("runbook.md in the tree");
            names[at - 1] = Object::string_literal(name);
            let spec = doc
                .get_object_mut(spec)
                .and_then(Object::as_dict_mut)
                .expect("spec");
            spec.set("F", Object::string_literal(name));
            spec.set("UF", Object::string_literal(name));
        });
        let detail = attachments_detail(&pdf);
        assert!(
            detail.starts_with(&format!("{name:?} is not a plain relative name")),
            "the name is refused, shown escaped: {detail}"
        );
    }
}
