//! Who signs an archive: an ECDSA P-256 key and its X.509 certificate.
//!
//! Owns `Identity` (the key and certificate, parsed and checked to belong together), making a
//! self-signed one from a `Subject` (name and organisation from settings), and the
//! `IdentityStore` seam through which the PEM pair is kept: made on first use by `obtain`, or
//! an organisation's own pair brought in by `import`. Where the PEM lives is the store's
//! business: the OS keyring in the app and the CLI (`KeyringIdentityStore`, over the engine's
//! secrets module), `MemoryIdentityStore` in tests and for one-off signatures. Nothing here writes a key to a file.

use std::sync::Mutex;

use der::{DecodePem, Encode};
use flightdeck_engine::secrets::{Keyring, Sensitive};
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::error::{Error, Result};

/// The certificate's subject, from settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub organisation: Option<String>,
}

/// A private key and certificate as PEM text. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct PemPair {
    pub key_pem: String,
    pub cert_pem: String,
}

impl std::fmt::Debug for PemPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemPair")
            .field("key_pem", &"***")
            .field("cert_pem", &self.cert_pem)
            .finish()
    }
}

/// A signing key with the certificate that names it.
#[derive(Clone)]
pub struct Identity {
    key: SigningKey,
    cert: Certificate,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("subject", &self.subject())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, P-256) and its certificate.
    pub fn from_pem(pair: &PemPair) -> Result<Identity> {
        let secret = p256::SecretKey::from_pkcs8_pem(&pair.key_pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(&pair.key_pem))
            .map_err(|_| {
                Error::Identity("the key is not a P-256 private key in PEM (PKCS#8 or SEC1)".into())
            })?;
        let cert = Certificate::from_pem(pair.cert_pem.as_bytes())
            .map_err(|e| Error::Identity(format!("the certificate is not an X.509 PEM certificate ({e})")))?;
        let cert_der = cert
            .to_der()
            .map_err(|e| Error::Identity(format!("the certificate does not re-encode ({e})")))?;
        let key = SigningKey::from(secret);
        let cert_key = cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        let own = key.verifying_key().to_encoded_point(false);
        if cert_key != own.as_bytes() {
            return Err(Error::Identity(
                "the certificate does not belong to the key (its public key differs)".into(),
            ));
        }
        Ok(Identity { key, cert, cert_der })
    }

    /// A new key and a self-signed certificate for `subject`, valid from `now` for ten years.
    pub fn self_signed(subject: &Subject, now: OffsetDateTime) -> Result<(Identity, PemPair)> {
        let fail = |e: rcgen::Error| Error::Identity(format!("cannot make a certificate ({e})"));
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail)?;
        let mut params = rcgen::CertificateParams::default();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, subject.name.trim());
        if let Some(org) = subject
            .organisation
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            dn.push(rcgen::DnType::OrganizationName, org);
        }
        params.distinguished_name = dn;
        params.not_before = now;
        params.not_after = now + time::Duration::days(3653);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::ContentCommitment,
        ];
        // rcgen 0.13 writes no extensions (the key usage above included) unless basic
        // constraints are set: say "not a CA" explicitly so the key usage is in the certificate.
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let cert = params.self_signed(&key).map_err(fail)?;
        let pair = PemPair {
            key_pem: key.serialize_pem(),
            cert_pem: cert.pem(),
        };
        Ok((Identity::from_pem(&pair)?, pair))
    }

    pub(crate) fn key(&self) -> &SigningKey {
        &self.key
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate's subject as an RFC 4514 string (`CN=Ana,O=Example`).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// The common name alone, when the subject has one.
    pub fn common_name(&self) -> Option<String> {
        common_name(&self.cert)
    }
}

pub(crate) fn common_name(cert: &Certificate) -> Option<String> {
    const CN: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == CN)
        .and_then(|atv| {
            der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    der::asn1::PrintableStringRef::try_from(&atv.value).map(|s| s.as_str().to_string())
                })
                .ok()
        })
}

/// The one certificate in PEM (with any text around the block, as `openssl pkcs7
/// -print_certs` writes it) or DER bytes, DER (a pinned certificate for `verify`).
pub fn parse_certificate(bytes: &[u8]) -> Result<Vec<u8>> {
    crate::pem::certificate(bytes)
}

/// Where the signing identity's PEM pair is kept between exports.
pub trait IdentityStore {
    /// The kept pair; `Ok(None)` when there is none yet.
    fn load(&self) -> Result<Option<PemPair>>;
    fn save(&self, pair: &PemPair) -> Result<()>;
}

/// The kept identity, or a new self-signed one for `subject` (kept for next time).
pub fn obtain(store: &dyn IdentityStore, subject: &Subject, now: OffsetDateTime) -> Result<Identity> {
    if let Some(pair) = store.load()? {
        return Identity::from_pem(&pair);
    }
    let (identity, pair) = Identity::self_signed(subject, now)?;
    store.save(&pair)?;
    Ok(identity)
}

/// Check an organisation's own key and certificate, then keep them in place of any other.
pub fn import(store: &dyn IdentityStore, pair: PemPair) -> Result<Identity> {
    let identity = Identity::from_pem(&pair)?;
    store.save(&pair)?;
    Ok(identity)
}

/// The identity in the OS keyring, through the engine's secrets module, under the reserved
/// namespace `.archive` (accounts `.archive/SIGNING_KEY_PEM` and `.archive/SIGNING_CERT_PEM`).
/// A named identity (`--identity NAME`: a second person's key on a shared machine, the decision
/// maker's beside the release manager's) is kept beside it as `SIGNING_KEY_PEM.NAME` and
/// `SIGNING_CERT_PEM.NAME`.
#[derive(Debug, Clone)]
pub struct KeyringIdentityStore {
    keyring: Keyring,
    key: String,
    cert: String,
}

const NAMESPACE: &str = ".archive";
const KEY: &str = "SIGNING_KEY_PEM";
const CERT: &str = "SIGNING_CERT_PEM";

impl KeyringIdentityStore {
    /// This machine's default signing identity.
    pub fn new(keyring: Keyring) -> Self {
        KeyringIdentityStore {
            keyring,
            key: KEY.into(),
            cert: CERT.into(),
        }
    }

    /// The identity called `name` (letters, digits, `_`, `-`, `.`), or the default one.
    pub fn named(keyring: Keyring, name: Option<&str>) -> Result<Self> {
        let Some(name) = name else {
            return Ok(Self::new(keyring));
        };
        let plain = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !plain {
            return Err(Error::Identity(format!(
                "identity name {name:?}: use 1 to 64 letters, digits, `_`, `-` and `.` (it names a keyring entry)"
            )));
        }
        Ok(KeyringIdentityStore {
            keyring,
            key: format!("{KEY}.{name}"),
            cert: format!("{CERT}.{name}"),
        })
    }
}

impl IdentityStore for KeyringIdentityStore {
    fn load(&self) -> Result<Option<PemPair>> {
        let key = self.keyring.get(NAMESPACE, &self.key)?;
        let cert = self.keyring.get(NAMESPACE, &self.cert)?;
        Ok(match (key, cert) {
            (Some(key), Some(cert)) => Some(PemPair {
                key_pem: key.into_inner(),
                cert_pem: cert.into_inner(),
            }),
            _ => None,
        })
    }

    fn save(&self, pair: &PemPair) -> Result<()> {
        // The certificate last: a half-written pair (key without certificate) reads as none.
        self.keyring.delete(NAMESPACE, &self.cert)?;
        self.keyring
            .set(NAMESPACE, &self.key, &Sensitive::new(pair.key_pem.clone()))?;
        self.keyring
            .set(NAMESPACE, &self.cert, &Sensitive::new(pair.cert_pem.clone()))?;
        Ok(())
    }
}

/// An identity store in memory: tests, and one-off signatures that keep nothing.
#[derive(Debug, Default)]
pub struct MemoryIdentityStore {
    pair: Mutex<Option<PemPair>>,
}

impl IdentityStore for MemoryIdentityStore {
    fn load(&self) -> Result<Option<PemPair>> {
        Ok(self.pair.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    fn save(&self, pair: &PemPair) -> Result<()> {
        *self.pair.lock().unwrap_or_else(|p| p.into_inner()) = Some(pair.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn subject() -> Subject {
        Subject {
            name: "Ana Release".into(),
            organisation: Some("Example Org".into()),
        }
    }

    #[test]
    fn first_use_makes_a_self_signed_identity_and_keeps_it() {
        let store = MemoryIdentityStore::default();
        let a = obtain(&store, &subject(), datetime!(2025-06-01 12:00 UTC)).expect("made");
        assert!(a.subject().contains("CN=Ana Release"), "{}", a.subject());
        assert!(a.subject().contains("O=Example Org"), "{}", a.subject());
        let b = obtain(&store, &subject(), datetime!(2026-01-01 00:00 UTC)).expect("kept");
        assert_eq!(
            a.certificate_der(),
            b.certificate_der(),
            "the second export reuses the first identity"
        );
    }

    #[test]
    fn a_certificate_of_another_key_is_refused() {
        let (_, one) = Identity::self_signed(&subject(), datetime!(2025-06-01 12:00 UTC)).expect("one");
        let (_, two) = Identity::self_signed(&subject(), datetime!(2025-06-01 12:00 UTC)).expect("two");
        let mixed = PemPair {
            key_pem: one.key_pem,
            cert_pem: two.cert_pem,
        };
        let err = Identity::from_pem(&mixed).expect_err("mismatched");
        assert!(err.to_string().contains("does not belong"), "{err}");
        assert!(
            !format!("{mixed:?}").contains("PRIVATE KEY"),
            "Debug hides the key"
        );
    }
}
