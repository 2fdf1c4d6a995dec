//! Build script: sets `FLIGHTDECK_ENGINE_BUILD`, a fingerprint of this crate's sources and of the
//! workspace lock file (which pins the Markdown parser).
//!
//! The store keeps checkpoints of each run's folded state; they are keyed by this fingerprint, so
//! a build whose fold or runbook import differs in any way (a new event arm, a parser fix that
//! finds more items) never resumes from a checkpoint another build wrote: it folds the log again.
//! It is a cache key, not an identity: a change that does not alter the fold also changes it, and
//! that only costs one full fold per run.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let src = manifest.join("src");
    let mut files = Vec::new();
    collect(&src, &mut files)?;
    files.sort();
    let mut hasher = DefaultHasher::new();
    env::var("CARGO_PKG_VERSION")
        .unwrap_or_default()
        .hash(&mut hasher);
    for file in &files {
        file.strip_prefix(&src).unwrap_or(file).hash(&mut hasher);
        fs::read(file)?.hash(&mut hasher);
    }
    // Outside the workspace (a packaged crate) there is no lock file here; the version stands in.
    let lock = manifest.join("../../Cargo.lock");
    if let Ok(bytes) = fs::read(&lock) {
        bytes.hash(&mut hasher);
        println!("cargo:rerun-if-changed={}", lock.display());
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rustc-env=FLIGHTDECK_ENGINE_BUILD={:016x}", hasher.finish());
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
