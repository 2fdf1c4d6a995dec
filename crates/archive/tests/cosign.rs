//! Co-signing: the decision maker's signature added to the release manager's archive by a
//! further incremental update. Both signatures hold in `verify` and in poppler's pdfsig; a third
//! party's change between the two signatures (or after the last) is caught and named; the same
//! identity cannot sign twice; a file that is no Flightdeck archive is refused.

mod common;

use std::io::Write;
use std::process::Command;
use std::sync::OnceLock;

use flightdeck_archive::{cosign, CosignOpts, Error, Identity, Report, Subject};
use flightdeck_engine::{ErrorKind, HasKind};
use time::macros::datetime;

const COSIGNED_AT: time::OffsetDateTime = datetime!(2025-06-02 10:15 UTC);

struct Fixture {
    ana: Identity,
    dana: Identity,
    archive: Vec<u8>,
    cosigned: Vec<u8>,
}

fn person(name: &str) -> Identity {
    Identity::self_signed(
        &Subject {
            name: name.into(),
            organisation: Some("Example Payments Ltd".into()),
        },
        datetime!(2025-01-01 00:00 UTC),
    )
    .expect("identity")
    .0
}

fn opts(reason: Option<&str>) -> CosignOpts {
    CosignOpts {
        now: COSIGNED_AT,
        reason: reason.map(str::to_string),
    }
}

fn fixture() -> &'static Fixture {
    static ONCE: OnceLock<Fixture> = OnceLock::new();
    ONCE.get_or_init(|| {
        let ana = common::identity();
        let dana = person("Dana Decision");
        let archive = common::export(&common::m31_run(), &ana);
        let cosigned = cosign(&archive, &dana, &opts(Some("GO approved")))
            .expect("co-signed")
            .pdf;
        Fixture {
            ana,
            dana,
            archive,
            cosigned,
        }
    })
}

fn failed(report: &Report) -> Vec<(&'static str, &str)> {
    report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| (c.name, c.detail.as_str()))
        .collect()
}

/// pdfsig's words on `pdf` (it exits 0 even on a digest mismatch).
fn pdfsig(pdf: &[u8]) -> String {
    let mut f = tempfile::Builder::new().suffix(".pdf").tempfile().expect("temp");
    f.write_all(pdf).expect("write");
    f.flush().expect("flush");
    let out = Command::new("pdfsig")
        .arg(f.path())
        .output()
        .expect("pdfsig (.ci/deps.sh)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The file with one more unsigned incremental update: page 1's content stream replaced.
fn with_page_changed(pdf: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).expect("parse");
    let page = *doc.get_pages().get(&1).expect("page 1");
    let content = doc.get_page_contents(page)[0];
    let mut inc = lopdf::IncrementalDocument::create_from(pdf.to_vec(), doc);
    inc.opt_clone_object_to_new_document(content).expect("clone");
    let stream = inc
        .new_document
        .get_object_mut(content)
        .and_then(lopdf::Object::as_stream_mut)
        .expect("a stream");
    stream.set_plain_content(b"BT /F1 24 Tf 72 700 Td (NO-GO) Tj ET".to_vec());
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("save");
    out
}

#[test]
fn two_signatures_both_hold_in_verify_and_each_signer_is_named_with_the_reason() {
    let f = fixture();
    let report = flightdeck_archive::verify(&f.cosigned, Some(f.ana.certificate_der()));
    assert!(report.ok, "{:?}", failed(&report));
    let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
    for want in [
        "cosignatures",
        "only_signatures_added",
        "no_later_revision",
        "pinned_certificate",
    ] {
        assert!(names.contains(&want), "{want}: {names:?}");
    }
    assert!(
        report.signer.as_deref().is_some_and(|s| s.contains("Ana Ruiz")),
        "the archive's signer"
    );
    let [one, two] = report.signatures.as_slice() else {
        panic!("two signatures: {:?}", report.signatures)
    };
    assert_eq!(
        (one.index, one.name.as_deref(), one.ok),
        (1, Some("Ana Ruiz"), true)
    );
    assert_eq!(
        (two.index, two.name.as_deref(), two.ok),
        (2, Some("Dana Decision"), true)
    );
    assert_eq!(two.reason.as_deref(), Some("GO approved"));
    assert_eq!(two.signed_at.as_deref(), Some("2025-06-02T10:15:00Z"));
    assert_eq!(two.field, "Flightdeck co-signature 2");
    assert_eq!(two.cert_der.as_deref(), Some(f.dana.certificate_der()));
    assert_eq!(
        one.revision_end,
        Some(f.archive.len()),
        "the first signature still covers the archive as exported"
    );
    assert_eq!(two.revision_end, Some(f.cosigned.len()));
    assert!(
        f.cosigned.starts_with(&f.archive),
        "an incremental update: the archive's bytes untouched"
    );
}

#[test]
fn pdfsig_says_both_signatures_are_valid_and_the_last_covers_the_whole_document() {
    let text = pdfsig(&fixture().cosigned);
    assert_eq!(text.matches("Signature is Valid.").count(), 2, "{text}");
    assert!(!text.contains("Signature is Invalid"), "{text}");
    let second = text.split("Signature #2:").nth(1).expect("a second signature");
    assert!(second.contains("Dana Decision"), "{text}");
    assert!(second.contains("Total document signed"), "{text}");
    assert!(
        text.split("Signature #2:")
            .next()
            .is_some_and(|first| first.contains("Ana Ruiz")),
        "{text}"
    );
}

fn trusted(name: &str, who: &Identity) -> flightdeck_archive::trust::TrustedSigner {
    flightdeck_archive::trust::TrustedSigner {
        name: name.into(),
        fingerprint: flightdeck_engine::store::sha256_hex(who.certificate_der()),
        subject: who.subject(),
        added_at: "2025-06-01T00:00:00Z".into(),
        certificate: String::new(),
    }
}

#[test]
fn each_co_signer_is_judged_and_an_impostor_co_signer_fails_the_verdict() {
    use flightdeck_archive::{Anchors, Authenticity, Verdict};
    let f = fixture();
    let anchors = Anchors {
        signers: vec![trusted("Ana", &f.ana), trusted("Dana", &f.dana)],
        ..Anchors::default()
    };
    let r = flightdeck_archive::review(&f.cosigned, &anchors);
    assert_eq!(r.verdict, Verdict::Verified);
    assert_eq!(r.cosigners.len(), 1);
    assert_eq!(
        r.cosigners[0].authenticity.text(),
        "trusted: Dana (your trusted signers)"
    );
    // Only the archive's signer trusted: the co-signer is shown unauthenticated, the verdict holds.
    let only_ana = Anchors {
        signers: vec![trusted("Ana", &f.ana)],
        ..Anchors::default()
    };
    let r = flightdeck_archive::review(&f.cosigned, &only_ana);
    assert_eq!(r.verdict, Verdict::Verified);
    assert_eq!(r.cosigners[0].authenticity, Authenticity::Unauthenticated);
    // Someone else signing as "Dana Decision" under another key: rejected, and the file fails.
    let impostor = person("Dana Decision");
    let forged = cosign(&f.archive, &impostor, &opts(None)).expect("co-signed").pdf;
    let r = flightdeck_archive::review(&forged, &anchors);
    assert!(r.report.ok, "intact: the forgery is in who signed");
    assert!(
        matches!(r.cosigners[0].authenticity, Authenticity::Rejected { .. }),
        "{:?}",
        r.cosigners
    );
    assert_eq!(r.verdict, Verdict::Failed);
}

#[test]
fn a_third_signature_by_another_identity_also_holds() {
    let f = fixture();
    let three = cosign(&f.cosigned, &person("Olga On-Call"), &opts(None)).expect("third");
    assert_eq!(three.index, 3);
    let report = &three.report;
    assert!(report.ok, "{:?}", failed(report));
    assert_eq!(report.signatures.len(), 3);
    assert_eq!(report.signatures[2].reason, None, "no --reason, no /Reason");
    assert_eq!(pdfsig(&three.pdf).matches("Signature is Valid.").count(), 3);
}

#[test]
fn a_third_partys_change_between_the_signatures_is_caught_and_named() {
    let f = fixture();
    let changed = with_page_changed(&f.archive);
    // Co-signing through Flightdeck refuses it, naming what changed.
    let e = cosign(&changed, &f.dana, &opts(None)).expect_err("the file does not verify");
    assert!(matches!(e, Error::CosignRefused(_)), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert!(e.to_string().contains("page 1's content stream"), "{e}");
    // Another tool signs on top of the change: both signatures are valid on their own, which is
    // all pdfsig sees; verify names the change.
    let eve = person("Dana Decision");
    let signed = flightdeck_archive::sign::add_signature(
        changed,
        &eve,
        COSIGNED_AT,
        None,
        &flightdeck_archive::sign::cosign_field(2),
    )
    .expect("signed on top");
    assert_eq!(pdfsig(&signed).matches("Signature is Valid.").count(), 2);
    let report = flightdeck_archive::verify(&signed, None);
    let bad = failed(&report);
    assert_eq!(
        bad.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec!["only_signatures_added"],
        "{bad:?}"
    );
    assert!(
        bad[0].1.contains("the revision signature 2 signs")
            && bad[0].1.contains("changes object")
            && bad[0].1.contains("page 1's content stream"),
        "{bad:?}"
    );
    assert!(!report.signatures[1].ok && report.signatures[0].ok);
}

#[test]
fn a_change_after_the_last_signature_is_caught_and_named() {
    let changed = with_page_changed(&fixture().cosigned);
    let report = flightdeck_archive::verify(&changed, None);
    let bad = failed(&report);
    assert_eq!(
        bad.iter().map(|b| b.0).collect::<Vec<_>>(),
        vec!["no_later_revision"],
        "{bad:?}"
    );
    assert!(bad[0].1.contains("page 1's content stream"), "{bad:?}");
}

#[test]
fn a_revision_that_adds_an_object_besides_the_signature_is_named() {
    let f = fixture();
    // One update carrying the signature's objects and an extra one, as a careless tool might.
    let doc = lopdf::Document::load_mem(&f.archive).expect("parse");
    let mut inc = lopdf::IncrementalDocument::create_from(f.archive.clone(), doc);
    let extra = inc
        .new_document
        .add_object(lopdf::dictionary! { "Type" => "Note", "Text" => lopdf::Object::string_literal("hi") });
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("save");
    let signed = flightdeck_archive::sign::add_signature(
        out,
        &f.dana,
        COSIGNED_AT,
        None,
        &flightdeck_archive::sign::cosign_field(2),
    )
    .expect("signed");
    let report = flightdeck_archive::verify(&signed, None);
    let bad = failed(&report);
    assert!(
        bad.iter().any(|b| b.0 == "only_signatures_added"
            && b.1.contains(&format!("adds object {} 0 (a /Note)", extra.0))),
        "{bad:?}"
    );
}

#[test]
fn the_same_identity_cannot_sign_twice_and_the_archives_signer_cannot_co_sign() {
    let f = fixture();
    for (who, file, nth) in [
        (&f.dana, &f.cosigned, "signature 2 of 2"),
        (&f.ana, &f.archive, "signature 1 of 1"),
    ] {
        let e = cosign(file, who, &opts(None)).expect_err("already signed");
        assert!(matches!(e, Error::AlreadySigned(_)), "{e:?}");
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let text = e.to_string();
        assert!(text.contains("already signed") && text.contains(nth), "{text}");
    }
}

#[test]
fn a_file_that_is_not_a_flightdeck_archive_is_refused_clearly() {
    let dana = &fixture().dana;
    // A valid PDF, signed by nobody.
    let mut doc = lopdf::Document::with_version("1.7");
    let pages = doc.new_object_id();
    let page = doc.add_object(lopdf::dictionary! { "Type" => "Page", "Parent" => pages });
    doc.objects.insert(
        pages,
        lopdf::dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }.into(),
    );
    let catalog = doc.add_object(lopdf::dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut plain = Vec::new();
    doc.save_to(&mut plain).expect("save");
    for (what, bytes) in [("a plain PDF", plain), ("text", b"hello, not a pdf\n".to_vec())] {
        let e = cosign(&bytes, dana, &opts(None)).expect_err(what);
        assert!(matches!(e, Error::NotAnArchive(_)), "{what}: {e:?}");
        assert!(
            e.to_string()
                .starts_with("not a Flightdeck archive: it cannot be co-signed"),
            "{what}: {e}"
        );
    }
}

#[test]
fn more_signatures_than_the_limit_fail_by_name_before_any_is_read() {
    let f = fixture();
    let limits = flightdeck_archive::Limits {
        max_signatures: 1,
        ..flightdeck_archive::Limits::default()
    };
    let report = flightdeck_archive::open_with(&f.cosigned, None, &limits).report;
    let bad = failed(&report);
    assert!(
        bad.iter()
            .any(|b| b.0 == "cosignatures"
                && b.1.contains("2 signatures, over the limit of 1 (max_signatures)")),
        "{bad:?}"
    );
    assert!(!report.ok);
}
