//! Which Postgres store a URL names, and how to reach it: `postgres://user@host[:port]/db[?sslmode=…]`.
//!
//! Owns telling a store URL from a file path, refusing a URL that carries a password (a store URL
//! is shown in messages, kept in settings and unit files; the password lives in the OS keyring,
//! account `store-db:user@host:port/db`, see `crate::secrets::store_db_account`), and the connect
//! options: TLS as `sslmode` / `sslrootcert` say (sqlx's rules, libpq's names), the schema
//! `flightdeck`, and a lock timeout so a writer never waits on another forever.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;

use crate::secrets::{store_db_account, store_db_password};
use crate::store::StoreError;

/// Whether `path` is a Postgres store URL rather than a file.
pub fn is_postgres(path: &Path) -> bool {
    path.to_str().is_some_and(|s| {
        let s = s.trim_start();
        s.starts_with("postgres://") || s.starts_with("postgresql://")
    })
}

/// A Postgres store's address, with its password when the keyring has one.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) opts: PgConnectOptions,
    /// The URL as given (it has no password): what messages name.
    pub(crate) shown: String,
    /// The keyring account its password is kept under.
    pub(crate) account: String,
    /// Why the keyring could not be asked for the password, if it could not.
    pub(crate) keyring_error: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.shown)
    }
}

fn bad(url: &str, why: impl Into<String>) -> StoreError {
    StoreError::PostgresUrl {
        url: url.to_string(),
        why: why.into(),
    }
}

/// The keyring account that keeps the password of the store at `url` (`flightdeck store password`).
pub fn password_account(url: &str) -> Result<String, StoreError> {
    Ok(options(url)?.1)
}

/// `url`'s connect options (no password: one in the URL is refused) and its keyring account.
fn options(url: &str) -> Result<(PgConnectOptions, String), StoreError> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(url, e.to_string()))?;
    if parsed.password().is_some() {
        let shown = {
            let mut u = parsed.clone();
            let _ = u.set_password(None);
            u.to_string()
        };
        return Err(bad(
            &shown,
            format!(
                "it carries a password; Flightdeck keeps store passwords in the OS keyring, never in \
                     a URL: run `flightdeck store password {shown}` and give the URL without it"
            ),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad(url, "it names no host"));
    }
    let opts = PgConnectOptions::from_str(url).map_err(|e| bad(url, e.to_string()))?;
    let database = opts.get_database().unwrap_or(opts.get_username()).to_string();
    let account = store_db_account(opts.get_username(), opts.get_host(), opts.get_port(), &database);
    Ok((opts, account))
}

impl Target {
    /// The store at `url`; its password is read from the OS keyring (none there: the server may
    /// not ask for one, and if it does, the error names the keyring account to fill).
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let url = url.trim();
        let (opts, account) = options(url)?;
        let mut opts = opts
            .application_name("flightdeck-store")
            .options([("search_path", "flightdeck"), ("lock_timeout", "20s")]);
        let mut keyring_error = None;
        match store_db_password(&account) {
            Ok(Some(password)) => opts = opts.password(password.expose()),
            Ok(None) => {}
            Err(e) => keyring_error = Some(e.to_string()),
        }
        Ok(Target {
            opts,
            shown: url.to_string(),
            account,
            keyring_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_a_password_in_one_is_refused() {
        assert!(is_postgres(Path::new("postgres://ana@db/cutover")));
        assert!(is_postgres(Path::new("postgresql://db/x?sslmode=require")));
        assert!(!is_postgres(Path::new("/tmp/postgres://x")));
        assert!(!is_postgres(Path::new("store.sqlite")));
        let err = Target::parse("postgres://ana:hunter2@db.example/cutover").expect_err("refused");
        let text = err.to_string();
        assert!(
            !text.contains("hunter2"),
            "the password is never repeated: {text}"
        );
        assert!(
            text.contains("flightdeck store password postgres://ana@db.example/cutover"),
            "{text}"
        );
        let err = Target::parse("postgres:///cutover").expect_err("no host");
        assert!(err.to_string().contains("no host"), "{err}");
    }

    #[test]
    fn tls_follows_sslmode_and_the_account_names_user_host_port_and_database() {
        let t = Target::parse("postgres://ana@db.example:6543/cutover?sslmode=verify-full").expect("parses");
        assert!(matches!(
            t.opts.get_ssl_mode(),
            sqlx::postgres::PgSslMode::VerifyFull
        ));
        assert_eq!(t.account, "store-db:ana@db.example:6543/cutover");
        assert_eq!(
            t.shown,
            "postgres://ana@db.example:6543/cutover?sslmode=verify-full"
        );
    }
}
