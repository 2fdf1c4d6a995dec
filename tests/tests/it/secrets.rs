//! Secrets end to end through the CLI against a real Secret Service (gnome-keyring under
//! `.ci/services.sh`): a corpus of secrets echoed by real shell steps, plainly and in every
//! encoded form, split across two writes, leaves not one of those forms in the SQLite file, its
//! WAL, the CLI's output, or the signed PDF archive (its bytes, its uncompressed streams, its
//! text and every attachment); a production environment refuses a target-changing step without
//! `--yes`. Without a Secret Service these tests fail when `CI` is set and are skipped otherwise.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flightdeck_engine::secrets::Keyring;

fn flightdeck(store: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("flightdeck"));
    c.arg("--store").arg(store);
    c
}

/// The archive's signing identity is one keyring entry for everyone: tests that export or
/// import it take turns, so an import never races an export's first-use key.
static IDENTITY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn keyring_here() -> bool {
    match Keyring::open() {
        Ok(_) => true,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI needs a real Secret Service (run under .ci/services.sh): {e}")
        }
        Err(e) => {
            eprintln!("skipped: no usable Secret Service ({e}); run under .ci/services.sh");
            false
        }
    }
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn set_secret(store: &Path, env: &str, name: &str, value: &str) {
    let mut child = flightdeck(store)
        .args(["secret", "set", env, name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("secret set");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value.as_bytes())
        .expect("write the value");
    let out = ok(child.wait_with_output().expect("secret set"), "secret set");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(value), "secret set never prints the value");
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
-----END PRIVATE KEY-----";

/// (name, value): plain, base64-able to `+` and `/`, URL-special, JSON-escapable, a PEM key.
fn corpus() -> Vec<(&'static str, &'static str)> {
    vec![
        ("PLAIN", "plain-Secret-4f9a1c7e"),
        ("B64ABLE", "b64~able?>>secret<<??"),
        ("URLSPECIAL", "p@ss w0rd&x=1/é%;+"),
        ("JSONESC", "quo\"te\\back\\slash\ttab"),
        ("PEM", PEM),
    ]
}

const RUNBOOK: &str = r#"# Secret corpus

### 1. Echo every form

- [ ] **Plain**
  ```bash
  for n in PLAIN B64ABLE URLSPECIAL JSONESC PEM; do printenv "FLIGHTDECK_SECRET_$n"; done
  echo "${secret:PLAIN}${secret:B64ABLE}${secret:URLSPECIAL}${secret:JSONESC}${secret:PEM}" >/dev/null
  ```
- [ ] **Base64**
  ```bash
  for v in "${secret:PLAIN}" "${secret:B64ABLE}" "${secret:URLSPECIAL}" "${secret:JSONESC}" "${secret:PEM}"; do
    printf '%s' "$v" | base64 -w0; echo
    printf '%s\n' "$v" | base64
  done
  ```
- [ ] **URL-encoded and JSON-escaped**
  ```bash
  for v in "${secret:PLAIN}" "${secret:B64ABLE}" "${secret:URLSPECIAL}" "${secret:JSONESC}" "${secret:PEM}"; do
    printf '%s' "$v" | perl -pe 's/([^A-Za-z0-9_.~-])/sprintf("%%%02X", ord($1))/ge'; echo
    printf '%s' "$v" | perl -0777 -pe 's/(["\\])/\\$1/g; s/\n/\\n/g; s/\t/\\t/g'; echo
    printf '%s' "$v" >&2; echo >&2
  done
  ```
- [ ] **Split across two writes**
  ```bash
  for v in "${secret:PLAIN}" "${secret:B64ABLE}" "${secret:URLSPECIAL}" "${secret:JSONESC}"; do
    printf 'before %s' "${v:0:5}"; sleep 0.2; printf '%s after\n' "${v:5}"
  done
  exit 3
  ```
"#;

/// Every form of `value` a step above prints, which must appear nowhere.
fn forms(value: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![
        value.to_string(),
        b64.encode(value),
        b64.encode(format!("{value}\n")),
    ];
    if value.contains('\n') {
        out.extend(value.lines().map(str::to_string));
        // `base64` wraps at 76 columns: every wrapped line.
        let wrapped = b64.encode(format!("{value}\n"));
        out.extend(
            wrapped
                .as_bytes()
                .chunks(76)
                .filter(|c| c.len() >= 8)
                .map(|c| String::from_utf8_lossy(c).into_owned()),
        );
    }
    let url: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"_.~-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    out.push(url);
    let json = serde_json::to_string(value).expect("json");
    out.push(json[1..json.len() - 1].to_string());
    out.retain(|f| f.len() >= 6);
    out
}

fn count(hay: &[u8], needle: &str) -> usize {
    let n = needle.as_bytes();
    hay.windows(n.len()).filter(|w| *w == n).count()
}

#[test]
fn no_form_of_any_secret_reaches_the_store_its_wal_the_output_or_the_archive() {
    if !keyring_here() {
        return;
    }
    let _identity = IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("fd.sqlite");
    let env = format!("corpus-{}", std::process::id());
    ok(
        flightdeck(&store)
            .args(["env", "new", &env])
            .output()
            .expect("env new"),
        "env new",
    );
    for (name, value) in corpus() {
        set_secret(&store, &env, name, value);
    }
    let list = ok(
        flightdeck(&store)
            .args(["secret", "list", &env])
            .output()
            .expect("list"),
        "list",
    );
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    for (name, value) in corpus() {
        assert!(list.contains(name), "secret list names {name}: {list}");
        assert!(!list.contains(value));
    }
    let book = dir.path().join("corpus.md");
    std::fs::write(&book, RUNBOOK).expect("write runbook");
    let run = ok(
        flightdeck(&store)
            .args(["run", "new"])
            .arg(&book)
            .args(["--release", "v1", "--env", &env, "--by", "ana"])
            .output()
            .expect("run new"),
        "run new",
    );
    let run = String::from_utf8_lossy(&run.stdout).trim().to_string();
    // Human output, then JSON output (which carries the excerpts), then the event log.
    let mut outputs = Vec::new();
    for json in [false, true] {
        let mut c = flightdeck(&store);
        c.args(["run", "all", &run, "--by", "ana"]);
        if json {
            c.arg("--json");
        }
        let out = c.output().expect("run all");
        assert_eq!(
            out.status.code(),
            Some(8),
            "the last step exits 3, so the run reports a failure"
        );
        outputs.push(out);
    }
    let events = ok(
        flightdeck(&store)
            .args(["run", "events", &run, "--json"])
            .output()
            .expect("events"),
        "events",
    );
    let events_text = String::from_utf8_lossy(&events.stdout).to_string();
    for name in ["PLAIN", "B64ABLE", "URLSPECIAL", "JSONESC", "PEM"] {
        assert!(
            events_text.contains(&format!("***({name})")),
            "the steps did print {name}, masked: the test saw real output"
        );
    }
    outputs.push(events);

    let mut places: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, o) in outputs.iter().enumerate() {
        places.push((format!("output {i} stdout"), o.stdout.clone()));
        places.push((format!("output {i} stderr"), o.stderr.clone()));
    }
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.path().join(format!("fd.sqlite{suffix}"));
        if let Ok(bytes) = std::fs::read(&p) {
            places.push((p.display().to_string(), bytes));
        }
    }
    // The run sealed as a signed PDF (identity in the keyring): the file, the file with every
    // stream uncompressed, its text, and each attachment pulled back out.
    let pdf = dir.path().join("corpus.pdf");
    let exported = ok(
        flightdeck(&store)
            .args(["archive", "export", &run, "-o"])
            .arg(&pdf)
            .output()
            .expect("archive export"),
        "archive export",
    );
    places.push(("archive export stdout".into(), exported.stdout.clone()));
    places.push(("archive export stderr".into(), exported.stderr.clone()));
    let verified = ok(
        flightdeck(&store)
            .args(["archive", "show"])
            .arg(&pdf)
            .output()
            .expect("archive show"),
        "archive show",
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("archive verified"));
    places.push(("archive show stdout".into(), verified.stdout));
    places.push((pdf.display().to_string(), std::fs::read(&pdf).expect("the PDF")));
    let qdf = dir.path().join("corpus.qdf.pdf");
    let q = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable", "--stream-data=uncompress"])
        .arg(&pdf)
        .arg(&qdf)
        .output()
        .expect("qpdf (poppler-utils/qpdf from .ci/deps.sh)");
    assert!(q.status.code().is_some_and(|c| c == 0 || c == 3), "qpdf: {q:?}");
    places.push(("the PDF, uncompressed".into(), std::fs::read(&qdf).expect("qdf")));
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("***("),
        "the archive shows the masked evidence"
    );
    places.push(("pdftotext".into(), text.stdout));
    // `pdfdetach -saveall` cannot write `evidence/...` names: save each by its number.
    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(&pdf)
        .output()
        .expect("pdfdetach");
    assert!(list.status.success(), "pdfdetach -list: {list:?}");
    let mut attached = 0;
    for line in String::from_utf8_lossy(&list.stdout).lines().skip(1) {
        let Some((n, name)) = line.split_once(": ") else {
            continue;
        };
        let out = dir.path().join(format!("attachment-{n}"));
        let det = Command::new("pdfdetach")
            .args(["-save", n.trim(), "-o"])
            .arg(&out)
            .arg(&pdf)
            .output()
            .expect("pdfdetach -save");
        assert!(det.status.success(), "pdfdetach -save {n}: {det:?}");
        attached += 1;
        places.push((
            format!("attachment {name}"),
            std::fs::read(&out).expect("attachment"),
        ));
    }
    assert!(
        attached >= 4,
        "events, runbook, manifest and evidence: {attached}"
    );

    let mut leaks = Vec::new();
    for (name, value) in corpus() {
        for form in forms(value) {
            for (place, bytes) in &places {
                let n = count(bytes, &form);
                if n > 0 {
                    leaks.push(format!("{name} as {form:?}: {n}x in {place}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "secret forms leaked:\n{}", leaks.join("\n"));
}

#[test]
fn a_production_environment_asks_before_a_step_that_changes_the_target() {
    if !keyring_here() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("fd.sqlite");
    let env = format!("prod-{}", std::process::id());
    ok(
        flightdeck(&store)
            .args(["env", "new", &env, "--production"])
            .output()
            .expect("env new"),
        "env new",
    );
    ok(
        flightdeck(&store)
            .args(["env", "set-var", &env, "GREETING", "hello"])
            .output()
            .expect("set-var"),
        "set-var",
    );
    let book = dir.path().join("deploy.md");
    std::fs::write(
        &book,
        "# Deploy\n\n### 1. Go\n\n- [ ] **Deploy**\n  ```bash {changes-target=true}\n  echo \"$GREETING deployed\"\n  ```\n",
    )
    .expect("write runbook");
    let run = ok(
        flightdeck(&store)
            .args(["run", "new"])
            .arg(&book)
            .args(["--release", "v1", "--env", &env, "--by", "ana"])
            .output()
            .expect("run new"),
        "run new",
    );
    let run = String::from_utf8_lossy(&run.stdout).trim().to_string();
    let refused = flightdeck(&store)
        .args(["run", "all", &run, "--by", "ana"])
        .output()
        .expect("run all");
    assert_eq!(refused.status.code(), Some(4), "refused without --yes");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("1.deploy.step") && err.contains(&env) && err.contains("--yes"),
        "{err}"
    );
    let done = ok(
        flightdeck(&store)
            .args(["run", "all", &run, "--by", "ana", "--yes", "--json"])
            .output()
            .expect("run all"),
        "run all --yes",
    );
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("hello deployed"),
        "the stored variable reached the shell step"
    );
    // The confirmation is on the record: the step's start names the production environment.
    let events = ok(
        flightdeck(&store)
            .args(["--json", "run", "events", &run])
            .output()
            .expect("events"),
        "events",
    );
    let events: serde_json::Value = serde_json::from_slice(&events.stdout).expect("events json");
    let started = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "step_started")
        .cloned()
        .expect("a step_started event");
    assert_eq!(started["payload"]["confirmed_on"], env.as_str(), "{started}");
    let shown = ok(
        flightdeck(&store)
            .args(["--json", "run", "show", &run])
            .output()
            .expect("show"),
        "show",
    );
    let state: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("show json");
    assert_eq!(
        state["steps"][0]["confirmed_on"],
        env.as_str(),
        "folded into the step's state"
    );
}

#[test]
fn archive_export_verify_show_and_import_identity_through_the_cli() {
    if !keyring_here() {
        return;
    }
    let _identity = IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("fd.sqlite");
    let run = ok(
        flightdeck(&store)
            .args(["run", "new", "bundled:m31", "--release", "v9", "--by", "ana"])
            .output()
            .expect("run new"),
        "run new",
    );
    let run = String::from_utf8_lossy(&run.stdout).trim().to_string();
    ok(
        flightdeck(&store)
            .args([
                "run",
                "check",
                &run,
                "1.m16-1-privacy-account-management",
                "--by",
                "ana",
            ])
            .output()
            .expect("check"),
        "check",
    );

    // An organisation's own P-256 key and certificate, imported into the keyring.
    let key = dir.path().join("org.key.pem");
    let cert = dir.path().join("org.cert.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-days", "30", "-subj", "/CN=Org Signer/O=Example Org", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (.ci/deps.sh)");
    assert!(made.status.success(), "openssl: {made:?}");
    let imported = ok(
        flightdeck(&store)
            .args(["archive", "import-identity", "--key"])
            .arg(&key)
            .arg("--cert")
            .arg(&cert)
            .output()
            .expect("import-identity"),
        "import-identity",
    );
    assert!(String::from_utf8_lossy(&imported.stdout).contains("Org Signer"));
    // Kept as PEM in the OS keyring, where secret-tool finds it.
    let kept = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "flightdeck",
            "username",
            ".archive/SIGNING_CERT_PEM",
        ])
        .output()
        .expect("secret-tool");
    assert!(String::from_utf8_lossy(&kept.stdout).contains("BEGIN CERTIFICATE"));

    let pdf = dir.path().join("m31.pdf");
    let out = ok(
        flightdeck(&store)
            .args(["--json", "archive", "export", &run, "-o"])
            .arg(&pdf)
            .output()
            .expect("export"),
        "export",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("export --json");
    assert_eq!(v["verified"], true, "{v}");
    assert!(
        v["signer"].as_str().is_some_and(|s| s.contains("Org Signer")),
        "{v}"
    );

    let verify = |file: &Path, pinned: Option<&Path>| {
        let mut c = flightdeck(&store);
        c.args(["--json", "archive", "verify"]).arg(file);
        if let Some(p) = pinned {
            c.arg("--cert").arg(p);
        }
        c.output().expect("verify")
    };
    let good = verify(&pdf, Some(&cert));
    assert_eq!(good.status.code(), Some(0), "{good:?}");
    let report: serde_json::Value = serde_json::from_slice(&good.stdout).expect("verify --json");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for n in [
        "byte_range",
        "no_later_revision",
        "cms_signature",
        "pinned_certificate",
        "event_chain",
        "attachments",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }

    let mut bytes = std::fs::read(&pdf).expect("pdf");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    let bad = dir.path().join("bad.pdf");
    std::fs::write(&bad, &bytes).expect("write");
    let refused = verify(&bad, None);
    assert_eq!(
        refused.status.code(),
        Some(5),
        "a flipped byte fails verification"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));

    let shown = ok(
        flightdeck(&store)
            .args(["archive", "show"])
            .arg(&pdf)
            .output()
            .expect("show"),
        "show",
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("archive verified") && text.contains("release v9"),
        "{text}"
    );
}
