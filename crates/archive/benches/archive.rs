//! Export + sign of a full M31 run (every step run), verification of the result, and how fast
//! hostile files fail (no timed assertions; the figures are printed against their goals).
//! `cargo bench -p flightdeck-archive --bench archive`; prints p50 / max over the rounds and,
//! with `FLIGHTDECK_ARCHIVE_OUT=FILE.pdf`, writes the archive for a look.
//!
//! Hostile files, each verified from a file under a temp dir (deleted after) the way `archive
//! verify` does it (`open_file`), default limits: a sparse 1 GiB file; 512 MiB: the archive
//! followed by zeros up to the size cap, and the same ending with `%%EOF` (so it is read and
//! parsed); the archive whose event log is a 500 MiB stored stream; the 5 GiB decompression
//! bomb; 16 MiB of `1 0 R` (700 MB once parsed); the embedded files tree whose kids name
//! itself 100,000 times. Goal: each fails in under 2 s.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::hostile;
use flightdeck_archive::Limits;
use lopdf::{dictionary, Stream};

const MIB: u64 = 1024 * 1024;

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let fx = common::m31_run();
    let who = common::identity();
    let events = fx.store.events(&fx.run_id).expect("events").len();
    let mut export = Vec::new();
    let mut pdf = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        pdf = common::export(&fx, &who);
        export.push(t.elapsed());
    }
    let mut verify = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let report = flightdeck_archive::verify(&pdf, Some(who.certificate_der()));
        verify.push(t.elapsed());
        assert!(report.ok, "the benchmarked archive verifies");
    }
    let (e50, emax) = stats(export);
    let (v50, vmax) = stats(verify);
    println!("M31 run: {events} events, archive {} KiB", pdf.len() / 1024);
    println!("export + sign: p50 {e50:.1?}, max {emax:.1?} (budget 1 s)");
    println!("verify:        p50 {v50:.1?}, max {vmax:.1?} (budget 100 ms)");
    if let Ok(path) = std::env::var("FLIGHTDECK_ARCHIVE_OUT") {
        std::fs::write(&path, &pdf).expect("write the archive");
        println!("wrote {path}");
    }
    hostile_files(&pdf);
}

/// Writes one hostile file at the path it is given.
type Make<'a> = Box<dyn Fn(&Path) + 'a>;

/// Each hostile file written under a temp dir, then verified from there as the CLI does.
fn hostile_files(pdf: &[u8]) {
    let dir = tempfile::tempdir_in("/var/tmp").expect("temp dir");
    let cap = Limits::default().max_file_bytes;
    let cases: [(&str, Make); 7] = [
        (
            "1 GiB, sparse",
            Box::new(|p| sparse(p, b"%PDF-1.7\n", 1024 * MIB, b"")),
        ),
        (
            "512 MiB: the archive, then zeros",
            Box::new(|p| sparse(p, pdf, cap, b"")),
        ),
        (
            "512 MiB: the archive, zeros, %%EOF",
            Box::new(|p| sparse(p, pdf, cap, b"%%EOF")),
        ),
        (
            "500 MiB stored event log",
            Box::new(|p| {
                let big = Stream::new(
                    dictionary! { "Type" => "EmbeddedFile" },
                    vec![b' '; 500 * MIB as usize],
                );
                write(p, &hostile::with_attachment(pdf, "events.json", big))
            }),
        ),
        (
            "5 GiB bomb in events.json",
            Box::new(|p| write(p, &hostile::events_bomb(pdf))),
        ),
        (
            "16 MiB of references",
            Box::new(|p| write(p, &hostile::dense_references(pdf, 16 * MIB as usize / 6))),
        ),
        (
            "tree whose kids name itself 100,000 times",
            Box::new(|p| write(p, &hostile::self_referencing_tree(pdf, 100_000))),
        ),
    ];
    for (i, (what, make)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("hostile-{i}.pdf"));
        make(&path);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        // Twice: the first read of a freshly made sparse file pays for the kernel filling its
        // holes into the page cache; the second is a file already on disk and cached.
        let (cold, _) = fail(&path, what);
        let (warm, outcome) = fail(&path, what);
        std::fs::remove_file(&path).expect("delete the hostile file");
        println!(
            "hostile, {what} ({} MiB): fails in {warm:.2?}, first read {cold:.2?} (goal < 2 s): {outcome}",
            size / MIB
        );
    }
}

/// How long `open_file` takes to fail the file at `path`, and why it failed.
fn fail(path: &Path, what: &str) -> (Duration, String) {
    let t = Instant::now();
    let outcome = match flightdeck_archive::open_file(path, None, &Limits::default()) {
        Err(e) => e.to_string(),
        Ok(opened) => {
            let report = opened.report;
            assert!(!report.ok, "{what} does not verify");
            let last = report
                .checks
                .iter()
                .rev()
                .find(|c| !c.ok)
                .expect("a failed check");
            format!("{}: {}", last.name, last.detail)
        }
    };
    (t.elapsed(), outcome)
}

/// `head`, then zeros, then `tail`, `len` bytes in all, as a sparse file.
fn sparse(path: &Path, head: &[u8], len: u64, tail: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    std::fs::write(path, head).expect("write");
    let mut f = std::fs::OpenOptions::new().write(true).open(path).expect("open");
    f.set_len(len).expect("extend");
    f.seek(SeekFrom::Start(len - tail.len() as u64))
        .and_then(|_| f.write_all(tail))
        .expect("tail");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}
