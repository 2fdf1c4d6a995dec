//! Keyed checkpoints through the store's public API: a run's head MACed with the store's key on
//! every append, and `verify` checking it. The keys live in memory (`MemoryKeys`, or a wrapper
//! that counts or fails) except in the last test, which uses the real OS keyring (a Secret
//! Service, under `.ci/services.sh`). The tampering recipe is `flightdeck_testsupport::tamper`:
//! events edited and the chain recomputed with the store's own hashing, without the key.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use flightdeck_engine::secrets::{store_key_account, KeyringError, OsStoreKeys, SERVICE};
use flightdeck_engine::store::{
    KeyedStatus, MemoryKeys, ProblemKind, Store, StoreKey, StoreKeys, Verification,
};
use flightdeck_engine::{ErrorKind, HasKind};
use flightdeck_testsupport::store::{one_item_run, started_run};
use flightdeck_testsupport::{leak, needs, tamper};
use serde_json::json;

const REWRITTEN: &str =
    "the keyed checkpoint does not match: the log was rewritten without this machine's key";

fn keyed(path: &Path, keys: &Arc<dyn StoreKeys>) -> Store {
    Store::open(path)
        .expect("open the store")
        .with_keys(Arc::clone(keys))
}

fn memory() -> Arc<dyn StoreKeys> {
    Arc::new(MemoryKeys::new())
}

/// A run of `events` events (run_created, then notes) written with `keys`; its id.
fn keyed_run(path: &Path, keys: &Arc<dyn StoreKeys>, events: u64) -> String {
    let mut store = keyed(path, keys);
    let run = store.create_run(one_item_run()).expect("create the run").id;
    for n in 2..=events {
        note(&mut store, &run, &format!("note {n}"));
    }
    run
}

fn note(store: &mut Store, run: &str, text: &str) {
    store
        .append(run, "ana", "note_added", json!({ "text": text }))
        .expect("append a note");
}

fn verify(path: &Path, keys: &Arc<dyn StoreKeys>, run: &str) -> Verification {
    keyed(path, keys).verify(run).expect("verify runs")
}

fn temp() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    (dir, path)
}

#[test]
fn a_run_written_with_the_key_verifies_keyed_from_its_first_event() {
    let (_dir, path) = temp();
    let keys = memory();
    let run = keyed_run(&path, &keys, 6);
    let v = verify(&path, &keys, &run);
    assert!(v.ok, "{v:?}");
    assert!(
        matches!(
            v.keyed,
            KeyedStatus::Keyed {
                since_seq: 1,
                seq: 6,
                ..
            }
        ),
        "every append sealed the head, from run_created on: {:?}",
        v.keyed
    );
}

#[test]
fn a_store_rewritten_whole_without_the_key_passes_the_chain_but_fails_on_the_keyed_checkpoint() {
    let (_dir, path) = temp();
    let keys = memory();
    let run = keyed_run(&path, &keys, 6);
    tamper::rewrite_whole(&path, &run, 4, json!({"text": "all fine"}));

    let unkeyed = Store::open(&path).expect("open").verify(&run).expect("verify");
    assert_eq!(
        unkeyed.first_bad, None,
        "the recomputed chain holds: the file alone cannot tell"
    );
    let v = verify(&path, &keys, &run);
    assert!(!v.ok, "the key can tell: {v:?}");
    let bad = v.first_bad.expect("a first bad event");
    assert_eq!(bad.kind, ProblemKind::KeyedCheckpoint);
    assert_eq!(bad.seq, 6, "the checkpoint sealed event 6");
    assert_eq!(
        bad.message,
        format!("{REWRITTEN} (event 6 is not the event the key sealed)")
    );
    assert!(v.keyed.is_mismatch());

    let refused = keyed(&path, &keys)
        .append(&run, "ana", "note_added", json!({"text": "on top"}))
        .expect_err("an append would seal the rewritten log");
    assert_eq!(refused.kind(), ErrorKind::Integrity, "{refused}");
    assert!(refused.to_string().contains(REWRITTEN), "{refused}");
}

#[test]
fn a_keyed_checkpoint_recomputed_without_the_key_fails_on_its_mac() {
    let (_dir, path) = temp();
    let keys = memory();
    let run = keyed_run(&path, &keys, 5);
    tamper::rewrite_whole(&path, &run, 2, json!({"text": "edited"}));
    tamper::restamp_keyed_checkpoint(&path, &run);
    let v = verify(&path, &keys, &run);
    assert!(!v.ok);
    assert_eq!(
        v.first_bad.expect("bad").message,
        format!("{REWRITTEN} (the checkpoint's MAC does not hold)"),
        "the row now names the rewritten head, but its MAC was made over the old one"
    );
}

#[test]
fn a_run_written_before_keyed_checkpoints_verifies_unkeyed_and_is_keyed_from_its_next_write() {
    let (_dir, path) = temp();
    // `Store::open` without keys writes as Flightdeck did before keyed checkpoints.
    let run = started_run(&path, 3);
    let keys = memory();
    let v = verify(&path, &keys, &run);
    assert!(v.ok, "an unkeyed run still verifies by its chain: {v:?}");
    assert_eq!(v.keyed, KeyedStatus::Unkeyed);

    note(&mut keyed(&path, &keys), &run, "first keyed write");
    let v = verify(&path, &keys, &run);
    assert!(v.ok);
    assert!(
        matches!(
            v.keyed,
            KeyedStatus::Keyed {
                since_seq: 5,
                seq: 5,
                ..
            }
        ),
        "keyed from the write that keyed it, and said so: {:?}",
        v.keyed
    );
}

#[test]
fn a_store_from_before_the_keyed_migration_is_upgraded_and_its_runs_verify_unkeyed() {
    let (_dir, path) = temp();
    let run = started_run(&path, 2);
    {
        // What a Flightdeck from before keyed checkpoints left behind.
        let conn = rusqlite::Connection::open(&path).expect("plain SQLite");
        conn.execute_batch(
            "DROP TABLE keyed_checkpoints; DROP TABLE store_identity;
             DELETE FROM schema_migrations WHERE name = 'keyed_checkpoints';",
        )
        .expect("undo the migration");
    }
    let keys = memory();
    let v = verify(&path, &keys, &run);
    assert!(v.ok);
    assert_eq!(
        v.keyed,
        KeyedStatus::Unkeyed,
        "the migration adds the tables, with no rows"
    );
    note(&mut keyed(&path, &keys), &run, "after the upgrade");
    assert!(matches!(
        verify(&path, &keys, &run).keyed,
        KeyedStatus::Keyed { since_seq: 4, .. }
    ));
}

#[test]
fn a_store_whose_key_is_missing_says_so_and_is_not_tampering() {
    let (_dir, path) = temp();
    let here = memory();
    let run = keyed_run(&path, &here, 3);
    let key_id = match verify(&path, &here, &run).keyed {
        KeyedStatus::Keyed { key_id, .. } => key_id,
        other => panic!("keyed: {other:?}"),
    };
    // Another machine, or this one after its keyring was wiped: no key for this store.
    let elsewhere = memory();
    let v = verify(&path, &elsewhere, &run);
    assert!(v.ok, "a key that is not here is not evidence of tampering: {v:?}");
    assert_eq!(
        v.keyed,
        KeyedStatus::KeyMissing {
            key_id: Some(key_id.clone()),
            here: None
        }
    );

    // Writing there makes that machine's own key and keys the run afresh, from that event.
    note(&mut keyed(&path, &elsewhere), &run, "written elsewhere");
    assert!(matches!(
        verify(&path, &elsewhere, &run).keyed,
        KeyedStatus::Keyed { since_seq: 4, .. }
    ));
    let back_home = verify(&path, &here, &run);
    assert!(back_home.ok);
    assert!(
        matches!(&back_home.keyed, KeyedStatus::KeyMissing { key_id: Some(_), here: Some(h) } if *h == key_id),
        "the first machine sees another key's checkpoint, and names its own: {:?}",
        back_home.keyed
    );
}

/// Keys in a keyring that cannot be used (no Secret Service).
struct NoKeyring;

impl StoreKeys for NoKeyring {
    fn get(&self, _: &str) -> Result<Option<StoreKey>, KeyringError> {
        Err(KeyringError::NoSecretService {
            detail: "not in this test".into(),
        })
    }

    fn put(&self, store_id: &str, _: &StoreKey) -> Result<(), KeyringError> {
        self.get(store_id).map(|_| ())
    }
}

#[test]
fn writes_without_a_keyring_are_kept_unkeyed_and_leave_the_checkpoint_behind() {
    let (_dir, path) = temp();
    let keys = memory();
    let run = keyed_run(&path, &keys, 3);
    let none: Arc<dyn StoreKeys> = Arc::new(NoKeyring);
    let mut locked = keyed(&path, &none);
    note(&mut locked, &run, "while the keyring is locked");
    let why = locked
        .unkeyed_write()
        .expect("the host is told the write was not keyed");
    assert!(why.contains("no Secret Service"), "{why}");

    let v = verify(&path, &keys, &run);
    assert!(v.ok, "{v:?}");
    assert!(
        matches!(
            v.keyed,
            KeyedStatus::Behind {
                seq: 3,
                events: 4,
                since_seq: 1,
                ..
            }
        ),
        "the key vouches up to event 3, and says the log runs past it: {:?}",
        v.keyed
    );
    let mut back = keyed(&path, &keys);
    note(&mut back, &run, "keyring back");
    assert_eq!(back.unkeyed_write(), None);
    assert!(
        matches!(
            verify(&path, &keys, &run).keyed,
            KeyedStatus::Keyed {
                since_seq: 5,
                seq: 5,
                ..
            }
        ),
        "keyed again, from the write that could use the key"
    );
    let unchecked = verify(&path, &none, &run).keyed;
    assert!(
        matches!(&unchecked, KeyedStatus::Unchecked { reason } if reason.contains("no Secret Service")),
        "verify without a keyring says why it did not check: {unchecked:?}"
    );
}

#[test]
fn a_run_whose_chain_is_broken_is_not_keyed_by_the_next_write() {
    let (_dir, path) = temp();
    let run = started_run(&path, 3);
    tamper::open_as_attacker(&path)
        .execute(
            "UPDATE events SET payload = '{\"text\":\"edited\"}' WHERE run_id = ?1 AND seq = 2",
            [&run],
        )
        .expect("edit an event");
    let keys = memory();
    let mut store = keyed(&path, &keys);
    note(&mut store, &run, "on a broken chain");
    let why = store.unkeyed_write().expect("not keyed");
    assert!(
        why.contains("event 2 was altered"),
        "the key never vouches for a log that does not hold: {why}"
    );
    let v = verify(&path, &keys, &run);
    assert_eq!(v.keyed, KeyedStatus::Unkeyed);
    assert_eq!(v.first_bad.expect("bad").kind, ProblemKind::Altered);
}

/// `MemoryKeys` that count how often they are asked.
#[derive(Default)]
struct Counted {
    keys: MemoryKeys,
    gets: AtomicUsize,
    puts: AtomicUsize,
}

impl StoreKeys for Counted {
    fn get(&self, store_id: &str) -> Result<Option<StoreKey>, KeyringError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.keys.get(store_id)
    }

    fn put(&self, store_id: &str, key: &StoreKey) -> Result<(), KeyringError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.keys.put(store_id, key)
    }
}

#[test]
fn the_keyring_is_asked_once_per_store_and_never_by_reads() {
    let (_dir, path) = temp();
    let counted = Arc::new(Counted::default());
    let keys: Arc<dyn StoreKeys> = counted.clone();
    let run = {
        let mut store = keyed(&path, &keys);
        let run = store.create_run(one_item_run()).expect("create").id;
        for n in 0..50 {
            note(&mut store, &run, &format!("note {n}"));
        }
        run
    };
    // The first write: asked before the transaction (absent), again inside it (still absent),
    // made, kept, and read back. Fifty more writes ask nothing.
    assert_eq!(counted.gets.load(Ordering::SeqCst), 3);
    assert_eq!(counted.puts.load(Ordering::SeqCst), 1, "one key for the store");

    let reader = keyed(&path, &keys);
    let before = counted.gets.load(Ordering::SeqCst);
    assert_eq!(reader.runs().expect("list").len(), 1);
    reader.resolve_run(&run[..8]).expect("resolve");
    assert_eq!(reader.events(&run).expect("events").len(), 51);
    flightdeck_engine::run::load(&reader, &run).expect("show");
    assert_eq!(
        counted.gets.load(Ordering::SeqCst),
        before,
        "list, show and events never need the keyring"
    );
    assert!(reader.verify(&run).expect("verify").ok);
    reader.verify(&run).expect("verify again");
    assert_eq!(
        counted.gets.load(Ordering::SeqCst),
        before + 1,
        "verify asks once, then keeps the key"
    );
}

#[test]
fn the_key_is_never_in_the_store_file() {
    let (_dir, path) = temp();
    let memory = Arc::new(MemoryKeys::new());
    let keys: Arc<dyn StoreKeys> = memory.clone();
    keyed_run(&path, &keys, 4);
    let store_id: String = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("SELECT store_id FROM store_identity", [], |r| r.get(0))
        .expect("the store's id");
    let key = memory
        .get(&store_id)
        .expect("get")
        .expect("the store's key was made");
    let hex = key.to_hex();
    assert!(
        !leak::in_store(&path, hex.expose()),
        "the key's hex is not in the file, its WAL or -shm"
    );
    assert!(
        !leak::in_store(&path, &hex.expose().to_uppercase()),
        "nor in upper case"
    );
}

#[test]
fn a_new_store_key_is_kept_in_the_os_keyring_under_the_store_id() {
    let Some(_keyring) = needs::keyring() else { return };
    let (_dir, path) = temp();
    let keys: Arc<dyn StoreKeys> = Arc::new(OsStoreKeys::new());
    let run = keyed_run(&path, &keys, 3);
    let store_id: String = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("SELECT store_id FROM store_identity", [], |r| r.get(0))
        .expect("the store's id");
    let account = store_key_account(&store_id);
    let out = Command::new("secret-tool")
        .args(["lookup", "service", SERVICE, "username", &account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    let stored = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(stored.len(), 64, "32 bytes as hex under {SERVICE} / {account}");
    assert!(!leak::in_store(&path, &stored), "the key never reaches SQLite");
    assert!(matches!(
        verify(&path, &keys, &run).keyed,
        KeyedStatus::Keyed { since_seq: 1, .. }
    ));

    let cleared = Command::new("secret-tool")
        .args(["clear", "service", SERVICE, "username", &account])
        .status()
        .expect("secret-tool clear");
    assert!(cleared.success());
    assert!(
        matches!(
            verify(&path, &keys, &run).keyed,
            KeyedStatus::KeyMissing { here: None, .. }
        ),
        "with the keyring item gone, the key is missing, not the log tampered with"
    );
}
