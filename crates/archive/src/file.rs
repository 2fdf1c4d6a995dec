//! Where an archive is written, and how: one path for the CLI's `archive export` and the app's
//! Export button.
//!
//! Owns the checks on the target path (absolute, a `.pdf`) and the atomic write (a sibling
//! `.pdf.partial`, read back and compared, then a rename), so a failed or interrupted export
//! never leaves half a PDF where an archive was, an existing archive is replaced only by a
//! complete one, and what lands on disk is byte for byte the archive `export_run` verified. Making a
//! typed path absolute (the CLI: against the working directory; the app: `~/` only, since a
//! desktop launcher's working directory is nobody's idea of where a file goes) is the caller's.

use std::path::Path;

use crate::{Error, Result};

/// Refuse a target that is not an absolute path to a `.pdf` file.
pub fn check_target(path: &Path) -> Result<()> {
    if !path.is_absolute() {
        return Err(Error::Path(format!(
            "{}: give a full path (or one starting with ~/)",
            path.display()
        )));
    }
    if path.extension().is_none_or(|x| !x.eq_ignore_ascii_case("pdf")) {
        return Err(Error::Path(format!(
            "{}: an archive is a .pdf file",
            path.display()
        )));
    }
    Ok(())
}

/// Write `pdf` to `path` atomically: its folder is created if needed, the bytes go to
/// `<path>.partial` beside it (synced, then read back: they must be `pdf` exactly), which is
/// then renamed over `path`.
pub fn write_archive(path: &Path, pdf: &[u8]) -> Result<()> {
    use std::io::Write as _;

    check_target(path)?;
    let io = |what: &'static str, at: &Path| {
        let at = at.to_path_buf();
        move |source| Error::File {
            what,
            path: at,
            source,
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io("create the folder", dir))?;
    }
    let tmp = path.with_extension("pdf.partial");
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(pdf).and_then(|()| f.sync_all()))
        .and_then(|()| read_back(&tmp, pdf))
        .map_err(io("write", &tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io("write", path)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The file at `path` holds exactly `pdf`.
fn read_back(path: &Path, pdf: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path)? != pdf {
        return Err(std::io::Error::other(
            "the file reads back different from the verified archive",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_engine::{ErrorKind, HasKind};

    #[test]
    fn a_relative_path_or_another_extension_is_refused_before_anything_is_written() {
        let e = write_archive(Path::new("out.pdf"), b"%PDF").expect_err("relative");
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("give a full path"), "{e}");
        let dir = tempfile::tempdir().expect("tempdir");
        let txt = dir.path().join("out.txt");
        let e = write_archive(&txt, b"%PDF").expect_err("not a pdf");
        assert!(e.to_string().contains("an archive is a .pdf file"), "{e}");
        assert!(!txt.exists(), "nothing is written for a refused path");
    }

    #[test]
    fn an_existing_archive_is_replaced_whole_and_no_partial_file_is_left() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/folder/a.pdf");
        write_archive(&path, b"first").expect("first write creates the folders");
        write_archive(&path, b"second, longer").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second, longer");
        let left: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(left.len(), 1, "only the archive remains: {left:?}");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_archive_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.pdf");
        std::fs::write(&path, b"the old archive").expect("seed");
        // A directory where the partial file would go: the write fails before the rename.
        std::fs::create_dir(path.with_extension("pdf.partial")).expect("block the partial file");
        let e = write_archive(&path, b"new").expect_err("cannot write the partial file");
        assert!(e.to_string().contains("cannot write"), "{e}");
        assert_eq!(std::fs::read(&path).expect("read"), b"the old archive");
    }
}
