//! M31's three backup steps (§3's backup and restore drill, §7's final backup) on the sandbox
//! environment, both ways a release manager meets them: the sandbox on SQLite (the default),
//! where each step fails saying the environment has no database and how to give it one; and
//! `make demo`'s throwaway Postgres (`.ci/demo-pg.sh`) with the sandbox in its Postgres mode,
//! where all three pass and fill their fields.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use flightdeck_testsupport::cli::exit::{OK, STEPS_FAILED};
use flightdeck_testsupport::cli::{json_of, Cli};
use flightdeck_testsupport::sandbox::SandboxProcess;

const BACKUP: &str = "3.production-backup-created-2-hours-old.step";
const DRILL: &str = "3.recovery-drill-validated-non-destructive.step";
const FINAL: &str = "7.final-backup-created.step";

fn message(cli: &Cli, run: &str, step: &str, vars: &[String]) -> String {
    let mut args = vec!["--json", "run", "step", run, step, "--by", "rm"];
    for v in vars {
        args.extend(["--var", v.as_str()]);
    }
    let out = json_of(&cli.exits(STEPS_FAILED, args));
    let r = &out[0]["result"];
    assert_eq!(r["outcome"], "failed", "{out:#}");
    r["message"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn on_sqlite_the_backup_steps_say_the_sandbox_has_no_database_and_how_to_give_it_one() {
    let cli = Cli::new();
    let run = cli.new_run("bundled:m31", "sandbox");
    for step in [BACKUP, FINAL] {
        let m = message(&cli, &run, step, &[]);
        assert!(
            m.contains("the environment `sandbox` has no database to back up: ${DATABASE_URL} is not set")
                && m.contains("flightdeck env set-var sandbox DATABASE_URL postgres://")
                && m.contains(
                    "its Postgres mode (`flightdeck sandbox --db postgres://...`, as `make demo` starts it)"
                ),
            "{step}: {m}"
        );
    }
    let m = message(&cli, &run, DRILL, &[]);
    assert!(
        m.contains(
            "the environment `sandbox` has no server to restore onto: ${RESTORE_TARGET_URL} is not set"
        ),
        "{m}"
    );
    // A database but no folder: the folder is what it lacks.
    let m = message(
        &cli,
        &run,
        BACKUP,
        &["DATABASE_URL=postgres://postgres@127.0.0.1:1/x".into()],
    );
    assert!(
        m.contains("has no backups folder: ${BACKUP_DIR} is not set (`flightdeck env set-var sandbox BACKUP_DIR /path/to/backups`"),
        "{m}"
    );
    assert!(!m.contains("SQLite"), "{m}");
}

/// `.ci/demo-pg.sh` running `sh -c 'echo URLs; sleep'`: its cluster is up while this lives,
/// stopped (SIGTERM to the script) on drop.
struct DemoPg {
    child: Child,
    database: String,
    restore: String,
}

impl DemoPg {
    fn start(port: u16) -> DemoPg {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut child = Command::new(root.join(".ci/demo-pg.sh"))
            .args([
                "sh",
                "-c",
                "echo \"$FLIGHTDECK_DEMO_DATABASE_URL $FLIGHTDECK_DEMO_RESTORE_URL\"; exec sleep 300",
            ])
            .env("FLIGHTDECK_DEMO_PG_PORT", port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect(".ci/demo-pg.sh starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut demo = DemoPg {
            child,
            database: String::new(),
            restore: String::new(),
        };
        for line in lines.by_ref() {
            let line = line.expect("a line");
            if let Some((db, restore)) = line
                .split_once(' ')
                .filter(|(db, _)| db.starts_with("postgres://"))
            {
                (demo.database, demo.restore) = (db.to_owned(), restore.to_owned());
                break;
            }
        }
        assert!(!demo.database.is_empty(), ".ci/demo-pg.sh gave no URLs");
        demo
    }
}

impl Drop for DemoPg {
    fn drop(&mut self) {
        // SIGTERM: the script's trap stops the cluster and removes its files.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn with_make_demos_throwaway_postgres_the_three_backup_steps_pass() {
    if flightdeck_testsupport::needs::postgres().is_none() {
        return;
    }
    let port = free_port();
    let demo = DemoPg::start(port);
    assert_eq!(
        demo.database,
        format!("postgres://postgres@127.0.0.1:{port}/m31_sandbox")
    );
    // The sandbox in its Postgres mode makes its schema (feature_flags, payments, ...) there.
    let sandbox = SandboxProcess::start_on(false, Some(&demo.database));
    let backups = tempfile::tempdir().expect("temp dir");
    let cli = Cli::new();
    for (k, v) in [
        ("DATABASE_URL", demo.database.clone()),
        ("RESTORE_TARGET_URL", demo.restore.clone()),
        ("BACKUP_DIR", backups.path().display().to_string()),
    ] {
        cli.ok(["env", "set-var", "sandbox", k, &v]);
    }
    let run = cli.new_run("bundled:m31", "sandbox");
    for step in [BACKUP, DRILL, FINAL] {
        let out = json_of(&cli.exits(OK, ["--json", "run", "step", &run, step, "--by", "rm"]));
        assert_eq!(out[0]["result"]["outcome"], "passed", "{step}: {out:#}");
    }
    let show = cli.show(&run);
    let value = |id: &str| {
        show["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["id"] == id))
            .and_then(|f| f["value"].as_str())
            .map(str::to_owned)
    };
    assert!(value("3.backup-file").is_some_and(|f| f.contains("m31_sandbox-")));
    assert!(value("3.rto-achieved").is_some());
    assert!(value("7.final-backup").is_some());
    // The drill's result carries its RTO by stage (what the window charts); a backup's none.
    let result = |id: &str| {
        show["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .map(|s| s["result"].clone())
            .expect("the step's result")
    };
    let rto = &result(DRILL)["rto"];
    let stages: Vec<&str> = rto["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(
        stages,
        ["checksum", "create", "data", "post-data", "verify", "smoke"],
        "{rto:#}"
    );
    assert!(rto["rto_ms"].as_u64().is_some_and(|ms| ms > 0), "{rto:#}");
    assert_eq!(rto["rto_objective_ms"], 900_000);
    assert_eq!(rto["within_objective"], true);
    assert!(result(BACKUP).get("rto").is_none());
    drop(sandbox);
    let child_pid = demo.child.id();
    drop(demo);
    // The cluster is gone with the script.
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the demo cluster still listens"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{child_pid}")).exists() || {
            std::fs::read_to_string(format!("/proc/{child_pid}/stat")).is_ok_and(|s| s.contains(") Z "))
        }
    );
}
