//! Backup → drill → every row back, the RTO measured; the directory format with two jobs; the
//! `backup-age` gate on a fresh and a stale backup.

use flightdeck_engine::backup::manifest;
use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEvent};
use serde_json::Value;

use super::{backup_spec, clusters, drill_spec, env, files, run, scalar, with_db, SourceDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_drill_restores_every_row_and_measures_the_rto() {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "rt", "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());

    // The backup: a real pg_dump, its artifact and manifest, captures and progress.
    let spec = backup_spec(
        "capture: Backup File <- file\ncapture: Size <- size_gb\ncapture: bytes <- size\nexpect: tables == 6",
    );
    let (r, events) = run(&spec, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let file = r.capture("Backup File").expect("Backup File captured").to_owned();
    assert!(
        file.ends_with(".dump") && std::path::Path::new(&file).is_file(),
        "{file}"
    );
    assert!(r.capture("Size").is_some());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProbeEvent::Progress { message, .. } if message.starts_with("dump:"))),
        "dump progress streamed: {events:?}"
    );
    assert_manifest(&file, &src.name, r.capture("bytes"));
    // The password is nowhere in what the step recorded.
    let recorded = format!("{}{events:?}", serde_json::to_string(&r).expect("json"));
    assert!(
        !recorded.contains(&c.password),
        "the password leaked into the record"
    );

    // The gate: the newest backup is under 2 h old.
    let gate = flightdeck_testsupport::probe::annotated("backup-age\ndir: ${BACKUP_DIR}", "ls");
    let (g, _) = run(&gate, &env).await;
    assert_eq!(g.outcome, Outcome::Passed, "{g:#?}");

    // The drill, kept: counts equal, smoke queries pass, RTO against 15 min, stages timed.
    let scratch = format!("fd_drill_rt_{}", std::process::id());
    let drill = drill_spec(&format!(
        "scratch: {scratch}\nkeep: true\nrto-objective: 15m\ncapture: Result <- verdict\ncapture: RTO Achieved <- rto_minutes"
    ));
    let (d, events) = run(&drill, &env).await;
    assert_eq!(d.outcome, Outcome::Passed, "{d:#?}");
    assert_eq!(d.capture("Result"), Some("passed"));
    assert!(d.capture("RTO Achieved").is_some());
    assert_report(&d, &events);
    // What came back is the same text, the foreign keys and indexes are there.
    let restored = with_db(&c.target, &scratch);
    assert_eq!(
        scalar(&restored, "SELECT city FROM customers WHERE id = 2").await,
        "São Paulo"
    );
    assert_eq!(
        scalar(&restored, "SELECT note FROM ledger.entries WHERE id = 7").await,
        "naïve café ☕ 7"
    );
    assert_eq!(
        scalar(
            &restored,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
        )
        .await,
        "2"
    );
    assert_eq!(
        scalar(
            &restored,
            "SELECT count(*) FROM pg_indexes WHERE indexname IN ('orders_by_customer', 'one_ok_payment')"
        )
        .await,
        "2"
    );
    super::exec(&c.target, &format!("DROP DATABASE {scratch} WITH (FORCE)")).await;

    // Not kept: the scratch database is gone afterwards.
    let scratch2 = format!("fd_drill_rt2_{}", std::process::id());
    let (d, _) = run(&drill_spec(&format!("scratch: {scratch2}")), &env).await;
    assert_eq!(d.outcome, Outcome::Passed, "{d:#?}");
    let left = scalar(
        &c.target,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{scratch2}'"),
    )
    .await;
    assert_eq!(left, "0", "the scratch database is dropped");
    assert_eq!(
        files(dir.path()).len(),
        2,
        "one dump and its manifest: {:?}",
        files(dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_format_dumps_and_restores_with_two_jobs() {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "dir", "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());
    let (r, _) = run(&backup_spec("format: directory\njobs: 2"), &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let m: Value = serde_json::from_str(&r.body.as_ref().expect("manifest").text).expect("JSON");
    assert_eq!(m["format"], "directory");
    assert_eq!(m["jobs"], 2);
    let (d, _) = run(&drill_spec(""), &env).await;
    assert_eq!(d.outcome, Outcome::Passed, "{d:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backup_age_gate_fails_on_a_stale_backup_and_an_empty_folder() {
    let Some(c) = clusters() else { return };
    let src = SourceDb::create(&c, "age", "").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = env(&c, &src.name, dir.path());
    let gate = flightdeck_testsupport::probe::annotated("backup-age\ndir: ${BACKUP_DIR}\nmax-age: 2h", "ls");
    let (g, _) = run(&gate, &env).await;
    assert_eq!(g.failure, Some(FailureClass::Assertion), "{g:#?}");
    assert!(
        g.message.as_deref().unwrap_or("").contains("no finished backup"),
        "{g:#?}"
    );

    let (r, _) = run(&backup_spec(""), &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    // Three hours ago: stale.
    let found = manifest::list(dir.path()).expect("list").remove(0);
    let mut m = found.manifest.clone();
    let three_h_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
    m.finished_at = three_h_ago
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    std::fs::write(&found.path, serde_json::to_string(&m).expect("json")).expect("write");
    let (g, _) = run(&gate, &env).await;
    assert_eq!(g.failure, Some(FailureClass::Assertion), "{g:#?}");
    assert_eq!(g.assertions[0].expr, "fresh == true");
    assert_eq!(g.assertions[0].actual, "false");
}

/// The manifest beside `file` says what was dumped, from where, its size and sha256, and every
/// table's rows.
fn assert_manifest(file: &str, db: &str, bytes: Option<&str>) {
    let found = manifest::read(std::path::Path::new(&file)).expect("the manifest beside the dump");
    let m = &found.manifest;
    assert_eq!(m.source.database, db);
    assert!(!m.source.server.system_identifier.is_empty());
    assert_eq!(m.source.server.major(), 15);
    assert!(
        m.pg_dump_version.contains("PostgreSQL) 15"),
        "{}",
        m.pg_dump_version
    );
    let (size, sha) =
        flightdeck_engine::backup::dump::hash_file_sync(std::path::Path::new(&file)).expect("hash");
    assert_eq!((m.size_bytes, m.sha256.as_str()), (size, sha.as_str()));
    assert_eq!(bytes, Some(size.to_string().as_str()));
    assert!(m.toc_entries > 10, "{}", m.toc_entries);
    let rows = |t: &str| {
        m.tables
            .iter()
            .find(|x| format!("{}.{}", x.schema, x.table) == t)
            .map(|x| x.rows)
    };
    assert_eq!(rows("public.orders"), Some(5000));
    assert_eq!(rows("public.customers"), Some(500));
    assert_eq!(rows("ledger.entries"), Some(300));
    assert_eq!(rows("public.audit_empty"), Some(0));
    assert_eq!(m.large_objects, 1);
    assert!(m.started_at <= m.finished_at);
}

/// The drill's report: no mismatch, smoke queries passed, within 15 min, six stages summing to
/// the RTO, stage progress streamed.
fn assert_report(d: &flightdeck_engine::probe::ProbeResult, events: &[ProbeEvent]) {
    let report: Value = serde_json::from_str(&d.body.as_ref().expect("the report").text).expect("JSON");
    assert_eq!(report["mismatches"], 0);
    assert_eq!(report["smoke_failed"], 0);
    assert_eq!(report["within_objective"], true);
    assert_eq!(report["rto_objective_ms"], 900_000);
    assert_eq!(report["tables"].as_array().map(Vec::len), Some(6));
    assert_eq!(report["large_objects"]["actual"], 1);
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(
        stages,
        ["checksum", "create", "data", "post-data", "verify", "smoke"]
    );
    let sum: u64 = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["ms"].as_u64())
        .sum();
    assert_eq!(report["rto_ms"].as_u64(), Some(sum));
    assert!(events
        .iter()
        .any(|e| matches!(e, ProbeEvent::Progress { message, .. } if message.starts_with("post-data"))));
}
