//! Certificates as people hand them over: PEM with whatever text around the blocks (what
//! `openssl pkcs7 -print_certs` or `openssl x509 -text` write: `subject=`, `issuer=` lines or
//! a dump before the `-----BEGIN CERTIFICATE-----` line), or DER.
//!
//! Owns finding the `CERTIFICATE` blocks in such a text and reading each as X.509. What a
//! certificate is then used for (a pin, a trusted signer) is the caller's.

use der::{Decode, DecodePem, Encode};
use x509_cert::Certificate;

use crate::error::{Error, Result};

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// Every certificate in `bytes`, DER: the PEM `CERTIFICATE` blocks in order, whatever text is
/// around them; or, with no block at all, `bytes` itself as one DER certificate.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    let blocks = match std::str::from_utf8(bytes) {
        Ok(text) => blocks(text)?,
        // DER is binary; a PEM text is ASCII.
        Err(_) => Vec::new(),
    };
    if blocks.is_empty() {
        let cert = Certificate::from_der(bytes).map_err(|e| {
            Error::Identity(format!(
                "no PEM certificate block and not a DER certificate ({e})"
            ))
        })?;
        return Ok(vec![der_of(&cert)?]);
    }
    blocks
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let cert = Certificate::from_pem(block.as_bytes()).map_err(|e| {
                Error::Identity(format!("PEM certificate block {} does not read ({e})", i + 1))
            })?;
            der_of(&cert)
        })
        .collect()
}

/// The one certificate in `bytes` (PEM with any text around it, or DER), DER.
pub fn certificate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut all = certificates(bytes)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        n => Err(Error::Identity(format!(
            "{n} certificates in the file, expected 1"
        ))),
    }
}

/// The `BEGIN`…`END CERTIFICATE` blocks of `text`, each rebuilt as a bare PEM text.
fn blocks(text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut open: Option<Vec<&str>> = None;
    for line in text.lines().map(str::trim) {
        match (&mut open, line) {
            (None, BEGIN) => open = Some(vec![BEGIN]),
            (None, _) => {}
            (Some(_), BEGIN) => {
                return Err(Error::Identity(
                    "a PEM certificate block starts inside another".into(),
                ))
            }
            (Some(lines), END) => {
                lines.push(END);
                out.push(lines.join("\n") + "\n");
                open = None;
            }
            (Some(lines), _) => lines.push(line),
        }
    }
    if open.is_some() {
        return Err(Error::Identity("a PEM certificate block does not end".into()));
    }
    Ok(out)
}

fn der_of(cert: &Certificate) -> Result<Vec<u8>> {
    cert.to_der()
        .map_err(|e| Error::Identity(format!("the certificate does not re-encode ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Identity, Subject};
    use time::macros::datetime;

    fn cert_pem(name: &str) -> (Vec<u8>, String) {
        let subject = Subject {
            name: name.into(),
            organisation: None,
        };
        let (id, pair) = Identity::self_signed(&subject, datetime!(2025-01-01 00:00 UTC)).expect("identity");
        (id.certificate_der().to_vec(), pair.cert_pem)
    }

    #[test]
    fn what_openssl_pkcs7_print_certs_writes_is_read_past_its_subject_and_issuer_lines() {
        let (der, pem) = cert_pem("Ana Ruiz");
        let printed = format!("subject=CN = Ana Ruiz\nissuer=CN = Ana Ruiz\n\n{pem}\nsome trailing words\n");
        assert_eq!(
            certificate(printed.as_bytes()).expect("read"),
            der,
            "the block is found whatever text is before and after it"
        );
        assert_eq!(certificate(pem.as_bytes()).expect("bare PEM"), der);
        assert_eq!(certificate(&der).expect("DER"), der);
        let crlf = printed.replace('\n', "\r\n");
        assert_eq!(
            certificate(crlf.as_bytes()).expect("CRLF"),
            der,
            "Windows line ends"
        );
    }

    #[test]
    fn two_certificates_where_one_is_expected_or_a_cut_block_are_refused_by_name() {
        let (_, a) = cert_pem("Ana Ruiz");
        let (_, b) = cert_pem("Ben Okafor");
        let two = format!("{a}{b}");
        assert_eq!(certificates(two.as_bytes()).expect("both").len(), 2);
        let e = certificate(two.as_bytes()).expect_err("two");
        assert!(
            e.to_string().contains("2 certificates in the file, expected 1"),
            "{e}"
        );
        let cut = &a[..a.len() / 2];
        let e = certificate(cut.as_bytes()).expect_err("cut");
        assert!(e.to_string().contains("does not end"), "{e}");
        let e = certificate(b"subject=CN = nobody\n").expect_err("no block");
        assert!(e.to_string().contains("no PEM certificate block"), "{e}");
    }
}
