//! The restore drill: a backup restored into a scratch database on a target server, in timed
//! stages, checked against its manifest, and its RTO compared with an objective.
//!
//! Refused before anything is made when the target is the backup's own source database (same
//! system identifier and database name), when the scratch database is protected, or when it
//! already exists. The scratch database is dropped at the end, or by a guard when the drill
//! fails or its future is dropped (a Cancel, a deadline), unless it is to be kept.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

use super::conn::{self, query_error, quote_ident, PgConn};
use super::dump::{count, hash_dir, hash_file_sync};
use super::manifest::{self, Found};
use super::{tools, Error, ProgressTx, Stage};
use crate::probe::process::ProcessSpec;
use crate::probe::FailureClass;

/// Databases a drill never restores into, whatever the annotation says.
pub const ALWAYS_PROTECTED: &[&str] = &["postgres", "template0", "template1"];

/// What to restore, where, and what counts as recovered.
#[derive(Debug, Clone)]
pub struct DrillOpts {
    /// A manifest, an artifact (its manifest beside it) or a backups folder (its newest).
    pub backup: PathBuf,
    /// The target server, connected to a maintenance database (`postgres`).
    pub target: PgConn,
    /// The scratch database's name (default `fd_drill_<time>`).
    pub scratch: Option<String>,
    pub jobs: u32,
    /// Each must run and give a first row whose first value is not false or NULL.
    pub smoke: Vec<String>,
    pub rto_objective: Duration,
    pub keep: bool,
    /// Databases never restored into (with [`ALWAYS_PROTECTED`]).
    pub protected: Vec<String>,
    pub bin: Option<PathBuf>,
    pub connect_timeout: Duration,
}

/// What a drill found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DrillReport {
    /// The manifest restored from.
    pub backup: String,
    pub backup_sha256: String,
    /// `db@host:port`, and the source cluster's system identifier.
    pub source: String,
    pub source_system_identifier: String,
    pub target: String,
    pub target_system_identifier: String,
    pub scratch: String,
    pub stages: Vec<StageTime>,
    /// The sum of the stages from checksum to smoke queries.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rto_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rto_objective_ms: u64,
    pub within_objective: bool,
    /// Create + data + post-data: `pg_restore`'s own share.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub restore_ms: u64,
    pub tables: Vec<Parity>,
    pub large_objects: Parity,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub mismatches: u64,
    pub smoke: Vec<SmokeResult>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub smoke_failed: u64,
    pub passed: bool,
    /// The scratch database was left in place.
    pub kept: bool,
}

/// One stage's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StageTime {
    pub stage: Stage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ms: u64,
}

/// A table's rows in the manifest and after the restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Parity {
    pub table: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expected: u64,
    /// `None`: the table is missing or could not be counted.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub actual: Option<u64>,
    pub ok: bool,
}

/// One smoke query's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmokeResult {
    pub query: String,
    pub ok: bool,
    pub detail: String,
}

/// Drops the scratch database unless disarmed (a failed or cancelled drill).
struct Scratch {
    psql: PathBuf,
    conn: PgConn,
    name: String,
    armed: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&self.name));
        let spec = ProcessSpec::new(&self.psql).args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &sql]);
        let _ = self
            .conn
            .apply(spec, Duration::from_secs(5))
            .run_blocking(Duration::from_secs(15));
    }
}

/// Runs the drill. `Err` when it cannot run or is refused; a drill that runs gives a report,
/// passed or not.
pub async fn drill(opts: &DrillOpts, progress: &ProgressTx) -> Result<DrillReport, Error> {
    let found = manifest::read(&opts.backup)?;
    let m = &found.manifest;
    let bin = opts.bin.as_deref();
    let pg_restore = tools::find("pg_restore", bin)?;
    let psql = tools::find("psql", bin)?;
    let mut stages = Vec::new();

    let t = Instant::now();
    progress.send(Stage::Checksum, 0, t);
    check_sha256(&found).await?;
    stages.push(timed(Stage::Checksum, t));

    let mut admin = opts.target.connect(opts.connect_timeout).await?;
    let target = conn::facts(&mut admin).await?;
    let scratch = opts.scratch.clone().unwrap_or_else(default_scratch);
    refuse(opts, &found, &target.system_identifier, &scratch, &mut admin).await?;

    let mut guard = Scratch {
        psql,
        conn: opts.target.clone(),
        name: scratch.clone(),
        armed: false,
    };
    let on = opts.target.with_database(&scratch);
    restore_all(
        opts,
        &pg_restore,
        &found,
        &mut admin,
        &mut guard,
        &mut stages,
        progress,
    )
    .await?;

    let (tables, large_objects, smoke) = check_restored(opts, &on, m, &mut stages, progress).await?;

    let rto_ms: u64 = stages.iter().map(|s| s.ms).sum();
    let restore_ms = restore_ms(&stages);
    if !opts.keep {
        let t = Instant::now();
        progress.send(Stage::Cleanup, 0, t);
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&scratch));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .map_err(|e| query_error(&format!("dropping the scratch database {scratch}"), &e))?;
    }
    guard.armed = false;
    let _ = admin.close().await;

    let mismatches = tables.iter().filter(|p| !p.ok).count() as u64 + u64::from(!large_objects.ok);
    let smoke_failed = smoke.iter().filter(|s| !s.ok).count() as u64;
    let objective_ms = u64::try_from(opts.rto_objective.as_millis()).unwrap_or(u64::MAX);
    let within_objective = rto_ms <= objective_ms;
    Ok(DrillReport {
        backup: found.path.display().to_string(),
        backup_sha256: m.sha256.clone(),
        source: format!("{}@{}:{}", m.source.database, m.source.host, m.source.port),
        source_system_identifier: m.source.server.system_identifier.clone(),
        target: opts.target.to_string(),
        target_system_identifier: target.system_identifier,
        scratch,
        stages,
        rto_ms,
        rto_objective_ms: objective_ms,
        within_objective,
        restore_ms,
        tables,
        large_objects,
        mismatches,
        smoke,
        smoke_failed,
        passed: mismatches == 0 && smoke_failed == 0 && within_objective,
        kept: opts.keep,
    })
}

/// The time pg_restore itself took: the create, data and post-data stages.
fn restore_ms(stages: &[StageTime]) -> u64 {
    stages
        .iter()
        .filter(|s| matches!(s.stage, Stage::Create | Stage::Data | Stage::PostData))
        .map(|s| s.ms)
        .sum()
}

/// The verify stage (every table's rows and the large objects against the manifest) and the
/// smoke stage (the annotation's queries) on the restored scratch database, each timed.
async fn check_restored(
    opts: &DrillOpts,
    on: &PgConn,
    m: &manifest::Manifest,
    stages: &mut Vec<StageTime>,
    progress: &ProgressTx,
) -> Result<(Vec<Parity>, Parity, Vec<SmokeResult>), Error> {
    let t = Instant::now();
    progress.send(Stage::Verify, 0, t);
    let mut db = on.connect(opts.connect_timeout).await?;
    let (tables, large_objects) = parity(&mut db, m).await;
    stages.push(timed(Stage::Verify, t));
    let t = Instant::now();
    progress.send(Stage::Smoke, 0, t);
    let smoke = smoke(&mut db, &opts.smoke).await;
    stages.push(timed(Stage::Smoke, t));
    let _ = db.close().await;
    Ok((tables, large_objects, smoke))
}

/// Creates the scratch database (arming `guard` to drop it) and restores into it section by
/// section, each stage timed.
async fn restore_all(
    opts: &DrillOpts,
    pg_restore: &std::path::Path,
    found: &Found,
    admin: &mut PgConnection,
    guard: &mut Scratch,
    stages: &mut Vec<StageTime>,
    progress: &ProgressTx,
) -> Result<(), Error> {
    let scratch = guard.name.clone();
    let t = Instant::now();
    progress.send(Stage::Create, 0, t);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {}",
        quote_ident(&scratch)
    )))
    .execute(&mut *admin)
    .await
    .map_err(|e| query_error(&format!("creating the scratch database {scratch}"), &e))?;
    guard.armed = true;
    let on = opts.target.with_database(&scratch);
    let artifact = found.artifact();
    restore(pg_restore, &on, &artifact, "pre-data", 1, opts).await?;
    stages.push(timed(Stage::Create, t));
    for (stage, section) in [(Stage::Data, "data"), (Stage::PostData, "post-data")] {
        let t = Instant::now();
        progress.send(stage, 0, t);
        restore(pg_restore, &on, &artifact, section, opts.jobs.max(1), opts).await?;
        stages.push(timed(stage, t));
    }
    Ok(())
}

fn timed(stage: Stage, since: Instant) -> StageTime {
    StageTime {
        stage,
        ms: u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

fn default_scratch() -> String {
    let ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    format!("fd_drill_{ms}")
}

/// The artifact is exactly what the manifest describes.
async fn check_sha256(found: &Found) -> Result<(), Error> {
    let artifact = found.artifact();
    let (_, sha) = if artifact.is_dir() {
        hash_dir(&artifact).await?
    } else {
        let p = artifact.clone();
        tokio::task::spawn_blocking(move || hash_file_sync(&p))
            .await
            .map_err(|e| Error::spawn(format!("hashing: {e}")))?
            .map_err(|e| Error::spawn(format!("reading the backup {}: {e}", artifact.display())))?
    };
    if sha != found.manifest.sha256 {
        return Err(Error::new(
            FailureClass::Assertion,
            format!(
                "the backup {} does not match its manifest: its sha256 is {sha}, the manifest says {}; \
                 it was altered or damaged after it was taken",
                artifact.display(),
                found.manifest.sha256
            ),
        ));
    }
    Ok(())
}

/// Refuses the source itself, a protected database, a name that is not plain, or one that exists.
async fn refuse(
    opts: &DrillOpts,
    found: &Found,
    target_sysid: &str,
    scratch: &str,
    admin: &mut PgConnection,
) -> Result<(), Error> {
    let refused = |why: String| Err(Error::spawn(format!("refused: {why}")));
    let src = &found.manifest.source;
    if target_sysid == src.server.system_identifier && scratch == src.database {
        return refused(format!(
            "the drill would restore into {scratch} on the backup's own source cluster (system \
             identifier {target_sysid}); a drill never touches the source: name another scratch database"
        ));
    }
    let protected = ALWAYS_PROTECTED
        .iter()
        .map(|s| (*s).to_owned())
        .chain(opts.protected.iter().cloned());
    if let Some(p) = protected.into_iter().find(|p| p.eq_ignore_ascii_case(scratch)) {
        return refused(format!("{p} is a protected database"));
    }
    if scratch.is_empty()
        || scratch.len() > 63
        || !scratch
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return refused(format!(
            "scratch database name `{scratch}`: use 1-63 of a-z, 0-9 and _"
        ));
    }
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(scratch)
        .fetch_optional(&mut *admin)
        .await
        .map_err(|e| query_error("looking for the scratch database", &e))?;
    if exists.is_some() {
        return refused(format!(
            "the database {scratch} already exists on {}; a drill only restores into a database it makes",
            opts.target
        ));
    }
    Ok(())
}

/// One `pg_restore --section=SECTION` into `on`.
async fn restore(
    pg_restore: &std::path::Path,
    on: &PgConn,
    artifact: &std::path::Path,
    section: &str,
    jobs: u32,
    opts: &DrillOpts,
) -> Result<(), Error> {
    let mut spec = ProcessSpec::new(pg_restore)
        .arg(format!("--section={section}"))
        .args(["--clean", "--if-exists", "--no-owner", "--no-password"]);
    if jobs > 1 {
        spec = spec.arg(format!("--jobs={jobs}"));
    }
    let spec = on.apply(
        spec.arg("--dbname").arg(&on.database).arg(artifact),
        opts.connect_timeout,
    );
    let out = spec
        .output(64 * 1024, Duration::from_secs(24 * 3600))
        .await
        .map_err(|e| Error::spawn(format!("could not run {}: {e}", pg_restore.display())))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        return Err(Error::new(
            match tools::classify(&text) {
                FailureClass::Transport => FailureClass::Assertion,
                c => c,
            },
            format!(
                "pg_restore --section={section} into {on} failed ({}): {}",
                out.status,
                tools::tail(&out.stderr)
            ),
        ));
    }
    Ok(())
}

/// Every manifest table's rows now, against the manifest's.
async fn parity(db: &mut PgConnection, m: &manifest::Manifest) -> (Vec<Parity>, Parity) {
    let mut out = Vec::with_capacity(m.tables.len());
    for t in &m.tables {
        let actual = count(db, &format!("SELECT count(*) FROM {}", t.qualified()))
            .await
            .ok();
        out.push(Parity {
            table: format!("{}.{}", t.schema, t.table),
            expected: t.rows,
            actual,
            ok: actual == Some(t.rows),
        });
    }
    let los = count(db, "SELECT count(*) FROM pg_largeobject_metadata")
        .await
        .ok();
    let lo = Parity {
        table: "large objects".into(),
        expected: m.large_objects,
        actual: los,
        ok: los == Some(m.large_objects),
    };
    (out, lo)
}

/// Runs each smoke query; it passes when it runs and its first row's first value is neither
/// false nor NULL.
async fn smoke(db: &mut PgConnection, queries: &[String]) -> Vec<SmokeResult> {
    let mut out = Vec::new();
    for q in queries {
        let r = sqlx::query(sqlx::AssertSqlSafe(q.clone()))
            .fetch_optional(&mut *db)
            .await;
        let (ok, detail) = match r {
            Err(e) => (false, crate::probe::sql::classify(&e).message),
            Ok(None) => (false, "no rows".to_owned()),
            Ok(Some(row)) => match first_value(&row) {
                None => (false, "NULL".to_owned()),
                Some(v) if v == "false" || v == "f" => (false, "false".to_owned()),
                Some(v) => (true, v),
            },
        };
        out.push(SmokeResult {
            query: q.clone(),
            ok,
            detail,
        });
    }
    out
}

fn first_value(row: &sqlx::postgres::PgRow) -> Option<String> {
    use sqlx::ValueRef;
    if row.is_empty() {
        return Some("(no columns)".into());
    }
    if row.try_get_raw(0).map(|v| v.is_null()).unwrap_or(true) {
        return None;
    }
    if let Ok(b) = row.try_get::<bool, _>(0) {
        return Some(b.to_string());
    }
    if let Ok(n) = row.try_get::<i64, _>(0) {
        return Some(n.to_string());
    }
    if let Ok(n) = row.try_get::<i32, _>(0) {
        return Some(n.to_string());
    }
    if let Ok(s) = row.try_get::<String, _>(0) {
        return Some(s);
    }
    Some("(a value)".into())
}
