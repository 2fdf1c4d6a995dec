//! The commands through tauri's mock runtime: real IPC requests, a real store in a temp dir,
//! no window. The real window is tested in tests/e2e.

use std::time::Instant;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

use crate::{Host, Launch};

struct App {
    _dir: tempfile::TempDir,
    _app: tauri::App<tauri::test::MockRuntime>,
    window: WebviewWindow<tauri::test::MockRuntime>,
}

fn app() -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let launch = Launch {
        store: dir.path().join("store.sqlite"),
        open: None,
        config_dir: dir.path().join("config"),
    };
    let host = Host::open(launch, Instant::now()).expect("host");
    let app = crate::with_host(mock_builder(), host)
        .build(tauri::generate_context!())
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    App {
        _dir: dir,
        _app: app,
        window,
    }
}

fn call(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &app.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("json answer"))
}

#[test]
fn nothing_is_recorded_before_the_user_has_a_name() {
    let app = app();
    let err = call(
        &app,
        "create_run",
        json!({"req": {"source": "bundled:m31", "env": "sandbox", "release": "v1"}}),
    )
    .expect_err("no user yet");
    assert_eq!(err["code"], "no_user", "{err}");
    assert_eq!(
        call(&app, "launch_info", json!({})).expect("info")["user_name"],
        Value::Null
    );
}

#[test]
fn a_run_is_created_checked_and_signed_under_the_app_users_name() {
    let app = app();
    call(&app, "set_user_name", json!({"name": "Riley"})).expect("name");
    let id = call(
        &app,
        "create_run",
        json!({"req": {"source": "bundled:m31", "env": "sandbox", "release": "v1.0.0"}}),
    )
    .expect("created");
    let id = id.as_str().expect("an id");
    let doc = call(&app, "open_run", json!({"run": id})).expect("open");
    assert!(doc["runbook"]["items"].as_array().expect("items").len() > 80);

    let live = call(
        &app,
        "check_item",
        json!({"req": {"run": id, "item": "1.m16-1-privacy-account-management", "checked": true}}),
    )
    .expect("checked");
    let item = live["state"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "1.m16-1-privacy-account-management")
        .cloned()
        .expect("item");
    assert_eq!(
        (item["checked"].clone(), item["by"].clone()),
        (json!(true), json!("Riley"))
    );

    let err = call(
        &app,
        "sign_off",
        json!({"req": {"run": id, "signoff": "pre-flight-gates", "override_reason": null}}),
    )
    .expect_err("incomplete");
    assert_eq!(err["code"], "incomplete");
    assert!(err["missing"].as_array().expect("missing").len() > 10, "{err}");

    let err = call(
        &app,
        "set_field",
        json!({"req": {"run": id, "field": "1.pass-rate", "value": "140"}}),
    )
    .expect_err("percent");
    assert_eq!(err["code"], "invalid");

    let live = call(
        &app,
        "sign_off",
        json!({"req": {"run": id, "signoff": "pre-flight-gates", "override_reason": "drill"}}),
    )
    .expect("signed with override");
    let last = live["events"]
        .as_array()
        .expect("events")
        .last()
        .cloned()
        .expect("an event");
    assert_eq!(
        (last["kind"].clone(), last["actor"].clone()),
        (json!("signoff_recorded"), json!("Riley"))
    );

    let runs = call(&app, "list_runs", json!({})).expect("runs");
    assert_eq!(runs[0]["items_checked"], 1);
    assert_eq!(runs[0]["signoffs_done"], 1);
}
