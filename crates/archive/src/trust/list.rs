//! The trusted-signers list: `trusted-signers.json` in the config folder, shared by the CLI's
//! `archive trust add | list | rm` and the window's review screen.
//!
//! Each entry keeps the certificate itself (PEM) and its sha256 fingerprint. The fingerprint is
//! recomputed from the certificate when the file is read, so an entry edited by hand to point at
//! another certificate is an error naming the entry, not a silent grant of trust. The file is
//! written atomically (a sibling `.partial`, then a rename).

use std::path::{Path, PathBuf};

use der::{Decode, EncodePem};
use flightdeck_engine::store::sha256_hex;
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;

use crate::error::{Error, Result};

/// The file's name in the config folder.
pub const FILE_NAME: &str = "trusted-signers.json";

/// One signer the reviewer trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedSigner {
    /// What the reviewer calls them (unique in the list).
    pub name: String,
    /// sha256 of the certificate (DER), lowercase hex.
    pub fingerprint: String,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
    /// The certificate, PEM.
    pub certificate: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    signers: Vec<TrustedSigner>,
}

/// The list's file.
#[derive(Debug, Clone)]
pub struct TrustFile {
    path: PathBuf,
}

/// What `add` did.
#[derive(Debug, Clone)]
pub struct Added {
    pub signer: TrustedSigner,
    /// The certificate was already trusted (under `signer.name`): nothing changed.
    pub already: bool,
}

impl TrustFile {
    /// The list in `config_dir`.
    pub fn in_dir(config_dir: &Path) -> TrustFile {
        TrustFile {
            path: config_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every trusted signer; an empty list when the file does not exist yet.
    pub fn load(&self) -> Result<Vec<TrustedSigner>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::File {
                    what: "read",
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let disk: OnDisk = serde_json::from_str(&text).map_err(|e| {
            Error::Trust(format!(
                "{}: line {}, column {}: {e}",
                self.path.display(),
                e.line(),
                e.column()
            ))
        })?;
        for (i, s) in disk.signers.iter().enumerate() {
            let der = crate::identity::parse_certificate(s.certificate.as_bytes()).map_err(|e| {
                Error::Trust(format!(
                    "{}: signer {} ({}): {e}",
                    self.path.display(),
                    i + 1,
                    s.name
                ))
            })?;
            if sha256_hex(&der) != s.fingerprint {
                return Err(Error::Trust(format!(
                    "{}: signer {} ({}): the fingerprint does not match its certificate; \
                     remove the entry and add the certificate again",
                    self.path.display(),
                    i + 1,
                    s.name
                )));
            }
        }
        Ok(disk.signers)
    }

    /// Trust the certificate in `cert` (PEM, with any text around it, or DER) as `name`
    /// (default: its common name, else its subject).
    pub fn add(&self, cert: &[u8], name: Option<&str>, added_at: &str) -> Result<Added> {
        let der = crate::identity::parse_certificate(cert)?;
        let parsed = Certificate::from_der(&der)
            .map_err(|e| Error::Identity(format!("not an X.509 certificate ({e})")))?;
        let fingerprint = sha256_hex(&der);
        let subject = parsed.tbs_certificate.subject.to_string();
        let mut signers = self.load()?;
        if let Some(s) = signers.iter().find(|s| s.fingerprint == fingerprint) {
            return Ok(Added {
                signer: s.clone(),
                already: true,
            });
        }
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| crate::identity::common_name(&parsed))
            .unwrap_or_else(|| subject.clone());
        if name.chars().any(char::is_control) {
            return Err(Error::Trust(
                "a signer's name cannot hold control characters".into(),
            ));
        }
        if let Some(s) = signers.iter().find(|s| s.name == name) {
            return Err(Error::Trust(format!(
                "a trusted signer is already called \"{name}\" (sha256 {}); choose another --name \
                 or remove that one first",
                s.fingerprint
            )));
        }
        let certificate = parsed
            .to_pem(der::pem::LineEnding::LF)
            .map_err(|e| Error::Identity(format!("the certificate does not encode ({e})")))?;
        let signer = TrustedSigner {
            name,
            fingerprint,
            subject,
            added_at: added_at.to_string(),
            certificate,
        };
        signers.push(signer.clone());
        self.save(signers)?;
        Ok(Added {
            signer,
            already: false,
        })
    }

    /// Stop trusting the signer called `key`, or whose fingerprint starts with `key` (at least
    /// 8 hex digits, and only one may match).
    pub fn remove(&self, key: &str) -> Result<TrustedSigner> {
        let mut signers = self.load()?;
        let key = key.trim();
        let by_name = signers.iter().position(|s| s.name == key);
        let at = match by_name {
            Some(i) => i,
            None => {
                let lower = key.to_ascii_lowercase();
                let hits: Vec<usize> = signers
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| lower.len() >= 8 && s.fingerprint.starts_with(&lower))
                    .map(|(i, _)| i)
                    .collect();
                match hits.as_slice() {
                    [i] => *i,
                    [] => {
                        let names: Vec<&str> = signers.iter().map(|s| s.name.as_str()).collect();
                        return Err(Error::TrustNotFound(format!(
                            "no trusted signer called \"{key}\" or with a fingerprint starting \
                             with it (8 hex digits at least); trusted: {}",
                            if names.is_empty() {
                                "none".into()
                            } else {
                                names.join(", ")
                            }
                        )));
                    }
                    _ => {
                        return Err(Error::Trust(format!(
                            "{} trusted signers have a fingerprint starting with {key}; give more digits",
                            hits.len()
                        )))
                    }
                }
            }
        };
        let removed = signers.remove(at);
        self.save(signers)?;
        Ok(removed)
    }

    fn save(&self, signers: Vec<TrustedSigner>) -> Result<()> {
        let io = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::File { what, path, source }
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io("create the folder", dir))?;
        }
        let disk = OnDisk { version: 1, signers };
        let text = serde_json::to_string_pretty(&disk)
            .map_err(|e| Error::Trust(format!("cannot encode the trusted signers: {e}")))?;
        let tmp = self.path.with_extension("json.partial");
        std::fs::write(&tmp, text + "\n").map_err(io("write", &tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::File {
                what: "write",
                path: self.path.clone(),
                source: e,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Identity, Subject};
    use der::Encode;

    fn cert(name: &str) -> Vec<u8> {
        let subject = Subject {
            name: name.into(),
            organisation: Some("Example".into()),
        };
        let (id, _) = Identity::self_signed(&subject, time::OffsetDateTime::now_utc()).expect("identity");
        id.certificate().to_der().expect("der")
    }

    #[test]
    fn a_signer_is_added_once_listed_and_removed_by_name_or_fingerprint_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TrustFile::in_dir(&dir.path().join("config"));
        assert!(file.load().expect("no file yet").is_empty());
        let ana = cert("Ana");
        let added = file.add(&ana, None, "2026-12-03T10:00:00.000Z").expect("add");
        assert!(!added.already);
        assert_eq!(added.signer.name, "Ana", "the common name is the default name");
        assert_eq!(added.signer.fingerprint, sha256_hex(&ana));
        let again = file.add(&ana, Some("other"), "later").expect("add again");
        assert!(again.already, "the same certificate twice changes nothing");
        assert_eq!(file.load().expect("load").len(), 1);

        let bo = cert("Bo");
        file.add(&bo, Some("Bo at ops"), "t").expect("add bo");
        let e = file.add(&cert("Cy"), Some("Ana"), "t").expect_err("name taken");
        assert!(e.to_string().contains("already called \"Ana\""), "{e}");

        let removed = file.remove(&sha256_hex(&bo)[..10]).expect("remove by prefix");
        assert_eq!(removed.name, "Bo at ops");
        let e = file.remove("nobody").expect_err("unknown");
        assert!(
            e.to_string().contains("trusted: Ana"),
            "the error lists who is trusted: {e}"
        );
        file.remove("Ana").expect("remove by name");
        assert!(file.load().expect("load").is_empty());
    }

    #[test]
    fn an_entry_edited_to_another_certificate_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TrustFile::in_dir(dir.path());
        file.add(&cert("Ana"), None, "t").expect("add");
        let text = std::fs::read_to_string(file.path()).expect("read");
        let other = Certificate::from_der(&cert("Eve"))
            .expect("parse")
            .to_pem(der::pem::LineEnding::LF)
            .expect("pem");
        let mut disk: OnDisk = serde_json::from_str(&text).expect("json");
        disk.signers[0].certificate = other;
        std::fs::write(file.path(), serde_json::to_string(&disk).expect("encode")).expect("write");
        let e = file.load().expect_err("the fingerprint no longer matches");
        assert!(
            e.to_string()
                .contains("signer 1 (Ana): the fingerprint does not match"),
            "{e}"
        );
    }

    #[test]
    fn a_broken_file_is_an_error_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TrustFile::in_dir(dir.path());
        std::fs::write(file.path(), "{\n  \"version\": 1,\n  \"signers\": [oops]\n}").expect("write");
        let e = file.load().expect_err("not JSON");
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
