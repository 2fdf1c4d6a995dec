//! Finding `pg_dump` / `pg_restore` and reading their versions.
//!
//! A tool is looked for in `PG_BIN` when it is given (and only there), else in the newest
//! `/usr/lib/postgresql/*/bin` (Debian keeps the tools there, off `PATH`), else on `PATH`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::conn::ServerFacts;
use super::Error;
use crate::probe::process::ProcessSpec;

/// The tool called `name`, or an error naming where it was looked for.
pub fn find(name: &str, bin: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(dir) = bin {
        let p = dir.join(name);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::spawn(format!(
                "{name} not found: no {} (PG_BIN is {}); install the Postgres client tools or fix PG_BIN",
                p.display(),
                dir.display()
            )))
        };
    }
    if let Some(p) = debian_bin(name) {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::spawn(format!(
                "{name} not found in /usr/lib/postgresql/*/bin or on PATH; install the Postgres \
                 client tools (Debian: postgresql-client-15) or set PG_BIN"
            ))
        })
}

fn debian_bin(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin").join(name)))
        })
        .filter(|(_, p)| p.is_file())
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, p)| p)
}

/// A tool's version: `pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)` → (15, the whole line).
pub async fn version(tool: &Path) -> Result<(u32, String), Error> {
    let out = ProcessSpec::new(tool)
        .arg("--version")
        .output(4096, Duration::from_secs(10))
        .await
        .map_err(|e| Error::spawn(format!("could not run {} --version: {e}", tool.display())))?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let major = parse_major(&line).ok_or_else(|| {
        Error::spawn(format!(
            "{} --version said `{line}`, which names no version",
            tool.display()
        ))
    })?;
    Ok((major, line))
}

/// The major version in `pg_dump (PostgreSQL) 15.4 ...` (9.6 → 9).
pub fn parse_major(line: &str) -> Option<u32> {
    let v = line.split(')').nth(1)?.split_whitespace().next()?;
    v.split('.').next()?.parse().ok()
}

/// `pg_dump` must be at least as new as the server it dumps.
pub fn check_version(tool: &Path, major: u32, line: &str, server: &ServerFacts) -> Result<(), Error> {
    if major < server.major() {
        return Err(Error::spawn(format!(
            "{} is older than the server: `{line}` cannot dump PostgreSQL {} (major {} < {}); \
             install postgresql-client-{} or point PG_BIN at a newer one",
            tool.display(),
            server.version,
            major,
            server.major(),
            server.major()
        )));
    }
    Ok(())
}

/// The last lines of a tool's stderr, for an error message (at most 600 chars).
pub fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    let t = lines[start..].join(" / ");
    match t.char_indices().nth(600) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t,
    }
}

/// What a tool's failure means, from its stderr.
pub fn classify(stderr: &str) -> crate::probe::FailureClass {
    use crate::probe::FailureClass as C;
    let s = stderr.to_ascii_lowercase();
    if s.contains("connection refused") || s.contains("no such file or directory\n\tis the server") {
        C::ConnectRefused
    } else if s.contains("could not translate host name") {
        C::Dns
    } else if s.contains("timeout expired") {
        C::Timeout
    } else if s.contains("password authentication failed") || s.contains("no password supplied") {
        C::QueryError
    } else {
        C::Transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_read_from_version_lines() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)"),
            Some(15)
        );
        assert_eq!(parse_major("pg_restore (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("pg_dump (PostgreSQL) 17devel"), None);
        assert_eq!(parse_major("nonsense"), None);
    }

    #[test]
    fn an_older_pg_dump_is_refused_naming_both_versions() {
        let server = ServerFacts {
            version: "16.1".into(),
            version_num: 160001,
            system_identifier: "1".into(),
        };
        let e = check_version(Path::new("/x/pg_dump"), 15, "pg_dump (PostgreSQL) 15.4", &server)
            .expect_err("refused");
        assert!(e.message.contains("older than the server"), "{}", e.message);
        assert!(e.message.contains("16.1"), "{}", e.message);
        assert!(check_version(Path::new("/x/pg_dump"), 16, "", &server).is_ok());
    }
}
