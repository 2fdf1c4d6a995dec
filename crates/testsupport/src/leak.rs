//! Looking for a secret where it must not be: how often a needle stands in some bytes, and the
//! bytes of a SQLite store as they are on disk (the database file, its WAL and shared memory,
//! where a value written moments ago still sits before a checkpoint).
//!
//! Owns the search only; which forms of a secret to look for is each test's business.

use std::path::{Path, PathBuf};

/// How many times `needle` stands in `hay` (overlapping ones counted; an empty needle never).
pub fn count(hay: &[u8], needle: &str) -> usize {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Whether `needle` stands anywhere in `hay`.
pub fn contains(hay: &[u8], needle: &str) -> bool {
    count(hay, needle) > 0
}

/// The store at `path` as it is on disk: the file and, where they exist, its `-wal` and `-shm`
/// companions, each with its path. A file that cannot be read is left out (the store itself is
/// always there once written; the companions come and go with checkpoints).
pub fn store_files(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            std::fs::read(&file).ok().map(|bytes| (file, bytes))
        })
        .collect()
}

/// Whether `needle` stands in the store at `path` or its companions.
pub fn in_store(path: &Path, needle: &str) -> bool {
    store_files(path).iter().any(|(_, bytes)| contains(bytes, needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_finds_overlapping_needles_and_never_an_empty_one() {
        assert_eq!(
            count(b"aaaa", "aa"),
            3,
            "overlaps count: a leak is a leak wherever it starts"
        );
        assert_eq!(count(b"secret", "secret"), 1);
        assert_eq!(
            count(b"secre", "secret"),
            0,
            "a needle longer than the hay is absent"
        );
        assert_eq!(
            count(b"anything", ""),
            0,
            "an empty needle would match everywhere"
        );
        assert!(contains(b"xx token xx", "token"));
    }

    #[test]
    fn store_files_reads_the_file_and_the_companions_that_exist() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("fd.sqlite");
        std::fs::write(&store, b"main").expect("write");
        std::fs::write(dir.path().join("fd.sqlite-wal"), b"wal with hunter2").expect("write");
        let files = store_files(&store);
        let names: Vec<String> = files
            .iter()
            .filter_map(|(p, _)| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(
            names,
            ["fd.sqlite", "fd.sqlite-wal"],
            "no -shm here, so none read"
        );
        assert!(in_store(&store, "hunter2"), "the WAL counts as the store");
        assert!(!in_store(&store, "absent"));
    }
}
