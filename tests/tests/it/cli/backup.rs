//! `flightdeck backup run | list | drill` end to end, with the password in the real OS keyring
//! (`.ci/services.sh`'s Secret Service) and two real Postgres clusters: alone and recorded into a
//! run (its §3 fields filled); a wrong password fails with exit 8, leaves no file and fills no
//! field; the password is in no output and nowhere in the store file.

use std::path::Path;
use std::process::Command;

use flightdeck_testsupport::cli::exit::{OK, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::needs;
use serde_json::Value;

const PSQL: &str = "/usr/lib/postgresql/15/bin/psql";

fn psql(url: &str, password: Option<&str>, sql: &str) {
    let mut cmd = Command::new(PSQL);
    cmd.args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let st = cmd.status().expect("psql runs");
    assert!(st.success(), "psql: {sql}");
}

fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

/// The source database, dropped on drop.
struct Source {
    admin: String,
    password: String,
    name: String,
}

impl Drop for Source {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let mut cmd = Command::new(PSQL);
        let _ = cmd
            .args([self.admin.as_str(), "-X", "-q", "-c", sql.as_str()])
            .env("PGPASSWORD", &self.password)
            .status();
    }
}

fn set_secret(cli: &Cli, env: &str, name: &str, value: &str) {
    cli.cmd()
        .args(["secret", "set", env, name])
        .write_stdin(value)
        .assert()
        .success();
}

fn field(cli: &Cli, run: &str, id: &str) -> Option<String> {
    let show = cli.show(run);
    show["fields"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == id))
        .and_then(|f| f["value"].as_str().map(str::to_owned))
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|rd| rd.count()).unwrap_or(0)
}

#[test]
fn backup_run_list_and_drill_alone_and_into_a_run_with_the_password_from_the_keyring() {
    if needs::keyring().is_none() {
        return;
    }
    let Some(target) = needs::postgres() else { return };
    let (Ok(source), Ok(password)) = (
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_URL"),
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_PASSWORD"),
    ) else {
        needs::missing("backup source Postgres", "run under .ci/services.sh");
        return;
    };
    let pid = std::process::id();
    let src = source_db(&source, &password, pid);
    let db = with_db(&source, &src.name);
    let cli = Cli::new();
    let (se, te) = (format!("bk-src-{pid}"), format!("bk-tgt-{pid}"));
    cli.ok(["env", "new", &se]);
    cli.ok(["env", "new", &te]);
    cli.ok(["env", "set-var", &se, "DATABASE_URL", &db]);
    cli.ok(["env", "set-var", &te, "DATABASE_URL", &target]);
    set_secret(&cli, &se, "DB_PASSWORD", &password);
    let dir = cli.dir().join("backups");
    let d = dir.display().to_string();
    let mut outputs = String::new();

    // Alone.
    let out = cli.exits(OK, ["--json", "backup", "run", &se, "-o", &d]);
    outputs.push_str(&flightdeck_testsupport::cli::streams(&out));
    let r = json_of(&out);
    assert_eq!(r[0]["result"]["outcome"], "passed", "{r}");
    let list = cli.json(["backup", "list", &d]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["backup"]["tables"].as_array().map(Vec::len), Some(2));
    let out = cli.exits(OK, ["--json", "backup", "drill", &d, "--target-env", &te]);
    outputs.push_str(&flightdeck_testsupport::cli::streams(&out));
    let r: Value = json_of(&out);
    assert_eq!(r[0]["result"]["outcome"], "passed", "{r}");
    let result = r[0]["result"]["captures"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["field"] == "Result"))
        .map(|c| c["value"].clone());
    assert_eq!(result, Some(Value::from("passed")), "{r}");

    // Into a run: §3's fields are filled.
    let run = cli.new_run("bundled:m31", &se);
    let out = cli.exits(OK, ["backup", "run", &se, "-o", &d, "--run", &run, "--by", "rm"]);
    outputs.push_str(&flightdeck_testsupport::cli::streams(&out));
    let file = field(&cli, &run, "3.backup-file").expect("3.backup-file");
    assert!(Path::new(&file).is_file(), "{file}");
    let out = cli.exits(
        OK,
        [
            "backup",
            "drill",
            &d,
            "--target-env",
            &te,
            "--run",
            &run,
            "--by",
            "rm",
        ],
    );
    outputs.push_str(&flightdeck_testsupport::cli::streams(&out));
    assert_eq!(field(&cli, &run, "3.result").as_deref(), Some("Success"));
    assert!(field(&cli, &run, "3.rto-achieved").is_some());

    archive_has_the_backup_section(&cli, &run);

    // A wrong password: exit 8, nothing written, no field filled.
    set_secret(&cli, &se, "DB_PASSWORD", "not-the-password");
    let run2 = cli.new_run("bundled:m31", &se);
    let bad = cli.dir().join("bad");
    let out = cli.exits(
        STEPS_FAILED,
        [
            "backup",
            "run",
            &se,
            "-o",
            &bad.display().to_string(),
            "--run",
            &run2,
            "--by",
            "rm",
        ],
    );
    let text = flightdeck_testsupport::cli::streams(&out);
    assert!(text.contains("password authentication failed"), "{text}");
    assert_eq!(files(&bad), 0, "nothing written");
    assert_eq!(field(&cli, &run2, "3.backup-file"), None);
    cli.ok(["run", "verify", &run2]);

    // The password is in no output and nowhere in the store.
    assert!(!outputs.contains(&password), "the password reached the output");
    for f in std::fs::read_dir(cli.store().parent().expect("store dir"))
        .expect("dir")
        .flatten()
    {
        let bytes = std::fs::read(f.path()).unwrap_or_default();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains(&password),
            "the password is in {}",
            f.path().display()
        );
    }
    let _ = cli.output(["secret", "rm", &se, "DB_PASSWORD"]);
}

/// The run's archive: a "Backups and restore drills" section with the RTO and the parity table,
/// the manifest and drill report attached, the dump not.
fn archive_has_the_backup_section(cli: &Cli, run: &str) {
    let pdf = cli.dir().join("run.pdf");
    let p = pdf.display().to_string();
    cli.ok(["archive", "export", run, "-o", &p, "--signer-name", "Test Signer"]);
    let text = Command::new("pdftotext")
        .args([&p, "-"])
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&text.stdout);
    for want in [
        "Backups and restore drills",
        "Restore drill: 3.",
        "against an objective of 15.00 min",
        "Row counts",
    ] {
        assert!(text.contains(want), "the archive says `{want}`");
    }
    let list = Command::new("pdfdetach")
        .args(["-list", &p])
        .output()
        .expect("pdfdetach runs");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("backup/3.production-backup-created-2-hours-old.step.manifest.json"),
        "{list}"
    );
    assert!(
        list.contains("backup/3.recovery-drill-validated-non-destructive.step.drill.json"),
        "{list}"
    );
    assert!(!list.contains(".dump"), "the dump is never attached: {list}");
}

/// A small database on the source: two tables, a foreign key, an index, a large object,
/// non-ASCII text.
fn source_db(source: &str, password: &str, pid: u32) -> Source {
    let (source, password) = (source.to_owned(), password.to_owned());
    let src = Source {
        admin: source.clone(),
        password: password.clone(),
        name: format!("fd_cli_bk_{pid}"),
    };
    psql(
        &source,
        Some(&password),
        &format!("DROP DATABASE IF EXISTS {}", src.name),
    );
    psql(&source, Some(&password), &format!("CREATE DATABASE {}", src.name));
    let db = with_db(&source, &src.name);
    psql(
        &db,
        Some(&password),
        "CREATE TABLE a (id int PRIMARY KEY, t text); CREATE TABLE b (id int REFERENCES a(id));
         CREATE INDEX b_id ON b (id);
         INSERT INTO a SELECT g, 'Grüße ' || g FROM generate_series(1, 1000) g;
         INSERT INTO b SELECT g FROM generate_series(1, 500) g;
         SELECT lo_from_bytea(0, 'ünïcode');",
    );

    src
}
