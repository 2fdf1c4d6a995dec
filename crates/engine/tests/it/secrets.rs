//! The keyring against a real Secret Service (gnome-keyring under `.ci/services.sh`'s private
//! D-Bus): set, read back, remove; the value is where `secret-tool` looks for it; the typed
//! errors without a D-Bus or a Secret Service. Without a Secret Service these tests fail when
//! `CI` is set and are skipped (with a note) otherwise.

use std::process::Command;
use std::time::{Duration, Instant};

use flightdeck_engine::probe::SecretSource;
use flightdeck_engine::secrets::{account, EnvSecrets, Keyring, KeyringError, Sensitive, SERVICE};
use flightdeck_testsupport::needs;

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", std::process::id())
}

#[test]
fn secrets_round_trip_through_the_os_keyring() {
    let Some(k) = needs::keyring() else { return };
    let env = unique("test-roundtrip-");
    assert_eq!(k.get(&env, "DB_PASSWORD").unwrap(), None, "not found is Ok(None)");
    let value = Sensitive::new("s3cr3t \"quoted\" \\ value\nline two".to_string());
    k.set(&env, "DB_PASSWORD", &value).unwrap();
    assert_eq!(k.get(&env, "DB_PASSWORD").unwrap(), Some(value.clone()));
    // Replacing keeps one item.
    let newer = Sensitive::new("rotated".to_string());
    k.set(&env, "DB_PASSWORD", &newer).unwrap();
    assert_eq!(k.get(&env, "DB_PASSWORD").unwrap(), Some(newer.clone()));
    // The probe-facing source reads the same item.
    let src = EnvSecrets::new(k.clone(), &env);
    assert_eq!(src.secret("DB_PASSWORD").unwrap().as_deref(), Some("rotated"));
    assert_eq!(src.secret("MISSING").unwrap(), None);
    assert!(k.delete(&env, "DB_PASSWORD").unwrap());
    assert!(
        !k.delete(&env, "DB_PASSWORD").unwrap(),
        "a second delete finds nothing"
    );
    assert_eq!(k.get(&env, "DB_PASSWORD").unwrap(), None);
}

#[test]
fn secret_tool_finds_the_value_under_the_documented_attributes() {
    let Some(k) = needs::keyring() else { return };
    let env = unique("test-secret-tool-");
    let value = Sensitive::new(format!("from-flightdeck-{}", std::process::id()));
    k.set(&env, "API_KEY", &value).unwrap();
    // README "Environments and secrets": service=flightdeck, username=<env>/<NAME>.
    let out = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            SERVICE,
            "username",
            &account(&env, "API_KEY"),
        ])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    assert!(out.status.success(), "secret-tool lookup: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), value.expose().as_str());
    let search = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            SERVICE,
            "username",
            &account(&env, "API_KEY"),
        ])
        .output()
        .expect("secret-tool");
    let text = String::from_utf8_lossy(&search.stdout).to_string() + &String::from_utf8_lossy(&search.stderr);
    assert!(text.contains("attribute.application = rust-keyring"), "{text}");
    assert!(text.contains("attribute.target = default"), "{text}");
    k.delete(&env, "API_KEY").unwrap();
    let gone = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            SERVICE,
            "username",
            &account(&env, "API_KEY"),
        ])
        .output()
        .expect("secret-tool");
    assert!(gone.stdout.is_empty(), "deleted from the OS keyring too");
}

/// Runs this test binary's `child_open_keyring` under `sh -c SCRIPT` (which gets the binary as
/// `$0`... as `"$EXE"`), with a private XDG home so nothing touches the user's own keyring.
fn child(script: &str, envs: &[(&str, &str)]) -> (String, Duration) {
    let exe = std::env::current_exe().expect("test binary path");
    let home = tempfile::tempdir().expect("temp dir");
    let start = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .env("EXE", exe)
        .env("FLIGHTDECK_KEYRING_CHILD", "1")
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .env("HOME", home.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child");
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find_map(|l| l.find("RESULT ").map(|i| l[i..].to_string()))
        .unwrap_or_else(|| format!("no RESULT line in: {text}"));
    (line, took)
}

// The full test path in the `it` binary (module `secrets`).
const OPEN: &str = r#""$EXE" secrets::child_open_keyring --exact --nocapture --test-threads=1"#;

/// The programs the typed-error tests start their own buses and keyrings with.
const BUS_TOOLS: [&str; 3] = ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"];

/// In a child only: open the keyring and print the error's code.
#[test]
fn child_open_keyring() {
    if std::env::var_os("FLIGHTDECK_KEYRING_CHILD").is_none() {
        return;
    }
    let start = Instant::now();
    match Keyring::open() {
        Ok(_) => println!("RESULT ok"),
        Err(e) => println!("RESULT {} in {} ms: {e}", e.code(), start.elapsed().as_millis()),
    }
}

const LIMIT: Duration = Duration::from_secs(3);

#[test]
fn no_dbus_is_a_typed_error_within_3_seconds() {
    let (line, took) = child(OPEN, &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")]);
    assert!(line.starts_with("RESULT keyring_no_dbus"), "{line}");
    assert!(
        line.contains("dbus-run-session"),
        "the message says what to do: {line}"
    );
    assert!(took < LIMIT, "took {took:?}");
}

#[test]
fn no_secret_service_is_a_typed_error_within_3_seconds() {
    if !needs::programs(&BUS_TOOLS) {
        return;
    }
    // A private bus that activates nothing: D-Bus works, nobody owns org.freedesktop.secrets.
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            r#"<busconfig><type>session</type><listen>unix:dir={}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>"#,
            dir.path().display()
        ),
    )
    .expect("write bus config");
    let script = format!("dbus-run-session --config-file={} -- {OPEN}", conf.display());
    let start = Instant::now();
    let (line, _) = child(&script, &[]);
    let took = start.elapsed();
    assert!(line.starts_with("RESULT keyring_no_service"), "{line}");
    assert!(
        line.contains("gnome-keyring-daemon"),
        "the message says what to do: {line}"
    );
    // The bus itself takes a moment to start and stop; the keyring call is what must be quick.
    assert!(took < LIMIT + Duration::from_secs(2), "took {took:?}");
    assert!(line_ms(&line) < LIMIT.as_millis(), "{line}");
}

#[test]
fn a_locked_keyring_is_a_typed_error_within_3_seconds() {
    if !needs::programs(&BUS_TOOLS) {
        return;
    }
    // Its own bus and gnome-keyring, unlocked to store an item, then locked over D-Bus (the
    // Secret Service's own Lock call: `secret-tool lock` waits on a prompter that has no display).
    let script = format!(
        r#"dbus-run-session -- sh -c '
          echo -n pw | gnome-keyring-daemon --foreground --components=secrets --unlock >/dev/null 2>&1 &
          kpid=$!
          for i in $(seq 50); do secret-tool search --all service none >/dev/null 2>&1 && break; sleep 0.1; done
          printf %s value | secret-tool store --label=t service {SERVICE} username test/LOCKED
          dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
          {}
          kill $kpid
        '"#,
        OPEN.replace('\'', "")
    );
    let (line, _) = child(&script, &[]);
    assert!(
        line.starts_with("RESULT keyring_locked") || line.starts_with("RESULT keyring_timeout"),
        "{line}"
    );
    assert!(line.contains("unlock"), "the message says what to do: {line}");
    assert!(line_ms(&line) <= LIMIT.as_millis() + 100, "{line}");
}

/// The milliseconds a child reported (`RESULT code in N ms: ...`); a timeout reports none.
fn line_ms(line: &str) -> u128 {
    line.split(" in ")
        .nth(1)
        .and_then(|r| r.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_typed_error_names_no_secret_value() {
    let e = KeyringError::Locked {
        detail: "Secret Service: object locked".into(),
    };
    assert_eq!(e.code(), "keyring_locked");
    assert!(e.to_string().contains("unlock"));
}
