//! The D0–D7 watch report through the CLI, signed for real with the identity in the OS keyring:
//! `archive export`, then `watch RUN` against a real sandbox, then `watch report RUN --archive`;
//! `archive verify ARCHIVE --watch-report REPORT` checks both signatures and the tie; pdfsig
//! and pdftotext read the report; a tampered report, or the report held against another export
//! of the run, fails with exit 5 and says why.

use std::path::Path;
use std::process::Command;

use flightdeck_testsupport::cli::exit::{OK, VERIFY_FAILED};
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::SandboxProcess;

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

#[test]
fn a_watch_report_is_signed_tied_to_its_archive_and_verified_with_it() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = crate::secrets::IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let t0 = (time::OffsetDateTime::now_utc() - time::Duration::minutes(10))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    cli.ok([
        "watch",
        "plan",
        &run,
        "--t0",
        &t0,
        "--band",
        "0m-10m/5m",
        "--until",
        "10m",
        "--summary",
        "off",
        "--budget",
        "10m",
        "--checks",
        "8.health-check-validation.step",
        "--by",
        "ana",
    ]);
    let archive = cli.dir().join("archive.pdf");
    cli.exits(
        OK,
        [
            "archive",
            "export",
            &run,
            "-o",
            path(&archive),
            "--signer-name",
            "Test Signer",
        ],
    );
    let var = format!("SANDBOX_URL={}", sandbox.url());
    cli.ok(["watch", &run, "--no-alerts", "--var", &var, "--by", "watcher"]);

    let report = cli.dir().join("watch-report.pdf");
    let out = cli.ok([
        "watch",
        "report",
        &run,
        "--archive",
        path(&archive),
        "-o",
        path(&report),
    ]);
    assert!(out.contains("--watch-report"), "{out}");
    let cert = cli.dir().join("signer.pem");
    cli.ok(["archive", "cert", "-o", path(&cert)]);
    let both = cli.ok([
        "archive",
        "verify",
        path(&archive),
        "--watch-report",
        path(&report),
        "--cert",
        path(&cert),
    ]);
    assert!(both.contains("archive and watch report verified"), "{both}");
    assert!(both.contains("ok   report_names_archive"), "{both}");
    assert!(both.contains("ok   report_continues_archive"), "{both}");
    assert!(both.contains("ok   watch_report"), "{both}");

    // Poppler agrees (pdfsig exits 0 even on a digest mismatch: its words count) and reads it.
    let sig = Command::new("pdfsig")
        .arg(&report)
        .output()
        .expect("pdfsig (.ci/deps.sh)");
    let sig = String::from_utf8_lossy(&sig.stdout);
    assert!(
        sig.contains("Signature is Valid.") && sig.contains("Total document signed"),
        "{sig}"
    );
    let text = Command::new("pdftotext")
        .arg(&report)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    let id = cli.json(["archive", "verify", path(&archive), "--cert", path(&cert)]);
    let archive_id = id["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "manifest"))
        .and_then(|c| c["detail"].as_str())
        .and_then(|d| d.split_whitespace().nth(1))
        .expect("the archive id")
        .to_string();
    for want in [
        "SIGNED D0–D7 WATCH REPORT",
        archive_id.as_str(),
        "not running",
        "catch-up",
        "over its alert threshold",
    ] {
        assert!(text.contains(want), "pdftotext has `{want}`:\n{text}");
    }

    // A tampered report: one byte of its signed revision.
    let mut bytes = std::fs::read(&report).expect("read");
    let at = bytes
        .windows(12)
        .position(|w| w == b"watch report")
        .expect("the XMP title");
    bytes[at] = b'W';
    let bad = cli.write("tampered.pdf", &bytes);
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "verify", path(&archive), "--watch-report", path(&bad)],
    );
    let s = streams(&out);
    assert!(
        s.contains("FAIL signed_attributes") && s.contains("report signed_attributes"),
        "{s}"
    );

    // Another export of the same run: the report names the first, not this one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let other = cli.dir().join("other.pdf");
    cli.exits(
        OK,
        [
            "archive",
            "export",
            &run,
            "-o",
            path(&other),
            "--signer-name",
            "Test Signer",
        ],
    );
    let out = cli.exits(
        VERIFY_FAILED,
        ["archive", "verify", path(&other), "--watch-report", path(&report)],
    );
    let s = streams(&out);
    assert!(
        s.contains("FAIL report_names_archive")
            && s.contains(&format!("names archive {archive_id}, not this archive")),
        "{s}"
    );
}
