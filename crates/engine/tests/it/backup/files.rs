//! `files` steps: a folder's expected files with their sha256, a named script run in it, a
//! missing file failing the step before anything runs, and no script on production.

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv};
use flightdeck_testsupport::probe::{annotated, run};

#[tokio::test]
async fn files_are_hashed_the_named_script_runs_and_never_on_production() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("rollback.sql"), "DROP TABLE m31_new;\n").expect("write");
    std::fs::write(dir.path().join("rollback.sh"), "echo rolled back in \"$PWD\"\n").expect("write");
    let env = ProbeEnv::default().with_var("ROLLBACK_DIR", dir.path().display().to_string());
    let spec = annotated(
        "files\ndir: ${ROLLBACK_DIR}\nfiles: rollback.sql, rollback.sh\nrun: rollback.sh\nexpect: files == 2",
        "ls",
    );
    let r = run(&spec, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let body = r.body.as_ref().expect("body").text.clone();
    let sha = flightdeck_engine::backup::dump::hash_file_sync(&dir.path().join("rollback.sql"))
        .expect("hash")
        .1;
    assert!(body.contains(&format!("{sha}  rollback.sql")), "{body}");
    assert!(body.contains("rolled back in"), "{body}");
    assert_eq!(r.exit_code, Some(0));

    // On production the script is refused.
    let prod = env.clone().with_var("FLIGHTDECK_PRODUCTION", "true");
    let r = run(&spec, &prod).await;
    assert_eq!(r.failure, Some(FailureClass::SpawnError), "{r:#?}");
    assert!(
        r.message.as_deref().unwrap_or("").contains("production"),
        "{r:#?}"
    );

    // A missing file fails the step, and nothing runs.
    std::fs::remove_file(dir.path().join("rollback.sql")).expect("rm");
    let r = run(&spec, &env).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    let body = r.body.as_ref().expect("body").text.clone();
    assert!(body.contains("MISSING  rollback.sql"), "{body}");
    assert!(!body.contains("rolled back"), "the script did not run: {body}");
}
