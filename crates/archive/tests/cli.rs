//! `flightdeck archive verify --cert` with the signer's certificate as reviewers get it: as
//! `openssl pkcs7 -print_certs` prints it from the archive's own signature (`subject=` and
//! `issuer=` lines before the PEM block, which `--cert` used to refuse); and a crafted manifest
//! whose ids carry escape sequences, printed escaped.

mod common;

use std::process::Command;

use common::hostile;
use flightdeck_testsupport::cli::{exit, json_of, streams, Cli};
use flightdeck_testsupport::needs;

#[test]
fn a_certificate_printed_by_openssl_pkcs7_with_text_before_it_pins_the_signer() {
    if !needs::programs(&["openssl"]) {
        return;
    }
    let cli = Cli::new();
    assert!(
        flightdeck_testsupport::cli::binary().exists(),
        "build the CLI first (cargo build -p flightdeck-cli)"
    );
    let pdf = common::export(&common::m31_run(), &common::identity());
    let archive = cli.write("archive.pdf", &pdf);
    let sig = cli.write("sig.der", hostile::cms_of(&pdf));
    let printed = cli.dir().join("signer.pem");
    let out = Command::new("openssl")
        .args(["pkcs7", "-inform", "DER", "-print_certs", "-in"])
        .arg(&sig)
        .arg("-out")
        .arg(&printed)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "{}", streams(&out));
    let text = std::fs::read_to_string(&printed).expect("read");
    assert!(
        text.starts_with("subject=") && text.contains("\nissuer="),
        "openssl puts the subject and issuer before the block: {text}"
    );
    let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 temp path").to_string();
    let report = json_of(&cli.exits(
        exit::OK,
        [
            "--json",
            "archive",
            "verify",
            &path(&archive),
            "--cert",
            &path(&printed),
        ],
    ));
    let pinned = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "pinned_certificate"))
        .unwrap_or_else(|| panic!("a pinned_certificate check: {report}"));
    assert_eq!(pinned["ok"], true, "{pinned}");

    // Someone else's certificate, printed the same way, is read too, and refused as the signer.
    let other = format!(
        "subject=CN = Ana Ruiz\nissuer=CN = Ana Ruiz\n\n{}",
        pem_of(common::identity().certificate_der())
    );
    let other = cli.write("other.pem", other);
    let out = cli.exits(
        exit::VERIFY_FAILED,
        ["archive", "verify", &path(&archive), "--cert", &path(&other)],
    );
    assert!(
        streams(&out).contains("FAIL pinned_certificate"),
        "{}",
        streams(&out)
    );
}

/// `der` as a PEM CERTIFICATE block.
fn pem_of(der: &[u8]) -> String {
    use der::pem::{encode_string, LineEnding};
    encode_string("CERTIFICATE", LineEnding::LF, der).expect("PEM")
}

/// The attack round's recipe, with no key: the manifest's archive and run ids rewritten to clear
/// the line, print a passing check and a verdict, and recolour what follows. The file fails (exit
/// 5), and nothing of it reaches the terminal raw: each escape is shown, on the manifest's line.
#[test]
fn a_manifest_whose_ids_carry_escape_sequences_prints_them_escaped() {
    let cli = Cli::new();
    assert!(
        flightdeck_testsupport::cli::binary().exists(),
        "build the CLI first (cargo build -p flightdeck-cli)"
    );
    let pdf = common::export(&common::m31_run(), &common::identity());
    let doc = lopdf::Document::load_mem(&pdf).expect("parse");
    let id = hostile::attachment_stream(&doc, "manifest.json");
    let stream = doc
        .get_object(id)
        .and_then(lopdf::Object::as_stream)
        .expect("stream");
    let raw = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let mut manifest: serde_json::Value = serde_json::from_slice(&raw).expect("manifest JSON");
    let forged = "\u{1b}[2K\rok   event_chain          forged\narchive verified\u{1b}[8m";
    manifest["archive_id"] = forged.into();
    manifest["run_id"] = "\u{9b}31m\u{202e}".into();
    let body = serde_json::to_vec(&manifest).expect("encode");
    let crafted = hostile::with_attachment(
        &pdf,
        "manifest.json",
        lopdf::Stream::new(lopdf::dictionary! { "Type" => "EmbeddedFile" }, body),
    );
    let file = cli.write("crafted.pdf", crafted);
    let out = cli.exits(
        exit::VERIFY_FAILED,
        ["archive", "verify", file.to_str().expect("UTF-8 temp path")],
    );
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    for c in ['\u{1b}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} reached the terminal: {text:?}");
    }
    let line = text
        .lines()
        .find(|l| l.contains("manifest"))
        .unwrap_or_else(|| panic!("a manifest line: {text}"));
    assert!(
        line.contains(r"archive \u{1b}[2K\rok   event_chain          forged\narchive verified\u{1b}[8m of run \u{9b}31m\u{202e}"),
        "the ids are shown escaped on the manifest's own line: {line}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("ok   event_chain          forged")),
        "{text}"
    );
    assert!(!text.lines().any(|l| l == "archive verified"), "{text}");
    assert!(
        text.trim_end().ends_with("ARCHIVE DOES NOT VERIFY"),
        "{}",
        streams(&out)
    );
}
