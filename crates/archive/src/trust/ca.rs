//! An organisation CA as a trust anchor: the signer's certificate is issued by the CA's
//! certificate, directly (no intermediates).
//!
//! Checked: the signer's issuer name is the CA's subject; the CA's key (P-256) verifies the
//! signer certificate's ECDSA-with-SHA-256 signature; the CA is a CA (basic constraints
//! `cA: TRUE`) allowed to sign certificates (key usage `keyCertSign`, when present); the signer's
//! key may sign documents (key usage `digitalSignature` or `nonRepudiation`, when present); and
//! both certificates were valid when the archive was exported. Any other algorithm is refused by
//! name rather than skipped.

use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::Certificate;

const ECDSA_WITH_SHA256: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const EC_PUBLIC_KEY: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The subject of a certificate (DER), RFC 4514; `None` when it does not parse.
pub(super) fn subject_of(der: &[u8]) -> Option<String> {
    Certificate::from_der(der)
        .ok()
        .map(|c| c.tbs_certificate.subject.to_string())
}

/// Whether `ca_der` issued `signer_der` and both were valid `at` (the archive's export time;
/// `None`: now). `Ok` holds the CA's subject; `Err` says which check failed.
pub(super) fn issued_by(
    signer_der: &[u8],
    ca_der: &[u8],
    at: Option<OffsetDateTime>,
) -> Result<String, String> {
    let signer = Certificate::from_der(signer_der)
        .map_err(|e| format!("the signer's certificate does not parse ({e})"))?;
    let ca = Certificate::from_der(ca_der).map_err(|e| format!("the CA certificate does not parse ({e})"))?;
    let ca_subject = ca.tbs_certificate.subject.to_string();
    if signer.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err(format!(
            "the signer's issuer is {}, the CA is {ca_subject}",
            signer.tbs_certificate.issuer
        ));
    }
    is_a_signing_ca(&ca)?;
    may_sign_documents(&signer)?;
    ca_signature_holds(&signer, &ca)?;
    let at = at.unwrap_or_else(OffsetDateTime::now_utc);
    valid_at(&ca, "the CA certificate", at)?;
    valid_at(&signer, "the signer's certificate", at)?;
    Ok(ca_subject)
}

fn is_a_signing_ca(ca: &Certificate) -> Result<(), String> {
    let tbs = &ca.tbs_certificate;
    let bc = tbs
        .get::<BasicConstraints>()
        .map_err(|e| format!("the CA's basic constraints do not parse ({e})"))?;
    if !bc.is_some_and(|(_, bc)| bc.ca) {
        return Err("the CA certificate is not a CA (basic constraints lack cA: TRUE)".into());
    }
    let ku = tbs
        .get::<KeyUsage>()
        .map_err(|e| format!("the CA's key usage does not parse ({e})"))?;
    if ku.is_some_and(|(_, ku)| !ku.0.contains(KeyUsages::KeyCertSign)) {
        return Err("the CA certificate's key usage does not allow keyCertSign".into());
    }
    Ok(())
}

fn may_sign_documents(signer: &Certificate) -> Result<(), String> {
    let ku = signer
        .tbs_certificate
        .get::<KeyUsage>()
        .map_err(|e| format!("the signer's key usage does not parse ({e})"))?;
    match ku {
        Some((_, ku))
            if !ku.0.contains(KeyUsages::DigitalSignature) && !ku.0.contains(KeyUsages::NonRepudiation) =>
        {
            Err(
                "the signer certificate's key usage allows neither digitalSignature nor nonRepudiation"
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

fn ca_signature_holds(signer: &Certificate, ca: &Certificate) -> Result<(), String> {
    if signer.signature_algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(format!(
            "the signer's certificate is signed with {}; only ECDSA with SHA-256 is supported",
            signer.signature_algorithm.oid
        ));
    }
    let spki = &ca.tbs_certificate.subject_public_key_info;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok());
    if spki.algorithm.oid != EC_PUBLIC_KEY || curve != Some(PRIME256V1) {
        return Err("the CA's key is not an ECDSA P-256 key; only P-256 CAs are supported".into());
    }
    let key = VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|e| format!("the CA's public key does not parse ({e})"))?;
    let sig = Signature::from_der(signer.signature.raw_bytes())
        .map_err(|e| format!("the signer certificate's signature does not parse ({e})"))?;
    let tbs = signer
        .tbs_certificate
        .to_der()
        .map_err(|e| format!("the signer's certificate does not re-encode ({e})"))?;
    key.verify(&tbs, &sig)
        .map_err(|_| "the CA's key does not verify the signer certificate's signature".to_string())
}

fn valid_at(cert: &Certificate, what: &str, at: OffsetDateTime) -> Result<(), String> {
    let v = &cert.tbs_certificate.validity;
    let from = OffsetDateTime::from(v.not_before.to_system_time());
    let until = OffsetDateTime::from(v.not_after.to_system_time());
    if at < from || at > until {
        let f = |t: OffsetDateTime| flightdeck_engine::store::format_time(t);
        return Err(format!(
            "{what} was not valid when the archive was exported ({}: valid {} to {})",
            f(at),
            f(from),
            f(until)
        ));
    }
    Ok(())
}
