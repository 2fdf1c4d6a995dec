//! The archive's error type: one enum for export, signing and reading an archive.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Run(#[from] flightdeck_engine::run::Error),
    #[error(transparent)]
    Keyring(#[from] flightdeck_engine::secrets::KeyringError),
    #[error("signing identity: {0}")]
    Identity(String),
    #[error("PDF writing failed: {0}")]
    Pdf(String),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("not a Flightdeck archive: {0}")]
    NotAnArchive(String),
}

impl Error {
    /// A stable, machine-readable category.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Run(e) => e.code(),
            Error::Keyring(e) => e.code(),
            Error::Identity(_) => "identity",
            Error::Pdf(_) | Error::Sign(_) => "archive",
            Error::NotAnArchive(_) => "invalid",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
