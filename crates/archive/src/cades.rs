//! The CMS `SignedData` of a PAdES B-B signature (`ETSI.CAdES.detached`), built and checked.
//!
//! Owns the signed attributes (content-type, message-digest, signing-certificate-v2; no
//! signing-time, which PAdES leaves to the signature dictionary's `/M`), the ECDSA P-256 /
//! SHA-256 signature over them (low-S), the checks `verify` reports, and why a CMS cannot be
//! checked at all (`CmsError`). The container is canonical: `check` lists every way a CMS
//! departs from exactly what `sign` writes (`Checked::departures`), so a signature cannot be
//! re-dressed without the key and the file's sha256 stays what was signed. Where the bytes sit
//! in the PDF belongs to `sign` and `verify`.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier, SignerInfo,
    SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::identity::Identity;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// `ESSCertIDv2` with the default hash algorithm (SHA-256) and no issuer serial (RFC 5035).
#[derive(Debug, Clone, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// `SigningCertificateV2` without policies.
#[derive(Debug, Clone, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The DER `ContentInfo` signing `digest` (sha256 of the signed byte ranges) as `identity`.
pub fn sign(identity: &Identity, digest: &[u8; 32]) -> Result<Vec<u8>, der::Error> {
    let cert = identity.certificate().clone();
    let cert_hash: [u8; 32] = Sha256::digest(identity.certificate_der()).into();
    let signing_cert = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(cert_hash.to_vec())?,
        }],
    };
    let attrs = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
        attribute(ID_SIGNING_CERTIFICATE_V2, Any::encode_from(&signing_cert)?)?,
    ])?;
    // The signature covers the attributes DER-encoded as a SET (tag 0x31), not as the [0] the
    // SignerInfo carries them in (RFC 5652, 5.4).
    let signature: Signature = identity.key().sign(&attrs.to_der()?);
    // Low-S, the one form `check` accepts: (r, n−s) verifies too, and would be another file.
    let signature = signature.normalize_s().unwrap_or(signature);
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_alg(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        signature: OctetString::new(signature.to_der().as_bytes().to_vec())?,
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![
            CertificateChoices::Certificate(cert),
        ])?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer])?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    }
    .to_der()
}

/// What the CMS says, once checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The signer's certificate, DER.
    pub cert_der: Vec<u8>,
    pub subject: String,
    /// The signature over the signed attributes holds under the certificate's key.
    pub signature_ok: bool,
    /// message-digest equals the digest of the signed byte ranges.
    pub digest_ok: bool,
    /// signing-certificate-v2 names the certificate that signed.
    pub signing_cert_ok: bool,
    /// content-type is id-data.
    pub content_type_ok: bool,
    /// How the container differs from what `sign` writes (empty when it is exactly that).
    pub departures: Vec<String>,
}

/// Why a signature's CMS cannot be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("not a CMS ContentInfo ({0})")]
    NotContentInfo(der::Error),
    #[error("CMS content is {0}, not signed-data")]
    NotSignedDataType(ObjectIdentifier),
    #[error("not a CMS SignedData ({0})")]
    NotSignedData(der::Error),
    #[error("the signature is not detached (it carries content)")]
    NotDetached,
    #[error("{0} signer infos, expected exactly 1")]
    SignerInfos(usize),
    #[error("digest algorithm {0} is not SHA-256")]
    DigestAlgorithm(ObjectIdentifier),
    #[error("signature algorithm {0} is not ECDSA with SHA-256")]
    SignatureAlgorithm(ObjectIdentifier),
    #[error("the signer is not named by issuer and serial number")]
    SignerNotByIssuer,
    #[error("the signer's certificate is not in the signature")]
    NoSignerCertificate,
    #[error("certificate does not encode ({0})")]
    CertificateEncoding(der::Error),
    #[error("the signature has no signed attributes")]
    NoSignedAttributes,
}

/// Parse `der` as a detached CAdES signature and check it against `digest`.
pub fn check(der_bytes: &[u8], digest: &[u8; 32]) -> Result<Checked, CmsError> {
    let (signed, canonical) = signed_data(der_bytes)?;
    let signer = only_signer(&signed)?;
    let cert = signer_certificate(&signed, signer)?;
    let cert_der = cert.to_der().map_err(CmsError::CertificateEncoding)?;
    let attrs = signer.signed_attrs.as_ref().ok_or(CmsError::NoSignedAttributes)?;
    let value_of = |oid: ObjectIdentifier| -> Option<&Any> {
        let found: Vec<&Attribute> = attrs.iter().filter(|a| a.oid == oid).collect();
        match found.as_slice() {
            [one] if one.values.len() == 1 => one.values.iter().next(),
            _ => None,
        }
    };
    let content_type_ok = value_of(ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .is_some_and(|oid| oid == ID_DATA);
    let digest_ok = value_of(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .is_some_and(|d| d.as_bytes() == digest);
    let cert_hash: [u8; 32] = Sha256::digest(&cert_der).into();
    let signing_cert_ok = value_of(ID_SIGNING_CERTIFICATE_V2)
        .and_then(|v| v.decode_as::<SigningCertificateV2>().ok())
        .is_some_and(|s| matches!(s.certs.as_slice(), [one] if one.cert_hash.as_bytes() == cert_hash));
    Ok(Checked {
        subject: cert.tbs_certificate.subject.to_string(),
        signature_ok: signature_holds(cert, signer, attrs),
        cert_der,
        digest_ok,
        signing_cert_ok,
        content_type_ok,
        departures: departures(canonical, &signed, signer, attrs),
    })
}

/// The detached `SignedData` inside the `ContentInfo`, and whether both re-encode to exactly
/// the bytes they were read from (DER has one encoding of a value; anything else is not ours).
fn signed_data(der_bytes: &[u8]) -> Result<(SignedData, bool), CmsError> {
    let info = ContentInfo::from_der(der_bytes).map_err(CmsError::NotContentInfo)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(CmsError::NotSignedDataType(info.content_type));
    }
    let signed: SignedData = info.content.decode_as().map_err(CmsError::NotSignedData)?;
    if signed.encap_content_info.econtent.is_some() {
        return Err(CmsError::NotDetached);
    }
    let canonical = info.to_der().is_ok_and(|d| d == der_bytes)
        && Any::encode_from(&signed).is_ok_and(|a| a == info.content);
    Ok((signed, canonical))
}

/// Every way the container departs from what `sign` writes: one signer, the three signed
/// attributes once each, no unsigned attributes, the signer's certificate alone, no CRLs,
/// SHA-256 alone, no algorithm parameters, a low-S signature in DER.
fn departures(
    canonical: bool,
    signed: &SignedData,
    signer: &SignerInfo,
    attrs: &SignedAttributes,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut say = |ok: bool, what: String| {
        if !ok && !out.contains(&what) {
            out.push(what);
        }
    };
    say(canonical, "not in canonical DER".into());
    say(
        signed.version == CmsVersion::V1 && signer.version == CmsVersion::V1,
        "a CMS version other than 1".into(),
    );
    let algs = signed.digest_algorithms.as_slice();
    say(
        algs.len() == 1 && algs[0] == sha256_alg(),
        format!("{} digest algorithms, expected SHA-256 alone", algs.len()),
    );
    let certs = signed.certificates.as_ref().map_or(0, |c| c.0.len());
    say(certs == 1, format!("{certs} certificates, expected 1"));
    say(signed.crls.is_none(), "CRLs present".into());
    say(
        signer.digest_alg.parameters.is_none() && signer.signature_algorithm.parameters.is_none(),
        "algorithm parameters present".into(),
    );
    say(
        signer.unsigned_attrs.is_none(),
        "unsigned attributes present".into(),
    );
    for a in attrs.iter() {
        let ours = [ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_CERTIFICATE_V2].contains(&a.oid);
        say(ours, format!("unexpected signed attribute {}", a.oid));
        let times = attrs.iter().filter(|b| b.oid == a.oid).count();
        say(
            times == 1,
            format!("signed attribute {} given {times} times", a.oid),
        );
        say(
            a.values.len() == 1,
            format!("signed attribute {} has {} values", a.oid, a.values.len()),
        );
    }
    if let Ok(sig) = Signature::from_der(signer.signature.as_bytes()) {
        say(
            sig.to_der().as_bytes() == signer.signature.as_bytes(),
            "the ECDSA signature is not in canonical DER".into(),
        );
        say(sig.normalize_s().is_none(), "high-S signature".into());
    }
    out
}

/// The one signer, with SHA-256 and ECDSA-with-SHA-256 as its algorithms.
fn only_signer(signed: &SignedData) -> Result<&SignerInfo, CmsError> {
    let [signer] = signed.signer_infos.0.as_slice() else {
        return Err(CmsError::SignerInfos(signed.signer_infos.0.len()));
    };
    if signer.digest_alg.oid != ID_SHA256 {
        return Err(CmsError::DigestAlgorithm(signer.digest_alg.oid));
    }
    if signer.signature_algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(CmsError::SignatureAlgorithm(signer.signature_algorithm.oid));
    }
    Ok(signer)
}

/// The certificate the signature carries for `signer` (by issuer and serial number).
fn signer_certificate<'a>(signed: &'a SignedData, signer: &SignerInfo) -> Result<&'a Certificate, CmsError> {
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(CmsError::SignerNotByIssuer);
    };
    signed
        .certificates
        .as_ref()
        .and_then(|set| {
            set.0.iter().find_map(|c| match c {
                CertificateChoices::Certificate(c)
                    if c.tbs_certificate.issuer == sid.issuer
                        && c.tbs_certificate.serial_number == sid.serial_number =>
                {
                    Some(c)
                }
                _ => None,
            })
        })
        .ok_or(CmsError::NoSignerCertificate)
}

/// The ECDSA signature over the DER of the signed attributes holds under `cert`'s key.
fn signature_holds(cert: &Certificate, signer: &SignerInfo, attrs: &SignedAttributes) -> bool {
    (|| {
        let key = VerifyingKey::from_sec1_bytes(
            cert.tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes(),
        )
        .ok()?;
        let sig = Signature::from_der(signer.signature.as_bytes()).ok()?;
        let message = attrs.to_der().ok()?;
        key.verify(&message, &sig).ok()
    })()
    .is_some()
}

/// The length of a DER TLV at the start of `bytes` (header included), if it is well formed.
pub fn der_len(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize);
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *bytes.get(2 + i)? as usize;
    }
    Some(2 + n + len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Subject;
    use time::macros::datetime;

    #[test]
    fn every_signature_sign_writes_is_low_s_and_exactly_the_canonical_container() {
        let subject = Subject {
            name: "Ana Ruiz".into(),
            organisation: None,
        };
        let (identity, _) =
            Identity::self_signed(&subject, datetime!(2025-01-01 00:00 UTC)).expect("identity");
        // Half of raw ECDSA signatures are high-S: 64 low in a row is no accident.
        for i in 0..64u8 {
            let digest = [i; 32];
            let der_bytes = sign(&identity, &digest).expect("sign");
            let checked = check(&der_bytes, &digest).expect("check");
            assert!(checked.signature_ok && checked.digest_ok && checked.signing_cert_ok);
            assert!(
                checked.departures.is_empty(),
                "digest {i}: {:?}",
                checked.departures
            );
        }
    }
}
