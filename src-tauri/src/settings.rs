//! The user's settings: for now only the name that every event the app records carries.
//!
//! Kept in `settings.json` in the config directory (see `launch`), written whole through a
//! temporary file and a rename so a crash never leaves half a file. Nothing else reads it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, IpcError};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub user_name: Option<String>,
}

/// The settings file of one config directory.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn new(config_dir: &Path) -> Self {
        SettingsFile {
            path: config_dir.join("settings.json"),
        }
    }

    /// The saved settings; a missing file is the defaults, an unreadable one an error.
    pub fn load(&self) -> Result<Settings, IpcError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                IpcError::new(
                    ErrorCode::Internal,
                    format!("settings file {} is not valid: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(self.io_error("read", e)),
        }
    }

    pub fn save(&self, settings: &Settings) -> Result<(), IpcError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io_error("create the directory of", e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(settings)
            .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))?;
        std::fs::write(&tmp, json).map_err(|e| self.io_error("write", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io_error("replace", e))
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> IpcError {
        IpcError::new(
            ErrorCode::Internal,
            format!("cannot {what} settings file {}: {e}", self.path.display()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = SettingsFile::new(&dir.path().join("nested"));
        assert_eq!(file.load().expect("defaults"), Settings::default());
        let s = Settings {
            user_name: Some("Riley".into()),
        };
        file.save(&s).expect("save");
        assert_eq!(file.load().expect("load"), s);
    }
}
