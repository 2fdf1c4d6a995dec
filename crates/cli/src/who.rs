//! Who does it, the one way every command says it: `--by NAME`, else `FLIGHTDECK_USER`, else the
//! name the app keeps in its settings (`user_name` in the config folder's `settings.json`), else
//! the login name. Never a made-up name such as "unknown": when none of them gives one, the
//! command is refused saying how to give it.

use std::path::Path;

use anyhow::{anyhow, Context};

use crate::Ctx;

/// `--by` as every command that records who did something declares it.
#[derive(Debug, Clone, clap::Args)]
pub struct By {
    /// Who does it, kept in the event [default: $FLIGHTDECK_USER, else the app's user name
    /// (settings.json in the config folder), else your login name].
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

impl By {
    pub fn name(&self, ctx: &Ctx) -> anyhow::Result<String> {
        actor(ctx, self.by.clone())
    }
}

/// The name `by` gives, else the first of FLIGHTDECK_USER, the app's stored name, the login name.
pub fn actor(ctx: &Ctx, by: Option<String>) -> anyhow::Result<String> {
    if let Some(by) = by {
        // An explicit --by is taken as given: a blank one is the engine's to refuse.
        return Ok(by);
    }
    if let Some(name) = std::env::var("FLIGHTDECK_USER")
        .ok()
        .filter(|n| !n.trim().is_empty())
    {
        return Ok(name);
    }
    if let Some(dir) = ctx.config_dir() {
        if let Some(name) = stored_name(&dir.join("settings.json"))? {
            return Ok(name);
        }
    }
    login_name().ok_or_else(|| {
        anyhow!(flightdeck_engine::run::Error::Invalid(
            "who does it? pass --by NAME, or set FLIGHTDECK_USER (no name is stored in the app's \
             settings, and this process has no login name)"
                .into()
        ))
    })
}

/// `user_name` from the app's settings file; `None` when the file or the name is missing.
fn stored_name(path: &Path) -> anyhow::Result<Option<String>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("read the app's settings {}", path.display())),
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("the app's settings {} are not valid JSON", path.display()))?;
    Ok(value
        .get("user_name")
        .and_then(|n| n.as_str())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string))
}

/// The name of this process's user in the user database, else `LOGNAME` or `USER`.
fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("LOGNAME").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
}
