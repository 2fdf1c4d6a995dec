//! Who signed an archive, and whether you trust them: the authenticity half of a verification.
//!
//! `verify` answers integrity: the file is exactly what was signed, by the certificate it
//! carries. Anyone can make a certificate with any name, so integrity alone says nothing about
//! who signed. Trust comes from an anchor the reviewer holds, checked in this order:
//!
//! 1. a pinned certificate (`--cert`): the signer must be exactly that certificate;
//! 2. the trusted-signers list kept in the config (`flightdeck archive trust add`, `list`);
//! 3. an organisation CA (`--ca`): the signer's certificate is issued by it (`ca`).
//!
//! When none vouches for the signer the answer is `Unauthenticated` ("intact, signer not
//! authenticated"), never "verified". A signer whose subject copies a trusted signer's while its
//! certificate differs is `Rejected`: that is what a re-signed forgery looks like.

mod ca;
pub mod list;

use flightdeck_engine::store::sha256_hex;
use serde::Serialize;
use time::OffsetDateTime;

use crate::verify::{Contents, Report};

pub use list::{TrustFile, TrustedSigner};

/// What a reviewer trusts, for one verification.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// A certificate (DER) the signer must be exactly.
    pub pinned: Option<Vec<u8>>,
    /// The trusted signers kept in the config.
    pub signers: Vec<TrustedSigner>,
    /// An organisation CA certificate (DER) the signer's certificate must be issued by.
    pub ca: Option<Vec<u8>>,
}

/// Which anchor vouched for a signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Pinned,
    TrustedSigners,
    Ca,
}

/// Whether the signer is someone the reviewer trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Authenticity {
    /// An anchor vouches for the signer; `name` is the trusted signer's name, the pinned
    /// certificate's subject, or the CA's subject.
    Trusted { name: String, basis: Basis },
    /// The file is intact but nothing the reviewer trusts vouches for its signer.
    Unauthenticated,
    /// The signer fails an anchor the reviewer gave, or impersonates a trusted signer.
    Rejected { reason: String },
    /// There is no valid signature to authenticate (the integrity checks say why).
    Unknown,
}

/// The one-word outcome of a verification, integrity and authenticity together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Intact and signed by someone trusted.
    Verified,
    /// Intact, but the signer is not authenticated.
    IntactUnauthenticated,
    /// Not intact, or the signer is rejected.
    Failed,
}

impl Verdict {
    /// The line a person reads last.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Verified => "archive verified",
            Verdict::IntactUnauthenticated => "archive intact, signer not authenticated",
            Verdict::Failed => "ARCHIVE DOES NOT VERIFY",
        }
    }
}

/// Whether a co-signer (signature `index`, 2 and up) is someone the reviewer trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CosignerTrust {
    pub index: usize,
    pub authenticity: Authenticity,
}

/// A verification with its authenticity: what `archive verify`, `archive show` and the window's
/// review screen report.
#[derive(Debug, Clone, Serialize)]
pub struct Reviewed {
    #[serde(flatten)]
    pub report: Report,
    /// The archive's signer (the first signature).
    pub authenticity: Authenticity,
    /// Each co-signer, judged by the trusted signers and `--ca` (a pinned certificate names the
    /// archive's signer alone). A rejected co-signer fails the verdict; an unauthenticated one
    /// is shown as such and does not.
    pub cosigners: Vec<CosignerTrust>,
    pub verdict: Verdict,
    #[serde(skip)]
    pub contents: Option<Contents>,
}

impl Authenticity {
    /// How the window and the text output say it.
    pub fn text(&self) -> String {
        match self {
            Authenticity::Trusted { name, basis } => {
                let how = match basis {
                    Basis::Pinned => "the pinned certificate",
                    Basis::TrustedSigners => "your trusted signers",
                    Basis::Ca => "issued by your CA",
                };
                format!("trusted: {name} ({how})")
            }
            Authenticity::Unauthenticated => "signer not authenticated".into(),
            Authenticity::Rejected { reason } => format!("signer rejected: {reason}"),
            Authenticity::Unknown => "no valid signature to authenticate".into(),
        }
    }
}

/// Verify `bytes` and judge its signer against `anchors`.
pub fn review(bytes: &[u8], anchors: &Anchors) -> Reviewed {
    judge(crate::verify::open(bytes, anchors.pinned.as_deref()), anchors)
}

/// Verify the file at `path` within `limits` (its size checked before it is read) and judge its
/// signer against `anchors`: what `archive verify`, `archive show` and the window use.
pub fn review_file(
    path: &std::path::Path,
    anchors: &Anchors,
    limits: &crate::Limits,
) -> crate::Result<Reviewed> {
    Ok(judge(
        crate::verify::open_file(path, anchors.pinned.as_deref(), limits)?,
        anchors,
    ))
}

fn judge(opened: crate::Opened, anchors: &Anchors) -> Reviewed {
    let at = opened
        .contents
        .as_ref()
        .and_then(|c| parse_time(&c.manifest.exported_at));
    let signer = opened
        .report
        .signer_cert_der
        .as_deref()
        .filter(|_| signature_holds(&opened.report));
    let authenticity = authenticate(signer, at, anchors);
    let unpinned = Anchors {
        pinned: None,
        ..anchors.clone()
    };
    let cosigners: Vec<CosignerTrust> = opened
        .report
        .signatures
        .iter()
        .skip(1)
        .map(|s| CosignerTrust {
            index: s.index,
            authenticity: authenticate(s.cert_der.as_deref().filter(|_| s.ok), at, &unpinned),
        })
        .collect();
    let cosigner_rejected = cosigners
        .iter()
        .any(|c| matches!(c.authenticity, Authenticity::Rejected { .. }));
    let verdict = match (&authenticity, opened.report.ok) {
        _ if cosigner_rejected => Verdict::Failed,
        (_, false) | (Authenticity::Rejected { .. } | Authenticity::Unknown, _) => Verdict::Failed,
        (Authenticity::Trusted { .. }, true) => Verdict::Verified,
        (Authenticity::Unauthenticated, true) => Verdict::IntactUnauthenticated,
    };
    Reviewed {
        report: opened.report,
        authenticity,
        cosigners,
        verdict,
        contents: opened.contents,
    }
}

/// The CMS signature itself held (whatever else failed): only then is there a signer to judge.
fn signature_holds(report: &Report) -> bool {
    report.checks.iter().any(|c| c.name == "cms_signature" && c.ok)
}

/// Judge the certificate (DER) that signed, at the archive's export time `at`.
pub fn authenticate(signer: Option<&[u8]>, at: Option<OffsetDateTime>, anchors: &Anchors) -> Authenticity {
    let Some(der) = signer else {
        return Authenticity::Unknown;
    };
    let fingerprint = sha256_hex(der);
    let subject = ca::subject_of(der).unwrap_or_default();
    if let Some(pin) = &anchors.pinned {
        return if pin.as_slice() == der {
            Authenticity::Trusted {
                name: subject,
                basis: Basis::Pinned,
            }
        } else {
            Authenticity::Rejected {
                reason: format!(
                    "not the pinned certificate (signer sha256 {fingerprint}, pinned {})",
                    sha256_hex(pin)
                ),
            }
        };
    }
    if let Some(t) = anchors.signers.iter().find(|t| t.fingerprint == fingerprint) {
        return Authenticity::Trusted {
            name: t.name.clone(),
            basis: Basis::TrustedSigners,
        };
    }
    if let Some(ca_der) = &anchors.ca {
        return match ca::issued_by(der, ca_der, at) {
            Ok(ca_subject) => Authenticity::Trusted {
                name: format!("{subject}, by {ca_subject}"),
                basis: Basis::Ca,
            },
            Err(why) => Authenticity::Rejected {
                reason: format!("not issued by the given CA: {why}"),
            },
        };
    }
    if let Some(t) = anchors
        .signers
        .iter()
        .find(|t| !subject.is_empty() && t.subject == subject)
    {
        return Authenticity::Rejected {
            reason: format!(
                "its subject {subject} is that of your trusted signer \"{}\", but its certificate \
                 is another (sha256 {fingerprint}, trusted {}): someone else signed under that name",
                t.name, t.fingerprint
            ),
        };
    }
    Authenticity::Unauthenticated
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// What a reviewer does to trust a signer, for the first export's message and the unauthenticated
/// verdict: export the certificate, compare its fingerprint over another channel, add it.
pub fn how_to_trust(fingerprint: &str) -> String {
    format!(
        "To let a reviewer authenticate this signer: send them the certificate \
         (`flightdeck archive cert -o signer.pem`), have them compare its sha256 {fingerprint} \
         with you over another channel, then run `flightdeck archive trust add signer.pem --name NAME`."
    )
}
