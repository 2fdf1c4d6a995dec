//! `shell` steps: the fence's code (or `command:`) run by bash, judged by exit code and output.
//!
//! Owns [`ShellSpec`] and running it through `process` (own process group, killed whole on a
//! deadline or Cancel). `${VAR}` in the code is left to the shell, which gets the environment's
//! variables exported; `${secret:NAME}` is rewritten to `${FLIGHTDECK_SECRET_NAME}` and the value
//! passed in the child's environment, so secrets never appear in the command text.

use std::path::PathBuf;

use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{lookup_secret, secret_env_name, ProbeEnv, Template};
use super::kind::{secrets_in, Implicit, ProbeKind};
use super::output::Stream;
use super::output::Streams;
use super::process::{ProcessSpec, Running};
use super::{Ctx, Failure, FailureClass, Observation, SHELL_DEADLINE};
use crate::runbook::Step;

/// Fence languages that run as shell steps without an annotation.
pub(crate) const LANGS: &[&str] = &["bash", "sh", "shell", "console-bash"];

/// The keys of its own an unannotated shell block's fence may carry, besides the common ones
/// (other attributes there are left to other tools: `title=...`).
pub(crate) const FENCE_KEYS: &[&str] = &["cwd"];

/// A shell step.
#[derive(Debug, Clone, Serialize)]
pub struct ShellSpec {
    /// The interpreter, `bash` (or `sh` for ```sh blocks); run as `INTERPRETER -c COMMAND`.
    pub interpreter: String,
    pub command: String,
    /// `cwd:`, relative to `ProbeEnv::cwd` when a caller sets one, else to the directory Flightdeck
    /// runs in.
    pub cwd: Option<Template>,
    /// `env: NAME=value` lines.
    pub env: Vec<(String, Template)>,
}

impl ProbeKind for ShellSpec {
    const NAME: &'static str = "shell";
    const KEYS: &'static [&'static str] = &["command", "interpreter", "cwd", "env"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["exit", "stdout", "stderr", "duration"],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["stdout", "stderr"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "exit",
        expr: "exit == 0",
    }];

    fn from_keys(keys: &mut Keys, step: &Step) -> Result<Self, AnnotationError> {
        let command = match keys.one("command")? {
            Some((c, _)) => c,
            None => step.code.clone(),
        };
        if command.trim().is_empty() {
            return Err(AnnotationError::new(
                keys.line(),
                "a shell step needs a command: the fence is empty and there is no `command:`",
            ));
        }
        let interpreter = match keys.one("interpreter")? {
            Some((i, _)) => i,
            None if step.lang.as_deref() == Some("sh") => "sh".to_owned(),
            None => "bash".to_owned(),
        };
        let cwd = keys.template("cwd")?.map(|(t, _)| t);
        let mut env = Vec::new();
        for (v, line) in keys.all("env") {
            let (k, val) = v
                .split_once('=')
                .ok_or_else(|| AnnotationError::new(line, format!("`env: {v}` needs the form NAME=value")))?;
            let t = Template::parse(val.trim()).map_err(|m| AnnotationError::new(line, m))?;
            env.push((k.trim().to_owned(), t));
        }
        Ok(ShellSpec {
            interpreter,
            command,
            cwd,
            env,
        })
    }

    fn default_deadline(&self) -> std::time::Duration {
        SHELL_DEADLINE
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            s.push_str(&format!("{k}={} ", v.describe(env)));
        }
        if let Some(c) = &self.cwd {
            s.push_str(&format!("(in {}) ", c.describe(env)));
        }
        s.push_str(&self.command);
        s
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        self.env.iter().map(|(_, t)| t).chain(self.cwd.iter())
    }

    /// Secrets in the command (which the shell reads from its environment) and in the templates.
    fn secret_names(&self) -> Vec<String> {
        let mut names = rewrite_secrets(&self.command).1;
        names.extend(secrets_in(self.templates()));
        names
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let spec = match self.process(ctx.env) {
            Ok(s) => s,
            Err(f) => return Observation::failed(f),
        };
        let mut child = match spec.spawn() {
            Ok(c) => c,
            Err(e) => {
                return Observation::failed(Failure::new(
                    FailureClass::SpawnError,
                    format!("could not start {}: {e}", self.interpreter),
                ))
            }
        };
        let status = wait_reading(&mut child, ctx.streams).await;
        let mut obs = Observation::default();
        match status {
            Ok(st) => {
                use std::os::unix::process::ExitStatusExt;
                let code = st.code().or_else(|| st.signal().map(|s| 128 + s));
                obs.exit_code = code;
                if let Some(c) = code {
                    obs.facts.scalars.insert("exit", Value::Num(f64::from(c)));
                }
            }
            Err(e) => {
                obs.failure = Some(Failure::new(
                    FailureClass::SpawnError,
                    format!("waiting for the shell failed: {e}"),
                ));
            }
        }
        let stdout = ctx.streams.text(Stream::Stdout);
        obs.facts.json = serde_json::from_str(&stdout).ok();
        obs.facts.scalars.insert("stdout", Value::Str(stdout));
        obs.facts
            .scalars
            .insert("stderr", Value::Str(ctx.streams.text(Stream::Stderr)));
        obs
    }
}

impl ShellSpec {
    /// The interpreter running the command, with the environment's variables, the secrets the
    /// command names, the step's `env:` and its working directory.
    fn process(&self, env: &ProbeEnv) -> Result<ProcessSpec, Failure> {
        let spawn = |m: String| Failure::new(FailureClass::SpawnError, m);
        let (command, secrets) = rewrite_secrets(&self.command);
        let mut spec = ProcessSpec::new(&self.interpreter).arg("-c").arg(&command);
        for (k, v) in &env.vars {
            spec = spec.env(k, v);
        }
        let mut used = Vec::new();
        for name in secrets {
            let v = lookup_secret(env, &name).map_err(|e| spawn(e.to_string()))?;
            spec = spec.env(secret_env_name(&name), v);
        }
        for (k, t) in &self.env {
            let v = t.render(env, &mut used).map_err(|e| spawn(e.to_string()))?;
            spec = spec.env(k, v);
        }
        let mut dir: Option<PathBuf> = env.cwd.clone();
        if let Some(c) = &self.cwd {
            let v = c.render(env, &mut used).map_err(|e| spawn(e.to_string()))?;
            dir = Some(match &dir {
                Some(base) => base.join(v),
                None => PathBuf::from(v),
            });
        }
        if let Some(d) = &dir {
            spec = spec.cwd(d);
        }
        Ok(spec)
    }
}

/// Waits for the shell while its output is read into `streams`. The step is over when the shell
/// exits: whatever it left running in its group goes too, and then the pipes close (given a
/// second to drain).
async fn wait_reading(child: &mut Running, streams: &Streams) -> std::io::Result<std::process::ExitStatus> {
    let out = child.take_stdout();
    let err = child.take_stderr();
    let readers = async {
        tokio::join!(
            pump(out, streams, Stream::Stdout),
            pump(err, streams, Stream::Stderr)
        );
    };
    tokio::pin!(readers);
    let mut readers_done = false;
    let status = tokio::select! {
        s = child.wait() => s,
        () = &mut readers => {
            readers_done = true;
            child.wait().await
        }
    };
    child.kill_group();
    if !readers_done {
        let grace = std::time::Duration::from_secs(1);
        let _ = tokio::time::timeout(grace, &mut readers).await;
    }
    streams.finish(Stream::Stdout).await;
    streams.finish(Stream::Stderr).await;
    status
}

async fn pump<R: tokio::io::AsyncRead + Unpin>(r: Option<R>, streams: &Streams, s: Stream) {
    let Some(mut r) = r else { return };
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => streams.push(s, &buf[..n]).await,
        }
    }
}

/// `${secret:NAME}` → `${FLIGHTDECK_SECRET_NAME}`, and `$${` (a literal `${`, as in every
/// template) → `\${` for the shell (`${` inside single quotes, where it expands nothing); other
/// `${...}` are the shell's own.
pub fn rewrite_secrets(command: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(command.len());
    let mut names = Vec::new();
    let (mut single, mut double) = (false, false);
    let mut rest = command;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("$${") {
            out.push_str(if single { "${" } else { "\\${" });
            rest = r;
            continue;
        }
        if let Some((name, r)) = rest
            .strip_prefix("${secret:")
            .and_then(|r| r.find('}').map(|end| (&r[..end], &r[end + 1..])))
        {
            out.push_str(&format!("${{{}}}", secret_env_name(name)));
            names.push(name.to_owned());
            rest = r;
            continue;
        }
        let mut len = c.len_utf8();
        match c {
            // An escaped character (a quote among them) is taken as it is.
            '\\' if !single => len += rest[1..].chars().next().map_or(0, char::len_utf8),
            // A comment runs to the end of its line; its quotes open nothing.
            '#' if !single && !double && out.chars().last().is_none_or(char::is_whitespace) => {
                len = rest.find('\n').unwrap_or(rest.len());
            }
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        out.push_str(&rest[..len]);
        rest = &rest[len..];
    }
    (out, names)
}

#[cfg(test)]
mod tests {
    use super::rewrite_secrets;

    #[test]
    fn a_double_dollar_brace_reaches_the_shell_as_a_literal_and_secrets_as_variables() {
        let (cmd, names) = rewrite_secrets(
            "# it's a comment $${x}\necho \"$${HOME}\" '$${HOME}' $${HOME} \\' ${secret:db-pass} $${secret:no}",
        );
        assert_eq!(
            cmd,
            "# it's a comment $${x}\necho \"\\${HOME}\" '${HOME}' \\${HOME} \\' ${FLIGHTDECK_SECRET_DB_PASS} \\${secret:no}"
        );
        assert_eq!(names, vec!["db-pass".to_string()]);
    }
}
