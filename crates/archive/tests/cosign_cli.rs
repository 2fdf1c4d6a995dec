//! `flightdeck archive cosign` through the binary with two keys in one real keyring (the Secret
//! Service of `.ci/services.sh`): the release manager's identity exports and signs, the decision
//! maker's (a second, named identity) co-signs; `archive verify` (text and --json) and pdfsig
//! show both signatures valid and name both signers; the same identity twice is refused (exit
//! 4); a change made between the signatures is refused (exit 5) naming it; a file that is not
//! an archive is refused (exit 5). The two identities are removed from the keyring afterwards.

mod common;

use std::path::Path;
use std::process::Command;

use flightdeck_engine::secrets::Keyring;
use flightdeck_testsupport::cli::exit::{OK, REFUSED, VERIFY_FAILED};
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::needs;

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// The named identities this test makes, removed from the keyring when it ends.
struct Identities(Vec<String>);

impl Drop for Identities {
    fn drop(&mut self) {
        if let Ok(k) = Keyring::open() {
            for name in &self.0 {
                for account in ["SIGNING_KEY_PEM", "SIGNING_CERT_PEM"] {
                    let _ = k.delete(".archive", &format!("{account}.{name}"));
                }
            }
        }
    }
}

/// The archive with page 1's content stream replaced by one more (unsigned) incremental update.
fn with_page_changed(pdf: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(pdf).expect("parse");
    let page = *doc.get_pages().get(&1).expect("page 1");
    let content = doc.get_page_contents(page)[0];
    let mut inc = lopdf::IncrementalDocument::create_from(pdf.to_vec(), doc);
    inc.opt_clone_object_to_new_document(content).expect("clone");
    inc.new_document
        .get_object_mut(content)
        .and_then(lopdf::Object::as_stream_mut)
        .expect("a stream")
        .set_plain_content(b"BT /F1 24 Tf 72 700 Td (NO-GO) Tj ET".to_vec());
    let mut out = Vec::new();
    inc.save_to(&mut out).expect("save");
    out
}

#[test]
fn the_decision_maker_co_signs_with_a_second_key_and_both_signatures_verify() {
    if needs::keyring().is_none() {
        return;
    }
    assert!(
        flightdeck_testsupport::cli::binary().exists(),
        "build the CLI first (cargo build -p flightdeck-cli)"
    );
    let tag = format!(
        "{}-{}",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp()
    );
    let (ana, dana) = (format!("ana-{tag}"), format!("dana-{tag}"));
    let _cleanup = Identities(vec![ana.clone(), dana.clone()]);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let archive = cli.dir().join("archive.pdf");
    let signer = ["--identity", ana.as_str(), "--signer-name", "Ana Release"];
    cli.exits(
        OK,
        ["archive", "export", &run, "-o", path(&archive)]
            .into_iter()
            .chain(signer),
    );
    let exported = std::fs::read(&archive).expect("read");
    let ana_pem = cli.dir().join("ana.pem");
    cli.ok(["archive", "cert", "--identity", &ana, "-o", path(&ana_pem)]);

    let out = cli.ok([
        "archive",
        "cosign",
        path(&archive),
        "--identity",
        &dana,
        "--signer-name",
        "Dana Decision",
        "--reason",
        "GO approved",
    ]);
    assert!(
        out.contains("co-signed") && out.contains("as signature 2 of 2"),
        "{out}"
    );
    assert!(out.contains("This identity was made now"), "{out}");
    let cosigned = std::fs::read(&archive).expect("read");
    assert!(
        cosigned.starts_with(&exported),
        "FILE grew by an incremental update"
    );

    let text = cli.ok(["archive", "verify", path(&archive), "--cert", path(&ana_pem)]);
    for want in [
        "ok   cosignatures",
        "ok   only_signatures_added",
        "signatures: 2",
        "1. ok   CN=Ana Release",
        "2. ok   CN=Dana Decision",
        "reason \"GO approved\"",
        "archive verified",
    ] {
        assert!(text.contains(want), "`{want}` in:\n{text}");
    }
    let json = cli.json(["archive", "verify", path(&archive), "--cert", path(&ana_pem)]);
    let names: Vec<_> = json["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| (s["name"].as_str().unwrap_or(""), s["ok"] == true))
        .collect();
    assert_eq!(
        names,
        vec![("Ana Release", true), ("Dana Decision", true)],
        "{json}"
    );
    assert_eq!(json["signatures"][1]["reason"], "GO approved");

    // The co-signer is named and judged: unauthenticated until the reviewer trusts them.
    assert!(text.contains("co-signer signer not authenticated"), "{text}");
    let dana_pem = cli.dir().join("dana.pem");
    cli.ok(["archive", "cert", "--identity", &dana, "-o", path(&dana_pem)]);
    cli.ok(["archive", "trust", "add", path(&dana_pem), "--name", "Dana"]);
    let text = cli.ok(["archive", "verify", path(&archive), "--cert", path(&ana_pem)]);
    assert!(
        text.contains("co-signer trusted: Dana (your trusted signers)"),
        "{text}"
    );

    let sig = Command::new("pdfsig")
        .arg(&archive)
        .output()
        .expect("pdfsig (.ci/deps.sh)");
    let sig = String::from_utf8_lossy(&sig.stdout);
    assert_eq!(sig.matches("Signature is Valid.").count(), 2, "{sig}");
    assert!(
        sig.contains("Dana Decision") && sig.contains("Ana Release"),
        "{sig}"
    );

    // The same identity again: refused, the file untouched.
    let again = cli.exits(
        REFUSED,
        ["archive", "cosign", path(&archive), "--identity", &dana],
    );
    assert!(
        streams(&again).contains("already signed this file (signature 2 of 2"),
        "{}",
        streams(&again)
    );
    assert_eq!(std::fs::read(&archive).expect("read"), cosigned);

    // A third party's change after the release manager signed: co-signing it is refused, naming it.
    let changed = cli.write("changed.pdf", with_page_changed(&exported));
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "cosign", path(&changed), "--identity", &dana],
    );
    let s = streams(&out);
    assert!(
        s.contains("not co-signed") && s.contains("page 1's content stream"),
        "{s}"
    );

    // Not an archive at all.
    let notes = cli.write("notes.pdf", b"meeting notes, not a PDF\n");
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "cosign", path(&notes), "--identity", &dana],
    );
    assert!(
        streams(&out).contains("not a Flightdeck archive"),
        "{}",
        streams(&out)
    );
}
