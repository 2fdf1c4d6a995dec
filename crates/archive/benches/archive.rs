//! Export + sign of a full M31 run (every step run) and verification of the result.
//! `cargo bench -p flightdeck-archive --bench archive`; prints p50 / max over the rounds and,
//! with `FLIGHTDECK_ARCHIVE_OUT=FILE.pdf`, writes the archive for a look.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

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
}
