//! The checks on the CMS in the signature's gap: `cms_signature` (the ECDSA signature holds under
//! the signer's certificate), `signed_attributes` (message-digest is the sha256 of the signed
//! byte ranges, signing-certificate-v2 names the signer, content-type is id-data),
//! `cms_canonical` (the container is exactly what Flightdeck writes, else what differs, by name)
//! and, with a pin, `pinned_certificate`.
//!
//! Reading the CMS is `cades`'s; where it sits in the file is `byte_range`'s.

use sha2::{Digest, Sha256};

use crate::cades::{self, Checked};

use super::byte_range::RawSignature;
use super::Checks;

/// The CMS checks over `sig` (none when the bytes hold no signature), and what the CMS says when
/// it could be read.
pub(super) fn check(
    bytes: &[u8],
    sig: Option<&RawSignature>,
    pinned_cert: Option<&[u8]>,
    checks: &mut Checks,
) -> Option<Checked> {
    let checked = sig.map(|s| cades::check(&s.cms, &signed_digest(bytes, s)));
    let signed = match checked {
        None => {
            checks.add("cms_signature", false, "no signature to check");
            checks.add("signed_attributes", false, "no signature to check");
            checks.add("cms_canonical", false, "no signature to check");
            None
        }
        Some(Err(e)) => {
            checks.add("cms_signature", false, e.to_string());
            checks.add("signed_attributes", false, "the signature could not be read");
            checks.add("cms_canonical", false, "the signature could not be read");
            None
        }
        Some(Ok(c)) => {
            cms_signature(&c, checks);
            signed_attributes(&c, checks);
            cms_canonical(&c, checks);
            Some(c)
        }
    };
    if let Some(pin) = pinned_cert {
        pinned_certificate(pin, signed.as_ref(), checks);
    }
    signed
}

/// sha256 of everything the ByteRange covers: the signed revision but the `/Contents` hex
/// (the whole file, unless something follows it, which `no_later_revision` reports).
fn signed_digest(bytes: &[u8], s: &RawSignature) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(&bytes[..s.a]);
    h.update(&bytes[s.b..s.b + s.c]);
    h.finalize().into()
}

fn cms_signature(c: &Checked, checks: &mut Checks) {
    checks.add(
        "cms_signature",
        c.signature_ok,
        if c.signature_ok {
            format!("ECDSA P-256 / SHA-256 signature by {} holds", c.subject)
        } else {
            "the signature does not verify under the signer's certificate".into()
        },
    );
}

fn signed_attributes(c: &Checked, checks: &mut Checks) {
    let attrs_ok = c.digest_ok && c.signing_cert_ok && c.content_type_ok;
    let mut bad = Vec::new();
    if !c.digest_ok {
        bad.push("message-digest differs from the digest of the signed bytes");
    }
    if !c.signing_cert_ok {
        bad.push("signing-certificate-v2 does not name the signer's certificate");
    }
    if !c.content_type_ok {
        bad.push("content-type is not id-data");
    }
    checks.add(
        "signed_attributes",
        attrs_ok,
        if attrs_ok {
            "content-type, message-digest (sha256 of the signed bytes) and signing-certificate-v2 hold"
                .to_string()
        } else {
            bad.join("; ")
        },
    );
}

/// `cms_canonical`: one signer, the three signed attributes, no unsigned ones, the signer's
/// certificate alone, low-S; else each difference by name.
fn cms_canonical(c: &Checked, checks: &mut Checks) {
    let ok = c.departures.is_empty();
    checks.add(
        "cms_canonical",
        ok,
        if ok {
            "exactly what Flightdeck writes: one signer, its certificate alone, three signed attributes, none unsigned, low-S".to_string()
        } else {
            c.departures.join("; ")
        },
    );
}

/// The signer is exactly the pinned certificate (DER).
fn pinned_certificate(pin: &[u8], signed: Option<&Checked>, checks: &mut Checks) {
    let Some(c) = signed else {
        checks.add("pinned_certificate", false, "no signer certificate to compare");
        return;
    };
    let same = pin == c.cert_der.as_slice();
    checks.add(
        "pinned_certificate",
        same,
        if same {
            "signed with the pinned certificate".to_string()
        } else {
            format!("signed by {}, not by the pinned certificate", c.subject)
        },
    );
}
