//! Taking a backup: `pg_dump` from an exported snapshot, per-table row counts from the same
//! snapshot, the artifact hashed as it is written, then its table of contents and the manifest.
//!
//! The artifact is written as `NAME.dump.partial` (or the folder `NAME.dir.partial` for the
//! directory format) and renamed when `pg_dump` has finished well; the manifest is written
//! last. A [`Partial`] guard removes whatever was written when anything fails or the future is
//! dropped (a Cancel, a deadline): `pg_dump`'s process group is killed by its own handle.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::conn::{self, query_error, PgConn};
use super::manifest::{self, Manifest, Source, TableCount};
use super::{tools, Error, ProgressTx, Stage};
use crate::probe::process::ProcessSpec;

/// `pg_dump --format=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Format {
    /// One file (`--format=custom`), as M31 §3 has it.
    Custom,
    /// A folder, dumped by `--jobs N` workers (`--format=directory`).
    Directory,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "custom" | "c" => Some(Format::Custom),
            "directory" | "d" => Some(Format::Directory),
            _ => None,
        }
    }
}

/// What to back up, and where to.
#[derive(Debug, Clone)]
pub struct DumpOpts {
    pub conn: PgConn,
    /// The backups folder (made if missing).
    pub dir: PathBuf,
    pub format: Format,
    /// `pg_dump --jobs` (directory format only).
    pub jobs: u32,
    /// Where the tools are (`PG_BIN`); `None` looks in the usual places.
    pub bin: Option<PathBuf>,
    pub connect_timeout: Duration,
}

/// Removes what a backup wrote unless it finished.
struct Partial {
    paths: Vec<PathBuf>,
}

impl Partial {
    fn disarm(&mut self) {
        self.paths.clear();
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        for p in &self.paths {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// What the dump gave: its size and sha256 (custom format: hashed while written), the snapshot,
/// and the snapshot's row counts.
struct Dumped {
    size: u64,
    sha256: String,
    snapshot: String,
    tables: Vec<TableCount>,
    large_objects: u64,
}

/// Takes a backup; returns its manifest and where the manifest is.
pub async fn backup(opts: &DumpOpts, progress: &ProgressTx) -> Result<(PathBuf, Manifest), Error> {
    let started_at = super::now_rfc3339();
    let t0 = Instant::now();
    progress.send(Stage::Connect, 0, t0);
    let bin = opts.bin.as_deref();
    let pg_dump = tools::find("pg_dump", bin)?;
    let pg_restore = tools::find("pg_restore", bin)?;
    let (major, dump_version) = tools::version(&pg_dump).await?;
    let mut db = opts.conn.connect(opts.connect_timeout).await?;
    let server = conn::facts(&mut db).await?;
    tools::check_version(&pg_dump, major, &dump_version, &server)?;

    std::fs::create_dir_all(&opts.dir).map_err(|e| {
        Error::spawn(format!(
            "the backups folder {} cannot be made: {e}",
            opts.dir.display()
        ))
    })?;
    let artifact = match opts.format {
        Format::Custom => format!("{}.dump", artifact_name(&opts.conn.database)),
        Format::Directory => format!("{}.dir", artifact_name(&opts.conn.database)),
    };
    let final_path = opts.dir.join(&artifact);
    let partial_path = opts.dir.join(format!("{artifact}.partial"));
    let mut guard = Partial {
        paths: vec![partial_path.clone(), final_path.clone()],
    };
    let dumping = progress.expecting(previous_size(opts));
    let mut d = dump_in_snapshot(opts, &pg_dump, &mut db, &partial_path, &dumping).await?;
    drop(db);

    std::fs::rename(&partial_path, &final_path).map_err(|e| unwritable(opts, e))?;
    if opts.format == Format::Directory {
        let t = Instant::now();
        (d.size, d.sha256) = hash_dir(&final_path).await?;
        progress.send(Stage::Checksum, d.size, t);
    }
    progress.send(Stage::Inventory, d.size, Instant::now());
    let toc_entries = toc_entries(&pg_restore, &final_path).await?;
    let m = Manifest {
        manifest_version: 1,
        artifact,
        format: opts.format,
        jobs: if opts.format == Format::Directory {
            opts.jobs.max(1)
        } else {
            1
        },
        source: Source {
            host: opts.conn.host.clone(),
            port: opts.conn.port,
            database: opts.conn.database.clone(),
            user: opts.conn.user.clone(),
            server,
        },
        started_at,
        finished_at: super::now_rfc3339(),
        duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
        size_bytes: d.size,
        sha256: d.sha256,
        pg_dump_version: dump_version,
        toc_entries,
        snapshot: d.snapshot,
        tables: d.tables,
        large_objects: d.large_objects,
    };
    let path = manifest::write(&opts.dir, &m.artifact, &m)?;
    guard.disarm();
    Ok((path, m))
}

/// The size of the newest earlier backup of the same database (server, name, format) in the
/// folder: what this dump is expected to reach, for a progress bar.
fn previous_size(opts: &DumpOpts) -> Option<u64> {
    manifest::list(&opts.dir)
        .ok()?
        .into_iter()
        .map(|f| f.manifest)
        .find(|m| {
            m.format == opts.format
                && m.source.database == opts.conn.database
                && m.source.host == opts.conn.host
                && m.source.port == opts.conn.port
        })
        .map(|m| m.size_bytes)
}

fn unwritable(opts: &DumpOpts, e: std::io::Error) -> Error {
    Error::spawn(format!(
        "the backup cannot be written to {}: {e}",
        opts.dir.display()
    ))
}

/// Opens a repeatable-read, read-only transaction on `db` and exports its snapshot: the one
/// pg_dump dumps and the rows are counted in. The transaction stays open until the dump ends.
async fn export_snapshot(db: &mut PgConnection) -> Result<String, Error> {
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *db)
        .await
        .map_err(|e| query_error("starting the snapshot's transaction", &e))?;
    sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *db)
        .await
        .map_err(|e| query_error("exporting a snapshot", &e))
}

/// pg_dump's command line: the snapshot, never a password prompt, the format (a directory dump
/// writes `partial` itself, with `--jobs`; a custom one goes to stdout).
fn dump_spec(opts: &DumpOpts, pg_dump: &Path, snapshot: &str, partial: &Path) -> ProcessSpec {
    let spec = ProcessSpec::new(pg_dump)
        .arg(format!("--snapshot={snapshot}"))
        .arg("--no-password");
    match opts.format {
        Format::Custom => spec.arg("--format=custom"),
        Format::Directory => spec
            .arg("--format=directory")
            .arg(format!("--jobs={}", opts.jobs.max(1)))
            .arg("--file")
            .arg(partial),
    }
}

/// Exports a snapshot on `db`, runs `pg_dump --snapshot` into `partial` while counting rows in
/// the same snapshot, and ends the snapshot's transaction.
async fn dump_in_snapshot(
    opts: &DumpOpts,
    pg_dump: &Path,
    db: &mut PgConnection,
    partial: &Path,
    progress: &ProgressTx,
) -> Result<Dumped, Error> {
    let out_file = match opts.format {
        Format::Custom => Some(
            tokio::fs::File::create(partial)
                .await
                .map_err(|e| unwritable(opts, e))?,
        ),
        Format::Directory => {
            std::fs::create_dir(partial).map_err(|e| unwritable(opts, e))?;
            None
        }
    };
    let snapshot = export_snapshot(db).await?;
    let mut child = opts
        .conn
        .apply(dump_spec(opts, pg_dump, &snapshot, partial), opts.connect_timeout)
        .spawn()
        .map_err(|e| Error::spawn(format!("could not start {}: {e}", pg_dump.display())))?;
    let (stdout, stderr) = (child.take_stdout(), child.take_stderr());
    let started = Instant::now();
    let out = async {
        match (out_file, stdout) {
            (Some(f), Some(o)) => {
                let w = copy_hashing(o, f, partial, progress, started).await;
                if w.is_err() {
                    // Nobody reads pg_dump's pipe any more: stop it rather than wait forever.
                    child.kill_group();
                }
                (w, child.wait().await)
            }
            _ => {
                let status = tokio::select! {
                    s = child.wait() => s,
                    () = poll_dir_size(partial, progress, started) => child.wait().await,
                };
                (Ok((0, String::new())), status)
            }
        }
    };
    let err = read_capped(stderr, 64 * 1024);
    let ((written, status), stderr, counts) = tokio::join!(out, err, count_rows(db));
    child.kill_group();
    // A write that failed (a full disk) stopped pg_dump: that failure is the one to report.
    let (size, sha256) = written?;
    let status = status.map_err(|e| Error::spawn(format!("waiting for pg_dump: {e}")))?;
    if !status.success() {
        let text = String::from_utf8_lossy(&stderr).into_owned();
        return Err(Error::new(
            tools::classify(&text),
            format!(
                "pg_dump failed ({status}) dumping {}: {}",
                opts.conn,
                tools::tail(&stderr)
            ),
        ));
    }
    let (tables, large_objects) = counts?;
    let _ = sqlx::raw_sql("COMMIT").execute(&mut *db).await;
    Ok(Dumped {
        size,
        sha256,
        snapshot,
        tables,
        large_objects,
    })
}

/// `shop-20261203T153412.123Z`: the database's name (safe characters only) and the time.
fn artifact_name(db: &str) -> String {
    let safe: String = db
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{safe}-{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Copies `pg_dump`'s stdout into the artifact, hashing and counting as it goes.
async fn copy_hashing(
    mut from: tokio::process::ChildStdout,
    mut to: tokio::fs::File,
    path: &Path,
    progress: &ProgressTx,
    started: Instant,
) -> Result<(u64, String), Error> {
    let werr = |e: std::io::Error| Error::spawn(format!("writing the backup {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let mut last = Instant::now();
    loop {
        let n = from
            .read(&mut buf)
            .await
            .map_err(|e| Error::spawn(format!("reading pg_dump's output: {e}")))?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n]).await.map_err(werr)?;
        hasher.update(&buf[..n]);
        total += n as u64;
        if last.elapsed() >= Duration::from_millis(250) {
            progress.send(Stage::Dump, total, started);
            last = Instant::now();
        }
    }
    to.flush().await.map_err(werr)?;
    to.sync_all().await.map_err(werr)?;
    progress.send(Stage::Dump, total, started);
    Ok((total, hex::encode(hasher.finalize())))
}

/// Reports the folder's growing size until dropped (the directory format's progress).
async fn poll_dir_size(dir: &Path, progress: &ProgressTx, started: Instant) {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        progress.send(Stage::Dump, dir_size(dir), started);
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// A folder's size and the sha256 of its `sha256  name` lines, names in order.
pub async fn hash_dir(dir: &Path) -> Result<(u64, String), Error> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let err = |e: std::io::Error| Error::spawn(format!("reading {}: {e}", dir.display()));
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(err)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        let mut all = Sha256::new();
        let mut size = 0u64;
        for p in names {
            let (n, sha) = hash_file_sync(&p).map_err(err)?;
            size += n;
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            all.update(format!("{sha}  {name}\n").as_bytes());
        }
        Ok((size, hex::encode(all.finalize())))
    })
    .await
    .map_err(|e| Error::spawn(format!("hashing: {e}")))?
}

/// A file's size and sha256.
pub fn hash_file_sync(path: &Path) -> std::io::Result<(u64, String)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            return Ok((n, hex::encode(h.finalize())));
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
}

/// Every user table's rows and the large objects, in the transaction's snapshot.
async fn count_rows(db: &mut PgConnection) -> Result<(Vec<TableCount>, u64), Error> {
    let rows = sqlx::query(TABLES)
        .fetch_all(&mut *db)
        .await
        .map_err(|e| query_error("listing the tables", &e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let schema: String = r.try_get(0).map_err(|e| query_error("a table's schema", &e))?;
        let table: String = r.try_get(1).map_err(|e| query_error("a table's name", &e))?;
        let mut t = TableCount {
            schema,
            table,
            rows: 0,
        };
        t.rows = count(db, &format!("SELECT count(*) FROM {}", t.qualified())).await?;
        out.push(t);
    }
    let los = count(db, "SELECT count(*) FROM pg_largeobject_metadata").await?;
    Ok((out, los))
}

/// The user tables (and partitioned parents), by schema and name.
pub(crate) const TABLES: &str = "SELECT n.nspname::text, c.relname::text FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
     ORDER BY 1, 2";

pub(crate) async fn count(db: &mut PgConnection, sql: &str) -> Result<u64, Error> {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *db)
        .await
        .map_err(|e| query_error(sql, &e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Entries in `pg_restore --list ARTIFACT` (comment lines left out).
pub async fn toc_entries(pg_restore: &Path, artifact: &Path) -> Result<u64, Error> {
    let out = ProcessSpec::new(pg_restore)
        .arg("--list")
        .arg(artifact)
        .output(64 << 20, Duration::from_secs(120))
        .await
        .map_err(|e| Error::spawn(format!("could not run pg_restore --list: {e}")))?;
    if !out.status.success() {
        return Err(Error::spawn(format!(
            "pg_restore --list {} failed: {}",
            artifact.display(),
            tools::tail(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .count() as u64)
}

async fn read_capped(r: Option<tokio::process::ChildStderr>, cap: usize) -> Vec<u8> {
    let Some(mut r) = r else { return Vec::new() };
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&buf[..n.min(room)]);
    }
    out
}
