//! The Controls view's commands through tauri's mock runtime, against a real sandbox (in this
//! process, stopped on drop): list with drift, preview, apply with the preview's "from" held to,
//! read back, every attempt in the run's log; refused without a reason, without a preview, on
//! production without a confirmation naming it, and when the control moved since its preview.

use serde_json::{json, Value};

use crate::tests::{call, named_app_with_run, App};

/// A sandbox in this process (on tauri's runtime, so it keeps serving between calls) and the
/// store's `env` pointed at it.
pub(crate) fn sandbox_for(app: &App, env: &str) -> flightdeck_sandbox::Sandbox {
    let sb = tauri::async_runtime::block_on(flightdeck_testsupport::sandbox::start(false)).expect("sandbox");
    call(
        app,
        "set_env_var",
        json!({"req": {"env": env, "key": "SANDBOX_URL", "value": sb.base_url()}}),
    )
    .expect("SANDBOX_URL");
    sb
}

fn flag_req(run: &Value, env: &str, key: &str, on: bool, rollout: u8) -> Value {
    json!({"env": env, "run": run, "reason": "", "adapter": null, "expect_from": null, "confirmed": false,
           "deadline_ms": null, "recheck_ms": null,
           "target": {"control": "flag", "key": key, "enabled": on, "rollout": rollout}})
}

fn apply(
    app: &App,
    mut change: Value,
    from: &Value,
    reason: &str,
    confirm: Option<&str>,
) -> Result<Value, Value> {
    change["expect_from"] = from.clone();
    change["reason"] = json!(reason);
    call(
        app,
        "apply_control",
        json!({"req": {"change": change, "confirm_env": confirm}}),
    )
}

fn events(app: &App, run: &Value) -> Vec<Value> {
    let live = call(app, "run_live", json!({"run": run})).expect("live");
    live["events"].as_array().expect("events").clone()
}

#[test]
fn controls_list_preview_apply_read_back_and_record_every_attempt() {
    let (app, run) = named_app_with_run("bundled:m31", "sandbox");
    let _sb = sandbox_for(&app, "sandbox");

    let view = call(&app, "list_controls", json!({"run": run})).expect("list");
    assert_eq!(
        (view["env"].clone(), view["production"].clone()),
        (json!("sandbox"), json!(false))
    );
    assert_eq!(view["flags_error"], Value::Null, "{view}");
    let flags = view["flags"].as_array().expect("flags");
    assert!(flags.iter().any(|f| f["key"] == "community_enabled"), "{view}");
    let providers: Vec<&str> = view["breakers"]
        .as_array()
        .expect("breakers")
        .iter()
        .filter_map(|b| b["provider"].as_str())
        .collect();
    for p in ["stripe", "square", "twilio", "fcm", "apns"] {
        assert!(providers.contains(&p), "{p} in {providers:?}");
    }
    assert_eq!(
        view["drift"].as_array().expect("drift").len(),
        5,
        "M31 §5 expects five flags"
    );

    let change = flag_req(&run, "sandbox", "community_enabled", true, 25);
    let preview = call(&app, "preview_control", json!({"req": change})).expect("preview");
    assert_eq!(
        preview["from"],
        json!({"type": "flag", "enabled": false, "rollout": 0}),
        "{preview}"
    );
    assert_eq!(
        preview["to"],
        json!({"type": "flag", "enabled": true, "rollout": 25})
    );
    assert_eq!(preview["inverse"]["enabled"], false);
    let before = events(&app, &run).len();

    // Refused before anything is sent: no reason, no preview.
    let err = apply(&app, change.clone(), &preview["from"], "  ", None).expect_err("no reason");
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(err["message"].as_str().expect("msg").contains("reason"), "{err}");
    let err = apply(&app, change.clone(), &Value::Null, "rollout", None).expect_err("no preview");
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(
        events(&app, &run).len(),
        before,
        "nothing recorded for a refusal before sending"
    );

    let done = apply(&app, change.clone(), &preview["from"], "gradual rollout", None).expect("applied");
    assert_eq!(
        (done["outcome"].clone(), done["verified"].clone()),
        (json!("applied"), json!(true)),
        "{done}"
    );
    assert_eq!(done["read_back"], preview["to"]);
    let back = call(&app, "read_control", json!({"req": change})).expect("read");
    assert_eq!(back, preview["to"]);
    let log = events(&app, &run);
    let last = log.last().expect("an event");
    assert_eq!(
        (last["kind"].clone(), last["actor"].clone()),
        (json!("control_action"), json!("Riley")),
        "{last}"
    );
}

#[test]
fn a_production_change_needs_a_confirmation_naming_production() {
    let (app, run) = named_app_with_run("bundled:m31", "production");
    let _sb = sandbox_for(&app, "production");
    let change = flag_req(&run, "production", "notifications_enabled", true, 1);
    let preview = call(&app, "preview_control", json!({"req": change})).expect("preview");
    assert_eq!(preview["needs_confirmation"], true, "{preview}");
    let before = events(&app, &run).len();

    let err = apply(&app, change.clone(), &preview["from"], "go", None).expect_err("unconfirmed");
    assert_eq!(err["code"], "confirm", "{err}");
    assert!(
        err["message"].as_str().expect("msg").contains("production"),
        "{err}"
    );
    // A confirmed flag alone is not enough: the confirmation must name the environment.
    let mut forged = change.clone();
    forged["confirmed"] = json!(true);
    let err = apply(&app, forged, &preview["from"], "go", None).expect_err("a bare flag");
    assert_eq!(err["code"], "confirm", "{err}");
    let err = apply(&app, change.clone(), &preview["from"], "go", Some("sandbox")).expect_err("wrong env");
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(events(&app, &run).len(), before, "nothing recorded, nothing sent");
    let back = call(&app, "read_control", json!({"req": change})).expect("read");
    assert_eq!(back, preview["from"], "the flag did not move");

    let done = apply(&app, change, &preview["from"], "go", Some("production")).expect("confirmed");
    assert_eq!(done["outcome"], "applied", "{done}");
    assert_eq!(done["confirmed_on"], "production");
    assert_eq!(
        events(&app, &run).len(),
        before + 2,
        "its intent, then its outcome"
    );
}

#[test]
fn a_control_moved_since_its_preview_is_refused_recorded_and_nothing_is_sent() {
    let (app, run) = named_app_with_run("bundled:m31", "sandbox");
    let _sb = sandbox_for(&app, "sandbox");
    let before = events(&app, &run).len();
    // The control moved after this preview (a second change stands for someone else's): the
    // stale one is refused, recorded as refused, and nothing is sent.
    let stale = call(
        &app,
        "preview_control",
        json!({"req": flag_req(&run, "sandbox", "community_enabled", false, 0)}),
    )
    .expect("preview");
    apply(
        &app,
        flag_req(&run, "sandbox", "community_enabled", true, 50),
        &stale["from"],
        "someone else",
        None,
    )
    .expect("moved");
    let refused = apply(
        &app,
        flag_req(&run, "sandbox", "community_enabled", false, 0),
        &stale["from"],
        "revert",
        None,
    )
    .expect("a record");
    assert_eq!(refused["outcome"], "refused", "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .expect("error")
            .contains("preview again"),
        "{refused}"
    );
    assert_eq!(
        refused["read_back"],
        json!({"type": "flag", "enabled": true, "rollout": 50})
    );
    assert_eq!(
        events(&app, &run).len(),
        before + 3,
        "the change (its intent and outcome) and the refusal (nothing sent: no intent) are in the log"
    );
}

#[test]
fn a_breaker_is_tripped_and_read_back_open() {
    let (app, run) = named_app_with_run("bundled:m31", "sandbox");
    let _sb = sandbox_for(&app, "sandbox");
    let trip = json!({"env": "sandbox", "run": run, "reason": "", "adapter": null, "expect_from": null, "confirmed": false,
                      "deadline_ms": null, "recheck_ms": null, "target": {"control": "breaker", "provider": "stripe", "action": "trip"}});
    let p = call(&app, "preview_control", json!({"req": trip})).expect("preview trip");
    assert_eq!(
        (p["from"]["state"].clone(), p["to"]["state"].clone()),
        (json!("closed"), json!("open"))
    );
    let done = apply(&app, trip.clone(), &p["from"], "drill", None).expect("tripped");
    assert_eq!(done["outcome"], "applied", "{done}");
    assert_eq!(
        call(&app, "read_control", json!({"req": trip})).expect("read")["state"],
        "open"
    );
}

/// The window's breaker change is read again after its open interval, and that read is in the
/// run's log next to the change (same attempt): held, then, after it moved back, not held.
#[test]
fn a_breaker_read_again_after_its_open_interval_is_recorded_in_the_run() {
    let (app, run) = named_app_with_run("bundled:m31", "sandbox");
    let _sb = sandbox_for(&app, "sandbox");
    let req = |action: &str| {
        json!({"env": "sandbox", "run": run, "reason": "", "adapter": null, "expect_from": null,
        "confirmed": false, "deadline_ms": null, "recheck_ms": null,
        "target": {"control": "breaker", "provider": "stripe", "action": action}})
    };
    let p = call(&app, "preview_control", json!({"req": req("trip")})).expect("preview");
    let done = apply(&app, req("trip"), &p["from"], "drill", None).expect("tripped");
    assert_eq!(done["outcome"], "applied", "{done}");
    assert!(done["attempt"].is_string(), "{done}");
    let mut change = req("trip");
    change["reason"] = json!("drill");
    let again = |app: &App| {
        call(
            app,
            "read_again_control",
            json!({"req": {"change": change, "attempt": done["attempt"], "expected": done["to"], "after_ms": 300}}),
        )
    };
    let started = std::time::Instant::now();
    let held = again(&app).expect("read again");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "it waits its interval"
    );
    assert_eq!(
        (held["held"].clone(), held["state"]["state"].clone()),
        (json!(true), json!("open")),
        "{held}"
    );
    let log = events(&app, &run);
    let last = log.last().expect("an event");
    assert_eq!(
        (last["kind"].clone(), last["actor"].clone()),
        (json!("control_read_again"), json!("Riley")),
        "{last}"
    );
    assert_eq!(last["payload"]["attempt"], done["attempt"], "{last}");
    assert_eq!(last["payload"]["after_ms"], 300);

    // It went back to closed on its own (here: someone reset it): not held, recorded so.
    let p = call(&app, "preview_control", json!({"req": req("reset")})).expect("preview reset");
    apply(&app, req("reset"), &p["from"], "someone else", None).expect("reset");
    let drifted = again(&app).expect("read again");
    assert_eq!(
        (drifted["held"].clone(), drifted["state"]["state"].clone()),
        (json!(false), json!("closed")),
        "{drifted}"
    );
    let log = events(&app, &run);
    assert_eq!(log.last().expect("an event")["payload"]["held"], false);

    let mut no_run = change.clone();
    no_run["run"] = Value::Null;
    let err = call(
        &app,
        "read_again_control",
        json!({"req": {"change": no_run, "attempt": null, "expected": done["to"], "after_ms": 0}}),
    )
    .expect_err("not recorded: refused");
    assert_eq!(err["code"], "invalid", "{err}");
}

#[test]
fn the_admin_token_from_the_keyring_is_used_and_never_reaches_the_window_or_the_store() {
    if flightdeck_testsupport::needs::keyring().is_none() {
        return;
    }
    let app = crate::tests::app();
    call(&app, "set_user_name", json!({"name": "Riley"})).expect("name");
    let env = format!("app-ctl-{}", std::process::id());
    let token = format!("adm-{}-Qz7/+w", std::process::id());
    call(
        &app,
        "create_env",
        json!({"req": {"name": env, "production": false}}),
    )
    .expect("env");
    let cfg = flightdeck_sandbox::SandboxConfig {
        admin_token: Some(token.clone()),
        ..flightdeck_testsupport::sandbox::config(None, false)
    };
    let sb = tauri::async_runtime::block_on(flightdeck_sandbox::start(cfg)).expect("sandbox");
    call(
        &app,
        "set_env_var",
        json!({"req": {"env": env, "key": "SANDBOX_URL", "value": sb.base_url()}}),
    )
    .expect("url");
    // Without the token the admin API refuses: the error says so, and names no token.
    let run = call(
        &app,
        "create_run",
        json!({"req": {"source": "bundled:m31", "env": env, "release": "v1"}}),
    )
    .expect("run");
    let view = call(&app, "list_controls", json!({"run": run})).expect("list");
    assert!(
        view["flags_error"].as_str().is_some_and(|e| e.contains("401")),
        "{view}"
    );
    call(
        &app,
        "set_secret",
        json!({"req": {"env": env, "name": "ADMIN_TOKEN", "value": token}}),
    )
    .expect("secret");
    let view = call(&app, "list_controls", json!({"run": run})).expect("list");
    assert_eq!(
        view["flags_error"],
        Value::Null,
        "the token from the keyring is sent: {view}"
    );
    let change = flag_req(&run, &env, "community_enabled", true, 5);
    let preview = call(&app, "preview_control", json!({"req": change})).expect("preview");
    let done = apply(&app, change, &preview["from"], "with a token", None).expect("applied");
    assert_eq!(done["outcome"], "applied", "{done}");
    let live = call(&app, "run_live", json!({"run": run})).expect("live");
    for answer in [&view, &preview, &done, &live] {
        assert!(
            !answer.to_string().contains(&token),
            "the window was sent the token: {answer}"
        );
    }
    assert!(
        !flightdeck_testsupport::leak::in_store(&app._dir.path().join("store.sqlite"), &token),
        "the token reached SQLite"
    );
    call(
        &app,
        "remove_secret",
        json!({"req": {"env": env, "name": "ADMIN_TOKEN"}}),
    )
    .expect("removed");
}
