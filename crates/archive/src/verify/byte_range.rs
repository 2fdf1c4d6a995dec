//! The signature as the raw bytes hold it: the last `/ByteRange`, its four numbers, the gap they
//! leave (the `/Contents` hex, lowercase, a DER structure then zero padding), and the checks
//! `byte_range` and `no_later_revision`.
//!
//! Reads bytes only, never through a PDF parser, so a parser's leniency cannot hide anything.
//! What the CMS in the gap says is `signature`'s; the signature field that should point at the
//! same range is `structure`'s.

use crate::cades;

use super::Checks;

/// The signature as the raw bytes hold it.
pub(super) struct RawSignature {
    pub a: usize,
    pub b: usize,
    pub c: usize,
    /// The decoded /Contents, padding included.
    pub raw: Vec<u8>,
    /// The CMS alone.
    pub cms: Vec<u8>,
}

/// Why the bytes hold no signature `verify` can check.
#[derive(Debug, thiserror::Error)]
pub(super) enum ByteRangeError {
    #[error("no /ByteRange: the file is not signed")]
    Missing,
    #[error("the /ByteRange is not an array")]
    NotAnArray,
    #[error("the /ByteRange holds something other than four non-negative integers")]
    NotIntegers,
    #[error("the /ByteRange does not hold exactly four numbers")]
    NotFour,
    #[error("the /ByteRange starts at {0}, not 0")]
    NotFromZero(usize),
    #[error("the /ByteRange [0 {a} {b} {c}] does not fit the file ({len} bytes)")]
    OutsideTheFile {
        a: usize,
        b: usize,
        c: usize,
        len: usize,
    },
    #[error("the /ByteRange gap is not a hex string")]
    GapNotHex,
    #[error("the /ByteRange gap is not the /Contents value")]
    GapNotContents,
    #[error("the /Contents gap holds something other than lowercase hex")]
    NotLowercaseHex,
    #[error("the /Contents hex does not decode ({0})")]
    HexDecode(#[from] hex::FromHexError),
    #[error("the /Contents does not start with a DER structure")]
    NotDer,
    #[error("the /Contents carries bytes after the signature")]
    BytesAfterSignature,
}

/// `byte_range` and `no_later_revision` for `bytes`; the signature when it could be read.
pub(super) fn check(bytes: &[u8], checks: &mut Checks) -> Option<RawSignature> {
    let sig = read(bytes);
    match &sig {
        Err(e) => {
            checks.add("byte_range", false, e.to_string());
        }
        Ok(s) => {
            checks.add(
                "byte_range",
                true,
                format!("[0 {} {} {}]: everything but the /Contents hex", s.a, s.b, s.c),
            );
        }
    }
    let whole = sig.as_ref().ok().map(|s| s.b + s.c == bytes.len());
    checks.add(
        "no_later_revision",
        whole == Some(true),
        match (&sig, whole) {
            (Ok(_), Some(true)) => "the signature covers the file to its last byte".to_string(),
            (Ok(s), _) => format!(
                "the signed range ends at byte {} but the file has {} bytes: something was added or cut after signing",
                s.b + s.c,
                bytes.len()
            ),
            (Err(_), _) => "no valid ByteRange to compare with the file's length".to_string(),
        },
    );
    sig.ok()
}

/// The last `/ByteRange` in `bytes` and the signature in its gap.
fn read(bytes: &[u8]) -> Result<RawSignature, ByteRangeError> {
    let key = b"/ByteRange";
    let at = (0..bytes.len().saturating_sub(key.len()))
        .rev()
        .find(|&i| &bytes[i..i + key.len()] == key)
        .ok_or(ByteRangeError::Missing)?;
    let [zero, a, b, c] = numbers(bytes, at + key.len())?;
    if zero != 0 {
        return Err(ByteRangeError::NotFromZero(zero));
    }
    if !(a < b && b <= bytes.len() && b.checked_add(c).is_some()) {
        return Err(ByteRangeError::OutsideTheFile {
            a,
            b,
            c,
            len: bytes.len(),
        });
    }
    let (raw, cms) = gap(bytes, a, b)?;
    Ok(RawSignature { a, b, c, raw, cms })
}

/// The four numbers of the array that starts at `i` (after the `/ByteRange` key).
fn numbers(bytes: &[u8], mut i: usize) -> Result<[usize; 4], ByteRangeError> {
    let skip = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip(&mut i);
    if bytes.get(i) != Some(&b'[') {
        return Err(ByteRangeError::NotAnArray);
    }
    i += 1;
    let mut nums = [0usize; 4];
    for n in &mut nums {
        skip(&mut i);
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        *n = std::str::from_utf8(&bytes[start..i])
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 12)
            .and_then(|s| s.parse().ok())
            .ok_or(ByteRangeError::NotIntegers)?;
    }
    skip(&mut i);
    if bytes.get(i) != Some(&b']') {
        return Err(ByteRangeError::NotFour);
    }
    Ok(nums)
}

/// The gap `bytes[a..b]`: the decoded `/Contents` (padding included) and the CMS alone.
fn gap(bytes: &[u8], a: usize, b: usize) -> Result<(Vec<u8>, Vec<u8>), ByteRangeError> {
    if bytes[a] != b'<' || bytes[b - 1] != b'>' {
        return Err(ByteRangeError::GapNotHex);
    }
    let before = &bytes[a.saturating_sub(12)..a];
    if !before.windows(9).any(|w| w == b"/Contents") {
        return Err(ByteRangeError::GapNotContents);
    }
    let hex_text = &bytes[a + 1..b - 1];
    // Lowercase only, as written: a case change of a digit must not go unnoticed.
    if !hex_text.len().is_multiple_of(2) || !hex_text.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ByteRangeError::NotLowercaseHex);
    }
    let raw = hex::decode(hex_text)?;
    let len = cades::der_len(&raw)
        .filter(|&l| l <= raw.len())
        .ok_or(ByteRangeError::NotDer)?;
    if raw[len..].iter().any(|&b| b != 0) {
        return Err(ByteRangeError::BytesAfterSignature);
    }
    let cms = raw[..len].to_vec();
    Ok((raw, cms))
}
