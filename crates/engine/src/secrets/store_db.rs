//! Where a shared Postgres store's password is kept: the OS keyring, service [`crate::secrets::SERVICE`], account
//! `store-db:<user>@<host>:<port>/<database>` (see [`store_db_account`]).
//!
//! Owns only the keeping: the store URL never carries the password (a URL is shown, logged and
//! kept in settings), so `crate::store::pg` asks here when it connects, and
//! `flightdeck store password URL` puts it here. The account cannot collide with a secret's
//! (`<env>/<NAME>` never holds a `:`) or a store key's (`store-key:`).

use super::keyring::Keyring;
use super::{KeyringError, Sensitive};

/// The keyring account of the password of `user` on `host:port`, database `database`.
pub fn store_db_account(user: &str, host: &str, port: u16, database: &str) -> String {
    format!("store-db:{user}@{host}:{port}/{database}")
}

/// The password kept under `account`, if any (no canary: this only reads).
pub fn store_db_password(account: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
    Keyring::unproven().fetch(account)
}

/// Keep `password` under `account` in a keyring proven to persist.
pub fn set_store_db_password(account: &str, password: &Sensitive<String>) -> Result<(), KeyringError> {
    Keyring::open()?.put(account, password)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_account_names_user_server_and_database_under_the_flightdeck_service() {
        assert_eq!(
            super::store_db_account("ana", "db.example", 5432, "cutover"),
            "store-db:ana@db.example:5432/cutover"
        );
        assert_eq!(crate::secrets::SERVICE, "flightdeck");
    }
}
