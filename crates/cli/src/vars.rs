//! `--var NAME=VALUE` on the step commands, checked against what could use it: the names the
//! run's runbook writes (`${NAME}`, `$NAME`), the environment's variables, and the ones step kinds
//! read by themselves (`DATABASE_URL`, `PROMETHEUS_URL`, `SIGNAL_<NAME>`, ...). A name none of
//! them uses is refused when one of them is close (a typo: did you mean), and warned about
//! otherwise, so a mistyped `--var` is never silently ignored.

use std::collections::BTreeSet;
use std::io::Write;

use flightdeck_engine::probe::ProbeEnv;
use flightdeck_engine::run;

/// Variables step kinds read from the environment without the runbook naming them.
const KIND_VARS: &[&str] = &[
    "DATABASE_URL",
    "BACKUP_DATABASE_URL",
    "RESTORE_TARGET_URL",
    "BACKUP_DIR",
    "PG_BIN",
    "PROMETHEUS_URL",
    "PROMETHEUS_USER",
    "PROMETHEUS_TOKEN",
    "PROMETHEUS_SCRAPE_INTERVAL",
    "SIGNALS_DATABASE_URL",
    "FLAGS_ADAPTER",
    "FLAGS_DB_URL",
    "OFREP_URL",
    "ADMIN_TOKEN",
    "RUN_ID",
    "FLIGHTDECK_ENV",
];
/// Families of variables step kinds read (`SIGNAL_LATENCY`, `SLO_PERIOD`).
const KIND_PREFIXES: &[&str] = &["SIGNAL_", "SLO_"];

/// Puts every `NAME=VALUE` of `vars` over `env`'s variables, after checking each name against
/// `source` (the runbook's text) and `env` (named `env_name` in messages).
pub fn apply(env: &mut ProbeEnv, vars: &[String], source: &str, env_name: &str) -> anyhow::Result<()> {
    let mut known: BTreeSet<String> = referenced(source);
    known.extend(env.vars.keys().cloned());
    known.extend(KIND_VARS.iter().map(|s| (*s).to_string()));
    for v in vars {
        // `args::var` let only NAME=VALUE through.
        let (name, value) = v.split_once('=').unwrap_or((v.as_str(), ""));
        let name = name.trim();
        let used = known.contains(name) || KIND_PREFIXES.iter().any(|p| name.starts_with(p));
        if !used {
            let what = format!(
                "--var {name}: the runbook does not use it, environment `{env_name}` does not define it, and no \
                 step kind reads it"
            );
            if let Some(near) = run::nearest(name, known.iter().map(String::as_str)) {
                return Err(run::Error::Invalid(format!("{what} (did you mean `{near}`?)")).into());
            }
            let _ = writeln!(std::io::stderr(), "warning: {what}; passed to the steps anyway");
        }
        env.vars.insert(name.to_string(), value.to_string());
    }
    Ok(())
}

/// Every `$NAME` and `${NAME…}` in `text` (`${secret:NAME}` is a secret, not a variable).
fn referenced(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let body = rest.strip_prefix('{').unwrap_or(rest);
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let secret = body[name.len()..].starts_with(':');
        if !secret && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            names.insert(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn referenced_finds_braced_and_bare_names() {
        let names = referenced("url: ${SANDBOX_URL}/x\ncurl $API_URL $1 ${secret:TOKEN} $$");
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(names, ["API_URL", "SANDBOX_URL"]);
    }
}
