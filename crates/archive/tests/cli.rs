//! `flightdeck archive verify --cert` with the signer's certificate as reviewers get it: as
//! `openssl pkcs7 -print_certs` prints it from the archive's own signature (`subject=` and
//! `issuer=` lines before the PEM block, which `--cert` used to refuse).

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
