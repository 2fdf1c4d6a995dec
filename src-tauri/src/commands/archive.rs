//! The archive from the app: export a run as the signed PDF (the same `export_run` as the CLI's
//! `archive export`, signing identity in the OS keyring), and open an archive for review: the
//! verification first (integrity, then whether a signer you trust signed it: the trusted signers
//! in the config folder, the list `flightdeck archive trust` keeps), then the run read-only,
//! folded again from what the file carries.
//!
//! Co-signing (`cosign_archive`) adds this machine's signature to an archive under review, the
//! same `flightdeck_archive::cosign` as the CLI's `archive cosign`, and reviews it again.
//!
//! Files are read and written here, in Rust, at a path the user typed; the window has no
//! filesystem access of its own. PDF work runs on the blocking pool.

use std::path::{Path, PathBuf};

use flightdeck_archive::identity::IdentityStore;
use flightdeck_archive::trust::{self, TrustFile};
use flightdeck_archive::{Anchors, Authenticity, KeyringIdentityStore, SignerChoice, Verdict, EXPORT_STAGES};
use flightdeck_engine::store::Store;
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::host::Host;
use crate::view::{RunDoc, RunLive};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportArchiveReq {
    pub run: String,
    /// Where to write the PDF (`~/` is the home directory).
    pub path: String,
    /// The certificate's subject when no signing identity is kept yet.
    pub signer_name: Option<String>,
    pub signer_org: Option<String>,
}

/// One stage of an export, as it begins.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveProgress {
    pub stage: String,
    /// Stages begun so far, of `total`.
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExportedArchive {
    pub path: String,
    pub bytes: u64,
    pub signer: String,
    /// sha256 of the signing certificate (DER): what a reviewer compares before trusting it.
    pub signer_cert_sha256: String,
    /// The written file verified against the identity that signed it.
    pub verified: bool,
    /// On the first export on this machine (a new signing certificate): how a reviewer comes
    /// to trust this signer.
    pub trust_hint: Option<String>,
}

/// Whether the signer is someone the reviewer trusts (`flightdeck_archive::Authenticity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TrustState {
    Trusted,
    Unauthenticated,
    Rejected,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveTrust {
    pub state: TrustState,
    /// As the CLI says it: "trusted: NAME (your trusted signers)", "signer not authenticated", …
    pub text: String,
}

/// Integrity and authenticity together, as `flightdeck archive verify` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveVerdict {
    Verified,
    IntactUnauthenticated,
    Failed,
}

/// One verification check, as `flightdeck archive verify` names it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveCheck {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// One signature of an archive: the archive's own (index 1), then each co-signature.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveSignature {
    pub index: u32,
    /// The signature field's name.
    pub field: String,
    /// The signer's certificate subject, when the signature could be read.
    pub signer: Option<String>,
    /// The certificate's common name.
    pub name: Option<String>,
    pub cert_sha256: Option<String>,
    /// When it was signed (RFC 3339), as the signature states.
    pub signed_at: Option<String>,
    pub reason: Option<String>,
    /// It holds over what it covers and, after the first, its revision only adds it.
    pub ok: bool,
    /// A co-signer's authenticity (the archive's signer's is the review's `trust`).
    pub trust: Option<ArchiveTrust>,
}

/// The identity this machine signs with (the OS keyring's), for the Co-sign confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SigningIdentity {
    /// Its certificate's subject; `None` when none is kept yet (co-signing makes one).
    pub subject: Option<String>,
    pub cert_sha256: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CosignArchiveReq {
    /// The archive to co-sign, replaced by the co-signed file.
    pub path: String,
    /// Written as the signature's `/Reason` when given.
    pub reason: Option<String>,
    /// The certificate's name when no signing identity is kept yet.
    pub signer_name: Option<String>,
}

/// An archive opened for review: every check, then the run as the file recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveReview {
    pub path: String,
    pub bytes: u64,
    /// Every integrity check holds: the file is exactly what was signed.
    pub ok: bool,
    pub checks: Vec<ArchiveCheck>,
    pub trust: ArchiveTrust,
    pub verdict: ArchiveVerdict,
    pub signer: Option<String>,
    pub signer_cert_sha256: Option<String>,
    /// Every signature, the archive's first, each signer named.
    pub signatures: Vec<ArchiveSignature>,
    /// The run rebuilt from the embedded runbook and event log; `None` when the file does not
    /// carry them in a readable form.
    pub doc: Option<RunDoc>,
}

fn expand(path: &str) -> Result<PathBuf, IpcError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(IpcError::new(ErrorCode::Invalid, "give the archive's file path"));
    }
    let path = match path.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|d| d.home_dir().join(rest))
            .ok_or_else(|| IpcError::new(ErrorCode::Invalid, "no home directory to expand `~/` in"))?,
        None => PathBuf::from(path),
    };
    // A desktop launcher's working directory is nobody's idea of where a file goes.
    if !path.is_absolute() {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            format!("{}: give a full path (or one starting with ~/)", path.display()),
        ));
    }
    Ok(path)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> IpcError {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorCode::NotFound,
        _ => ErrorCode::Invalid,
    };
    IpcError::new(code, format!("cannot {what} {}: {e}", path.display()))
}

/// Where the export dialog proposes to write a run's archive: the documents folder (else home).
#[tauri::command]
pub async fn suggest_archive_path(host: State<'_, Host>, run: String) -> Result<String, IpcError> {
    let record = host.blocking(move |s| Ok(s.resolve_run(&run)?)).await?;
    let dir = directories::UserDirs::new()
        .and_then(|u| {
            u.document_dir()
                .map(Path::to_path_buf)
                .or_else(|| Some(u.home_dir().to_path_buf()))
        })
        .unwrap_or_else(std::env::temp_dir);
    let safe: String = record
        .release
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let short: String = record.id.chars().take(8).collect();
    Ok(dir
        .join(format!("flightdeck-{safe}-{short}.pdf"))
        .to_string_lossy()
        .into_owned())
}

/// Export a run as a signed PDF archive; each stage is reported on `on_progress` as it begins.
/// An existing file at `path` is replaced.
#[tauri::command]
pub async fn export_archive(
    host: State<'_, Host>,
    req: ExportArchiveReq,
    on_progress: Channel<ArchiveProgress>,
) -> Result<ExportedArchive, IpcError> {
    let path = expand(&req.path)?;
    if path.extension().is_none_or(|x| !x.eq_ignore_ascii_case("pdf")) {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            format!("{}: an archive is a .pdf file", path.display()),
        ));
    }
    let keyring = host.keyring();
    let store_path = host.store_path();
    let choice = SignerChoice {
        name: req.signer_name,
        organisation: req.signer_org,
    };
    let total = u32::try_from(EXPORT_STAGES.len() + 1).unwrap_or(u32::MAX);
    // Its own connection to the store file, off the shared one: keyring calls (seconds on first
    // use) and drawing the PDF never hold up the window's other commands or a running step.
    tauri::async_runtime::spawn_blocking(move || {
        let mut stage = |i: usize| {
            let _ = on_progress.send(ArchiveProgress {
                stage: EXPORT_STAGES.get(i).copied().unwrap_or("working").to_string(),
                done: u32::try_from(i).unwrap_or(0),
                total,
            });
        };
        // The run first: a mistyped id is "not found" even where the keyring is locked.
        let store = Store::open(&store_path)?;
        store.resolve_run(&req.run)?;
        let ids = KeyringIdentityStore::new(keyring.get()?);
        let first_signature = ids.load().map_err(IpcError::from)?.is_none();
        let opts = flightdeck_archive::ExportOpts {
            now: OffsetDateTime::now_utc(),
        };
        let exported = flightdeck_archive::export_run(&store, &req.run, &ids, &choice, &opts, &mut stage)
            .map_err(IpcError::from)?;
        let _ = on_progress.send(ArchiveProgress {
            stage: "writing the file".into(),
            done: total - 1,
            total,
        });
        flightdeck_archive::write_archive(&path, &exported.pdf).map_err(IpcError::from)?;
        let fingerprint = exported.report.signer_cert_sha256.clone().unwrap_or_default();
        Ok(ExportedArchive {
            path: path.to_string_lossy().into_owned(),
            bytes: exported.pdf.len() as u64,
            signer: exported.signer,
            trust_hint: first_signature.then(|| trust::how_to_trust(&fingerprint)),
            signer_cert_sha256: fingerprint,
            verified: exported.report.ok,
        })
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("export task failed: {e}")))?
}

/// Open an archive for review, offline: verify it, then rebuild the run it carries.
#[tauri::command]
pub async fn open_archive(host: State<'_, Host>, path: String) -> Result<ArchiveReview, IpcError> {
    let path = expand(&path)?;
    let trusted = TrustFile::in_dir(&host.config_dir());
    tauri::async_runtime::spawn_blocking(move || review(&path, &trusted))
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("archive task failed: {e}")))?
}

pub(crate) fn review(path: &Path, trusted: &TrustFile) -> Result<ArchiveReview, IpcError> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| io_err("read", path, e))?
        .len();
    let anchors = Anchors {
        signers: trusted.load().map_err(IpcError::from)?,
        ..Anchors::default()
    };
    // Bounded like the CLI's: the size is checked before the file is read.
    let opened = flightdeck_archive::review_file(path, &anchors, &flightdeck_archive::Limits::default())
        .map_err(IpcError::from)?;
    let doc = match &opened.contents {
        Some(contents) => match flightdeck_archive::rebuild(contents) {
            Ok((runbook, state)) => Some(RunDoc {
                runbook,
                live: RunLive {
                    state,
                    events: contents.events.clone(),
                },
            }),
            Err(_) => None,
        },
        None => None,
    };
    let report = opened.report;
    let trust_of = |a: &Authenticity| ArchiveTrust {
        state: match a {
            Authenticity::Trusted { .. } => TrustState::Trusted,
            Authenticity::Unauthenticated => TrustState::Unauthenticated,
            Authenticity::Rejected { .. } => TrustState::Rejected,
            Authenticity::Unknown => TrustState::Unknown,
        },
        text: a.text(),
    };
    let cosigners = opened.cosigners;
    Ok(ArchiveReview {
        path: path.to_string_lossy().into_owned(),
        bytes,
        ok: report.ok,
        trust: trust_of(&opened.authenticity),
        verdict: match opened.verdict {
            Verdict::Verified => ArchiveVerdict::Verified,
            Verdict::IntactUnauthenticated => ArchiveVerdict::IntactUnauthenticated,
            Verdict::Failed => ArchiveVerdict::Failed,
        },
        checks: report
            .checks
            .into_iter()
            .map(|c| ArchiveCheck {
                name: c.name.to_string(),
                ok: c.ok,
                detail: c.detail,
            })
            .collect(),
        signer: report.signer,
        signer_cert_sha256: report.signer_cert_sha256,
        signatures: report
            .signatures
            .into_iter()
            .map(|s| ArchiveSignature {
                index: u32::try_from(s.index).unwrap_or(u32::MAX),
                field: s.field,
                signer: s.signer,
                name: s.name,
                cert_sha256: s.cert_sha256,
                signed_at: s.signed_at,
                reason: s.reason,
                ok: s.ok,
                trust: cosigners
                    .iter()
                    .find(|c| c.index == s.index)
                    .map(|c| trust_of(&c.authenticity)),
            })
            .collect(),
        doc,
    })
}

/// Who would co-sign on this machine: the keyring's signing identity, if one is kept.
#[tauri::command]
pub async fn signing_identity(host: State<'_, Host>) -> Result<SigningIdentity, IpcError> {
    let keyring = host.keyring();
    tauri::async_runtime::spawn_blocking(move || {
        let ids = KeyringIdentityStore::new(keyring.get()?);
        let Some(pair) = ids.load().map_err(IpcError::from)? else {
            return Ok(SigningIdentity {
                subject: None,
                cert_sha256: None,
            });
        };
        let identity = flightdeck_archive::Identity::from_pem(&pair).map_err(IpcError::from)?;
        Ok(SigningIdentity {
            subject: Some(identity.subject()),
            cert_sha256: Some(flightdeck_engine::store::sha256_hex(identity.certificate_der())),
        })
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("keyring task failed: {e}")))?
}

/// Add this machine's signature to the archive at `req.path` (the same `cosign` as the CLI's
/// `archive cosign`), replace the file with the co-signed one, and review it again.
#[tauri::command]
pub async fn cosign_archive(host: State<'_, Host>, req: CosignArchiveReq) -> Result<ArchiveReview, IpcError> {
    let path = expand(&req.path)?;
    let keyring = host.keyring();
    let trusted = TrustFile::in_dir(&host.config_dir());
    tauri::async_runtime::spawn_blocking(move || {
        flightdeck_archive::check_target(&path).map_err(IpcError::from)?;
        let pdf = flightdeck_archive::read_file(&path, &flightdeck_archive::Limits::default())
            .map_err(IpcError::from)?;
        let ids = KeyringIdentityStore::new(keyring.get()?);
        let now = OffsetDateTime::now_utc();
        let signer = match ids.load().map_err(IpcError::from)? {
            Some(pair) => flightdeck_archive::Identity::from_pem(&pair).map_err(IpcError::from)?,
            None => {
                let name = req.signer_name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                    IpcError::new(
                        ErrorCode::Invalid,
                        "no signing identity here yet: give the name to sign as",
                    )
                })?;
                let subject = flightdeck_archive::Subject {
                    name,
                    organisation: None,
                };
                flightdeck_archive::identity::obtain(&ids, &subject, now).map_err(IpcError::from)?
            }
        };
        let opts = flightdeck_archive::CosignOpts {
            now,
            reason: req.reason,
        };
        let cosigned = flightdeck_archive::cosign(&pdf, &signer, &opts).map_err(IpcError::from)?;
        flightdeck_archive::write_archive(&path, &cosigned.pdf).map_err(IpcError::from)?;
        review(&path, &trusted)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("co-sign task failed: {e}")))?
}
