//! `flightdeck store password URL`: keep a shared Postgres store's password in the OS keyring.
//!
//! The password is read from stdin, or from a no-echo prompt when stdin is a terminal; never
//! from the command line or the URL (a URL with a password in it is refused). The keyring
//! account is `store-db:user@host:port/db`; the engine reads it there whenever it connects.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use flightdeck_engine::secrets::{set_store_db_password, Sensitive};
use flightdeck_engine::store::pg::password_account;

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
    /// Keep the password of the shared store at URL (`postgres://user@host/db`, no password in
    /// it) in the OS keyring: from stdin, or a prompt that does not echo.
    Password {
        /// The store's URL, without a password.
        url: String,
    },
}

pub fn run(ctx: &Ctx, cmd: StoreCmd) -> anyhow::Result<()> {
    match cmd {
        StoreCmd::Password { url } => {
            let account = password_account(&url)?;
            let password = read_password(&url)?;
            set_store_db_password(&account, &password)?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({ "account": account, "kept": true }));
            }
            crate::render::print(&format!("password of {url} kept in the OS keyring ({account})\n"))
        }
    }
}

fn read_password(url: &str) -> anyhow::Result<Sensitive<String>> {
    let mut value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("password of {url} (not shown): "))
            .context("read the password from the terminal")?
    } else {
        let mut v = String::new();
        std::io::stdin()
            .read_to_string(&mut v)
            .context("read the password from stdin")?;
        v
    };
    // `echo password |` adds one newline.
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    anyhow::ensure!(!value.is_empty(), "no password given (stdin was empty)");
    Ok(Sensitive::new(value))
}
