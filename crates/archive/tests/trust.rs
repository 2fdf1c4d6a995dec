//! Authenticity, from the attack round's recipe: the same run re-signed by another key whose
//! certificate copies the original's subject is intact, so only an anchor the reviewer holds (a
//! pinned certificate, a trusted signer, an organisation CA) can tell the two apart.

use flightdeck_archive::trust::{Basis, TrustFile};
use flightdeck_archive::{review, Anchors, Authenticity, Identity, PemPair, Subject, Verdict};
use time::macros::datetime;
use time::OffsetDateTime;

const EXPORTED_AT: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

fn subject() -> Subject {
    Subject {
        name: "Ana Ruiz".into(),
        organisation: Some("Example Payments Ltd".into()),
    }
}

fn self_signed() -> Identity {
    Identity::self_signed(&subject(), datetime!(2026-01-01 00:00 UTC))
        .expect("identity")
        .0
}

/// A run's archive signed by `who`.
fn archive(who: &Identity) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.sqlite");
    let run = flightdeck_testsupport::store::started_run(&path, 2);
    let store = flightdeck_engine::store::Store::open(&path).expect("open");
    flightdeck_archive::export(
        &store,
        &run,
        who,
        &flightdeck_archive::ExportOpts { now: EXPORTED_AT },
    )
    .expect("export")
}

fn der(who: &Identity) -> Vec<u8> {
    who.certificate_der().to_vec()
}

fn trusted(dir: &std::path::Path, who: &Identity, name: &str) -> Anchors {
    let file = TrustFile::in_dir(dir);
    file.add(who.certificate_der(), Some(name), "2026-06-01T00:00:00.000Z")
        .expect("trust add");
    Anchors {
        signers: file.load().expect("load"),
        ..Anchors::default()
    }
}

fn rejected(a: &Authenticity) -> &str {
    match a {
        Authenticity::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_re_signed_archive_is_intact_but_its_signer_is_authenticated_only_by_an_anchor_that_names_it() {
    let original = self_signed();
    let forger = self_signed();
    assert_eq!(
        original.subject(),
        forger.subject(),
        "the forger copied the subject"
    );
    let forged = archive(&forger);

    // No anchor: intact (every integrity check holds), but nobody vouches for the signer.
    let r = review(&forged, &Anchors::default());
    assert!(r.report.ok, "the re-signed file is intact: {:?}", r.report.checks);
    assert_eq!(r.authenticity, Authenticity::Unauthenticated);
    assert_eq!(r.verdict, Verdict::IntactUnauthenticated);

    // The original pinned: rejected, by fingerprint.
    let pinned = Anchors {
        pinned: Some(der(&original)),
        ..Anchors::default()
    };
    let r = review(&forged, &pinned);
    assert!(rejected(&r.authenticity).contains("not the pinned certificate"));
    assert_eq!(r.verdict, Verdict::Failed);

    // The original trusted by name: the forger's copied subject is an impersonation.
    let dir = tempfile::tempdir().expect("tempdir");
    let r = review(&forged, &trusted(dir.path(), &original, "Ana (release)"));
    let why = rejected(&r.authenticity);
    assert!(
        why.contains("trusted signer \"Ana (release)\"") && why.contains("someone else signed"),
        "{why}"
    );
    assert_eq!(r.verdict, Verdict::Failed);

    // Only trusting the forger's own certificate makes it verified.
    let dir = tempfile::tempdir().expect("tempdir");
    let r = review(&forged, &trusted(dir.path(), &forger, "whoever"));
    assert_eq!(
        r.authenticity,
        Authenticity::Trusted {
            name: "whoever".into(),
            basis: Basis::TrustedSigners
        }
    );
    assert_eq!(r.verdict, Verdict::Verified);
}

#[test]
fn the_original_signer_is_trusted_when_pinned_or_listed() {
    let original = self_signed();
    let pdf = archive(&original);
    let pinned = Anchors {
        pinned: Some(der(&original)),
        ..Anchors::default()
    };
    let r = review(&pdf, &pinned);
    assert!(matches!(
        r.authenticity,
        Authenticity::Trusted {
            basis: Basis::Pinned,
            ..
        }
    ));
    assert_eq!(r.verdict, Verdict::Verified);
    let dir = tempfile::tempdir().expect("tempdir");
    let r = review(&pdf, &trusted(dir.path(), &original, "Ana"));
    assert_eq!(r.authenticity.text(), "trusted: Ana (your trusted signers)");
}

/// An organisation CA and a signer it issues, made with rcgen as an organisation's PKI would.
struct Pki {
    ca: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    fn new(is_ca: bool, usages: Vec<rcgen::KeyUsagePurpose>) -> Pki {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Example Payments Signing CA");
        // rcgen 0.13 writes no extensions at all (key usage included) unless basic
        // constraints are asked for, one way or the other.
        p.is_ca = if is_ca {
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)
        } else {
            rcgen::IsCa::ExplicitNoCa
        };
        p.key_usages = usages;
        p.not_before = datetime!(2025-01-01 00:00 UTC);
        p.not_after = datetime!(2030-01-01 00:00 UTC);
        let ca = p.self_signed(&ca_key).expect("ca");
        Pki { ca, ca_key }
    }

    fn ca_der(&self) -> Vec<u8> {
        self.ca.der().to_vec()
    }

    fn issue(&self, usages: Vec<rcgen::KeyUsagePurpose>, until: OffsetDateTime) -> Identity {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name.push(rcgen::DnType::CommonName, "Ana Ruiz");
        p.is_ca = rcgen::IsCa::ExplicitNoCa;
        p.key_usages = usages;
        p.not_before = datetime!(2026-01-01 00:00 UTC);
        p.not_after = until;
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).expect("issue");
        Identity::from_pem(&PemPair {
            key_pem: key.serialize_pem(),
            cert_pem: cert.pem(),
        })
        .expect("identity")
    }
}

fn ca_anchor(der: Vec<u8>) -> Anchors {
    Anchors {
        ca: Some(der),
        ..Anchors::default()
    }
}

#[test]
fn a_signer_issued_by_the_organisation_ca_is_trusted_and_every_ca_check_rejects_by_name() {
    use rcgen::KeyUsagePurpose::{ContentCommitment, DigitalSignature, KeyCertSign, KeyEncipherment};
    let until = datetime!(2029-01-01 00:00 UTC);
    let pki = Pki::new(true, vec![KeyCertSign]);
    let signed = archive(&pki.issue(vec![DigitalSignature, ContentCommitment], until));
    let r = review(&signed, &ca_anchor(pki.ca_der()));
    assert!(
        matches!(&r.authenticity, Authenticity::Trusted { basis: Basis::Ca, name } if name.contains("Signing CA")),
        "{:?}",
        r.authenticity
    );
    assert_eq!(r.verdict, Verdict::Verified);

    // Another CA under the same name: its key does not verify the signer's certificate.
    let impostor = Pki::new(true, vec![KeyCertSign]);
    let r = review(&signed, &ca_anchor(impostor.ca_der()));
    assert!(rejected(&r.authenticity).contains("does not verify the signer certificate"));

    // A self-signed signer is not issued by the CA at all.
    let r = review(&archive(&self_signed()), &ca_anchor(pki.ca_der()));
    assert!(rejected(&r.authenticity).contains("the signer's issuer is"));

    // A "CA" without cA: TRUE, or without keyCertSign, vouches for nobody.
    let not_ca = Pki::new(false, vec![]);
    let r = review(
        &archive(&not_ca.issue(vec![DigitalSignature], until)),
        &ca_anchor(not_ca.ca_der()),
    );
    assert!(rejected(&r.authenticity).contains("is not a CA"));
    let no_cert_sign = Pki::new(true, vec![DigitalSignature]);
    let r = review(
        &archive(&no_cert_sign.issue(vec![DigitalSignature], until)),
        &ca_anchor(no_cert_sign.ca_der()),
    );
    assert!(rejected(&r.authenticity).contains("keyCertSign"));

    // A signer certificate for encryption only may not sign documents.
    let r = review(
        &archive(&pki.issue(vec![KeyEncipherment], until)),
        &ca_anchor(pki.ca_der()),
    );
    assert!(rejected(&r.authenticity).contains("neither digitalSignature nor nonRepudiation"));

    // A signer certificate that expired before the export.
    let expired = pki.issue(vec![DigitalSignature], datetime!(2026-03-01 00:00 UTC));
    let r = review(&archive(&expired), &ca_anchor(pki.ca_der()));
    assert!(rejected(&r.authenticity).contains("was not valid when the archive was exported"));
}
