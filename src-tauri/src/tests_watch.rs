//! The Watch tab's commands through tauri's mock runtime, against a real sandbox in this process
//! and, for alerts, a loopback HTTP receiver and the real OS keyring: the plan edited (bands
//! keep their items; a bad band is refused), the watch run in the app on a clock 60 times
//! faster (passes, then a failed check with its values once the sandbox is down, its warning
//! alert sent and in the log), Start twice refused, Stop, and a route's Test recorded as an
//! `alert_notified` event.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flightdeck_sandbox::faults::Fault;
use flightdeck_testsupport::needs;
use serde_json::{json, Value};

use crate::tests::{call, named_app_with_run_at, App};
use crate::tests_controls::sandbox_for;

const HEALTH: &str = "8.health-check-validation.step";

/// Requests received by a loopback HTTP server answering 200 to each, until dropped.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<String>>>,
}

fn receiver() -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&got);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let req = read_request(&mut c);
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            keep.lock().expect("lock").push(req);
        }
    });
    Receiver { url, got }
}

fn read_request(c: &mut std::net::TcpStream) -> String {
    let mut buf = vec![0u8; 16 << 10];
    let mut got = Vec::new();
    loop {
        let n = c.read(&mut buf).unwrap_or(0);
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0usize);
            if body.len() >= len {
                return text;
            }
        }
        if n == 0 {
            return text;
        }
    }
}

fn view(app: &App, run: &Value) -> Value {
    call(app, "watch_view", json!({"run": run})).expect("watch view")
}

/// Poll the view until `ok` holds (at most `secs`).
fn until(app: &App, run: &Value, secs: u64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = view(app, run);
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {secs} s: {v:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn cells_of(v: &Value, status: &str) -> usize {
    v["status"]["cells"].as_array().map_or(0, |c| {
        c.iter()
            .filter(|c| c["kind"] == "check" && c["status"] == status)
            .count()
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[test]
fn the_plan_is_edited_in_the_app_and_a_bad_band_is_refused() {
    let (app, run) = named_app_with_run_at(1, "bundled:m31", "sandbox");
    let v = view(&app, &run);
    assert_eq!(v["status"], Value::Null);
    assert!(
        v["plan_error"]
            .as_str()
            .is_some_and(|m| m.contains("Cutover Date")),
        "{v}"
    );
    let routes: Vec<&str> = v["alert_config"]["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        routes,
        ["critical", "warning", "budget", "security"],
        "§15's routing"
    );
    assert_eq!(v["running"], false);

    call(
        &app,
        "set_meta",
        json!({"req": {"run": run, "key": "cutover-date", "value": "2026-12-04T09:00:00Z"}}),
    )
    .expect("T-0");
    let v = view(&app, &run);
    let bands = v["status"]["plan"]["bands"].as_array().expect("bands");
    assert_eq!(bands[0]["every_min"], 5, "§16: hours 0-2 every 5 minutes");
    let items = bands[0]["items"].clone();
    assert!(!items.as_array().expect("items").is_empty());

    let v = call(
        &app,
        "edit_watch_plan",
        json!({"req": {"run": run, "bands": ["0h-2h/10m", "2h-8h/30m"]}}),
    )
    .expect("edited");
    let bands = v["status"]["plan"]["bands"].as_array().expect("bands");
    assert_eq!(bands.len(), 2);
    assert_eq!(
        (bands[0]["every_min"].clone(), bands[1]["every_min"].clone()),
        (json!(10), json!(30))
    );
    assert_eq!(
        bands[0]["items"], items,
        "same bounds: the band keeps its runbook items"
    );
    let checks = v["status"]["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["kind"] == "check")
        .count();
    assert_eq!(checks, 12 + 12);

    for bad in [json!(["0h-2h"]), json!(["2h-8h/15m", "0h-2h/5m"])] {
        let err = call(
            &app,
            "edit_watch_plan",
            json!({"req": {"run": run, "bands": bad}}),
        )
        .expect_err("bad band");
        assert_eq!(err["code"], "invalid", "{err}");
    }
    let live = call(&app, "run_live", json!({"run": run})).expect("live");
    let plans: Vec<&Value> = live["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "watch_plan_set")
        .collect();
    assert_eq!(plans.len(), 1, "one event for the edit, none for the refusals");
    assert_eq!(plans[0]["actor"], "Riley");
}

#[test]
fn the_watch_runs_in_the_app_a_failed_check_shows_its_values_and_its_alert_goes_out() {
    let keyring = needs::keyring().is_some();
    let (app, run) = named_app_with_run_at(60, "bundled:m31", "sandbox");
    let sb = sandbox_for(&app, "sandbox");
    let hook = receiver();
    if keyring {
        let cfg = json!({
            "routes": [{"name": "warning", "severities": ["warning"], "categories": ["health"], "receivers": ["hook"]}],
            "receivers": [{"type": "webhook", "name": "hook", "url_secret": "WATCH_HOOK_URL"}],
            "group_wait_s": 30
        });
        let dir = app._dir.path().join("config");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::write(dir.join("alerts.json"), cfg.to_string()).expect("alerts.json");
        call(
            &app,
            "set_secret",
            json!({"req": {"env": "sandbox", "name": "WATCH_HOOK_URL", "value": hook.url}}),
        )
        .expect("secret");
    }
    call(
        &app,
        "edit_watch_plan",
        json!({"req": {"run": run, "t0": now_rfc3339(), "bands": ["0m-40m/1m"], "checks": [HEALTH],
                       "summary_every_min": 0, "budget_every_min": 0, "end_min": 40}}),
    )
    .expect("plan");

    let v = call(&app, "start_watch", json!({"run": run})).expect("started");
    assert_eq!(v["running"], true);
    let err = call(&app, "start_watch", json!({"run": run})).expect_err("twice");
    assert_eq!(err["code"], "conflict", "{err}");
    let err = call(
        &app,
        "edit_watch_plan",
        json!({"req": {"run": run, "end_min": 50}}),
    )
    .expect_err("while running");
    assert_eq!(err["code"], "conflict", "{err}");

    until(&app, &run, 30, "two checks passed", |v| {
        cells_of(v, "passed") >= 2
    });
    sb.set_fault(Fault::Down);
    let v = until(&app, &run, 30, "a failed check", |v| cells_of(v, "failed") >= 1);
    let failed = v["details"]
        .as_array()
        .expect("details")
        .iter()
        .find(|d| d["record"]["status"] == "failed")
        .expect("the failed slot's lines");
    let line = &failed["record"]["lines"][0];
    assert_eq!(
        (line["name"].as_str(), line["passed"].as_bool()),
        (Some(HEALTH), Some(false)),
        "{failed}"
    );
    assert_eq!(line["values"]["status"], "503", "its key values: {failed}");
    if keyring {
        let v = until(&app, &run, 30, "the warning sent", |v| {
            v["alerts"]
                .as_array()
                .is_some_and(|a| a.iter().any(|e| e["record"]["sent"] == true))
        });
        let a = &v["alerts"][0]["record"];
        assert_eq!(
            (a["severity"].as_str(), a["receiver"].as_str()),
            (Some("warning"), Some("hook")),
            "{a}"
        );
        let got = hook.got.lock().expect("lock").clone();
        assert!(
            got.iter()
                .any(|r| r.starts_with("POST /hook") && r.contains("\"status\":\"firing\"")),
            "{got:?}"
        );
    }
    assert_eq!(call(&app, "stop_watch", json!({"run": run})).expect("stop"), true);
    until(&app, &run, 10, "the watch stopped", |v| v["running"] == false);
    assert_eq!(view(&app, &run)["failure"], Value::Null);
}

#[test]
fn a_routes_test_from_the_app_reaches_its_receiver_and_is_recorded() {
    if needs::keyring().is_none() {
        return;
    }
    let (app, run) = named_app_with_run_at(60, "bundled:m31", "sandbox");
    let hook = receiver();
    let cfg = json!({
        "routes": [{"name": "team", "severities": ["warning"], "receivers": ["hook", "gone"]}],
        "receivers": [{"type": "slack", "name": "hook", "webhook_secret": "TEST_HOOK_URL"},
                      {"type": "webhook", "name": "gone", "url_secret": "TEST_GONE_URL"}]
    });
    let dir = app._dir.path().join("config");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("alerts.json"), cfg.to_string()).expect("alerts.json");
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let gone = format!("http://{}/", closed.local_addr().expect("addr"));
    drop(closed);
    for (name, value) in [
        ("TEST_HOOK_URL", hook.url.as_str()),
        ("TEST_GONE_URL", gone.as_str()),
    ] {
        call(
            &app,
            "set_secret",
            json!({"req": {"env": "sandbox", "name": name, "value": value}}),
        )
        .expect("secret");
    }
    let recs = call(
        &app,
        "test_alert_route",
        json!({"req": {"run": run, "route": "team"}}),
    )
    .expect("tested");
    assert_eq!(recs[0]["sent"], true, "{recs}");
    assert_eq!(recs[0]["test"], true);
    assert_eq!(
        (recs[1]["sent"].clone(), recs[1]["attempts"].clone()),
        (json!(false), json!(4)),
        "a receiver that is down gets its retries: {recs}"
    );
    let got = hook.got.lock().expect("lock").clone();
    assert!(
        got.iter()
            .any(|r| r.contains("\"text\"") && r.contains("test alert")),
        "{got:?}"
    );
    let v = view(&app, &run);
    let log = v["alerts"].as_array().expect("alert log");
    assert_eq!(log.len(), 2, "{v}");
    assert_eq!(
        (log[0]["actor"].as_str(), log[0]["record"]["test"].as_bool()),
        (Some("Riley"), Some(true))
    );
    assert!(log[1]["record"]["error"].is_string());

    let err = call(
        &app,
        "test_alert_route",
        json!({"req": {"run": run, "route": "nope"}}),
    )
    .expect_err("no route");
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(
        err["message"].as_str().is_some_and(|m| m.contains("team")),
        "names the routes: {err}"
    );
}

#[test]
fn a_band_run_clean_checks_its_section_16_items_with_its_slots_as_evidence() {
    let (app, run) = named_app_with_run_at(600, "bundled:m31", "sandbox");
    let _sb = sandbox_for(&app, "sandbox");
    // §16's `Hour 0-2` band at 40-minute intervals (same bounds: it keeps its items); on a
    // clock 600 times faster its three slots take 8 s.
    let v = call(
        &app,
        "edit_watch_plan",
        json!({"req": {"run": run, "t0": now_rfc3339(), "bands": ["0h-2h/40m"], "checks": [HEALTH],
                       "summary_every_min": 0, "budget_every_min": 0, "end_min": 120}}),
    )
    .expect("plan");
    let items: Vec<String> = v["status"]["plan"]["bands"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect();
    assert!(items.iter().any(|i| i.starts_with("16.hour-0-2")), "{items:?}");
    call(&app, "start_watch", json!({"run": run})).expect("started");
    let v = until(&app, &run, 40, "the watch to end on its own", |v| {
        v["running"] == false && v["status"]["pending"] == 0
    });
    assert_eq!(cells_of(&v, "passed"), 3, "{v:#}");
    let clean = &v["clean"][0];
    assert_eq!(clean["band"]["band"], "0m-2h/40m");
    let slot_seqs: Vec<Value> = v["status"]["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| c["seq"].clone())
        .collect();
    assert_eq!(
        clean["band"]["evidence"].as_array().expect("evidence").clone(),
        slot_seqs,
        "the slots' events are its evidence"
    );
    let live = call(&app, "run_live", json!({"run": run})).expect("live");
    for id in &items {
        let item = live["state"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap_or_else(|| panic!("item {id}"));
        assert_eq!(item["checked"], true, "{item}");
    }
}

#[test]
fn a_run_watched_by_another_process_is_not_watched_again_from_the_app() {
    let (app, run) = named_app_with_run_at(60, "bundled:m31", "sandbox");
    let run_id = run.as_str().expect("run id").to_string();
    call(
        &app,
        "edit_watch_plan",
        json!({"req": {"run": run, "t0": now_rfc3339(), "bands": ["0m-40m/1m"], "checks": [HEALTH],
                       "summary_every_min": 0, "budget_every_min": 0, "end_min": 40}}),
    )
    .expect("plan");
    // `flightdeck watch RUN` in a terminal holds the run's lease (the engine's file lock).
    let store = app._dir.path().join("store.sqlite");
    let cli = flightdeck_engine::watch::acquire_lease(&store, &run_id).expect("the other watch");
    let err = call(&app, "start_watch", json!({"run": run})).expect_err("refused");
    assert_eq!(err["code"], "conflict", "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("already being watched")),
        "{err}"
    );
    assert_eq!(view(&app, &run)["running"], false, "nothing started");
    drop(cli);
    let v = call(&app, "start_watch", json!({"run": run})).expect("once the other watch ended");
    assert_eq!(v["running"], true);
    call(&app, "stop_watch", json!({"run": run})).expect("stop");
}
