//! The signature as found and as accepted. It is read from the dictionary the signature field
//! points at, so text a user typed (a release, a signer's name, an attachment name) cannot
//! change what is checked; the container must be exactly what Flightdeck writes, so a high-S
//! flip, an extra certificate or an unsigned attribute are each refused by name, even with the
//! right pinned certificate (the attack round's recipes); and an export checks itself.

mod common;

use std::sync::OnceLock;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use common::hostile;
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use flightdeck_archive::{verify, Identity, MemoryIdentityStore, Report, SignerChoice, Subject};
use flightdeck_engine::probe::Excerpt;
use flightdeck_engine::run::Event;
use flightdeck_engine::store::sha256_hex;
use x509_cert::attr::Attribute;

fn exported() -> &'static (Vec<u8>, Identity) {
    static ONCE: OnceLock<(Vec<u8>, Identity)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let who = common::identity();
        (common::export(&common::m31_run(), &who), who)
    })
}

fn failed(report: &Report) -> Vec<(&'static str, &str)> {
    report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| (c.name, c.detail.as_str()))
        .collect()
}

/// The last raw `/ByteRange` in `pdf` is followed by `after`: what a scan of the bytes would
/// have taken for the signature.
fn last_raw_byte_range_is(pdf: &[u8], after: &[u8]) -> bool {
    let key = b"/ByteRange";
    let at = pdf
        .windows(key.len())
        .rposition(|w| w == key)
        .expect("a /ByteRange");
    pdf[at + key.len()..].starts_with(after)
}

#[test]
fn a_release_named_like_a_byte_range_or_a_contents_exports_and_verifies() {
    let who = common::identity();
    for release in ["v2 /ByteRange[0 1 2 3]", "v2 /Contents<00>"] {
        let pdf = common::export(&common::m31_run_of_release(release), &who);
        if release.contains("ByteRange") {
            assert!(
                last_raw_byte_range_is(&pdf, b"[0 1 2 3]"),
                "the release lands in /Reason after the real /ByteRange"
            );
        }
        let report = verify(&pdf, Some(who.certificate_der()));
        assert!(report.ok, "release {release:?}: {:?}", failed(&report));
    }
}

#[test]
fn a_signer_name_with_a_byte_range_and_an_attachment_named_like_the_placeholder_still_verify() {
    let (eve, _) = Identity::self_signed(
        &Subject {
            name: "Eve /ByteRange[0 1 2 3] /Contents<00>".into(),
            organisation: None,
        },
        common::EXPORTED_AT,
    )
    .expect("identity");
    let mut fx = common::m31_run();
    // An attachment name (in the catalog, which the signing update copies) holding the digits
    // the signer writes as its ByteRange placeholder.
    let text = "out\n".to_string();
    let event = Event::StepOutput {
        step: "9999999999".into(),
        stream: "stdout".into(),
        output: Excerpt {
            bytes: text.len() as u64,
            sha256: sha256_hex(text.as_bytes()),
            text,
            truncated_bytes: 0,
            truncated: false,
        },
    };
    let new = event.into_new("ana").expect("encodes");
    fx.store
        .append(&fx.run_id, &new.actor, &new.kind, new.payload)
        .expect("append");
    let pdf = common::export(&fx, &eve);
    assert!(
        last_raw_byte_range_is(&pdf, b"[0 1 2 3]"),
        "the name lands after the real one"
    );
    let report = verify(&pdf, Some(eve.certificate_der()));
    assert!(report.ok, "{:?}", failed(&report));
    assert!(report.signer.as_deref().is_some_and(|s| s.contains("Eve")));
}

#[test]
fn export_run_hands_back_the_report_of_its_own_check_against_its_signer() {
    let fx = common::m31_run();
    let ids = MemoryIdentityStore::default();
    let exported = flightdeck_archive::export_run(
        &fx.store,
        &fx.run_id,
        &ids,
        &SignerChoice::default(),
        &flightdeck_archive::ExportOpts {
            now: common::EXPORTED_AT,
        },
        &mut |_| {},
    )
    .expect("an export that verifies is handed back");
    let r = &exported.report;
    assert!(r.ok, "{:?}", failed(r));
    assert!(
        r.checks.iter().any(|c| c.name == "pinned_certificate" && c.ok),
        "checked against the identity that signed it: {:?}",
        r.checks
    );
    assert!(
        verify(&exported.pdf, None).ok,
        "and the bytes handed back are those checked"
    );
}

/// `pdf` with its CMS decoded, changed by `edit`, re-encoded and put back in the same gap.
fn redressed(pdf: &[u8], edit: impl FnOnce(&mut SignedData)) -> Vec<u8> {
    let info = ContentInfo::from_der(&hostile::cms_of(pdf)).expect("ContentInfo");
    let mut signed: SignedData = info.content.decode_as().expect("SignedData");
    edit(&mut signed);
    let info = ContentInfo {
        content_type: info.content_type,
        content: Any::encode_from(&signed).expect("encode"),
    };
    let out = hostile::with_cms(pdf, &info.to_der().expect("encode"));
    assert_eq!(out.len(), pdf.len(), "the file's length is unchanged");
    out
}

/// `pdf`, re-dressed, fails on `cms_canonical` alone, by `name`, with the right pinned certificate.
fn refused_by_name(pdf: &[u8], name: &str) {
    let who = &exported().1;
    let report = verify(pdf, Some(who.certificate_der()));
    let failed = failed(&report);
    assert_eq!(
        failed.iter().map(|f| f.0).collect::<Vec<_>>(),
        vec!["cms_canonical"],
        "the signature itself still holds; only its form is not ours: {failed:?}"
    );
    assert!(failed[0].1.contains(name), "named `{name}`: {failed:?}");
}

#[test]
fn a_high_s_flip_of_the_ecdsa_signature_is_refused_by_name_even_with_the_right_pin() {
    let pdf = redressed(&exported().0, |signed| {
        let mut infos = std::mem::take(&mut signed.signer_infos.0).into_vec();
        let sig = p256::ecdsa::Signature::from_der(infos[0].signature.as_bytes()).expect("ECDSA");
        assert!(sig.normalize_s().is_none(), "Flightdeck wrote low-S");
        let flipped = p256::ecdsa::Signature::from_scalars(sig.r().to_bytes(), (-*sig.s()).to_bytes())
            .expect("(r, n - s)");
        infos[0].signature = OctetString::new(flipped.to_der().as_bytes()).expect("octets");
        signed.signer_infos.0 = SetOfVec::try_from(infos).expect("set");
    });
    refused_by_name(&pdf, "high-S signature");
}

#[test]
fn an_extra_certificate_is_refused_by_name_even_with_the_right_pin() {
    let pdf = redressed(&exported().0, |signed| {
        let set = signed.certificates.as_mut().expect("certificates");
        let other = x509_cert::Certificate::from_der(common::identity().certificate_der()).expect("X.509");
        set.0
            .insert(CertificateChoices::Certificate(other))
            .expect("insert");
    });
    refused_by_name(&pdf, "2 certificates, expected 1");
}

#[test]
fn a_3_4_kb_unsigned_attribute_is_refused_by_name_even_with_the_right_pin() {
    let pdf = redressed(&exported().0, |signed| {
        let mut infos = std::mem::take(&mut signed.signer_infos.0).into_vec();
        let filler = OctetString::new(vec![0x5a; 3400]).expect("octets");
        let attr = Attribute {
            oid: ObjectIdentifier::new_unwrap("1.2.3.4.5"),
            values: SetOfVec::try_from(vec![Any::encode_from(&filler).expect("any")]).expect("set"),
        };
        infos[0].unsigned_attrs = Some(SetOfVec::try_from(vec![attr]).expect("set"));
        signed.signer_infos.0 = SetOfVec::try_from(infos).expect("set");
    });
    refused_by_name(&pdf, "unsigned attributes present");
}
