//! Backups and restore drills against two real Postgres 15 clusters from `.ci/services.sh`: the
//! source (password authentication, `FLIGHTDECK_TEST_PG_SOURCE_URL` and `_PASSWORD`) and the
//! target (`FLIGHTDECK_TEST_PG_URL`), with a generated database: several tables in two schemas,
//! indexes, foreign keys, a check constraint, a large object and non-ASCII text.

mod failures;
mod files;
mod roundtrip;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use flightdeck_engine::probe::{MapSecrets, ProbeEnv, ProbeEvent, ProbeResult, Spec};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::probe::{annotated, run_collecting};
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

/// The two clusters.
pub struct Clusters {
    /// Source, no password in it.
    pub source: String,
    pub password: String,
    /// Target (trust authentication).
    pub target: String,
}

/// Both clusters, or `None` (skipped; under CI, a failure).
pub fn clusters() -> Option<Clusters> {
    let target = needs::postgres()?;
    let (Ok(source), Ok(password)) = (
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_URL"),
        std::env::var("FLIGHTDECK_TEST_PG_SOURCE_PASSWORD"),
    ) else {
        needs::missing(
            "backup source Postgres",
            "FLIGHTDECK_TEST_PG_SOURCE_URL / _PASSWORD are not set; run under .ci/services.sh",
        );
        return None;
    };
    Some(Clusters {
        source,
        password,
        target,
    })
}

/// `url` with its database replaced by `db`.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

fn with_password(url: &str, password: &str) -> String {
    url.replacen("postgres@", &format!("postgres:{password}@"), 1)
}

/// A database of its own on the source, filled by [`FIXTURE`] (plus `extra` SQL), dropped on drop.
pub struct SourceDb {
    pub name: String,
    admin: String,
}

impl SourceDb {
    pub async fn create(c: &Clusters, tag: &str, extra: &str) -> SourceDb {
        let name = format!("fd_bk_{tag}_{}", std::process::id());
        let admin = with_password(&c.source, &c.password);
        exec(&admin, &format!("DROP DATABASE IF EXISTS {name}")).await;
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
        let db = with_password(&with_db(&c.source, &name), &c.password);
        exec(&db, FIXTURE).await;
        if !extra.is_empty() {
            exec(&db, extra).await;
        }
        SourceDb { name, admin }
    }
}

impl Drop for SourceDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the cleanup on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut c) = PgConnection::connect(&admin).await {
                        let q = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(q)).execute(&mut c).await;
                    }
                });
            }
        })
        .join();
    }
}

pub async fn exec(url: &str, sql: &str) {
    let mut c = PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = c.close().await;
}

pub async fn scalar(url: &str, sql: &str) -> String {
    let mut c = PgConnection::connect(url).await.expect("connect");
    let v: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT ({sql})::text")))
        .fetch_one(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = c.close().await;
    v
}

/// Tables, indexes, foreign keys, a check constraint, a schema besides `public`, an empty table,
/// a large object and non-ASCII text.
pub const FIXTURE: &str = "
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id),
  total numeric(10,2), placed_at timestamptz DEFAULT now());
CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE TABLE payments (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders(id)
  ON DELETE CASCADE, status text NOT NULL CHECK (status IN ('ok', 'failed')));
CREATE UNIQUE INDEX one_ok_payment ON payments (order_id) WHERE status = 'ok';
CREATE SCHEMA ledger;
CREATE TABLE ledger.entries (id int PRIMARY KEY, note text, doc bytea);
CREATE TABLE documents (id int PRIMARY KEY, blob oid NOT NULL);
CREATE TABLE audit_empty (id int PRIMARY KEY);
INSERT INTO customers (name, city)
  SELECT 'Zoë Ångström ' || g, (ARRAY['Kraków', '東京', 'São Paulo', 'Zürich'])[1 + g % 4]
  FROM generate_series(1, 500) g;
INSERT INTO orders (customer_id, total) SELECT 1 + g % 500, g * 1.25 FROM generate_series(1, 5000) g;
INSERT INTO payments (order_id, status)
  SELECT g, CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'ok' END FROM generate_series(1, 4000) g;
INSERT INTO ledger.entries SELECT g, 'naïve café ☕ ' || g, decode(md5(g::text), 'hex')
  FROM generate_series(1, 300) g;
INSERT INTO documents VALUES (1, lo_from_bytea(0, convert_to('größe 🚀', 'UTF8')));
";

/// Smoke queries the restored fixture passes.
pub const SMOKE: &[&str] = &[
    "SELECT count(*) = 5000 FROM orders",
    "SELECT name = 'Zoë Ångström 1' FROM customers ORDER BY id LIMIT 1",
    "SELECT convert_from(lo_get(blob), 'UTF8') = 'größe 🚀' FROM documents WHERE id = 1",
];

/// The env of the backup tests: `SRC` (the source database, no password), `TGT` (the target's
/// maintenance database), `BACKUP_DIR`, and the password as secret `DB_PASSWORD`.
pub fn env(c: &Clusters, db: &str, dir: &Path) -> ProbeEnv {
    let mut secrets = BTreeMap::new();
    secrets.insert("DB_PASSWORD".to_owned(), c.password.clone());
    ProbeEnv {
        secrets: Arc::new(MapSecrets(secrets)),
        ..ProbeEnv::default()
    }
    .with_var("SRC", with_db(&c.source, db))
    .with_var("TGT", c.target.clone())
    .with_var("BACKUP_DIR", dir.display().to_string())
}

/// A `pg-backup` step with `extra` keys.
pub fn backup_spec(extra: &str) -> Spec {
    annotated(
        &format!(
            "pg-backup\nurl: ${{SRC}}\npassword: ${{secret:DB_PASSWORD}}\ndir: ${{BACKUP_DIR}}\n{extra}"
        ),
        "pg_dump --format=custom",
    )
}

/// A `pg-restore` drill step with the fixture's smoke queries and `extra` keys.
pub fn drill_spec(extra: &str) -> Spec {
    let smoke: String = SMOKE.iter().map(|q| format!("smoke: {q}\n")).collect();
    annotated(
        &format!("pg-restore\nbackup: ${{BACKUP_DIR}}\nurl: ${{TGT}}\njobs: 2\n{smoke}{extra}"),
        "pg_restore --clean --if-exists",
    )
}

pub async fn run(spec: &Spec, env: &ProbeEnv) -> (ProbeResult, Vec<ProbeEvent>) {
    run_collecting(spec, env, CancellationToken::new()).await
}

/// The files in `dir` (names), sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
