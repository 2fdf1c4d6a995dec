//! The plan: §16's bands from the bundled M31, the band grammar, edits through the request.

use flightdeck_engine::run;
use flightdeck_engine::store::Store;
use flightdeck_engine::watch::{self, parse_band, SlotKind, WatchPlan};

use super::T0;

#[test]
fn m31_bands_are_section_16s_then_daily_to_d7() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path().join("s.sqlite")).expect("open");
    let id = flightdeck_testsupport::store::started_bundled(&mut store, "m31");
    let loaded = run::load(&store, &id).expect("load");
    let plan = WatchPlan::from_runbook(&loaded.runbook, T0).expect("plan");
    let bands: Vec<String> = plan.bands.iter().map(watch::band_text).collect();
    assert_eq!(bands, ["0m-2h/5m", "2h-8h/15m", "8h-1d/1h", "1d-7d/1d"]);
    // §16's items the watch itself does: the band item, "Monitor every 5 minutes", ...
    assert!(
        plan.bands[0]
            .items
            .iter()
            .any(|i| i.contains("monitor-every-5-minutes")),
        "{:?}",
        plan.bands[0].items
    );
    assert!(
        !plan.bands[0].items.iter().any(|i| i.contains("team-leads")),
        "{:?}",
        plan.bands[0].items
    );
    assert!(
        plan.bands[2].items.iter().any(|i| i.contains("hourly-summary")),
        "{:?}",
        plan.bands[2].items
    );
    // The steps annotated `watch: true`: health checks and the SLO gate.
    assert_eq!(plan.checks.len(), 5, "{:?}", plan.checks);
    assert!(
        plan.checks.iter().any(|c| c.starts_with("12.")),
        "{:?}",
        plan.checks
    );
    let slots = plan.slots().expect("slots");
    let count = |k| slots.iter().filter(|s| s.kind == k).count();
    assert_eq!(count(SlotKind::Check), 24 + 24 + 16 + 6);
    assert_eq!(count(SlotKind::Summary), 168);
    assert_eq!(count(SlotKind::Budget), 7);
}

#[test]
fn bands_parse_and_bad_ones_are_refused() {
    let b = parse_band("0h-2h/5m").expect("band");
    assert_eq!((b.from_min, b.to_min, b.every_min), (0, 120, 5));
    let b = parse_band("24-168h/1d").expect("band");
    assert_eq!((b.from_min, b.to_min, b.every_min), (1440, 10080, 1440));
    for bad in ["2h-1h/5m", "0h-2h", "0h-2h/0m", "x-y/z"] {
        assert!(parse_band(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_plan_edit_is_checked_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, id) = super::m31_run(dir.path(), |p| {
        p.bands = vec![parse_band("0h-7d/5m").expect("band")]
    });
    let mut s = store.lock().expect("lock");
    let st = watch::status(&s, &id).expect("status");
    assert_eq!(
        st.cells.iter().filter(|c| c.kind == SlotKind::Check).count(),
        2016
    );
    assert_eq!(st.pending as usize, st.cells.len());
    // A check that is not a runnable step, overlapping bands: refused with the reason.
    let mut plan = st.plan.clone();
    plan.checks.push("15.nope".into());
    let e = watch::set_plan(
        &mut s,
        "ana",
        watch::SetWatchPlanReq {
            run: id.clone(),
            plan,
        },
    )
    .expect_err("refused");
    assert!(e.to_string().contains("15.nope"), "{e}");
    let mut plan = st.plan.clone();
    plan.bands = vec![
        parse_band("0h-2h/5m").expect("b"),
        parse_band("1h-3h/5m").expect("b"),
    ];
    let e = watch::set_plan(&mut s, "ana", watch::SetWatchPlanReq { run: id, plan }).expect_err("refused");
    assert!(e.to_string().contains("overlaps"), "{e}");
}
