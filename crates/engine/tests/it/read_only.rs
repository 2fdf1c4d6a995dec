//! Read-only stores: a store opened read-only (explicitly, or because its file or folder cannot
//! be written) lists, shows and verifies its runs, changes nothing in the file, and refuses every
//! write with an error that says why. The permission test means something as root too: there the
//! part that must be refused runs again in a child process started as `nobody`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use flightdeck_engine::run;
use flightdeck_engine::store::{sha256_hex, KeyedStatus, MemoryKeys, Store, StoreError, StoreKeys};
use flightdeck_engine::{ErrorKind, HasKind};
use flightdeck_testsupport::store::{one_item_run, started_run};
use flightdeck_testsupport::unprivileged::{chmod, running_as_root, without_root};
use serde_json::json;

/// The store's bytes on disk (the file and a WAL with anything in it), to show a reader changed
/// nothing. (A reader may leave an empty `-wal` and a `-shm` index behind: SQLite's WAL reading
/// needs them, and they hold no data.)
fn on_disk(path: &Path) -> Vec<String> {
    flightdeck_testsupport::leak::store_files(path)
        .into_iter()
        .filter(|(file, bytes)| !file.to_string_lossy().ends_with("-shm") && !bytes.is_empty())
        .map(|(file, bytes)| format!("{}: {}", file.display(), sha256_hex(&bytes)))
        .collect()
}

/// Every read a reviewer makes, on `store`: list, show, verify (with the keyed status expected).
fn reads_work(store: &Store, run_id: &str, keyed: fn(&KeyedStatus) -> bool) {
    assert_eq!(store.runs().expect("list").len(), 1);
    let shown = run::load(store, &run_id[..8]).expect("show");
    assert_eq!(shown.record.id, run_id);
    let v = store.verify(run_id).expect("verify");
    assert!(v.ok, "{v:?}");
    assert!(keyed(&v.keyed), "{:?}", v.keyed);
}

/// Every kind of write on `store` is refused as read-only.
fn writes_refused(store: &mut Store, run_id: &str) {
    let append = store
        .append(run_id, "ana", "note_added", json!({"text": "no"}))
        .expect_err("append refused");
    assert!(matches!(append, StoreError::ReadOnly { .. }), "{append}");
    assert_eq!(append.kind(), ErrorKind::Store);
    let create = store.create_run(one_item_run()).expect_err("create refused");
    assert!(matches!(create, StoreError::ReadOnly { .. }), "{create}");
    let note = run::note(
        store,
        "ana",
        run::NoteReq {
            run: run_id.into(),
            text: "no".into(),
            item: None,
        },
    )
    .expect_err("a run write refused");
    assert!(note.to_string().contains("is read-only"), "{note}");
}

fn keyed_store(path: &Path) -> (Arc<dyn StoreKeys>, String) {
    let keys: Arc<dyn StoreKeys> = Arc::new(MemoryKeys::new());
    let mut store = Store::open(path).expect("open").with_keys(Arc::clone(&keys));
    let run = store.create_run(one_item_run()).expect("create").id;
    store
        .append(&run, "ana", "note_added", json!({"text": "hello"}))
        .expect("append");
    (keys, run)
}

#[test]
fn a_store_opened_read_only_lists_shows_and_verifies_and_refuses_every_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sqlite");
    let (keys, run) = keyed_store(&path);
    let before = on_disk(&path);
    let mut store = Store::open_read_only(&path)
        .expect("open read-only")
        .with_keys(keys);
    assert_eq!(store.read_only(), Some("opened read-only"));
    reads_work(&store, &run, |k| {
        matches!(k, KeyedStatus::Keyed { since_seq: 1, .. })
    });
    writes_refused(&mut store, &run);
    drop(store);
    assert_eq!(
        on_disk(&path),
        before,
        "a read-only store changes nothing in the file"
    );
}

#[test]
fn a_read_only_store_from_before_checkpoints_and_keys_still_shows_and_verifies_unkeyed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.sqlite");
    let run = started_run(&path, 3);
    {
        let conn = rusqlite::Connection::open(&path).expect("plain SQLite");
        conn.execute_batch(
            "DROP TABLE state_checkpoints; DROP TABLE keyed_checkpoints; DROP TABLE store_identity;
             DELETE FROM schema_migrations WHERE name IN ('state_checkpoints', 'keyed_checkpoints');",
        )
        .expect("a store as an older Flightdeck left it");
    }
    let store = Store::open_read_only(&path)
        .expect("an older store opens read-only")
        .with_keys(Arc::new(MemoryKeys::new()));
    reads_work(&store, &run, |k| *k == KeyedStatus::Unkeyed);
    let tables: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('state_checkpoints', 'keyed_checkpoints')",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert_eq!(tables, 0, "a read-only open migrates nothing");
}

/// Set in the child process the permission test starts as `nobody` (under root): the folder of
/// the stores to open. The child runs only that test, which then does the unprivileged part.
const CHILD_DIR: &str = "FLIGHTDECK_TEST_UNWRITABLE_DIR";

#[test]
fn a_store_whose_file_and_folder_cannot_be_written_opens_read_only_by_itself() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return unwritable_stores_are_read(&PathBuf::from(dir));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let clean = dir.path().join("s.sqlite");
    started_run(&clean, 2);
    let pending = with_pending_wal(dir.path());
    for file in [clean, pending] {
        chmod(&file, 0o444);
    }
    chmod(dir.path(), 0o555);
    if running_as_root() {
        // Root writes whatever the bits say: run this test again as `nobody`, who cannot.
        let mut child = Command::new(std::env::current_exe().expect("this test binary"));
        child
            .args([
                "read_only::a_store_whose_file_and_folder_cannot_be_written_opens_read_only_by_itself",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.path());
        let out = without_root(&mut child).output().expect("run the test as nobody");
        chmod(dir.path(), 0o755);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "as nobody: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("1 passed"), "the child ran the test: {stdout}");
    } else {
        unwritable_stores_are_read(dir.path());
        chmod(dir.path(), 0o755);
    }
}

/// `pending.sqlite` in `dir`, with a `-wal` that still holds a commit (and no `-shm`): a copy
/// taken while a writer had it open. Its path.
fn with_pending_wal(dir: &Path) -> PathBuf {
    let source = tempfile::tempdir().expect("temp dir");
    let path = source.path().join("p.sqlite");
    let run = started_run(&path, 1);
    let writer = rusqlite::Connection::open(&path).expect("open");
    writer
        .execute_batch("PRAGMA wal_autocheckpoint = 0;")
        .expect("no checkpoint");
    writer
        .execute("UPDATE runs SET release = 'v2' WHERE id = ?1", [&run])
        .expect("a commit that stays in the WAL");
    let copy = dir.join("pending.sqlite");
    std::fs::copy(&path, &copy).expect("copy the file");
    std::fs::copy(source.path().join("p.sqlite-wal"), dir.join("pending.sqlite-wal")).expect("copy the WAL");
    chmod(&dir.join("pending.sqlite-wal"), 0o444);
    copy
}

/// What must hold for a user who may read the stores in `dir` but not write them or `dir`.
fn unwritable_stores_are_read(dir: &Path) {
    let path = dir.join("s.sqlite");
    assert!(
        std::fs::OpenOptions::new().append(true).open(&path).is_err(),
        "this process cannot write the file (else the test proves nothing)"
    );
    let mut store = Store::open(&path).expect("a store that cannot be written still opens");
    let why = store.read_only().expect("opened read-only").to_string();
    assert!(why.contains("cannot be written"), "{why}");
    let run_id = store.runs().expect("list")[0].id.clone();
    reads_work(&store, &run_id, |k| *k == KeyedStatus::Unkeyed);
    writes_refused(&mut store, &run_id);

    // Reading the file alone would miss the commit its WAL holds: an error that says what to do.
    let pending = dir.join("pending.sqlite");
    let err = Store::open(&pending).expect_err("a WAL that cannot be read is not skipped");
    assert!(matches!(err, StoreError::ReadOnlyWal { .. }), "{err}");
    assert!(
        err.to_string().contains("open it once where it can be written"),
        "{err}"
    );
}

#[test]
fn store_errors_for_read_only_stores_say_what_still_works() {
    let e = StoreError::ReadOnly {
        path: "s.sqlite".into(),
        why: "opened read-only".into(),
    };
    assert_eq!(e.kind(), ErrorKind::Store);
    assert_eq!(
        e.to_string(),
        "store s.sqlite is read-only (opened read-only): it can be listed, shown and verified, not written"
    );
}
