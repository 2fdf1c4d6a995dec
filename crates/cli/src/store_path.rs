//! Which store file a command uses: `--store`, `FLIGHTDECK_STORE`, or the platform data
//! directory's `flightdeck/flightdeck.sqlite`, its directory created if missing; opened with its
//! key in the OS keyring (asked only when a write or `run verify` needs it).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::anyhow;
use flightdeck_engine::secrets::OsStoreKeys;
use flightdeck_engine::store::Store;

use crate::Ctx;

pub fn open(ctx: &Ctx) -> anyhow::Result<Store> {
    let path = match &ctx.store {
        Some(p) => p.clone(),
        None => default_path()?,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            crate::exit::Failed::StoreDir(format!(
                "cannot create the store directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    // A store that cannot be written opens read-only (list, show and verify work; writes say why).
    Ok(Store::open(&path)?.with_keys(Arc::new(OsStoreKeys::new())))
}

fn default_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "flightdeck").ok_or_else(|| {
        anyhow!(crate::exit::Failed::StoreDir(
            "no home directory for the default store; pass --store PATH".into()
        ))
    })?;
    Ok(dirs.data_dir().join("flightdeck.sqlite"))
}
