//! Bounded parsing: files built from the attack round's recipes (a 5 GiB decompression bomb in
//! the event log, an embedded files tree whose kids name itself 100,000 times, a 1 GiB file;
//! and 16 MiB of references, which lopdf would make 700 MB of)
//! fail on the limit they hit, named, in the library and through `flightdeck archive verify`
//! and `show`, the latter under an address-space limit of 256 MiB over the binary's own need.
//! How fast they fail is the bench's (`benches/archive.rs`), not a test's.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::hostile;
use flightdeck_archive::{open, open_with, Limits, Report};
use flightdeck_testsupport::cli::{self, exit};
use flightdeck_testsupport::needs;
use lopdf::{dictionary, Document, Object};

const MIB: u64 = 1024 * 1024;

fn archive() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| common::export(&common::m31_run(), &common::identity()))
}

fn bomb() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| hostile::events_bomb(archive()))
}

/// 16 MiB of `1 0 R`: some 700 MB once parsed by lopdf.
fn dense() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| hostile::dense_references(archive(), 16 * 1024 * 1024 / 6))
}

fn tree() -> &'static [u8] {
    static ONCE: OnceLock<Vec<u8>> = OnceLock::new();
    ONCE.get_or_init(|| hostile::self_referencing_tree(archive(), 100_000))
}

/// The detail of the first failed check that mentions `needle`, else every failed check.
fn failed_on(report: &Report, needle: &str) -> Result<String, String> {
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    failed
        .iter()
        .find(|d| d.contains(needle))
        .cloned()
        .ok_or_else(|| failed.join("\n"))
}

#[test]
fn a_few_repeated_mebibytes_inflate_to_exactly_that_many_zeros() {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(hostile::zlib_zeros(3).as_slice())
        .read_to_end(&mut out)
        .expect("the bomb's inner stream is valid zlib, adler32 included");
    assert_eq!(out.len() as u64, 3 * MIB, "so the 5 GiB one inflates to 5 GiB");
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn an_event_log_that_inflates_to_5_gib_fails_on_the_attachment_limit() {
    let bomb = bomb();
    assert!(
        bomb.len() < archive().len() + 400 * 1024,
        "the bomb adds a few hundred KB"
    );
    let report = open(bomb, None).report;
    assert!(!report.ok);
    let detail = failed_on(&report, "max_attachment_bytes").unwrap_or_else(|all| panic!("{all}"));
    assert!(
        detail.starts_with("attachments: events.json decompresses to more than 67108864 bytes"),
        "the check names the file and the 64 MiB cap it ran into: {detail}"
    );
}

#[test]
fn an_embedded_files_tree_whose_kids_name_itself_100000_times_fails_on_the_fanout_limit() {
    let report = open(tree(), None).report;
    let detail = failed_on(&report, "max_tree_fanout").unwrap_or_else(|all| panic!("{all}"));
    assert!(
        detail.contains("has 100000 kids, over the limit of 1024"),
        "refused at the node, before one kid is followed: {detail}"
    );
}

#[test]
fn sixteen_mib_of_references_fail_on_the_token_limit_before_they_are_parsed() {
    let report = open(dense(), None).report;
    let detail = failed_on(&report, "(max_tokens)").unwrap_or_else(|all| panic!("{all}"));
    assert_eq!(
        detail, "limits: the file holds more than 1000000 PDF tokens outside its streams (max_tokens)",
        "counted before lopdf makes an object of each"
    );
    assert_eq!(
        report.checks.len(),
        1,
        "nothing else is parsed: {:?}",
        report.checks
    );
}

#[test]
fn a_tree_node_that_is_its_own_kid_fails_as_a_cycle_not_a_loop() {
    let report = open(&hostile::self_referencing_tree(archive(), 1), None).report;
    let detail = failed_on(&report, "twice (a cycle").unwrap_or_else(|all| panic!("{all}"));
    assert!(detail.starts_with("attachments:"), "{detail}");
}

#[test]
fn a_tree_deeper_than_the_limit_fails_on_depth() {
    // 40 nodes, each the only kid of the one before, the last holding the real /Names.
    let mut doc = Document::load_mem(archive()).expect("parse");
    let names = doc
        .catalog()
        .and_then(|c| c.get(b"Names"))
        .and_then(Object::as_dict)
        .and_then(|n| n.get(b"EmbeddedFiles"))
        .cloned()
        .expect("the real tree");
    let mut below = doc.add_object(names);
    for _ in 0..40 {
        below = doc.add_object(dictionary! { "Kids" => vec![below.into()] });
    }
    doc.catalog_mut()
        .and_then(|c| c.get_mut(b"Names"))
        .and_then(Object::as_dict_mut)
        .expect("names")
        .set("EmbeddedFiles", below);
    let report = open(&hostile::save(&mut doc), None).report;
    let detail = failed_on(&report, "max_tree_depth").unwrap_or_else(|all| panic!("{all}"));
    assert!(detail.contains("deeper than 32 levels"), "{detail}");
}

#[test]
fn each_limit_is_named_when_a_real_archive_is_held_to_less_than_it_needs() {
    let pdf = archive();
    assert!(open(pdf, None).report.ok, "the defaults take a real archive");
    let cases: [(&str, Limits); 6] = [
        (
            "max_file_bytes",
            Limits {
                max_file_bytes: 1000,
                ..Limits::default()
            },
        ),
        (
            "max_tokens",
            Limits {
                max_tokens: 1000,
                ..Limits::default()
            },
        ),
        (
            "max_objects",
            Limits {
                max_objects: 50,
                ..Limits::default()
            },
        ),
        (
            "max_attachments",
            Limits {
                max_attachments: 5,
                ..Limits::default()
            },
        ),
        (
            "max_attachment_bytes",
            Limits {
                max_attachment_bytes: 1000,
                ..Limits::default()
            },
        ),
        (
            "max_decompressed_bytes",
            Limits {
                max_decompressed_bytes: 100_000,
                ..Limits::default()
            },
        ),
    ];
    for (name, limits) in cases {
        let report = open_with(pdf, None, &limits).report;
        assert!(!report.ok, "{name} below what the archive needs fails it");
        failed_on(&report, &format!("({name})")).unwrap_or_else(|all| panic!("{name} is not named:\n{all}"));
    }
}

/// `flightdeck ARGS` under `prlimit --as=BYTES`.
fn cli_limited(address_space: u64, args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg(format!("--as={address_space}"))
        .arg("--")
        .arg(cli::binary())
        .args(args)
        .output()
        .expect("prlimit runs")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path.to_str().expect("utf-8 path").to_string()
}

/// 256 MiB over the least address space, in 8 MiB steps, in which the binary verifies the real
/// archive (its baseline); `None` when `prlimit` is missing (skipped; under CI, a failure).
fn memory_limit() -> Option<u64> {
    needs::program("prlimit")?;
    assert!(
        cli::binary().exists(),
        "build the CLI first (cargo build -p flightdeck-cli): {}",
        cli::binary().display()
    );
    static ONCE: OnceLock<u64> = OnceLock::new();
    Some(*ONCE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("dir");
        let good = write(dir.path(), "good.pdf", archive());
        let baseline = (1..=128u64)
            .map(|i| i * 8 * MIB)
            // Intact: exit 0, or 10 as here, where nobody trusts the test's signer.
            .find(|&limit| {
                let code = cli_limited(limit, &["archive", "verify", &good]).status.code();
                code == Some(exit::OK) || code == Some(exit::UNAUTHENTICATED)
            })
            .expect("the CLI verifies the real archive within 1 GiB");
        baseline + 256 * MIB
    }))
}

#[test]
fn within_256_mib_over_its_baseline_the_cli_fails_the_bomb_the_tree_and_references_on_their_limits() {
    let Some(limit) = memory_limit() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let files = [
        ("bomb.pdf", bomb(), "max_attachment_bytes"),
        ("tree.pdf", tree(), "max_tree_fanout"),
        ("dense.pdf", dense(), "max_tokens"),
    ];
    for (file, bytes, named) in files {
        let path = write(dir.path(), file, bytes);
        for cmd in ["verify", "show"] {
            let out = cli_limited(limit, &["archive", cmd, &path]);
            let text = cli::streams(&out);
            // An allocation failure aborts (a signal, no exit code); a limit is exit 5 and says so.
            assert_eq!(
                out.status.code(),
                Some(exit::VERIFY_FAILED),
                "archive {cmd} {file}:\n{text}"
            );
            assert!(
                text.contains(named),
                "archive {cmd} {file} names {named}:\n{text}"
            );
        }
    }
}

#[test]
fn a_1_gib_file_is_refused_by_the_cli_from_its_length_alone() {
    let Some(limit) = memory_limit() else { return };
    assert!(
        limit < 1024 * MIB,
        "less memory than the file: reading it whole would fail"
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("huge.pdf");
    // Sparse: no disk, and a gigabyte of memory if it were read.
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(1024 * MIB))
        .expect("a sparse 1 GiB file");
    let path = path.to_str().expect("utf-8");
    for cmd in ["verify", "show"] {
        let out = cli_limited(limit, &["archive", cmd, path]);
        let text = cli::streams(&out);
        assert_eq!(out.status.code(), Some(exit::VERIFY_FAILED), "{text}");
        assert!(
            text.contains("the file is 1073741824 bytes, over the limit of 536870912 (max_file_bytes)"),
            "{text}"
        );
    }
}

/// A file padded with zeros up to the size cap and ending in `%%EOF` used to be read and parsed
/// whole before it failed; its tail alone (no `startxref`, or one pointing at zeros) now fails it,
/// while the real archive's tail holds.
#[test]
fn a_file_ending_in_eof_after_zeros_fails_on_its_tail_before_it_is_read() {
    use flightdeck_archive::{open_file, Limits};
    let dir = tempfile::tempdir().expect("dir");
    let real = write(dir.path(), "real.pdf", archive());
    let opened = open_file(Path::new(&real), None, &Limits::default()).expect("opens");
    assert!(opened.report.ok, "{:?}", opened.report.checks);

    let mut padded = archive().to_vec();
    padded.resize(padded.len() + 4 * MIB as usize, 0);
    padded.extend_from_slice(b"%%EOF");
    let padded = write(dir.path(), "padded.pdf", &padded);
    let mut pointing = archive().to_vec();
    pointing.resize(pointing.len() + MIB as usize, 0);
    pointing.extend_from_slice(b"startxref\n1000\n%%EOF");
    let pointing = write(dir.path(), "pointing.pdf", &pointing);
    for (file, why) in [
        (padded, "no startxref before the final %%EOF"),
        (pointing, "startxref 1000 points at no cross-reference section"),
    ] {
        let report = open_file(Path::new(&file), None, &Limits::default())
            .expect("opens")
            .report;
        let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            ["structure"],
            "only the tail was looked at: {:?}",
            report.checks
        );
        assert!(report.checks[0].detail.contains(why), "{:?}", report.checks);
    }
}
