//! Who signed an archive, through the CLI, from the attack round's recipes: an archive re-signed
//! by another key under the same name is intact, so `archive verify` says "signer not
//! authenticated" (exit 10) until the reviewer trusts a signer, and then rejects the impostor;
//! an organisation CA vouches for the signers it issued. And text from a run or an archive never
//! reaches the terminal raw: a note carrying escape sequences and a forged "archive verified"
//! line prints escaped, on its own line, while `--json` keeps it exact.

use std::path::{Path, PathBuf};
use std::process::Command;

use flightdeck_testsupport::cli::exit::{UNAUTHENTICATED, VERIFY_FAILED};
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::needs;

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (.ci/deps.sh)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A P-256 key and a self-signed certificate for `subject` (`/CN=…/O=…`), as files in `dir`.
fn self_signed(dir: &Path, name: &str, subject: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key.pem"));
    let cert = dir.join(format!("{name}.cert.pem"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "30",
        "-subj",
        subject,
        "-keyout",
        path(&key),
        "-out",
        path(&cert),
    ]);
    (key, cert)
}

/// Import `key`/`cert` as the signing identity and export `run` to `name`.
fn export_as(cli: &Cli, run: &str, key: &Path, cert: &Path, name: &str) -> PathBuf {
    let imported = cli.json([
        "archive",
        "import-identity",
        "--key",
        path(key),
        "--cert",
        path(cert),
    ]);
    assert!(
        imported["signer"].as_str().is_some_and(|s| s.contains("CN=")),
        "the subject archives are now signed as: {imported}"
    );
    let pdf = cli.dir().join(name);
    let out = cli.ok(["archive", "export", run, "-o", path(&pdf)]);
    assert!(out.contains("signer certificate sha256: "), "{out}");
    pdf
}

const SUBJECT: &str = "/CN=Ana Ruiz/O=Example Payments Ltd";

#[test]
fn a_re_signed_archive_is_not_authenticated_until_trusted_and_an_impostor_of_a_trusted_signer_is_rejected() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let (ana_key, ana_cert) = self_signed(cli.dir(), "ana", SUBJECT);
    let (eve_key, eve_cert) = self_signed(cli.dir(), "eve", SUBJECT);
    let real = export_as(&cli, &run, &ana_key, &ana_cert, "real.pdf");
    let forged = export_as(&cli, &run, &eve_key, &eve_cert, "forged.pdf");

    // Nobody trusted yet: both are intact, neither is authenticated; exit 10, not 0.
    for pdf in [&real, &forged] {
        let out = cli.exits(UNAUTHENTICATED, ["archive", "verify", path(pdf)]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("integrity: intact"), "{text}");
        assert!(text.contains("authenticity: signer not authenticated"), "{text}");
        assert!(
            text.trim_end()
                .ends_with("archive intact, signer not authenticated"),
            "{text}"
        );
        assert!(!text.contains("archive verified"), "{text}");
    }
    let json = cli.output(["--json", "archive", "verify", path(&forged)]);
    let v = flightdeck_testsupport::cli::json_of(&json);
    assert_eq!(v["verdict"], "intact_unauthenticated", "{v}");
    assert_eq!(v["authenticity"]["state"], "unauthenticated", "{v}");

    // The real signer's certificate, as `openssl pkcs7 -print_certs` writes it (text first).
    let pem = std::fs::read_to_string(&ana_cert).expect("cert");
    let with_text = cli.write(
        "ana-printed.pem",
        format!("subject={SUBJECT}\nissuer={SUBJECT}\n\n{pem}"),
    );
    let added = cli.ok([
        "archive",
        "trust",
        "add",
        path(&with_text),
        "--name",
        "Ana (release)",
    ]);
    assert!(added.contains("trusted \"Ana (release)\""), "{added}");
    let list = cli.json(["archive", "trust", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    let ok = cli.ok(["archive", "verify", path(&real)]);
    assert!(
        ok.contains("authenticity: trusted: Ana (release) (your trusted signers)"),
        "{ok}"
    );
    assert!(ok.trim_end().ends_with("archive verified"), "{ok}");
    // Same subject, another key: an impersonation, rejected with exit 5.
    let out = cli.exits(VERIFY_FAILED, ["archive", "verify", path(&forged)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("signer rejected") && text.contains("someone else signed"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signer rejected"),
        "{}",
        streams(&out)
    );
    // Pinning the original rejects it too.
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "verify", path(&forged), "--cert", path(&ana_cert)],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("not the pinned certificate"));
    // Only trusting the forger's own certificate makes it verify.
    cli.ok(["archive", "trust", "rm", "Ana (release)"]);
    cli.ok(["archive", "trust", "add", path(&eve_cert), "--name", "Eve"]);
    let ok = cli.ok(["archive", "verify", path(&forged)]);
    assert!(ok.contains("trusted: Eve"), "{ok}");
}

#[test]
fn a_signer_issued_by_the_organisation_ca_verifies_with_ca_and_not_with_another_ca() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let d = cli.dir();
    let (ca_key, ca_cert) = (d.join("ca.key.pem"), d.join("ca.cert.pem"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "365",
        "-subj",
        "/CN=Example Signing CA",
        "-keyout",
        path(&ca_key),
        "-out",
        path(&ca_cert),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    let (key, csr, cert) = (d.join("s.key.pem"), d.join("s.csr"), d.join("s.cert.pem"));
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        SUBJECT,
        "-keyout",
        path(&key),
        "-out",
        path(&csr),
    ]);
    let usage = cli.write("s.ext", "keyUsage=critical,digitalSignature,nonRepudiation\n");
    openssl(&[
        "x509",
        "-req",
        "-in",
        path(&csr),
        "-CA",
        path(&ca_cert),
        "-CAkey",
        path(&ca_key),
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        path(&usage),
        "-out",
        path(&cert),
    ]);
    let pdf = export_as(&cli, &run, &key, &cert, "ca-signed.pdf");

    let ok = cli.ok(["archive", "verify", path(&pdf), "--ca", path(&ca_cert)]);
    assert!(
        ok.contains("issued by your CA") && ok.trim_end().ends_with("archive verified"),
        "{ok}"
    );
    let (_, other_ca) = self_signed(d, "other-ca", "/CN=Example Signing CA");
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "verify", path(&pdf), "--ca", path(&other_ca)],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not issued by the given CA"), "{text}");
}

#[test]
fn escape_sequences_in_a_note_print_escaped_in_run_show_and_archive_show_and_exact_in_json() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    // Clear the screen, home the cursor, then forge a passing check and a verdict; a carriage
    // return and a bidi override for good measure.
    let evil = "\u{1b}[2J\u{1b}[H\nok   cms_signature          forged\narchive verified\rX\u{202e}txt";
    cli.ok(["run", "note", &run, evil, "--by", "ana"]);

    let (key, cert) = self_signed(cli.dir(), "ana", SUBJECT);
    let pdf = export_as(&cli, &run, &key, &cert, "evil.pdf");
    let run_show = cli.ok(["run", "show", &run]);
    let archive_show = cli.ok(["archive", "show", path(&pdf), "--cert", path(&cert)]);
    for (what, text) in [("run show", &run_show), ("archive show", &archive_show)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'),
            "{what}: {text:?}"
        );
        assert!(
            text.contains(r"\u{1b}[2J\u{1b}[H\nok   cms_signature"),
            "{what} shows it escaped: {text}"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("ok   cms_signature          forged")),
            "{what}: {text}"
        );
    }
    // The one "archive verified" line is the real verdict, last.
    assert_eq!(
        archive_show.lines().filter(|l| *l == "archive verified").count(),
        1,
        "{archive_show}"
    );
    // JSON stays exact.
    let state = cli.show(&run);
    let notes = state["notes"].as_array().expect("notes");
    assert!(notes.iter().any(|n| n["text"] == evil), "{state}");
}
