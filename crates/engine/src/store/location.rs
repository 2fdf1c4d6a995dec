//! Where the store file and the config folder live when nobody says: the platform data
//! directory's `flightdeck/flightdeck.sqlite` (`~/.local/share/flightdeck/` on Linux) and the
//! platform config directory's `flightdeck/` (`$XDG_CONFIG_HOME/flightdeck`, else
//! `~/.config/flightdeck`).
//!
//! Owns only the default paths, so the CLI and the desktop app open the same files; `--store`,
//! `FLIGHTDECK_STORE`, `--config-dir` and `FLIGHTDECK_CONFIG_DIR` are read by each binary, and
//! creating a directory is left to the caller.

use std::path::PathBuf;

/// The store file used when neither `--store` nor `FLIGHTDECK_STORE` is given; `None` when the
/// platform has no home directory to put it in.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.data_dir().join("flightdeck.sqlite"))
}

/// The config folder used when neither `--config-dir` nor `FLIGHTDECK_CONFIG_DIR` is given
/// (settings, the trusted archive signers); `None` without a home directory.
pub fn default_config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("flightdeck"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_store_is_flightdeck_sqlite_in_a_flightdeck_directory() {
        let path = super::default_path().expect("a home directory in tests");
        assert!(
            path.ends_with("flightdeck/flightdeck.sqlite"),
            "{}",
            path.display()
        );
    }
}
