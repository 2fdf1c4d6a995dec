//! The sidecar manifest of a backup (`NAME.manifest.json` next to the artifact): what was dumped,
//! from where, when, and what a restore must give back. Written last, atomically: a manifest
//! exists only for a finished backup.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::conn::ServerFacts;
use super::dump::Format;
use super::Error;

/// The manifest file's suffix.
pub const SUFFIX: &str = ".manifest.json";

/// One finished backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Manifest {
    /// 1.
    pub manifest_version: u32,
    /// The artifact's name, next to the manifest (a file, or a folder for `directory`).
    pub artifact: String,
    pub format: Format,
    pub jobs: u32,
    pub source: Source,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: u64,
    /// Of the file; for a folder, of its `sha256  name` lines in name order.
    pub sha256: String,
    /// `pg_dump (PostgreSQL) 15.4 ...`.
    pub pg_dump_version: String,
    /// Entries in `pg_restore --list`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub toc_entries: u64,
    /// The snapshot the dump and the counts were taken in.
    pub snapshot: String,
    /// Every table's rows, counted in that snapshot.
    pub tables: Vec<TableCount>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub large_objects: u64,
}

/// Where a backup was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Source {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub server: ServerFacts,
}

/// A table's row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TableCount {
    pub schema: String,
    pub table: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
}

impl TableCount {
    pub fn qualified(&self) -> String {
        format!(
            "{}.{}",
            super::conn::quote_ident(&self.schema),
            super::conn::quote_ident(&self.table)
        )
    }
}

/// A manifest and where it is.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub manifest: Manifest,
}

impl Found {
    /// The artifact it describes.
    pub fn artifact(&self) -> PathBuf {
        self.path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&self.manifest.artifact)
    }
}

/// The manifest at `path`; `path` may also be the artifact (its manifest is next to it) or a
/// backups folder (its newest backup).
pub fn read(path: &Path) -> Result<Found, Error> {
    if path.is_dir() && !is_directory_artifact(path) {
        return list(path)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::spawn(format!("no backup in {} (no *{SUFFIX})", path.display())));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mpath = if name.ends_with(SUFFIX) {
        path.to_owned()
    } else {
        path.with_file_name(format!("{name}{SUFFIX}"))
    };
    let text = std::fs::read_to_string(&mpath)
        .map_err(|e| Error::spawn(format!("reading the backup manifest {}: {e}", mpath.display())))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        Error::spawn(format!(
            "{}: line {}, column {}: not a backup manifest: {e}",
            mpath.display(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(Found {
        path: mpath,
        manifest,
    })
}

fn is_directory_artifact(path: &Path) -> bool {
    path.join("toc.dat").is_file()
}

/// Every backup in `dir`, newest first. Manifests that do not read are skipped.
pub fn list(dir: &Path) -> Result<Vec<Found>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::spawn(format!("reading {}: {e}", dir.display()))),
    };
    let mut out: Vec<Found> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(SUFFIX)))
        .filter_map(|p| read(&p).ok())
        .collect();
    out.sort_by(|a, b| b.manifest.finished_at.cmp(&a.manifest.finished_at));
    Ok(out)
}

/// Writes `m` next to its artifact in `dir`, atomically (a temporary file renamed).
pub(crate) fn write(dir: &Path, name: &str, m: &Manifest) -> Result<PathBuf, Error> {
    let path = dir.join(format!("{name}{SUFFIX}"));
    let tmp = dir.join(format!(".{name}{SUFFIX}.tmp"));
    let text = serde_json::to_string_pretty(m).map_err(|e| Error::spawn(e.to_string()))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::spawn(format!("writing the manifest {}: {e}", path.display()))
    })?;
    Ok(path)
}

/// Seconds since `at` (RFC 3339), or `None` when it does not read.
pub fn age_secs(at: &str) -> Option<f64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some((time::OffsetDateTime::now_utc() - t).as_seconds_f64())
}
