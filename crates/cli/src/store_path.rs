//! Which store a command uses: `--store`, `FLIGHTDECK_STORE` (a file, or a shared Postgres
//! store's `postgres://…` URL, opened as it is), or the platform data
//! directory's `flightdeck/flightdeck.sqlite` (its directory created if missing); opened with its
//! key in the OS keyring (asked only when a write or `run verify` needs it). A store named by
//! `--store`/`FLIGHTDECK_STORE` that does not exist is created only by a command that sets one up
//! (`run new`, `env new`, `env set-var`, `secret set`) or with `--create`: any other command
//! refuses it, so a mistyped path never reads as an empty store ("no runs yet").

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
    if flightdeck_engine::store::pg::is_postgres(&path) {
        return open_url(&path.to_string_lossy());
    }
    if ctx.store.is_some() && !ctx.create && !path.exists() {
        return Err(crate::exit::Failed::StoreDir(format!(
            "no store at {}: `flightdeck run new` creates one there, or pass --create (a mistyped \
             path is not read as an empty store)",
            path.display()
        ))
        .into());
    }
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

/// The shared Postgres store at `url` (`postgres://user@host/db`, its password from the OS
/// keyring), with this machine's default store file for environments and secret names.
pub fn open_url(url: &str) -> anyhow::Result<Store> {
    Ok(Store::open(url)?.with_keys(Arc::new(OsStoreKeys::new())))
}

/// The store `--to` / `--from` names: a Postgres URL, or a store file (created if missing).
pub fn open_other(target: &str) -> anyhow::Result<Store> {
    let path = std::path::Path::new(target);
    if flightdeck_engine::store::pg::is_postgres(path) {
        return open_url(target);
    }
    Ok(Store::open(path)?.with_keys(Arc::new(OsStoreKeys::new())))
}

pub(crate) fn default_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "flightdeck").ok_or_else(|| {
        anyhow!(crate::exit::Failed::StoreDir(
            "no home directory for the default store; pass --store PATH".into()
        ))
    })?;
    Ok(dirs.data_dir().join("flightdeck.sqlite"))
}
