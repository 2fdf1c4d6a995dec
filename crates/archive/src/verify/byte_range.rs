//! The signature the signature field states, held against the raw bytes: its `/ByteRange`
//! covers the whole file but one gap, and that gap is exactly the signature dictionary's
//! `/Contents` hex (lowercase, a DER structure then zero padding). Checks `byte_range` for the
//! archive's signature; `revisions` reads each co-signature with the same `read`.
//!
//! The range and the Contents come from the signature dictionary the field points at
//! (`structure`), never from a scan of the raw bytes, so text anywhere in the file (a release
//! name, a signer's name, a reason) cannot change what is checked; the raw bytes are then
//! checked to hold that signature where it says. What the CMS in the gap says is `signature`'s.

use crate::cades;

use super::structure::SigField;
use super::Checks;

/// The signature as the raw bytes hold it.
pub(super) struct RawSignature {
    pub a: usize,
    pub b: usize,
    pub c: usize,
    /// The CMS alone, without the padding.
    pub cms: Vec<u8>,
}

impl RawSignature {
    /// Where the signed range ends: the end of the revision this signature signed.
    pub fn end(&self) -> usize {
        self.b + self.c
    }
}

/// Why the bytes hold no signature `verify` can check.
#[derive(Debug, thiserror::Error)]
pub(super) enum ByteRangeError {
    #[error("no signature to check: {0}")]
    NoField(String),
    #[error("the /ByteRange starts at {0}, not 0")]
    NotFromZero(i64),
    #[error("the /ByteRange [{}] does not fit the file ({len} bytes)", .range.map(|n| n.to_string()).join(" "))]
    OutsideTheFile { range: [i64; 4], len: usize },
    #[error("the /ByteRange gap is not a hex string")]
    GapNotHex,
    #[error("the /ByteRange gap is not the value of a /Contents key")]
    GapNotContents,
    #[error("the /ByteRange gap lies before the signature dictionary")]
    GapOutsideSignature,
    #[error("the /Contents gap holds something other than lowercase hex")]
    NotLowercaseHex,
    #[error("the /Contents hex does not decode ({0})")]
    HexDecode(#[from] hex::FromHexError),
    #[error("the /ByteRange gap is not the signature dictionary's /Contents")]
    NotTheFieldsContents,
    #[error("the /Contents does not start with a DER structure")]
    NotDer,
    #[error("the /Contents carries bytes after the signature")]
    BytesAfterSignature,
}

/// `byte_range` for the archive's signature `field` (the first) in `bytes`; the signature when it
/// could be read. Whether anything follows it is `revisions`'.
pub(super) fn check(
    bytes: &[u8],
    field: Result<&SigField, String>,
    checks: &mut Checks,
) -> Option<RawSignature> {
    let sig = match field {
        Ok(f) => read(bytes, f),
        Err(e) => Err(ByteRangeError::NoField(e)),
    };
    match &sig {
        Err(e) => checks.add("byte_range", false, e.to_string()),
        Ok(s) => checks.add(
            "byte_range",
            true,
            format!("[0 {} {} {}]: everything but the /Contents hex", s.a, s.b, s.c),
        ),
    };
    sig.ok()
}

/// The signature `field` states, found in `bytes` where it says.
pub(super) fn read(bytes: &[u8], field: &SigField) -> Result<RawSignature, ByteRangeError> {
    let range = field.range;
    if range[0] != 0 {
        return Err(ByteRangeError::NotFromZero(range[0]));
    }
    let outside = || ByteRangeError::OutsideTheFile {
        range,
        len: bytes.len(),
    };
    let a = usize::try_from(range[1]).map_err(|_| outside())?;
    let b = usize::try_from(range[2]).map_err(|_| outside())?;
    let c = usize::try_from(range[3]).map_err(|_| outside())?;
    if !(a < b && b.checked_add(c).is_some_and(|end| end <= bytes.len())) {
        return Err(outside());
    }
    if field.offset >= a {
        return Err(ByteRangeError::GapOutsideSignature);
    }
    let (raw, cms) = gap(bytes, a, b)?;
    if raw != field.contents {
        return Err(ByteRangeError::NotTheFieldsContents);
    }
    Ok(RawSignature { a, b, c, cms })
}

/// The gap `bytes[a..b]`: the decoded `/Contents` (padding included) and the CMS alone.
fn gap(bytes: &[u8], a: usize, b: usize) -> Result<(Vec<u8>, Vec<u8>), ByteRangeError> {
    if b - a < 2 || bytes[a] != b'<' || bytes[b - 1] != b'>' {
        return Err(ByteRangeError::GapNotHex);
    }
    let key = bytes[..a].trim_ascii_end();
    if !key.ends_with(b"/Contents") {
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
