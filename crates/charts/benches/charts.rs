//! Drawing the Signals view's four golden-signal panels, 3 series × 2,880 samples each: the
//! decimation and plotters' SVG, Rust side only (the window's figure is tests/e2e/bench-charts.sh).
//! `cargo bench -p flightdeck-charts --bench charts`.

use std::time::{Duration, Instant};

use flightdeck_charts::{plot_columns, svg, Frame, Panel, Theme};

fn panels(width: u32) -> Vec<Panel> {
    let cols = plot_columns(width);
    ["latency", "traffic", "errors", "saturation"]
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let mut p = Panel::new(id, id, "s", 0.0, 2880.0 * 30.0);
            for s in 0..3 {
                let pts = (0..2880).map(move |i| {
                    let t = i as f64 * 30.0;
                    (
                        t,
                        1.0 + (k + s) as f64 + (t / 900.0).sin() + ((i * 7919) % 97) as f64 / 200.0,
                    )
                });
                p.add_series(&format!("s{s}"), pts, cols, None);
            }
            p
        })
        .collect()
}

fn main() {
    let width = 600;
    let frame = Frame {
        width,
        height: 220,
        theme: &Theme::LIGHT,
        utc_offset_min: 0,
    };
    let mut decimate = Vec::new();
    let mut draw = Vec::new();
    let mut bytes = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let ps = panels(width);
        decimate.push(t.elapsed());
        let t = Instant::now();
        bytes = ps
            .iter()
            .map(|p| svg(p, &frame).expect("draws").len())
            .sum::<usize>();
        draw.push(t.elapsed());
    }
    let p50 = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!("4 panels × 3 series × 2,880 samples, {width} px wide:");
    println!("  decimate (min/max per pixel column): p50 {:.2?}", p50(decimate));
    println!(
        "  plotters SVG of the four panels:     p50 {:.2?} ({} KiB)",
        p50(draw),
        bytes / 1024
    );
}
