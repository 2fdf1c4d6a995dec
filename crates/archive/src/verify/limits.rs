//! How much work a file from outside may make `verify` do: the file's size, what its streams
//! decompress to (each and all together), the objects it holds and that the walk visits, the
//! embedded files tree's fan-out and depth, and the number of attachments.
//!
//! Owns `Limits` (the caps, with generous defaults for real archives), `Budget` (what one
//! verification has spent against them) and `LimitError` (which cap a file ran into, named as
//! the `Limits` field that sets it, so the message says what to raise if the file is genuine).
//! Reading a file with the size cap is `read_file`. Where each limit is applied is the walker's
//! (`structure`, `attachments`).
//!
//! What a hostile file can make verification hold in memory is then about: the file (at most
//! `max_file_bytes`), lopdf's copy of its streams (at most the file again), lopdf's objects
//! (at most `max_tokens` of about 120 bytes, twice that while arrays grow), one attachment
//! being decompressed (up to twice `max_attachment_bytes`, the decoder's buffer doubling), and
//! the attachments kept (at most `max_decompressed_bytes`).

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

const MIB: usize = 1024 * 1024;

/// The caps on what verifying one file may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The archive file's size, checked before it is read. Default 512 MiB.
    pub max_file_bytes: u64,
    /// PDF tokens outside stream data, counted before the file is parsed: each becomes at most
    /// one parsed object (about 120 bytes in lopdf). Default 1,000,000 (the M31 archive has
    /// about 12,000).
    pub max_tokens: usize,
    /// What one attachment (or any stream lopdf decodes while loading) decompresses to.
    /// Default 64 MiB: the event log of a 100,000-event run of the M31 runbook is about 60 MB.
    pub max_attachment_bytes: usize,
    /// What all attachments decompress to together. Default 256 MiB.
    pub max_decompressed_bytes: usize,
    /// Objects in the document, and objects the walk over its form and attachments visits.
    /// Default 100,000 (the M31 archive has about 400).
    pub max_objects: usize,
    /// Embedded files. Default 10,000.
    pub max_attachments: usize,
    /// Kids of one node of the embedded files tree. Default 1,024 (Flightdeck writes none).
    pub max_tree_fanout: usize,
    /// Levels of the embedded files tree below its root. Default 32.
    pub max_tree_depth: usize,
    /// Signatures (the archive's and its co-signatures): each later one costs a read of the
    /// file cut where it ends. Default 16.
    pub max_signatures: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * MIB as u64,
            max_tokens: 1_000_000,
            max_attachment_bytes: 64 * MIB,
            max_decompressed_bytes: 256 * MIB,
            max_objects: 100_000,
            max_attachments: 10_000,
            max_tree_fanout: 1_024,
            max_tree_depth: 32,
            max_signatures: 16,
        }
    }
}

/// A cap a file ran into; the message names the `Limits` field that sets it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the file is {bytes} bytes, over the limit of {limit} (max_file_bytes)")]
    FileSize { bytes: u64, limit: u64 },
    #[error("the file holds more than {limit} PDF tokens outside its streams (max_tokens)")]
    Tokens { limit: usize },
    #[error("{what} decompresses to more than {limit} bytes (max_attachment_bytes)")]
    Attachment { what: String, limit: usize },
    #[error("{what} takes the attachments past {limit} bytes decompressed in all (max_decompressed_bytes)")]
    Decompressed { what: String, limit: usize },
    #[error("the document holds {count} objects, over the limit of {limit} (max_objects)")]
    Objects { count: usize, limit: usize },
    #[error("the walk over the document visits more than {limit} objects (max_objects)")]
    Visits { limit: usize },
    #[error("more than {limit} embedded files (max_attachments)")]
    Attachments { limit: usize },
    #[error(
        "a node of the embedded files tree has {count} kids, over the limit of {limit} (max_tree_fanout)"
    )]
    Fanout { count: usize, limit: usize },
    #[error("the embedded files tree is deeper than {limit} levels (max_tree_depth)")]
    Depth { limit: usize },
    #[error("the form holds {count} signatures, over the limit of {limit} (max_signatures)")]
    Signatures { count: usize, limit: usize },
}

/// What one verification has spent against its `Limits`.
#[derive(Debug)]
pub(super) struct Budget<'a> {
    pub limits: &'a Limits,
    visits: usize,
    decompressed: usize,
}

impl<'a> Budget<'a> {
    pub fn new(limits: &'a Limits) -> Budget<'a> {
        Budget {
            limits,
            visits: 0,
            decompressed: 0,
        }
    }

    /// One more object visited.
    pub fn visit(&mut self) -> Result<(), LimitError> {
        self.visits += 1;
        if self.visits > self.limits.max_objects {
            return Err(LimitError::Visits {
                limit: self.limits.max_objects,
            });
        }
        Ok(())
    }

    /// How many bytes the next attachment may decompress to, and which limit that is.
    pub fn next_stream_limit(&self) -> (usize, bool) {
        let left = self
            .limits
            .max_decompressed_bytes
            .saturating_sub(self.decompressed);
        if left < self.limits.max_attachment_bytes {
            (left, true)
        } else {
            (self.limits.max_attachment_bytes, false)
        }
    }

    /// `what` decompressed to `bytes`.
    pub fn spend(&mut self, what: &str, bytes: usize) -> Result<(), LimitError> {
        self.decompressed = self.decompressed.saturating_add(bytes);
        if self.decompressed > self.limits.max_decompressed_bytes {
            return Err(LimitError::Decompressed {
                what: what.to_string(),
                limit: self.limits.max_decompressed_bytes,
            });
        }
        Ok(())
    }
}

/// The length of the file at `path`, from its metadata, when within `limits.max_file_bytes`.
pub(super) fn length_within(path: &Path, limits: &Limits) -> Result<u64> {
    let len = std::fs::metadata(path).map_err(io_error(path))?.len();
    if len > limits.max_file_bytes {
        return Err(too_large(path, len, limits));
    }
    Ok(len)
}

/// The file at `path`, read whole only when its length is within `limits.max_file_bytes`:
/// the length is checked from the file's metadata first, then exactly that many bytes are read
/// (a file that grows or shrinks meanwhile is an error, never a longer read).
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>> {
    let len = length_within(path, limits)?;
    let mut file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut bytes = vec![0u8; usize::try_from(len).map_err(|_| too_large(path, len, limits))?];
    // In 64 KiB reads: one read into a buffer of hundreds of MiB is several times slower on
    // Linux (measured: a sparse 512 MiB file took 1.4 s with 1 MiB reads, 0.05 s with 64 KiB).
    for chunk in bytes.chunks_mut(64 * 1024) {
        file.read_exact(chunk).map_err(io_error(path))?;
    }
    if file.read(&mut [0u8; 1]).map_err(io_error(path))? != 0 {
        return Err(io_error(path)(std::io::Error::other(
            "the file grew while it was read",
        )));
    }
    Ok(bytes)
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::File {
        what: "read",
        path: path.to_path_buf(),
        source,
    }
}

fn too_large(path: &Path, bytes: u64, limits: &Limits) -> Error {
    Error::TooLarge {
        path: path.to_path_buf(),
        source: LimitError::FileSize {
            bytes,
            limit: limits.max_file_bytes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_attachment_may_only_take_what_the_total_leaves() {
        let limits = Limits {
            max_attachment_bytes: 10,
            max_decompressed_bytes: 25,
            ..Limits::default()
        };
        let mut b = Budget::new(&limits);
        assert_eq!(
            b.next_stream_limit(),
            (10, false),
            "a fresh budget: one attachment's cap"
        );
        b.spend("a", 10).expect("within the total");
        b.spend("b", 10).expect("within the total");
        assert_eq!(
            b.next_stream_limit(),
            (5, true),
            "5 bytes are left of the total, less than one attachment's cap"
        );
        let e = b.spend("c", 6).expect_err("past the total");
        assert!(e.to_string().contains("max_decompressed_bytes"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_from_its_length_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.pdf");
        let f = std::fs::File::create(&path).expect("create");
        // Sparse: a terabyte that takes no disk and would take minutes to read.
        f.set_len(1 << 40).expect("set_len");
        let e = read_file(&path, &Limits::default()).expect_err("too large");
        assert!(
            e.to_string().contains("max_file_bytes") && e.to_string().contains("1099511627776 bytes"),
            "the error names the size and the limit: {e}"
        );
    }
}
