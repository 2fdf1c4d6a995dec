//! `flightdeck run verify`: recompute a run's chain and check its keyed checkpoint, and say
//! whether the run is keyed and since when (`keyed_line`). Split from `run_cmd`.

use flightdeck_engine::store::{KeyedStatus, Store};

use crate::exit::Failed;
use crate::{render, Ctx};

/// Recompute the chain and check the keyed checkpoint; exit 5 (through `Failed::Verify`) naming
/// the first bad event, or, with `require_keyed`, when the run is not keyed here.
pub(crate) fn verify(ctx: &Ctx, store: &Store, run: &str, require_keyed: bool) -> anyhow::Result<()> {
    let record = store.resolve_run(run)?;
    let v = store.verify(&record.id)?;
    let keyed = keyed_line(&v.keyed);
    let unkeyed = require_keyed && !matches!(v.keyed, KeyedStatus::Keyed { .. });
    if ctx.json {
        render::json(&crate::json_out::verification(&v)?)?;
    }
    match &v.first_bad {
        Some(p) => Err(Failed::Verify(format!("run {}: {}", record.id, p.message)).into()),
        None if unkeyed => Err(Failed::Verify(format!(
            "run {}: the chain is intact, but --require-keyed: {keyed}",
            record.id
        ))
        .into()),
        None if ctx.json => Ok(()),
        None => render::print(&format!("{}{keyed}\n", render::verified(&v))),
    }
}

/// What `run verify` says of the keyed checkpoint, in one line.
fn keyed_line(status: &KeyedStatus) -> String {
    match status {
        KeyedStatus::Keyed {
            key_id,
            since_seq,
            since_time,
            seq,
        } => {
            let before = match since_seq {
                0 | 1 => String::new(),
                n => format!(
                    "; events 1–{} were written before it was keyed, and the key vouches for them only since then",
                    n - 1
                ),
            };
            format!(
                "keyed since event {since_seq} ({since_time}): the checkpoint at event {seq} holds under this \
                 machine's key {key_id}{before}"
            )
        }
        KeyedStatus::Behind {
            since_seq,
            since_time,
            seq,
            events,
            ..
        } => format!(
            "keyed up to event {seq} only (keyed since event {since_seq}, {since_time}): events {}–{events} were \
             appended without this machine's key (where no keyring could be used, or outside Flightdeck); the \
             next write here keys the run again from then on",
            seq + 1
        ),
        KeyedStatus::Unkeyed => "unkeyed: the run has no keyed checkpoint (written before keyed checkpoints, or \
             where no keyring could be used), so nothing shows who wrote its log; the next write on this machine \
             keys it from then on"
            .into(),
        KeyedStatus::KeyMissing { key_id, here } => {
            let made_with = key_id.as_deref().unwrap_or("(not a key id)");
            match here {
                None => format!(
                    "key missing: the keyed checkpoint was made with key {made_with}, which this machine's keyring \
                     does not hold (the store comes from another machine, or the keyring was wiped); it cannot be \
                     checked here"
                ),
                Some(here) => format!(
                    "key missing: the keyed checkpoint was made with key {made_with}, but this machine's key for the \
                     store is {here} (the run was last written on another machine, or its checkpoint was \
                     replaced); it cannot be checked here"
                ),
            }
        }
        KeyedStatus::Unchecked { reason } => format!("keyed checkpoint not checked: {reason}"),
        KeyedStatus::Mismatch { reason, .. } => reason.clone(),
    }
}
