//! Which store file a command uses: `--store`, `FLIGHTDECK_STORE`, or the platform data
//! directory's `flightdeck/flightdeck.sqlite`, its directory created if missing.

use std::path::PathBuf;

use anyhow::anyhow;
use flightdeck_engine::store::Store;

use crate::Ctx;

pub fn open(ctx: &Ctx) -> anyhow::Result<Store> {
    let path = match &ctx.store {
        Some(p) => p.clone(),
        None => default_path()?,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreDirError(format!(
                "cannot create the store directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    Ok(Store::open(&path)?)
}

fn default_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "flightdeck").ok_or_else(|| {
        anyhow!(StoreDirError(
            "no home directory for the default store; pass --store PATH".into()
        ))
    })?;
    Ok(dirs.data_dir().join("flightdeck.sqlite"))
}

/// The store file's place cannot be found or made (exit 7, like any store failure).
#[derive(Debug)]
pub struct StoreDirError(pub String);

impl std::fmt::Display for StoreDirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreDirError {}
