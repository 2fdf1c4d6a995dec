//! The embedded files, got out of the PDF the way Flightdeck put them in, within the limits.
//!
//! Owns the walk of the `/EmbeddedFiles` name tree (fan-out, depth, each node once: a tree that
//! points back at itself fails at once), the catalog's `/AF` list, and that both name the same
//! file specifications; each file specification (`/F` and `/UF` name the file as the tree does,
//! `/EF /UF`, if there, is the same stream as `/EF /F`); that names are plain relative names;
//! and each file decompressed within what the `Budget` leaves. What the files must say is
//! `contents`'.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::limits::{Budget, LimitError};
use super::structure::{deref, dict, PdfError};

/// The embedded files by name.
pub(super) type Files = BTreeMap<String, Vec<u8>>;

/// Why the embedded files cannot be read as an archive's.
#[derive(Debug, thiserror::Error)]
pub(super) enum AttachmentError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("no /Names in the catalog")]
    NoNames,
    #[error("no embedded files")]
    NoEmbeddedFiles,
    #[error("the embedded files tree reaches object {} {} twice (a cycle or a shared node)", .0.0, .0.1)]
    Revisited(ObjectId),
    #[error("a node of the embedded files tree is not an indirect object")]
    DirectKid,
    #[error("the embedded files tree's /Names is not a list of name and file pairs")]
    Pairs,
    #[error("an embedded file's name is not a string")]
    NameNotAString,
    #[error("an embedded file's name is not UTF-8: {0:?}")]
    NameNotUtf8(String),
    #[error("{0:?} is not a plain relative name ({1})")]
    NotPlain(String, &'static str),
    #[error("{0} is embedded twice")]
    EmbeddedTwice(String),
    #[error("the catalog's /AF is not a list of file specifications")]
    AfNotAList,
    #[error("{0} is in the embedded files tree but not in the catalog's /AF")]
    NotInAf(String),
    #[error("the catalog's /AF lists object {} {}, which is not in the embedded files tree", .0.0, .0.1)]
    OnlyInAf(ObjectId),
    #[error("{0}: its file specification's {1} does not name it")]
    SpecName(String, &'static str),
    #[error("{0}: no /EF /F stream")]
    NoEfFile(String),
    #[error("{0}: /EF /UF is not the same stream as /EF /F")]
    EfUfDiffers(String),
    #[error("{0}: not a stream")]
    NotAStream(String),
    #[error("{name}: does not decompress ({source})")]
    Decompress { name: String, source: lopdf::Error },
}

/// Every embedded file by name, decompressed.
pub(super) fn read(doc: &Document, budget: &mut Budget) -> Result<Files, AttachmentError> {
    let catalog = doc.catalog().map_err(PdfError::NoCatalog)?;
    let names = dict(doc, catalog.get(b"Names").map_err(|_| AttachmentError::NoNames)?)?;
    let root = names
        .get(b"EmbeddedFiles")
        .map_err(|_| AttachmentError::NoEmbeddedFiles)?;
    let entries = name_tree(doc, root, budget)?;
    same_as_af(doc, catalog, &entries, budget)?;
    let mut out = Files::new();
    for (name, spec) in entries {
        let data = file(doc, &name, spec, budget)?;
        if out.insert(name.clone(), data).is_some() {
            return Err(AttachmentError::EmbeddedTwice(name));
        }
    }
    Ok(out)
}

/// The tree's (name, file specification) pairs, in the tree's order.
fn name_tree(
    doc: &Document,
    root: &Object,
    budget: &mut Budget,
) -> Result<Vec<(String, ObjectId)>, AttachmentError> {
    let limits = budget.limits;
    let mut seen: BTreeSet<ObjectId> = root.as_reference().into_iter().collect();
    let mut out = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        budget.visit()?;
        let node = dict(doc, node)?;
        if let Ok(kids) = node.get(b"Kids") {
            let kids = deref(doc, kids)?.as_array().map_err(|_| AttachmentError::Pairs)?;
            if kids.len() > limits.max_tree_fanout {
                return Err(LimitError::Fanout {
                    count: kids.len(),
                    limit: limits.max_tree_fanout,
                }
                .into());
            }
            if depth + 1 > limits.max_tree_depth {
                return Err(LimitError::Depth {
                    limit: limits.max_tree_depth,
                }
                .into());
            }
            // Reversed onto the stack, so the kids are walked in their order.
            for kid in kids.iter().rev() {
                let id = kid.as_reference().map_err(|_| AttachmentError::DirectKid)?;
                if !seen.insert(id) {
                    return Err(AttachmentError::Revisited(id));
                }
                stack.push((kid, depth + 1));
            }
        }
        if let Ok(pairs) = node.get(b"Names") {
            leaf(doc, deref(doc, pairs)?, &mut out, budget)?;
        }
    }
    Ok(out)
}

/// The (name, file specification) pairs of one leaf's `/Names` array, added to `out`.
fn leaf(
    doc: &Document,
    pairs: &Object,
    out: &mut Vec<(String, ObjectId)>,
    budget: &mut Budget,
) -> Result<(), AttachmentError> {
    let pairs = pairs.as_array().map_err(|_| AttachmentError::Pairs)?;
    if !pairs.len().is_multiple_of(2) {
        return Err(AttachmentError::Pairs);
    }
    if out.len() + pairs.len() / 2 > budget.limits.max_attachments {
        return Err(LimitError::Attachments {
            limit: budget.limits.max_attachments,
        }
        .into());
    }
    for pair in pairs.chunks_exact(2) {
        budget.visit()?;
        let name = match deref(doc, &pair[0])? {
            Object::String(s, _) => String::from_utf8(s.clone())
                .map_err(|e| AttachmentError::NameNotUtf8(String::from_utf8_lossy(e.as_bytes()).into()))?,
            _ => return Err(AttachmentError::NameNotAString),
        };
        plain_name(&name).map_err(|why| AttachmentError::NotPlain(name.clone(), why))?;
        let spec = pair[1].as_reference().map_err(|_| AttachmentError::Pairs)?;
        out.push((name, spec));
    }
    Ok(())
}

/// A name an unpacking tool can write inside its folder: relative, no `..` step, nothing that
/// is not printable. The reason it is not, if it is not.
pub(crate) fn plain_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("it starts at the root");
    }
    if name.chars().any(char::is_control) {
        return Err("it holds a control character");
    }
    if name.contains('\\') || name.contains(':') {
        return Err("it holds a backslash or a colon");
    }
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err("it has an empty, `.` or `..` step");
    }
    Ok(())
}

/// The catalog's `/AF` names exactly the file specifications of the tree.
fn same_as_af(
    doc: &Document,
    catalog: &Dictionary,
    entries: &[(String, ObjectId)],
    budget: &mut Budget,
) -> Result<(), AttachmentError> {
    let af = match catalog.get(b"AF") {
        Ok(af) => deref(doc, af)?
            .as_array()
            .map_err(|_| AttachmentError::AfNotAList)?,
        Err(_) => &Vec::new(),
    };
    if af.len() > budget.limits.max_attachments {
        return Err(LimitError::Attachments {
            limit: budget.limits.max_attachments,
        }
        .into());
    }
    let mut listed = BTreeSet::new();
    for spec in af {
        budget.visit()?;
        let id = spec.as_reference().map_err(|_| AttachmentError::AfNotAList)?;
        if !listed.insert(id) {
            return Err(AttachmentError::Revisited(id));
        }
    }
    for (name, id) in entries {
        if !listed.remove(id) {
            return Err(AttachmentError::NotInAf(name.clone()));
        }
    }
    match listed.into_iter().next() {
        Some(extra) => Err(AttachmentError::OnlyInAf(extra)),
        None => Ok(()),
    }
}

/// The bytes of the file `name` whose specification is `spec`, decompressed.
fn file(doc: &Document, name: &str, spec: ObjectId, budget: &mut Budget) -> Result<Vec<u8>, AttachmentError> {
    budget.visit()?;
    let spec = doc
        .get_object(spec)
        .map_err(PdfError::BrokenReference)?
        .as_dict()
        .map_err(|_| PdfError::NotADictionary)?;
    spec_names(spec, name)?;
    let ef = dict(
        doc,
        spec.get(b"EF")
            .map_err(|_| AttachmentError::NoEfFile(name.into()))?,
    )?;
    let f = ef
        .get(b"F")
        .and_then(Object::as_reference)
        .map_err(|_| AttachmentError::NoEfFile(name.into()))?;
    if let Ok(uf) = ef.get(b"UF") {
        if uf.as_reference().ok() != Some(f) {
            return Err(AttachmentError::EfUfDiffers(name.into()));
        }
    }
    budget.visit()?;
    let stream = doc
        .get_object(f)
        .and_then(Object::as_stream)
        .map_err(|_| AttachmentError::NotAStream(name.into()))?;
    let (limit, total) = budget.next_stream_limit();
    let over = || -> AttachmentError {
        let what = name.to_string();
        if total {
            LimitError::Decompressed {
                what,
                limit: budget.limits.max_decompressed_bytes,
            }
        } else {
            LimitError::Attachment { what, limit }
        }
        .into()
    };
    let mut data = match stream.decompressed_content_with_limit(limit) {
        Ok(data) => data,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(over())
        }
        Err(source) => {
            return Err(AttachmentError::Decompress {
                name: name.into(),
                source,
            })
        }
    };
    // The decoder's buffer grows by doubling: give back what the file did not fill.
    data.shrink_to_fit();
    budget.spend(name, data.len())?;
    Ok(data)
}

/// The file specification's `/F` and `/UF` both name `name`, as Flightdeck writes them: `/F`
/// its UTF-8 bytes, `/UF` those bytes when printable ASCII, else UTF-16BE with a byte order mark.
fn spec_names(spec: &Dictionary, name: &str) -> Result<(), AttachmentError> {
    let string = |key: &[u8]| match spec.get(key) {
        Ok(Object::String(s, _)) => Some(s.as_slice()),
        _ => None,
    };
    if string(b"F") != Some(name.as_bytes()) {
        return Err(AttachmentError::SpecName(name.into(), "/F"));
    }
    let uf = string(b"UF").ok_or_else(|| AttachmentError::SpecName(name.into(), "/UF"))?;
    let uf_text = match uf.strip_prefix(&[0xfe, 0xff]) {
        Some(utf16) if utf16.len().is_multiple_of(2) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|u| u16::from_be_bytes([u[0], u[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Some(_) => None,
        None => uf
            .iter()
            .all(|b| matches!(b, 32..=126))
            .then(|| String::from_utf8_lossy(uf).into_owned()),
    };
    if uf_text.as_deref() != Some(name) {
        return Err(AttachmentError::SpecName(name.into(), "/UF"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn names_the_writer_makes_are_plain_and_names_that_escape_a_folder_are_not() {
        for ok in [
            "events.json",
            "evidence/1.database-migration-dry-run.step.stdout.txt",
            "evidence/9999999999.run2.stderr.txt",
            "evidence/étape_été.stdout.txt",
            "evidence/...stdout.txt",
        ] {
            assert_eq!(plain_name(ok), Ok(()), "{ok:?}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("../../x", "`..` step"),
            ("evidence/../../x", "`..` step"),
            ("/etc/passwd", "starts at the root"),
            ("\\\\server\\share", "starts at the root"),
            ("evidence\\..\\x", "backslash"),
            ("C:x", "colon"),
            ("a//b", "empty, `.` or `..` step"),
            ("./a", "`.`"),
            ("a\u{1b}[2Jb", "control character"),
            ("a\nb", "control character"),
            ("a\u{9b}b", "control character"),
        ] {
            let e = plain_name(bad).expect_err(bad);
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
