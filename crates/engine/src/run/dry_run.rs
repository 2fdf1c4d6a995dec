//! A dry run: what `run_steps` would run for a scope, against which resolved URLs and hosts, with
//! the secrets each step reads named (never their values), without running or recording anything.
//!
//! Owns [`PlannedStep`] and [`dry_run`]; the plan itself (which steps, in what order) is
//! `step::plan`, and each step's text is its kind's own description (`Kind::describe`, secrets as
//! references), with the environment's variables filled in.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{plan, Error, Scope};
use crate::probe::ProbeEnv;
use crate::runbook::Runbook;

/// One step a run of the scope would start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub step: String,
    pub phase: Option<String>,
    pub kind: String,
    /// The command, request or query, variables filled in, secrets as `${secret:NAME}`.
    pub what: String,
    pub deadline_ms: u64,
    /// `host[:port]` of every URL in `what`.
    pub hosts: Vec<String>,
    /// The secrets it reads (by name: values are never shown).
    pub secrets: Vec<String>,
    /// `${VAR}` references the environment does not define.
    pub unset: Vec<String>,
    /// It changes the target: on a production environment it needs confirmation (`--yes`).
    pub changes_target: bool,
}

/// The steps of `scope` as `run_steps` would run them, in order, described against `env` (whose
/// variables fill `${VAR}`; its secrets are not read). Nothing runs and nothing is recorded.
pub fn dry_run(
    runbook: &Runbook,
    scope: &Scope,
    env: &ProbeEnv,
    place: &str,
) -> Result<Vec<PlannedStep>, Error> {
    let planned = plan(runbook, scope, place)?;
    Ok(planned
        .into_iter()
        .map(|(phase, spec)| {
            let described = spec.kind.describe(env);
            let (what, mut unset) = fill(&described, &env.vars);
            if spec.kind.name() == "shell" {
                // The shell's own variables (`${i}`, `${HOME}`) are not the environment's to define.
                unset.clear();
            }
            let mut secrets = spec.kind.secret_names();
            secrets.sort();
            secrets.dedup();
            PlannedStep {
                step: spec.step.clone(),
                phase,
                kind: spec.kind.name().to_string(),
                hosts: hosts(&what),
                what,
                deadline_ms: u64::try_from(spec.deadline.as_millis()).unwrap_or(u64::MAX),
                secrets,
                unset,
                changes_target: spec.changes_target,
            }
        })
        .collect())
}

/// `text` with each `${VAR}` the variables define filled in (a shell step's are left to the shell
/// by its description, but it exports the same values); the names it does not define.
fn fill(text: &str, vars: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unset = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        // `$${` is a literal `${`.
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return (out, unset);
        };
        let name = &after[..end];
        let is_var = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match vars.get(name) {
            Some(v) if is_var => out.push_str(v),
            _ => {
                if is_var && !unset.iter().any(|u| u == name) {
                    unset.push(name.to_string());
                }
                out.push_str(&rest[i..i + 3 + end]);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    (out, unset)
}

/// `host[:port]` of every `scheme://` URL in `text`, without user info, once each.
fn hosts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || "\"'`)".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..end];
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if !host.is_empty() && !host.contains("${") && !out.iter().any(|h| h == host) {
            out.push(host.to_string());
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_secrets_kept_as_references_and_unset_ones_named() {
        let mut vars = BTreeMap::new();
        vars.insert("SANDBOX_URL".to_string(), "http://127.0.0.1:8731".to_string());
        let (what, unset) = fill(
            "curl -H \"Authorization: ${secret:token}\" ${SANDBOX_URL}/health $${LITERAL} ${NOPE}",
            &vars,
        );
        assert_eq!(
            what,
            "curl -H \"Authorization: ${secret:token}\" http://127.0.0.1:8731/health $${LITERAL} ${NOPE}"
        );
        assert_eq!(unset, vec!["NOPE".to_string()]);
        assert_eq!(hosts(&what), vec!["127.0.0.1:8731".to_string()]);
        assert_eq!(
            hosts("postgres://app:***@db.internal:5432/x and https://a.example/b"),
            vec!["db.internal:5432".to_string(), "a.example".to_string()]
        );
    }
}
