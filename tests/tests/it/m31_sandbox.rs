//! The bundled M31 runbook, run end to end through the CLI against a real `flightdeck sandbox`
//! in its Postgres mode (a database of its own on `.ci/services.sh`'s cluster) and a real
//! Prometheus scraping it every second: `run all` is green and fills the fields (the signal
//! count, the baseline, the SLO breaches, §3's backup and restore drill into a scratch database
//! on the same throwaway cluster, §7's final backup); `fault latency=800ms` turns the SLO step
//! red; `fault down` makes the health check report Unhealthy.

use std::time::{Duration, Instant};

use flightdeck_testsupport::cli::exit::{OK, REFUSED, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::prometheus::Prometheus;
use flightdeck_testsupport::sandbox::SandboxProcess;
use serde_json::Value;

/// The longest the latency SLO may take to go critical: the fast pair's long window of the
/// sandbox's 1-day SLOs (2 minutes), plus scrapes.
const FAST_PAIR: Duration = Duration::from_secs(150);

fn field(show: &Value, id: &str) -> (Option<String>, Option<String>) {
    let f = show["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["id"] == id)
        .expect("field exists");
    (
        f["value"].as_str().map(str::to_string),
        f["captured_from"].as_str().map(str::to_string),
    )
}

/// `run all` on a fresh sandbox: every annotated step passes.
fn assert_every_annotated_step_passes(cli: &Cli, id: &str, vars: &[String]) {
    let mut args: Vec<&str> = vec!["--json", "run", "all", id, "--by", "rm"];
    for v in vars {
        args.extend(["--var", v.as_str()]);
    }
    let results = json_of(&cli.exits(OK, args));
    let results = results.as_array().expect("array");
    assert_eq!(
        results.len(),
        19,
        "19 of the 27 steps are annotated for the sandbox; the rest are manual"
    );
    for r in results {
        assert_eq!(r["result"]["outcome"], "passed", "{}", r["step"]);
    }
}

/// The captures filled the checklist's blanks, marked as captured.
fn assert_captures_filled_the_fields(cli: &Cli, id: &str) {
    let show = cli.show(id);
    assert_eq!(
        field(&show, "8.application"),
        (
            Some("Healthy".into()),
            Some("8.health-check-validation.step".into())
        )
    );
    assert_eq!(
        field(&show, "10.retry-after-header-present").0.as_deref(),
        Some("Yes")
    );
    assert_eq!(
        field(&show, "11.payment-processing").0.as_deref(),
        Some("Success")
    );
    assert_eq!(field(&show, "11.provider").0.as_deref(), Some("stripe"));
    assert_eq!(field(&show, "7.feature-flags").0.as_deref(), Some("5"));
    assert!(field(&show, "11.response-time").0.is_some());
    // §9 and §12 from the golden signals and the four SLOs of §4.
    assert_eq!(
        field(&show, "9.signal-count").0.as_deref(),
        Some("12"),
        "all twelve golden signals of M31 §4 are recording"
    );
    assert_eq!(field(&show, "9.monitoring-active").0.as_deref(), Some("Yes"));
    assert_eq!(
        field(&show, "12.baseline-metrics-captured").0.as_deref(),
        Some("Yes")
    );
    assert_eq!(field(&show, "12.slo-breaches").0.as_deref(), Some("0"));
    assert_eq!(field(&show, "12.breached-slos").0.as_deref(), Some("none"));
    // §3 and §7 from pg_dump and the restore drill.
    let file = field(&show, "3.backup-file").0.expect("3.backup-file captured");
    assert!(
        file.ends_with(".dump") && std::path::Path::new(&file).is_file(),
        "{file}"
    );
    assert!(field(&show, "3.size").0.is_some());
    assert_eq!(field(&show, "3.result").0.as_deref(), Some("Success"));
    assert!(field(&show, "3.rto-achieved").0.is_some());
    let last = field(&show, "7.final-backup").0.expect("7.final-backup captured");
    assert!(last.ends_with(".dump") && last != file, "{last}");
}

/// The sandbox's own database on `.ci/services.sh`'s Postgres, dropped on drop.
struct SandboxDb {
    admin: String,
    name: String,
    url: String,
}

impl SandboxDb {
    fn create(admin: &str) -> SandboxDb {
        let name = format!("fd_m31_sandbox_{}", std::process::id());
        psql(admin, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(admin, &format!("CREATE DATABASE {name}"));
        let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
        SandboxDb {
            admin: admin.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for SandboxDb {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let st = std::process::Command::new("/usr/lib/postgresql/15/bin/psql")
        .args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .status()
        .expect("psql runs");
    assert!(st.success(), "psql: {sql}");
}

/// 800 ms of latency breaks the latency SLO: once Prometheus has scraped the slow answers (within
/// the fast pair's window), section 12's SLO step fails its assertion, names the SLO in its
/// breach field, and a failed step exits 8.
fn assert_latency_fails_the_slo_step(cli: &Cli, sandbox: &SandboxProcess, id: &str, vars: &[String]) {
    sandbox.set_fault("latency=800ms");
    let step = "12.slo-compliance-check.step";
    let t = Instant::now();
    let slo = loop {
        let out = cli.output([
            "--json", "run", "step", id, step, "--by", "rm", "--var", &vars[0], "--var", &vars[1],
        ]);
        if out.status.code() == Some(STEPS_FAILED) {
            break json_of(&out);
        }
        assert!(
            t.elapsed() < FAST_PAIR,
            "the latency SLO never breached within the fast pair's window: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_secs(2));
    };
    let slo = &slo.as_array().expect("array")[0];
    assert_eq!(slo["result"]["outcome"], "failed");
    assert_eq!(slo["result"]["failure"], "assertion");
    let show = cli.show(id);
    let breached = field(&show, "12.breached-slos").0.unwrap_or_default();
    assert!(breached.contains("API latency P95 < 500ms"), "{breached}");
    sandbox.set_fault("clear");
}

/// Down: the health check reports Unhealthy in the checklist's own choice fields.
fn assert_down_is_unhealthy(cli: &Cli, sandbox: &SandboxProcess, id: &str, vars: &[String]) {
    sandbox.set_fault("down");
    cli.exits(
        STEPS_FAILED,
        [
            "run",
            "step",
            id,
            "8.health-check-validation.step",
            "--by",
            "rm",
            "--var",
            &vars[0],
        ],
    );
    let show = cli.show(id);
    assert_eq!(field(&show, "8.application").0.as_deref(), Some("Unhealthy"));
    assert_eq!(field(&show, "8.database").0.as_deref(), Some("Unhealthy"));
    sandbox.set_fault("clear");
}

#[test]
fn bundled_m31_runs_green_against_the_sandbox_and_faults_turn_the_right_steps_red() {
    let Some(pg) = flightdeck_testsupport::needs::postgres() else {
        return;
    };
    let db = SandboxDb::create(&pg);
    let backups = tempfile::tempdir().expect("temp dir");
    let sandbox = SandboxProcess::start_on(true, Some(&db.url));
    let addr = sandbox
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("the sandbox's address");
    let Some(prometheus) = Prometheus::start(addr) else {
        return;
    };
    prometheus.wait_for_scrapes(5);
    let cli = Cli::new();
    let vars = [
        format!("SANDBOX_URL={}", sandbox.url()),
        format!("PROMETHEUS_URL={}", prometheus.url()),
        format!("DATABASE_URL={}", db.url),
        format!("RESTORE_TARGET_URL={pg}"),
        format!("BACKUP_DIR={}", backups.path().display()),
    ];
    let id = cli.new_run("bundled:m31", "sandbox");

    assert_every_annotated_step_passes(&cli, &id, &vars);
    assert_captures_filled_the_fields(&cli, &id);
    assert_latency_fails_the_slo_step(&cli, &sandbox, &id, &vars);
    assert_down_is_unhealthy(&cli, &sandbox, &id, &vars);

    // A manual step cannot be run; the chain of everything recorded verifies.
    let err = cli.fails(
        REFUSED,
        [
            "run",
            "step",
            &id,
            "1.security-testing-owasp-wstg-smoke-tests.step",
            "--by",
            "rm",
        ],
    );
    assert!(err.contains("manual"), "{err}");
    cli.ok(["run", "verify", &id]);
}
