//! The commands through tauri's mock runtime: real IPC requests, a real store in a temp dir,
//! no window. The real window is tested in tests/e2e.

use std::time::Instant;

use flightdeck_testsupport::{leak, needs};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

use crate::{Host, Launch};

pub(crate) struct App {
    pub(crate) _dir: tempfile::TempDir,
    _app: tauri::App<tauri::test::MockRuntime>,
    window: WebviewWindow<tauri::test::MockRuntime>,
}

pub(crate) fn app() -> App {
    app_with_speed(1)
}

/// An app whose D0–D7 watch clock runs `watch_speed` times faster (`--watch-speed`).
pub(crate) fn app_with_speed(watch_speed: u32) -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let launch = Launch {
        store: dir.path().join("store.sqlite"),
        open: None,
        config_dir: dir.path().join("config"),
        charts: crate::signals::ChartRender::Plotters,
        open_signals: false,
        synthetic_signals: None,
        watch_speed,
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

pub(crate) fn call(app: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    call_on(&app.window, cmd, args)
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
    let (app, id) = named_app_with_run("bundled:m31", "sandbox");
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

    // Riley checked an item of its scope: the engine refuses Riley as its signer, naming the rule.
    let err = call(
        &app,
        "sign_off",
        json!({"req": {"run": id, "signoff": "pre-flight-gates", "override_reason": "drill"}}),
    )
    .expect_err("the signer did the work");
    assert_eq!(err["code"], "conflict");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("refused by rule signer-not-checker")),
        "{err}"
    );
    let live = call(
        &app,
        "sign_off",
        json!({"req": {"run": id, "signoff": "pre-flight-gates", "override_reason": "drill", "solo_reason": "a one-person drill"}}),
    )
    .expect("signed with override, solo");
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

/// An app whose user is "Riley", with a new run of `source` on `env` (its id).
pub(crate) fn named_app_with_run(source: &str, env: &str) -> (App, Value) {
    named_app_with_run_at(1, source, env)
}

/// `named_app_with_run` on an app whose watch clock runs `watch_speed` times faster.
pub(crate) fn named_app_with_run_at(watch_speed: u32, source: &str, env: &str) -> (App, Value) {
    let app = app_with_speed(watch_speed);
    call(&app, "set_user_name", json!({"name": "Riley"})).expect("name");
    let id = call(
        &app,
        "create_run",
        json!({"req": {"source": source, "env": env, "release": "v1.0.0"}}),
    )
    .expect("created");
    (app, id)
}

/// The JSON value assigned to `global` in the page's first script.
fn assigned(script: &str, global: &str) -> Option<Value> {
    let at = script.find(&format!("window.{global} = "))? + global.len() + 10;
    serde_json::Deserializer::from_str(&script[at..])
        .into_iter::<Value>()
        .next()?
        .ok()
}

/// Characters outside ASCII become JSON escapes that parse back to the same text (one outside the
/// Basic Multilingual Plane as a surrogate pair); ASCII is left as it is.
#[test]
fn the_launch_script_escapes_what_is_not_ascii() {
    let text = "Go “now” — ✓ naïve 🚀 \\ \"q\"";
    let json = serde_json::to_string(&json!({ "t": text })).expect("json");
    let escaped = crate::commands::app::ascii(json);
    assert!(escaped.is_ascii(), "{escaped}");
    assert!(
        escaped.contains("\\u201c") && escaped.contains("\\ud83d\\ude80"),
        "{escaped}"
    );
    let back: Value = serde_json::from_str(&escaped).expect("still JSON");
    assert_eq!(back["t"], text);
    assert_eq!(crate::commands::app::ascii("{\"a\":1}".into()), "{\"a\":1}");
}

/// The page's first script carries what `launch_info` answers and the run `--open` names as
/// `open_run` answers it; a run that does not exist is left to `open_run` (which reports it).
#[test]
fn the_page_starts_with_the_launch_info_and_the_opened_run() {
    let (app, id) = named_app_with_run("bundled:m31", "sandbox");
    let id = id.as_str().expect("an id").to_string();
    let doc = call(&app, "open_run", json!({"run": id})).expect("open");
    let script_for = |open: &str| {
        let launch = Launch {
            store: app._dir.path().join("store.sqlite"),
            open: Some(open.into()),
            config_dir: app._dir.path().join("config"),
            charts: crate::signals::ChartRender::Plotters,
            open_signals: false,
            synthetic_signals: None,
            watch_speed: 1,
        };
        let host = Host::open(launch, Instant::now()).expect("host");
        crate::commands::app::launch_script(&host)
    };
    let script = script_for(&id);
    assert!(
        script.is_ascii(),
        "the script is ASCII, its other characters escaped"
    );
    let info = assigned(&script, "__FLIGHTDECK_LAUNCH__").expect("the launch info");
    assert_eq!(info["open_run"], json!(id));
    assert_eq!(info["user_name"], "Riley");
    let opened = assigned(&script, "__FLIGHTDECK_OPEN_RUN__").expect("the opened run");
    assert_eq!(opened["run"], json!(id));
    assert_eq!(opened["doc"], doc);

    let script = script_for("no-such-run");
    assert!(assigned(&script, "__FLIGHTDECK_LAUNCH__").is_some());
    assert!(!script.contains("__FLIGHTDECK_OPEN_RUN__"), "{script}");
}

/// `call` from any thread: the window handle is all a request needs.
fn call_on(window: &WebviewWindow<tauri::test::MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
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

/// A channel argument as the webview sends one (`new Channel()` in @tauri-apps/api).
fn channel(id: u32) -> Value {
    json!(format!("__CHANNEL__:{id}"))
}

/// The store file (with its WAL and shared memory) holds `needle` somewhere.
fn in_store(app: &App, needle: &str) -> bool {
    leak::in_store(&app._dir.path().join("store.sqlite"), needle)
}

/// Creates the environment `env`, which a second time is a conflict, and stores a plain variable
/// in it that the editor then lists as stored.
fn create_env_with_a_variable(app: &App, env: &str) {
    let made = call(
        app,
        "create_env",
        json!({"req": {"name": env, "production": false}}),
    )
    .expect("created");
    assert_eq!(made["name"], env);
    let err = call(
        app,
        "create_env",
        json!({"req": {"name": env, "production": false}}),
    )
    .expect_err("twice");
    assert_eq!(err["code"], "conflict", "{err}");

    let detail = call(
        app,
        "set_env_var",
        json!({"req": {"env": env, "key": "API_URL", "value": "http://127.0.0.1:1"}}),
    )
    .expect("var");
    assert!(detail["vars"]
        .as_array()
        .expect("vars")
        .iter()
        .any(|v| v["key"] == "API_URL" && v["source"] == "stored"));
}

/// Sets the secret `DB_PASSWORD` of `env` to `value`: it is listed by name and time, and no
/// answer the UI can ask for (the set itself, the environment, the list) carries the value.
fn set_secret_unseen(app: &App, env: &str, value: &str) {
    let detail = call(
        app,
        "set_secret",
        json!({"req": {"env": env, "name": "DB_PASSWORD", "value": value}}),
    )
    .expect("secret set");
    let secrets = detail["secrets"].as_array().expect("secrets");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["name"], "DB_PASSWORD");
    assert!(secrets[0]["updated_at"].is_string());
    // Whatever the UI can ask for, the value is not in the answer.
    for (cmd, args) in [
        ("set_secret", None),
        ("show_env", Some(json!({"env": env}))),
        ("list_envs", Some(json!({}))),
    ] {
        let answer = match args {
            Some(a) => call(app, cmd, a).expect(cmd),
            None => detail.clone(),
        };
        assert!(
            !answer.to_string().contains(value),
            "{cmd} sent the secret's value to the UI: {answer}"
        );
    }
}

#[test]
fn the_environment_editor_keeps_secret_values_in_the_keyring_and_never_sends_them_back() {
    let Some(kr) = needs::keyring() else { return };
    let app = app();
    let env = format!("app-test-{}", std::process::id());
    let value = format!("hunter2-{}-Zq9", std::process::id());
    create_env_with_a_variable(&app, &env);
    set_secret_unseen(&app, &env, &value);
    // The value is in the OS keyring, and not in the store file or its WAL.
    assert_eq!(
        kr.get(&env, "DB_PASSWORD").expect("get").map(|v| v.into_inner()),
        Some(value.clone())
    );
    assert!(!in_store(&app, &value), "the secret reached SQLite");

    let err = call(
        &app,
        "set_secret",
        json!({"req": {"env": env, "name": "BAD NAME", "value": "x"}}),
    )
    .expect_err("bad name");
    assert_eq!(err["code"], "invalid", "{err}");

    let detail = call(
        &app,
        "remove_secret",
        json!({"req": {"env": env, "name": "DB_PASSWORD"}}),
    )
    .expect("removed");
    assert_eq!(detail["secrets"], json!([]));
    assert_eq!(kr.get(&env, "DB_PASSWORD").expect("get"), None);
}

#[test]
fn a_target_changing_step_on_production_is_refused_until_confirmed() {
    let (app, id) = named_app_with_run("bundled:m31", "production");
    let step = "10.circuit-breakers-responsive.step";
    let err = call(
        &app,
        "run_step",
        json!({"req": {"run": id, "scope": {"step": step}, "confirmed": false}, "onOutput": channel(7)}),
    )
    .expect_err("needs confirmation");
    assert_eq!(err["code"], "confirm", "{err}");
    let msg = err["message"].as_str().expect("message");
    assert!(msg.contains(step) && msg.contains("production"), "{msg}");
    // Nothing ran: no step event was recorded.
    let live = call(&app, "run_live", json!({"run": id})).expect("live");
    assert_eq!(live["state"]["event_count"], 1, "only run_created: {live}");
}

#[test]
fn cancel_stops_a_running_shell_step_and_it_is_recorded_as_cancelled() {
    let app = app();
    call(&app, "set_user_name", json!({"name": "Riley"})).expect("name");
    let book = app._dir.path().join("slow.md");
    std::fs::write(
        &book,
        "# Slow\n\n## Phase\n\n### 1. Wait\n\n- [ ] Wait a long time\n  ```bash\n  sleep 30\n  ```\n",
    )
    .expect("runbook");
    let id = call(
        &app,
        "create_run",
        json!({"req": {"source": book.to_string_lossy(), "env": "sandbox", "release": "v1"}}),
    )
    .expect("created");
    let id = id.as_str().expect("id").to_string();
    let step = "1.wait-a-long-time.step";
    let started = Instant::now();
    let window = &app.window;
    let answer = std::thread::scope(|scope| {
        let runner = scope.spawn(|| {
            call_on(
                window,
                "run_step",
                json!({"req": {"run": id, "scope": {"step": step}, "confirmed": false}, "onOutput": channel(8)}),
            )
        });
        // Cancel as soon as the step is registered as running.
        let mut cancelled = false;
        while !cancelled && started.elapsed().as_secs() < 20 {
            cancelled = call_on(window, "cancel_step", json!({"req": {"run": id, "step": step}}))
                .expect("cancel answers")
                .as_bool()
                .expect("a bool");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(cancelled, "the step never showed as running");
        runner.join().expect("runner thread")
    })
    .expect("the step answers once cancelled");
    assert!(
        started.elapsed().as_secs() < 20,
        "cancel did not stop `sleep 30` (took {:?})",
        started.elapsed()
    );
    let st = answer["state"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == step)
        .cloned()
        .expect("the step");
    assert_eq!(st["status"], "failed", "{st}");
    assert_eq!(st["result"]["failure"], "cancelled", "{st}");
    assert_eq!(st["by"], "Riley");
    // Not running any more: a second cancel finds nothing.
    let again = call(&app, "cancel_step", json!({"req": {"run": id, "step": step}})).expect("cancel");
    assert_eq!(again, json!(false));
}

#[test]
fn an_archive_exported_from_the_app_verifies_and_opens_read_only() {
    if needs::keyring().is_none() {
        return;
    }
    let (app, id) = named_app_with_run("bundled:m31", "sandbox");
    let item = "1.m16-1-privacy-account-management";
    call(
        &app,
        "check_item",
        json!({"req": {"run": id, "item": item, "checked": true}}),
    )
    .expect("checked");
    let suggested = call(&app, "suggest_archive_path", json!({"run": id})).expect("suggestion");
    assert!(suggested.as_str().expect("path").ends_with(".pdf"), "{suggested}");

    let err = call(
        &app,
        "export_archive",
        json!({"req": {"run": id, "path": "/tmp/not-a-pdf.txt", "signer_name": null, "signer_org": null},
               "onProgress": channel(9)}),
    )
    .expect_err("not .pdf");
    assert_eq!(err["code"], "invalid", "{err}");

    let path = app._dir.path().join("out/archive.pdf");
    let done = call(
        &app,
        "export_archive",
        json!({"req": {"run": id, "path": path.to_string_lossy(), "signer_name": "Riley", "signer_org": "Test Org"},
               "onProgress": channel(10)}),
    )
    .expect("exported");
    assert_eq!(done["verified"], true, "{done}");
    let bytes = std::fs::read(&path).expect("the PDF was written");
    assert_eq!(done["bytes"], bytes.len() as u64);
    assert!(bytes.starts_with(b"%PDF-"));

    let review = call(&app, "open_archive", json!({"path": path.to_string_lossy()})).expect("open");
    assert_eq!(review["ok"], true, "{review}");
    let checks = review["checks"].as_array().expect("checks");
    assert!(checks.iter().all(|c| c["ok"] == true), "{review}");
    for name in ["byte_range", "cms_signature", "event_chain", "attachments"] {
        assert!(checks.iter().any(|c| c["name"] == name), "no {name} check");
    }
    let state = &review["doc"]["live"]["state"];
    assert_eq!(state["run_id"], id);
    let it = state["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == item)
        .cloned()
        .expect("item");
    assert_eq!(
        (it["checked"].clone(), it["by"].clone()),
        (json!(true), json!("Riley"))
    );

    // One flipped byte in the signed range: the review says so, check by check.
    let mut bad = bytes.clone();
    let at = bad.len() / 3;
    bad[at] ^= 0x20;
    let bad_path = app._dir.path().join("out/tampered.pdf");
    std::fs::write(&bad_path, &bad).expect("write");
    let review = call(&app, "open_archive", json!({"path": bad_path.to_string_lossy()})).expect("open");
    assert_eq!(review["ok"], false, "{review}");
    assert!(review["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .any(|c| c["ok"] == false));

    let err = call(
        &app,
        "open_archive",
        json!({"path": app._dir.path().join("missing.pdf").to_string_lossy()}),
    )
    .expect_err("missing file");
    assert_eq!(err["code"], "not_found", "{err}");
}

#[test]
fn a_secret_echoed_by_a_step_run_from_the_app_never_reaches_the_window_or_the_store() {
    if needs::keyring().is_none() {
        return;
    }
    let app = app();
    call(&app, "set_user_name", json!({"name": "Riley"})).expect("name");
    let env = format!("app-redact-{}", std::process::id());
    let value = format!("tok-{}-Zx9/+q", std::process::id());
    call(
        &app,
        "create_env",
        json!({"req": {"name": env, "production": false}}),
    )
    .expect("env");
    call(
        &app,
        "set_secret",
        json!({"req": {"env": env, "name": "TOKEN", "value": value}}),
    )
    .expect("secret");
    let book = app._dir.path().join("echo.md");
    // The step checks the value's length: it got the real secret, not a redacted one.
    std::fs::write(
        &book,
        format!(
            "# Echo\n\n## Phase\n\n### 1. Echo\n\n- [ ] Echo the token\n  ```bash\n  \
             echo \"plain ${{secret:TOKEN}}\"\n  printf %s \"$FLIGHTDECK_SECRET_TOKEN\" | base64\n  \
             echo \"stderr ${{secret:TOKEN}}\" >&2\n  test \"${{#FLIGHTDECK_SECRET_TOKEN}}\" -eq {}\n  ```\n",
            value.len()
        ),
    )
    .expect("runbook");
    let id = call(
        &app,
        "create_run",
        json!({"req": {"source": book.to_string_lossy(), "env": env, "release": "v1"}}),
    )
    .expect("run");
    let live = call(
        &app,
        "run_step",
        json!({"req": {"run": id, "scope": {"step": "1.echo-the-token.step"}, "confirmed": false},
               "onOutput": channel(11)}),
    )
    .expect("the step ran");
    let ui = live.to_string();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&value)
    };
    for form in [value.as_str(), b64.as_str()] {
        assert!(!ui.contains(form), "the window was sent `{form}`: {ui}");
        assert!(!in_store(&app, form), "`{form}` reached SQLite");
    }
    assert!(ui.contains("***(TOKEN)"), "redacted in place, by name: {ui}");
    let st = live["state"]["steps"][0].clone();
    assert_eq!(st["status"], "passed", "the step got the real value: {st}");
}

/// On Linux the app turns WebKit's accelerated compositing, JavaScriptCore's JIT and Skia's GPU
/// painting off and gives the page's heap 4 MiB of room between collections, each unless the user
/// set the variable (either way: `0`/`true` turns it back on).
#[test]
fn webkit_defaults_are_compositing_the_jit_and_gpu_painting_off_unless_the_user_set_them() {
    let none = crate::webkit_defaults(|_| false);
    assert_eq!(
        none,
        vec![
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
            ("JSC_useJIT", "false"),
            ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
            ("JSC_largeHeapSize", "4194304")
        ]
    );
    let jit_set = crate::webkit_defaults(|name| name == "JSC_useJIT");
    assert_eq!(
        jit_set,
        vec![
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
            ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
            ("JSC_largeHeapSize", "4194304")
        ]
    );
    assert!(crate::webkit_defaults(|_| true).is_empty());
}
