//! Where the store file lives when nobody says: the platform data directory's
//! `flightdeck/flightdeck.sqlite` (`~/.local/share/flightdeck/` on Linux).
//!
//! Owns only the default path, so the CLI and the desktop app open the same file; `--store` and
//! `FLIGHTDECK_STORE` are read by each binary, and creating the directory is left to the caller.

use std::path::PathBuf;

/// The store file used when neither `--store` nor `FLIGHTDECK_STORE` is given; `None` when the
/// platform has no home directory to put it in.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.data_dir().join("flightdeck.sqlite"))
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
