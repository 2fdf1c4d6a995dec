//! `flightdeck secret set | list | rm`: an environment's secrets in the OS keyring.
//!
//! A value is read from stdin, or from a no-echo prompt when stdin is a terminal; never from
//! the command line (where `ps` and shell history would keep it). Only names and "updated at"
//! are ever shown. The keyring itself belongs to `flightdeck_engine::secrets`.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use flightdeck_engine::environments::Environments;
use flightdeck_engine::secrets::{Keyring, Sensitive};

use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum SecretCmd {
    /// Store a secret in the OS keyring (value from stdin, or a prompt that does not echo).
    Set { env: String, name: String },
    /// An environment's secret names and when each was set (never values).
    List { env: String },
    /// Remove a secret from the OS keyring.
    Rm { env: String, name: String },
}

pub fn run(ctx: &Ctx, cmd: SecretCmd) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    let envs = Environments::open(&store)?;
    match cmd {
        SecretCmd::Set { env, name } => {
            // Check the environment before asking for a value nobody can store.
            envs.show(&env)?;
            let value = read_value(&env, &name)?;
            let keyring = Keyring::open()?;
            let r = envs.set_secret(&keyring, &env, &name, &value)?;
            if ctx.json {
                return crate::render::json(&r);
            }
            crate::render::print(&format!(
                "{env}: secret {} set, updated at {}\n",
                r.name, r.updated_at
            ))
        }
        SecretCmd::List { env } => {
            let secrets = envs.show(&env)?.secrets;
            if ctx.json {
                return crate::render::json(&secrets);
            }
            let mut text = String::new();
            for s in &secrets {
                text.push_str(&format!("{}  updated at {}\n", s.name, s.updated_at));
            }
            crate::render::print(&text)
        }
        SecretCmd::Rm { env, name } => {
            let keyring = Keyring::open()?;
            envs.remove_secret(&keyring, &env, &name)?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({"env": env, "name": name, "removed": true}));
            }
            crate::render::print(&format!("{env}: secret {name} removed\n"))
        }
    }
}

fn read_value(env: &str, name: &str) -> anyhow::Result<Sensitive<String>> {
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("value of {env}/{name} (not shown): "))
            .context("read the secret from the terminal")?
    } else {
        let mut v = String::new();
        std::io::stdin()
            .read_to_string(&mut v)
            .context("read the secret from stdin")?;
        // `echo value |` adds one newline; a multi-line value (a PEM key) keeps its inner ones.
        if v.ends_with('\n') {
            v.pop();
            if v.ends_with('\r') {
                v.pop();
            }
        }
        v
    };
    if value.is_empty() {
        anyhow::bail!(flightdeck_engine::run::Error::Invalid(format!(
            "secret {env}/{name}: the value is empty (give it on stdin)"
        )));
    }
    Ok(Sensitive::new(value))
}
