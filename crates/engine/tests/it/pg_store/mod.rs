//! The shared store on a real Postgres (`.ci/services.sh`; skipped elsewhere, failing under CI):
//! each test on a database of its own, dropped at the end. Here: runs, the chain and `verify`
//! (an edited event is named), run lookup and heads, the fold, a password from the keyring;
//! `concurrent`: 8 writers × 1,000 appends; `follow`: LISTEN/NOTIFY and the resync after a
//! dropped connection; `transfer`: push and pull.

mod concurrent;
mod follow;
mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

use flightdeck_engine::clock::SystemClock;
use flightdeck_engine::store::{NewRun, ProblemKind, Store, StoreError};
use flightdeck_testsupport::needs;
use serde_json::json;
use sqlx::{Connection, PgConnection};

/// A database of its own on the test Postgres, and a folder for the machine's own store; the
/// database is dropped when this is.
pub struct Shared {
    admin: String,
    pub name: String,
    pub url: String,
    pub dir: tempfile::TempDir,
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

impl Shared {
    pub fn new(tag: &str) -> Option<Shared> {
        let admin = needs::postgres()?;
        let name = format!("fd_store_{tag}_{}", std::process::id());
        rt().block_on(async {
            let mut c = PgConnection::connect(&admin)
                .await
                .expect("connect to the test Postgres");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .expect("create a database");
        });
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_string();
        Some(Shared {
            url: format!("{base}/{name}"),
            admin,
            name,
            dir: tempfile::tempdir().expect("temp dir"),
        })
    }

    /// A client of the shared store, as one machine opens it.
    pub fn open(&self) -> Store {
        Store::open_postgres(&self.url, &self.local(), Arc::new(SystemClock)).expect("open the shared store")
    }

    pub fn local(&self) -> PathBuf {
        self.dir.path().join("local.sqlite")
    }

    /// Run `sql` as the superuser on this database.
    pub fn exec(&self, sql: &str) {
        self.try_exec(sql).expect("exec");
    }

    pub fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        let url = self.url.clone();
        let sql = sql.to_string();
        rt().block_on(async move {
            let mut c = PgConnection::connect(&url).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await?;
            Ok(())
        })
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        rt().block_on(async move {
            if let Ok(mut c) = PgConnection::connect(&admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
        });
    }
}

pub fn new_run(actor: &str) -> NewRun {
    NewRun {
        runbook_name: "cutover.md".into(),
        runbook_source: "# Cutover\n\n- [ ] step one\n".into(),
        env: "staging".into(),
        release: "v2.4.0".into(),
        actor: actor.into(),
    }
}

#[test]
fn a_shared_store_keeps_runs_and_their_chains_and_verify_names_an_edited_event() {
    let Some(shared) = Shared::new("basics") else {
        return;
    };
    let mut store = shared.open();
    assert!(store.is_postgres());
    assert_eq!(
        store.path().display().to_string(),
        shared.url,
        "the store is named by its URL"
    );
    assert_eq!(store.schema_versions().expect("versions"), ["20261215000000"]);
    let run = store.create_run(new_run("ana")).expect("create");
    assert_eq!(
        run.created_at.len(),
        "2026-12-15T10:11:12.123456Z".len(),
        "microsecond times: {}",
        run.created_at
    );
    for i in 0..5 {
        store
            .append(
                &run.id,
                "ana",
                "note_added",
                json!({"text": format!("note {i}"), "z": 1, "a": [i]}),
            )
            .expect("append");
    }
    let checked = store
        .append_checked(&run.id, |events| {
            assert_eq!(events.len(), 6, "the decision sees the whole log");
            Ok::<_, StoreError>(flightdeck_engine::store::NewEvent {
                actor: "ben".into(),
                kind: "note_added".into(),
                payload: json!({"text": "checked"}),
            })
        })
        .expect("append_checked");
    assert_eq!(checked.seq, 7);

    // A second client (another machine) sees the same log, heads and lookups.
    let other = shared.open();
    let events = other.events(&run.id).expect("events");
    assert_eq!(events.len(), 7);
    assert!(
        events.iter().all(|e| e.hash == e.computed_hash()),
        "the same canonical hashing"
    );
    assert_eq!(other.head(&run.id).expect("head").map(|h| h.seq), Some(7));
    assert_eq!(other.heads().expect("heads").len(), 1);
    assert_eq!(other.resolve_run(&run.id[..8]).expect("prefix").id, run.id);
    assert_eq!(other.resolve_run("@latest:staging").expect("latest").id, run.id);
    assert!(matches!(
        other.resolve_run("@latest:prod"),
        Err(StoreError::RunNotFound { .. })
    ));
    assert_eq!(other.short_id(&run.id), run.id[..8]);
    assert_eq!(other.runs().expect("runs").len(), 1);
    let v = other.verify(&run.id).expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!(v.events, 7);

    an_edit_is_refused_and_one_made_anyway_is_named(&shared, &other, &run.id);
}

/// The log is append-only; an edit made anyway (triggers off, as a superuser) is named by `verify`.
fn an_edit_is_refused_and_one_made_anyway_is_named(shared: &Shared, other: &Store, run_id: &str) {
    let refused = shared
        .try_exec(&format!(
            "UPDATE flightdeck.events SET actor = 'eve' WHERE run_id = '{run_id}' AND seq = 3"
        ))
        .expect_err("UPDATE of an event is refused");
    assert!(refused.to_string().contains("append-only"), "{refused}");
    shared.exec(&format!(
        "ALTER TABLE flightdeck.events DISABLE TRIGGER events_no_change;
         UPDATE flightdeck.events SET payload = '{{\"text\":\"forged\"}}' WHERE run_id = '{run_id}' AND seq = 4;"
    ));
    let v = other.verify(run_id).expect("verify");
    assert!(!v.ok);
    let bad = v.first_bad.expect("a problem");
    assert_eq!((bad.seq, bad.kind), (4, ProblemKind::Altered), "{}", bad.message);
}

#[test]
fn a_password_comes_from_the_keyring_and_never_from_the_url() {
    let Some(_keyring) = needs::keyring() else { return };
    let (Ok(url), Ok(password)) = (
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_URL"),
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_PASSWORD"),
    ) else {
        needs::missing(
            "the password Postgres",
            "FLIGHTDECK_TEST_PG_SOURCE_URL is not set; run under .ci/services.sh",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let local = dir.path().join("local.sqlite");
    let clock = || Arc::new(SystemClock);
    let account = {
        let u = reqwest_like_parts(&url);
        flightdeck_engine::secrets::store_db_account(&u.0, &u.1, u.2, &u.3)
    };
    // Nothing in the keyring yet: the error names the account to fill, and how.
    let err = Store::open_postgres(&url, &local, clock()).expect_err("no password");
    let text = err.to_string();
    assert!(
        text.contains(&account) && text.contains("flightdeck store password"),
        "{text}"
    );
    flightdeck_engine::secrets::set_store_db_password(&account, &password.clone().into()).expect("keep it");
    let mut store = Store::open_postgres(&url, &local, clock()).expect("the keyring's password opens it");
    let run = store.create_run(new_run("ana")).expect("create");
    assert!(store.verify(&run.id).expect("verify").ok);
    assert!(!store.path().display().to_string().contains(&password));
    // A URL with the password in it is refused, and the password is not repeated.
    let with = url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{password}@"),
        1,
    );
    let err = Store::open_postgres(&with, &local, clock()).expect_err("refused");
    assert!(!err.to_string().contains(&password), "{err}");
}

/// (user, host, port, database) of `postgres://user@host:port/db`.
fn reqwest_like_parts(url: &str) -> (String, String, u16, String) {
    let rest = url.trim_start_matches("postgres://");
    let (user, rest) = rest.split_once('@').expect("user@");
    let (hostport, db) = rest.split_once('/').expect("/db");
    let (host, port) = hostport.split_once(':').expect("host:port");
    (user.into(), host.into(), port.parse().expect("port"), db.into())
}
