//! The archive's golden-signal and burn-rate charts: a sandbox run with a fault, against a real
//! Prometheus scraping the sandbox every second, exports with the charts (pdftotext finds the
//! section and the SLO gates' verdicts), carries the samples behind them (pdfdetach returns
//! `signals/*.json`, which redraw the charts: twelve golden series with samples, four SLOs with
//! their burn rates and verdicts) and verifies, the samples covered like every attachment. A run
//! without signals (the M31 fixture: its sandbox has no Prometheus) exports, verifies and says
//! why the charts are absent.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use flightdeck_archive::{verify, ExportOpts};
use flightdeck_engine::store::Store;
use flightdeck_testsupport::cli::exit::STEPS_FAILED;
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::prometheus::Prometheus;
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;
use time::OffsetDateTime;

/// The longest the error SLO may take to go critical under `errors=5%`: the fast pair's long
/// window of the sandbox's 1-day SLOs (2 minutes), plus scrapes.
const FAST_PAIR: Duration = Duration::from_secs(150);
const SLO_STEP: &str = "12.slo-compliance-check.step";

fn text_of(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "pdftotext: {}", streams(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pdfdetach -list`: the embedded files' names.
fn attached(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdfdetach")
        .arg("-list")
        .arg(pdf)
        .output()
        .expect("pdfdetach runs");
    assert!(out.status.success(), "pdfdetach: {}", streams(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": ").map(|(_, name)| name.trim().to_string()))
        .collect()
}

/// `pdfdetach -savefile NAME`: the file's bytes as JSON.
fn detach_json(pdf: &Path, name: &str, dir: &Path) -> Value {
    let out_path = dir.join(name.replace('/', "_"));
    let out = Command::new("pdfdetach")
        .args(["-savefile", name, "-o"])
        .arg(&out_path)
        .arg(pdf)
        .output()
        .expect("pdfdetach runs");
    assert!(
        out.status.success(),
        "pdfdetach -savefile {name}: {}",
        streams(&out)
    );
    let bytes = std::fs::read(&out_path).expect("the detached file");
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is JSON: {e}"))
}

/// Run the SLO gate until an SLO breaches (exit 8), within the fast pair's window.
fn gate_until_breached(cli: &Cli, run: &str) {
    let t = Instant::now();
    loop {
        let out = cli.output(["run", "step", run, SLO_STEP, "--by", "rm"]);
        if out.status.code() == Some(STEPS_FAILED) {
            return;
        }
        assert!(
            t.elapsed() < FAST_PAIR,
            "no SLO breached within the fast pair's window: {}",
            streams(&out)
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// `pdfdetach` returns the samples: the twelve golden series (most with samples) and one
/// burn-rate file per SLO with its samples, the breached one with its verdict. Answers the `signals/` names.
fn assert_the_samples_are_attached(file: &Path) -> Vec<String> {
    let names = attached(file);
    let signals: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with("signals/"))
        .cloned()
        .collect();
    assert_eq!(
        signals.len(),
        5,
        "the golden samples and one burn-rate file per SLO: {names:?}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let golden = detach_json(file, "signals/golden.to-export.json", dir.path());
    let series = golden["series"].as_array().expect("series");
    assert_eq!(series.len(), 12, "the twelve golden signals of M31 §4");
    let with_samples = series
        .iter()
        .filter(|s| {
            s["data"]["value"]["points"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        })
        .count();
    let reasons: Vec<&Value> = series.iter().filter_map(|s| s["data"].get("reason")).collect();
    assert!(
        with_samples >= 10,
        "the sandbox's signals have samples: {with_samples} of 12; no data: {reasons:?}"
    );
    let burn_files: Vec<Value> = signals
        .iter()
        .filter(|n| n.starts_with("signals/burn."))
        .map(|n| detach_json(file, n, dir.path()))
        .collect();
    for b in &burn_files {
        assert!(
            b["burn_rates"].as_array().is_some_and(|r| !r.is_empty()),
            "burn-rate samples of {}",
            b["slo"]["text"]
        );
    }
    // 5 % errors breaches the error SLO or the payment SLO first (payments fail too): whichever
    // breached, its gate verdict is in its samples.
    let breached = burn_files.iter().any(|b| {
        b["gate_verdicts"].as_array().is_some_and(|vs| {
            vs.iter()
                .any(|v| v["breached"] == true && v["state"] == "critical")
        })
    });
    assert!(breached, "a critical breach is in the samples");
    signals
}

#[test]
fn the_archive_of_a_sandbox_run_with_a_fault_draws_the_signals_carries_the_samples_and_verifies() {
    if !needs::programs(&["pdftotext", "pdfdetach"]) {
        return;
    }
    let sandbox = SandboxProcess::start(true);
    let addr = sandbox
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("the sandbox's address");
    let Some(prometheus) = Prometheus::start(addr) else {
        return;
    };
    // A minute of samples first: the archive's window is a day in 2,880 steps of 30 s, each rate
    // over 31 s, so a series needs a few steps of data to show points.
    prometheus.wait_for_scrapes(60);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    cli.ok(["env", "set-var", "sandbox", "SANDBOX_URL", sandbox.url()]);
    cli.ok(["env", "set-var", "sandbox", "PROMETHEUS_URL", &prometheus.url()]);
    // A gate before the fault (its verdict, whatever it is, is recorded), then 5 % errors until
    // the gate breaches on a fast burn (the error SLO's or the payment SLO's).
    cli.output(["run", "step", &run, SLO_STEP, "--by", "rm"]);
    sandbox.set_fault("errors=5%");
    gate_until_breached(&cli, &run);
    sandbox.set_fault("clear");

    let store = Store::open(cli.store()).expect("the CLI's store");
    let who = common::identity();
    let pdf = flightdeck_archive::export(
        &store,
        &run,
        &who,
        &ExportOpts {
            now: OffsetDateTime::now_utc(),
        },
    )
    .expect("export");
    let report = verify(&pdf, Some(who.certificate_der()));
    assert!(report.ok, "the archive verifies: {:#?}", report.checks);
    let file = cli.write("run.pdf", &pdf);
    // To look at it: FLIGHTDECK_SIGNALS_PDF_OUT=/tmp/signals.pdf.
    if let Some(out) = std::env::var_os("FLIGHTDECK_SIGNALS_PDF_OUT") {
        std::fs::write(out, &pdf).expect("write the kept PDF");
    }

    let text = text_of(&file);
    for want in [
        "Golden signals and SLOs",
        "Golden signals, T-24h to the export",
        "SLO burn rates, T-24h to the export",
        "SLO gate verdicts",
        "of 4 SLOs breached",
        "BREACHED (critical)",
        "API latency P95 < 500ms (5min window)",
        "Error rate < 1% (5min window)",
    ] {
        assert!(text.contains(want), "pdftotext finds `{want}` in:\n{text}");
    }
    assert!(!text.contains("No golden-signal charts"), "the charts are there");

    let signals = assert_the_samples_are_attached(&file);
    // The manifest names every signals file with its hash: `verify`'s attachments check holds
    // them to it like every other attachment.
    let contents = flightdeck_archive::open(&pdf, None).contents.expect("contents");
    for n in &signals {
        assert!(
            contents.manifest.attachments.iter().any(|a| &a.name == n),
            "the manifest lists {n}"
        );
    }
}

#[test]
fn a_run_without_signals_exports_verifies_and_says_why_the_charts_are_absent() {
    if !needs::programs(&["pdftotext"]) {
        return;
    }
    let fx = common::m31_run();
    let who = common::identity();
    let pdf = common::export(&fx, &who);
    assert!(verify(&pdf, Some(who.certificate_der())).ok, "verifies");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("run.pdf");
    std::fs::write(&file, &pdf).expect("write");
    let text = text_of(&file);
    assert!(text.contains("Golden signals and SLOs"), "the section is there");
    assert!(
        text.contains("No golden-signal charts:"),
        "and says why it has no charts:\n{text}"
    );
    assert!(
        attached(&file).iter().all(|n| !n.starts_with("signals/")),
        "no samples attached"
    );
}
