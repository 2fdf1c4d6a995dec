//! Secrets end to end through the CLI against a real Secret Service (gnome-keyring under
//! `.ci/services.sh`): a corpus of secrets echoed by real shell steps, plainly and in every
//! encoded form, split across two writes, leaves not one of those forms in the SQLite file, its
//! WAL, the CLI's output, or the signed PDF archive (its bytes, its uncompressed streams, its
//! text and every attachment); a production environment refuses a target-changing step without
//! `--yes`. Without a Secret Service these tests fail when `CI` is set and are skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use flightdeck_testsupport::cli::exit::{OK, REFUSED, STEPS_FAILED, VERIFY_FAILED};
use flightdeck_testsupport::cli::{streams, Cli};
use flightdeck_testsupport::{leak, needs};

/// The archive's signing identity is one keyring entry for everyone: tests that export or
/// import it take turns, so an import never races an export's first-use key.
pub(crate) static IDENTITY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `secret set ENV NAME` with the value on stdin, as a script would pipe it.
fn set_secret(cli: &Cli, env: &str, name: &str, value: &str) {
    let out = cli
        .cmd()
        .args(["secret", "set", env, name])
        .write_stdin(value)
        .output()
        .expect("secret set runs");
    assert!(out.status.success(), "secret set:\n{}", streams(&out));
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

/// A new environment named for this process, holding every secret of the corpus (set as a
/// script would, and listed by name only); its name.
fn corpus_env(cli: &Cli) -> String {
    let env = format!("corpus-{}", std::process::id());
    cli.ok(["env", "new", &env]);
    for (name, value) in corpus() {
        set_secret(cli, &env, name, value);
    }
    let list = cli.ok(["secret", "list", &env]);
    for (name, value) in corpus() {
        assert!(list.contains(name), "secret list names {name}: {list}");
        assert!(!list.contains(value));
    }
    env
}

/// Runs every step of `run` (human output, then JSON output, which carries the excerpts), then
/// reads the event log; each command's stdout and stderr, named.
fn outputs_of(cli: &Cli, run: &str) -> Vec<(String, Vec<u8>)> {
    let mut outputs = Vec::new();
    for json in [&[][..], &["--json"][..]] {
        // The last step exits 3, so the run reports a failure.
        outputs.push(cli.exits(
            STEPS_FAILED,
            ["run", "all", run, "--by", "ana"].iter().chain(json),
        ));
    }
    let events = cli.exits(OK, ["run", "events", run, "--json"]);
    let events_text = String::from_utf8_lossy(&events.stdout).to_string();
    for name in ["PLAIN", "B64ABLE", "URLSPECIAL", "JSONESC", "PEM"] {
        assert!(
            events_text.contains(&format!("***({name})")),
            "the steps did print {name}, masked: the test saw real output"
        );
    }
    outputs.push(events);

    let mut places = Vec::new();
    for (i, o) in outputs.iter().enumerate() {
        places.push((format!("output {i} stdout"), o.stdout.clone()));
        places.push((format!("output {i} stderr"), o.stderr.clone()));
    }
    places
}

/// `run` sealed as a signed PDF (identity in the keyring): the CLI's output, the file, the file
/// with every stream uncompressed, its text, and each attachment pulled back out; each named.
fn archive_of(cli: &Cli, run: &str) -> Vec<(String, Vec<u8>)> {
    let mut places: Vec<(String, Vec<u8>)> = Vec::new();
    let pdf = cli.dir().join("corpus.pdf");
    let exported = cli.exits(
        OK,
        [
            "archive",
            "export",
            run,
            "-o",
            path(&pdf),
            "--signer-name",
            "Test Signer",
        ],
    );
    places.push(("archive export stdout".into(), exported.stdout));
    places.push(("archive export stderr".into(), exported.stderr));
    // Checked against this machine's own certificate: "archive verified" needs a trusted signer.
    let cert = cli.dir().join("signer.pem");
    cli.ok(["archive", "cert", "-o", path(&cert)]);
    let verified = cli.ok(["archive", "show", path(&pdf), "--cert", path(&cert)]);
    assert!(verified.contains("archive verified"));
    places.push(("archive show stdout".into(), verified.into_bytes()));
    places.push((pdf.display().to_string(), std::fs::read(&pdf).expect("the PDF")));
    let qdf = cli.dir().join("corpus.qdf.pdf");
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
    places.extend(attachments(cli, &pdf));
    places
}

/// Every file attached to `pdf`, saved next to it and read back; each named.
fn attachments(cli: &Cli, pdf: &Path) -> Vec<(String, Vec<u8>)> {
    // `pdfdetach -saveall` cannot write `evidence/...` names: save each by its number.
    let list = Command::new("pdfdetach")
        .arg("-list")
        .arg(pdf)
        .output()
        .expect("pdfdetach");
    assert!(list.status.success(), "pdfdetach -list: {list:?}");
    let mut places = Vec::new();
    for line in String::from_utf8_lossy(&list.stdout).lines().skip(1) {
        let Some((n, name)) = line.split_once(": ") else {
            continue;
        };
        let out = cli.dir().join(format!("attachment-{n}"));
        let det = Command::new("pdfdetach")
            .args(["-save", n.trim(), "-o"])
            .arg(&out)
            .arg(pdf)
            .output()
            .expect("pdfdetach -save");
        assert!(det.status.success(), "pdfdetach -save {n}: {det:?}");
        places.push((
            format!("attachment {name}"),
            std::fs::read(&out).expect("attachment"),
        ));
    }
    let attached = places.len();
    assert!(
        attached >= 4,
        "events, runbook, manifest and evidence: {attached}"
    );
    places
}

/// Each form of each corpus secret found in a place, with how often and where.
fn leaks_in(places: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut leaks = Vec::new();
    for (name, value) in corpus() {
        for form in forms(value) {
            for (place, bytes) in places {
                let n = leak::count(bytes, &form);
                if n > 0 {
                    leaks.push(format!("{name} as {form:?}: {n}x in {place}"));
                }
            }
        }
    }
    leaks
}

#[test]
fn no_form_of_any_secret_reaches_the_store_its_wal_the_output_or_the_archive() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let cli = Cli::new();
    let env = corpus_env(&cli);
    let book = cli.write("corpus.md", RUNBOOK);
    let run = cli.new_run(&book, &env);
    let mut places = outputs_of(&cli, &run);
    for (path, bytes) in leak::store_files(cli.store()) {
        places.push((path.display().to_string(), bytes));
    }
    places.extend(archive_of(&cli, &run));
    let leaks = leaks_in(&places);
    assert!(leaks.is_empty(), "secret forms leaked:\n{}", leaks.join("\n"));
}

/// A temp path as an argument (temp dirs are UTF-8 here).
fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

#[test]
fn a_production_environment_asks_before_a_step_that_changes_the_target() {
    if needs::keyring().is_none() {
        return;
    }
    let cli = Cli::new();
    let env = format!("prod-{}", std::process::id());
    cli.ok(["env", "new", &env, "--production"]);
    cli.ok(["env", "set-var", &env, "GREETING", "hello"]);
    let book = cli.write(
        "deploy.md",
        "# Deploy\n\n### 1. Go\n\n- [ ] **Deploy**\n  ```bash {changes-target=true}\n  echo \"$GREETING deployed\"\n  ```\n",
    );
    let run = cli.new_run(&book, &env);
    let err = cli.fails(REFUSED, ["run", "all", &run, "--by", "ana"]);
    assert!(
        err.contains("1.deploy.step") && err.contains(&env) && err.contains("--yes"),
        "refused without --yes, naming the step, the environment and the way on: {err}"
    );
    let done = cli.ok(["run", "all", &run, "--by", "ana", "--yes", "--json"]);
    assert!(
        done.contains("hello deployed"),
        "the stored variable reached the shell step"
    );
    // The confirmation is on the record: the step's start names the production environment.
    let events = cli.json(["run", "events", &run]);
    let started = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "step_started")
        .cloned()
        .expect("a step_started event");
    assert_eq!(started["payload"]["confirmed_on"], env.as_str(), "{started}");
    let state = cli.show(&run);
    assert_eq!(
        state["steps"][0]["confirmed_on"],
        env.as_str(),
        "folded into the step's state"
    );
}

/// An organisation's own P-256 key and certificate, made with openssl in the temp dir and
/// imported into the keyring, where secret-tool finds the certificate as PEM; the certificate's
/// path.
fn imported_org_identity(cli: &Cli) -> PathBuf {
    let key = cli.dir().join("org.key.pem");
    let cert = cli.dir().join("org.cert.pem");
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
    let imported = cli.ok([
        "archive",
        "import-identity",
        "--key",
        path(&key),
        "--cert",
        path(&cert),
    ]);
    assert!(imported.contains("Org Signer"));
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
    cert
}

/// `archive verify PDF --cert CERT` passes and reports every check by name.
fn assert_verify_names_every_check(cli: &Cli, pdf: &Path, cert: &Path) {
    let report = cli.json(["archive", "verify", path(pdf), "--cert", path(cert)]);
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
}

#[test]
fn archive_export_verify_show_and_import_identity_through_the_cli() {
    if needs::keyring().is_none() {
        return;
    }
    let _identity = IDENTITY.lock().unwrap_or_else(|p| p.into_inner());
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    cli.ok([
        "run",
        "check",
        &run,
        "1.m16-1-privacy-account-management",
        "--by",
        "ana",
    ]);
    let cert = imported_org_identity(&cli);

    let pdf = cli.dir().join("m31.pdf");
    let v = cli.json(["archive", "export", &run, "-o", path(&pdf)]);
    assert_eq!(v["verified"], true, "{v}");
    assert!(
        v["signer"].as_str().is_some_and(|s| s.contains("Org Signer")),
        "{v}"
    );
    assert_verify_names_every_check(&cli, &pdf, &cert);

    let mut bytes = std::fs::read(&pdf).expect("pdf");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    let bad = cli.write("bad.pdf", &bytes);
    // A flipped byte fails verification.
    let refused = cli.exits(VERIFY_FAILED, ["--json", "archive", "verify", path(&bad)]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not verify"));

    let text = cli.ok(["archive", "show", path(&pdf), "--cert", path(&cert)]);
    assert!(
        text.contains("archive verified") && text.contains("release v1.0.0"),
        "{text}"
    );
}
