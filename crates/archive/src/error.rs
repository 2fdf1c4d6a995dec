//! The archive's error type: one enum for export, signing and reading an archive, with the
//! engine's `ErrorKind` for the CLI's exit code and the app's IPC code.

use flightdeck_engine::{ErrorKind, HasKind};

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
    /// The trusted-signers list cannot be read or changed as asked.
    #[error("{0}")]
    Trust(String),
    /// No trusted signer goes by that name or fingerprint.
    #[error("{0}")]
    TrustNotFound(String),
    /// A target path that cannot take an archive (relative, not a `.pdf`).
    #[error("{0}")]
    Path(String),
    /// A file to verify that is larger than the limit, refused before it is read.
    #[error("{}: {source}", .path.display())]
    TooLarge {
        path: std::path::PathBuf,
        source: crate::verify::LimitError,
    },
    /// An archive to co-sign that does not verify as it stands: nothing is signed.
    #[error("not co-signed: {0}")]
    CosignRefused(String),
    /// The identity already signed this file.
    #[error("not co-signed: {0}")]
    AlreadySigned(String),
    /// An archive just made that does not verify: nothing is written.
    #[error("the archive just made does not verify ({0}); nothing was written")]
    ExportDoesNotVerify(String),
    #[error("cannot {what} {}: {source}", .path.display())]
    File {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Run(e) => e.kind(),
            Error::Keyring(e) => e.kind(),
            // A key or certificate the user gave that cannot be used.
            Error::Identity(_) => ErrorKind::Invalid,
            // Drawing and signing are ours: a failure there is not the user's input.
            Error::Pdf(_) | Error::Sign(_) => ErrorKind::Internal,
            Error::NotAnArchive(_) | Error::TooLarge { .. } | Error::CosignRefused(_) => ErrorKind::Integrity,
            Error::AlreadySigned(_) => ErrorKind::Conflict,
            // What Flightdeck wrote and cannot check back is Flightdeck's failure.
            Error::ExportDoesNotVerify(_) => ErrorKind::Internal,
            Error::Path(_) | Error::Trust(_) => ErrorKind::Invalid,
            Error::TrustNotFound(_) => ErrorKind::NotFound,
            Error::File { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            Error::File { .. } => ErrorKind::Invalid,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
