//! The D0–D7 watch through the CLI: `watch plan` edits, `watch RUN` headless against a real
//! sandbox (slots due before it started are recorded missed, one catch-up runs), Ctrl-C stops
//! it cleanly, `watch status --json`, `watch export --systemd`, and `alert test ROUTE` reaching
//! a receiver on loopback with its secret from the OS keyring.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Stdio};

use flightdeck_testsupport::cli::{json_of, streams, Cli};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::sandbox::SandboxProcess;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// RFC 3339 for now + `minutes`.
fn at(minutes: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

const CHECKS: &str = "8.health-check-validation.step,10.feature-flags-operational.step";

#[test]
fn watch_runs_headless_records_missed_slots_and_one_catch_up_then_ends() {
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    cli.ok([
        "watch",
        "plan",
        &run,
        "--t0",
        &at(-10),
        "--band",
        "0m-10m/5m",
        "--until",
        "10m",
        "--summary",
        "off",
        "--budget",
        "10m",
        "--checks",
        CHECKS,
        "--by",
        "ana",
    ]);
    let var = format!("SANDBOX_URL={}", sandbox.url());
    let out = cli.ok(["watch", &run, "--no-alerts", "--var", &var, "--by", "watcher"]);
    assert!(out.contains("missed (not running)"), "{out}");
    assert!(out.contains("(catch-up): passed"), "{out}");
    let st = cli.json(["watch", "status", &run]);
    // The checks' catch-up passed; the budget summary fails on the sandbox's `ai_inference`
    // category, which it seeds over its alert threshold.
    let counts = (
        st["passed"].as_u64(),
        st["failed"].as_u64(),
        st["missed"].as_u64(),
        st["pending"].as_u64(),
    );
    assert_eq!(counts, (Some(1), Some(1), Some(1), Some(0)), "{st:#}");
    let cells = st["cells"].as_array().expect("cells");
    assert_eq!(cells[0]["reason"], "not running");
    assert_eq!(cells[1]["catch_up"], true);
    // Each check is one compact event: verdict and key values, no output.
    let events = cli.json(["run", "events", &run]);
    let slot = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| {
            e["kind"] == "watch_slot" && e["payload"]["status"] == "passed" && e["payload"]["kind"] == "check"
        })
        .expect("a check slot");
    let lines = slot["payload"]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["values"]["status"], "200");
    assert!(slot.to_string().len() < 2048, "compact: {slot}");
    // The budget summary read /admin/budgets.
    let budget = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["payload"]["kind"] == "budget")
        .expect("budget");
    let lines = budget["payload"]["lines"].as_array().expect("lines");
    let alerting = lines
        .iter()
        .find(|l| l["passed"] == false)
        .expect("an alerting category");
    assert!(
        alerting["message"]
            .as_str()
            .is_some_and(|m| m.contains("over its alert threshold")),
        "{budget}"
    );
    assert!(alerting["values"]["used_pct"].is_string(), "{budget}");
}

/// Kills the child on drop, whatever the test did.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ctrl_c_stops_a_foreground_watch_cleanly() {
    let sandbox = SandboxProcess::start(false);
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    cli.ok([
        "watch",
        "plan",
        &run,
        "--t0",
        &at(0),
        "--checks",
        CHECKS,
        "--by",
        "ana",
    ]);
    let var = format!("SANDBOX_URL={}", sandbox.url());
    let mut cmd = std::process::Command::new(flightdeck_testsupport::cli::binary());
    cmd.args(["--store"]).arg(cli.store()).args([
        "watch",
        &run,
        "--no-alerts",
        "--var",
        &var,
        "--by",
        "watcher",
    ]);
    let mut child = Reaped(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut first = String::new();
    // "watching run ..." then the first slot (T-0's check, due now).
    for _ in 0..2 {
        first.clear();
        stdout.read_line(&mut first).expect("a line");
    }
    assert!(first.contains("check@+0"), "{first}");
    kill(
        Pid::from_raw(i32::try_from(child.0.id()).expect("pid")),
        Signal::SIGINT,
    )
    .expect("SIGINT");
    let status = child.0.wait().expect("wait");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest");
    assert!(status.success(), "exit {status:?}: {rest}");
    assert!(rest.contains("stopped; the slots so far are recorded"), "{rest}");
    let st = cli.json(["watch", "status", &run]);
    assert_eq!(st["passed"].as_u64(), Some(1), "{st:#}");
}

#[test]
fn export_writes_a_persistent_user_timer_and_its_service() {
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let dir = cli.dir().join("units");
    let out = cli.json([
        "watch",
        "export",
        &run,
        "--systemd",
        "--dir",
        dir.to_str().expect("utf-8"),
    ]);
    let timer = std::fs::read_to_string(out["timer"].as_str().expect("timer")).expect("timer file");
    let service = std::fs::read_to_string(out["service"].as_str().expect("service")).expect("service file");
    assert!(
        timer.contains("Persistent=true") && timer.contains("OnCalendar="),
        "{timer}"
    );
    assert!(
        service.contains(&format!("watch \"{run}\"")) && service.contains("--store"),
        "{service}"
    );
}

#[test]
fn alert_test_reaches_the_routes_receiver_with_its_keyring_secret() {
    if needs::keyring().is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // PagerDuty is paid SaaS: this loopback server answers as its Events API v2 does (202).
    let server = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("a request");
        let mut buf = vec![0u8; 16 << 10];
        let mut got = Vec::new();
        loop {
            let n = c.read(&mut buf).expect("read");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= len || n == 0 {
                    break;
                }
            }
        }
        let answer = r#"{"status":"success"}"#;
        let _ = write!(
            c,
            "HTTP/1.1 202 Accepted\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        );
        String::from_utf8_lossy(&got).to_string()
    });
    let cli = Cli::new();
    let cfg = serde_json::json!({
        "routes": [{"name": "critical", "severities": ["critical"], "receivers": ["pager"]}],
        "receivers": [{"type": "pagerduty", "name": "pager", "routing_key_secret": "PD_KEY",
                       "url": format!("http://127.0.0.1:{port}/v2/enqueue")}]
    });
    let file = cli.write("alerts.json", cfg.to_string());
    let out = cli
        .cmd()
        .args(["secret", "set", "sandbox", "PD_KEY"])
        .write_stdin("pd-routing-key-0123")
        .output()
        .expect("secret set");
    assert!(out.status.success(), "{}", streams(&out));
    let out = cli
        .cmd()
        .args(["--json", "alert", "test", "critical", "--alerts"])
        .arg(&file)
        .output()
        .expect("alert test");
    assert!(out.status.success(), "{}", streams(&out));
    let args: Vec<std::ffi::OsString> = ["--json", "alert", "test", "critical", "--alerts"]
        .iter()
        .map(Into::into)
        .chain([file.clone().into_os_string()])
        .collect();
    flightdeck_testsupport::cli::check_json(&args, &out);
    let recs = json_of(&out);
    assert_eq!(recs[0]["sent"], true);
    let req = server.join().expect("the server");
    assert!(req.starts_with("POST /v2/enqueue"), "{req}");
    assert!(
        req.contains(r#""routing_key":"pd-routing-key-0123""#) && req.contains(r#""event_action":"trigger""#),
        "{req}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pd-routing-key-0123"));
}

/// Issue 15 point 1's "editable in the CLI": `watch plan` shows the plan read from the runbook,
/// changes it (bands, checks, summaries, length; one `watch_plan_set` event by `--by`), shows the
/// change, and refuses an edit by a blank `--by`, a band that ends before it starts and a check
/// that is no runnable step of the runbook, each saying what is wrong.
#[test]
fn watch_plan_is_shown_and_edited_from_the_cli() {
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    let refused = |args: &[&str], want: &str| {
        let out = cli.output(args);
        assert!(!out.status.success(), "{args:?} is refused: {}", streams(&out));
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains(want), "{args:?}: `{want}` in {err}");
    };
    refused(&["watch", "plan", &run], "cutover-date");
    cli.ok([
        "run",
        "meta",
        &run,
        "cutover-date",
        "2026-12-04T09:00:00Z",
        "--by",
        "ana",
    ]);
    let shown = cli.ok(["watch", "plan", &run]);
    assert!(
        shown.contains("T-0 2026-12-04T09:00:00") && shown.contains("band 0m-2h/5m"),
        "{shown}"
    );

    // --by defaults (FLIGHTDECK_USER, the app's name, the login): a blank one is refused.
    refused(
        &["watch", "plan", &run, "--band", "0h-4h/10m", "--by", " "],
        "--by (who does it) must not be empty",
    );
    refused(
        &["watch", "plan", &run, "--band", "4h-2h/10m", "--by", "ana"],
        "4h-2h",
    );
    refused(
        &["watch", "plan", &run, "--checks", "no-such-step", "--by", "ana"],
        "no-such-step",
    );

    cli.ok([
        "watch",
        "plan",
        &run,
        "--band",
        "0h-4h/10m",
        "--band",
        "4h-1d/1h",
        "--checks",
        CHECKS,
        "--summary",
        "off",
        "--until",
        "2d",
        "--by",
        "ana",
    ]);
    let p = cli.json(["watch", "plan", &run]);
    let bands: Vec<(u64, u64, u64)> = p["bands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| {
            let n = |k: &str| b[k].as_u64().expect("minutes");
            (n("from_min"), n("to_min"), n("every_min"))
        })
        .collect();
    assert_eq!(bands, vec![(0, 240, 10), (240, 1440, 60)], "{p:#}");
    assert_eq!(p["end_min"], 2880);
    assert_eq!(p["summary_every_min"], 0);
    assert_eq!(p["checks"].as_array().map(Vec::len), Some(2), "{p:#}");
    let events = cli.json(["run", "events", &run]);
    let set: Vec<_> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "watch_plan_set")
        .collect();
    assert_eq!(set.len(), 1, "one event for the edit");
    assert_eq!(set[0]["by"], "ana");
}
