//! `flightdeck env list | show | new | set-var | unset-var`: environments and their variables.
//!
//! Owns argument handling and output; environments themselves belong to
//! `flightdeck_engine::environments`. Also builds the `ProbeEnv` the step commands run with.

use flightdeck_engine::environments::Environments;
use flightdeck_engine::probe::ProbeEnv;
use flightdeck_engine::secrets::Keyring;
use flightdeck_engine::store::Store;

use crate::render::out;
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum EnvCmd {
    /// Every environment: production or not, how many variables and secrets.
    List,
    /// An environment's variables (built-in defaults and stored ones) and secret names.
    Show { env: String },
    /// Make a new environment.
    New {
        env: String,
        /// Steps that change the target ask for confirmation (`--yes`) in this environment.
        #[arg(long)]
        production: bool,
    },
    /// Set a variable (`${KEY}` in annotations, `$KEY` in shell steps).
    SetVar { env: String, key: String, value: String },
    /// Remove a stored variable (steps see its built-in default again, if it has one).
    UnsetVar { env: String, key: String },
}

pub fn run(ctx: &Ctx, cmd: EnvCmd) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    let envs = Environments::open(&store)?;
    match cmd {
        EnvCmd::List => {
            let list = envs.list()?;
            if ctx.json {
                return crate::render::json(&list);
            }
            let mut text = String::new();
            for e in &list {
                out!(
                    text,
                    "{:<16} {:<11} {} vars, {} secrets",
                    e.name,
                    if e.production { "production" } else { "" },
                    e.vars,
                    e.secrets
                );
            }
            crate::render::print(&text)
        }
        EnvCmd::Show { env } => {
            let d = envs.show(&env)?;
            if ctx.json {
                return crate::render::json(&d);
            }
            let mut text = format!(
                "environment {}{}\nvariables:\n",
                d.name,
                if d.production { " (production)" } else { "" }
            );
            if d.vars.is_empty() {
                text.push_str("  (none)\n");
            }
            for v in &d.vars {
                out!(text, "  {}={}  [{}]", v.key, v.value, v.source);
            }
            text.push_str("secrets (in the OS keyring):\n");
            if d.secrets.is_empty() {
                text.push_str("  (none)\n");
            }
            for s in &d.secrets {
                out!(text, "  {}  set, updated at {}", s.name, s.updated_at);
            }
            crate::render::print(&text)
        }
        EnvCmd::New { env, production } => {
            envs.create(&env, production)?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({"env": env, "production": production}));
            }
            crate::render::print(&format!(
                "environment {env} created{}\n",
                if production { " (production)" } else { "" }
            ))
        }
        EnvCmd::SetVar { env, key, value } => {
            envs.set_var(&env, &key, &value)?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({"env": env, "key": key, "value": value}));
            }
            crate::render::print(&format!("{env}: {key} set\n"))
        }
        EnvCmd::UnsetVar { env, key } => {
            envs.unset_var(&env, &key)?;
            if ctx.json {
                return crate::render::json(&serde_json::json!({"env": env, "key": key, "removed": true}));
            }
            crate::render::print(&format!("{env}: {key} removed\n"))
        }
    }
}

/// What a run's steps get from environment `env`: variables, keyring secrets, a redactor.
/// The keyring is only opened when the environment has secrets.
pub fn probe_env(store: &Store, env: &str) -> anyhow::Result<ProbeEnv> {
    Ok(Environments::open(store)?.probe_env(env, Keyring::open)?)
}
