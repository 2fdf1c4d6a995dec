//! What must fail, fails clearly and leaves nothing behind: a damaged dump, the source as the
//! drill's target, a protected database, no `pg_dump`, a wrong password, a server that is down,
//! an unwritable or full folder, a cancel in the middle of a dump; and the password is never on
//! any process's command line.

use std::time::Duration;

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEvent, ProbeResult};
use tokio_util::sync::CancellationToken;

use super::{backup_spec, clusters, drill_spec, env, files, run, scalar, SourceDb};

/// Rows enough for `pg_dump` to take a few seconds.
const BIG: &str = "CREATE TABLE big AS SELECT g, md5(g::text) || md5((g * 7)::text) AS t \
                   FROM generate_series(1, 1500000) g";

fn assert_failed(r: &ProbeResult, class: FailureClass, says: &str) {
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert_eq!(r.failure, Some(class), "{r:#?}");
    let m = r.message.as_deref().unwrap_or("");
    assert!(m.contains(says), "`{m}` should say `{says}`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_fails_the_drill_and_the_source_and_protected_databases_are_refused() {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "flip", "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());
    let (r, _) = run(&backup_spec("capture: f <- file"), &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let file = r.capture("f").expect("file").to_owned();

    // The source itself as the target: same cluster (system identifier), same database.
    let to_source = super::drill_spec(&format!(
        "scratch: {}\npassword: ${{secret:DB_PASSWORD}}",
        src.name
    ));
    let env_src = env.clone().with_var("TGT", c.source.clone());
    let (d, _) = run(&to_source, &env_src).await;
    assert_failed(&d, FailureClass::SpawnError, "backup's own source cluster");
    let (d, _) = run(&drill_spec("scratch: postgres"), &env).await;
    assert_failed(&d, FailureClass::SpawnError, "protected");
    let (d, _) = run(
        &drill_spec("scratch: staging_main\nprotected: staging_main, billing"),
        &env,
    )
    .await;
    assert_failed(
        &d,
        FailureClass::SpawnError,
        "staging_main is a protected database",
    );

    // One byte flipped in the middle of the dump.
    let mut bytes = std::fs::read(&file).expect("read the dump");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, &bytes).expect("write");
    let scratch = format!("fd_drill_flip_{}", std::process::id());
    let (d, _) = run(&drill_spec(&format!("scratch: {scratch}")), &env).await;
    assert_failed(&d, FailureClass::Assertion, "does not match its manifest");
    let left = scalar(
        &c.target,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{scratch}'"),
    )
    .await;
    assert_eq!(left, "0", "nothing was made on the target");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_pg_dump_a_wrong_password_a_server_down_or_a_bad_folder_fail_clearly_leaving_nothing() {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "fail", "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());

    let empty = tempfile::tempdir().expect("temp dir");
    let (r, _) = run(&backup_spec(&format!("bin: {}", empty.path().display())), &env).await;
    assert_failed(&r, FailureClass::SpawnError, "pg_dump not found");
    assert!(files(dir.path()).is_empty());

    let mut wrong = env.clone();
    wrong.secrets = std::sync::Arc::new(flightdeck_engine::probe::MapSecrets(
        [("DB_PASSWORD".to_owned(), "not-the-password".to_owned())].into(),
    ));
    let (r, _) = run(&backup_spec(""), &wrong).await;
    assert_failed(&r, FailureClass::QueryError, "password authentication failed");
    assert!(files(dir.path()).is_empty());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let down = env
        .clone()
        .with_var("SRC", format!("postgres://postgres@127.0.0.1:{port}/x"));
    let (r, _) = run(&backup_spec(""), &down).await;
    assert_failed(
        &r,
        FailureClass::ConnectRefused,
        "connecting to postgres@127.0.0.1",
    );
    assert!(files(dir.path()).is_empty());

    // A folder that cannot be made (its parent is a file).
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let bad = env
        .clone()
        .with_var("BACKUP_DIR", file.join("backups").display().to_string());
    let (r, _) = run(&backup_spec(""), &bad).await;
    assert_failed(&r, FailureClass::SpawnError, "cannot be made");
    std::fs::remove_file(&file).expect("rm");

    full_folder(&c, &src.name).await;
}

/// A folder on a 64 KiB tmpfs: the dump does not fit, and the partial file is removed.
async fn full_folder(c: &super::Clusters, db: &str) {
    let mnt = tempfile::tempdir().expect("temp dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        // Mounting needs root (CI's containers run as root); elsewhere this one case is skipped.
        flightdeck_testsupport::needs::missing("a tmpfs mount (root)", "cannot mount a small tmpfs here");
        return;
    }
    let env = env(c, db, mnt.path());
    let (r, _) = run(&backup_spec(""), &env).await;
    let listing = files(mnt.path());
    let _ = std::process::Command::new("umount").arg(mnt.path()).status();
    assert_failed(&r, FailureClass::SpawnError, "No space left on device");
    assert!(listing.is_empty(), "the partial dump is removed: {listing:?}");
}

/// Every process's command line, joined.
fn cmdlines() -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(b) = std::fs::read(e.path().join("cmdline")) {
            out.push((pid, String::from_utf8_lossy(&b).replace('\0', " ")));
        }
    }
    out
}

/// Does any process have `PGDATABASE=db` in its environment (a pg_dump of ours)?
fn dumping(db: &str) -> Vec<u32> {
    let want = format!("PGDATABASE={db}");
    cmdlines()
        .into_iter()
        .filter(|(pid, _)| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()))
        })
        .map(|(pid, _)| pid)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_dump_kills_pg_dump_and_removes_the_partial_file_and_the_password_is_never_on_a_command_line(
) {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "cancel", BIG).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());

    // A whole backup, every command line read again and again while it runs.
    let spec = backup_spec("");
    let watch = {
        let (pw, db) = (c.password.clone(), src.name.clone());
        move |stop: std::sync::Arc<std::sync::atomic::AtomicBool>| {
            let (mut seen_dump, mut leaked) = (false, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (pid, line) in cmdlines() {
                    if line.contains(&pw) {
                        leaked.push(line.clone());
                    }
                    seen_dump |= line.contains("pg_dump") && dumping(&db).contains(&pid);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (seen_dump, leaked)
        }
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = std::thread::spawn({
        let stop = stop.clone();
        move || watch(stop)
    });
    let (r, _) = run(&spec, &env).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (seen_dump, leaked) = watcher.join().expect("the watcher");
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(seen_dump, "the watcher saw pg_dump running");
    assert!(
        leaked.is_empty(),
        "the password was on a command line: {leaked:?}"
    );
    let before = files(dir.path());

    // Cancel once the dump has written something.
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let run = tokio::spawn({
        let (cancel, env) = (cancel.clone(), env.clone());
        async move { flightdeck_engine::probe::execute(&spec, &env, tx, cancel).await }
    });
    let mut mid_dump = false;
    while let Some(ev) = rx.recv().await {
        if let ProbeEvent::Progress { done, message, .. } = &ev {
            if message.starts_with("dump:") && *done > 0 && !cancel.is_cancelled() {
                mid_dump = dumping(&src.name).len() == 1;
                cancel.cancel();
            }
        }
    }
    let r = run.await.expect("the probe task");
    assert!(mid_dump, "cancelled while pg_dump was running");
    assert_failed(&r, FailureClass::Cancelled, "cancelled");
    assert_eq!(
        files(dir.path()),
        before,
        "the partial dump is removed, nothing new kept"
    );
    // SIGKILL was sent to its process group when the probe ended; give the kernel time to act.
    let mut alive = dumping(&src.name);
    for _ in 0..200 {
        if alive.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        alive = dumping(&src.name);
    }
    assert!(alive.is_empty(), "pg_dump is gone: {alive:?}");
}
