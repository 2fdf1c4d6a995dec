//! Finding runs: every run newest first, and one run by its id or an id prefix.
//!
//! Owns the `runs` columns a `RunRecord` is read from and the prefix rule (`MIN_PREFIX`
//! characters at least, ambiguous prefixes named); a run's events are `events`', its head
//! `head`'s.

use rusqlite::OptionalExtension;

use super::{RunRecord, Store, StoreError, MIN_PREFIX};

impl Store {
    /// All runs, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        if let Some(pg) = &self.pg {
            return pg.runs();
        }
        let fail = |e| StoreError::sqlite("listing runs", e);
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC"
            ))
            .map_err(fail)?;
        let rows = stmt.query_map([], run_from_row).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// The run whose id is `reference` or starts with it (at least `MIN_PREFIX` characters);
    /// `@latest` is the newest run, `@latest:ENV` the newest run on environment ENV.
    pub fn resolve_run(&self, reference: &str) -> Result<RunRecord, StoreError> {
        if let Some(env) = reference.trim().strip_prefix(LATEST) {
            return self.latest_run(reference, env);
        }
        let prefix = reference.trim().to_ascii_lowercase();
        if let Some(pg) = &self.pg {
            if let Some(run) = pg.run(&prefix)? {
                return Ok(run);
            }
            if prefix.chars().count() < MIN_PREFIX {
                return Err(StoreError::PrefixTooShort { prefix });
            }
            let runs = pg.runs_with_prefix(&prefix)?;
            return pick(reference, prefix, runs);
        }
        let fail = |e| StoreError::sqlite(format!("looking up run {prefix}"), e);
        if let Some(run) = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [&prefix],
                run_from_row,
            )
            .optional()
            .map_err(fail)?
        {
            return Ok(run);
        }
        if prefix.chars().count() < MIN_PREFIX {
            return Err(StoreError::PrefixTooShort { prefix });
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 6"
            ))
            .map_err(fail)?;
        let runs = stmt
            .query_map([&prefix], run_from_row)
            .map_err(fail)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        pick(reference, prefix, runs)
    }
}

/// The one run of `runs` (those whose id starts with `prefix`, at most 6), or why not.
fn pick(reference: &str, prefix: String, mut runs: Vec<RunRecord>) -> Result<RunRecord, StoreError> {
    {
        match runs.len() {
            0 => Err(StoreError::RunNotFound {
                reference: reference.to_string(),
            }),
            1 => Ok(runs.remove(0)),
            n => {
                let mut matches: Vec<String> = runs.into_iter().take(5).map(|r| r.id).collect();
                if n > 5 {
                    matches.push("...".into());
                }
                Err(StoreError::AmbiguousRun { prefix, matches })
            }
        }
    }
}

/// The run reference that names the newest run (`@latest`, `@latest:ENV`).
pub const LATEST: &str = "@latest";

impl Store {
    /// The newest run (`env` empty), or the newest on environment `env` (`env` is `:ENV`).
    fn latest_run(&self, reference: &str, env: &str) -> Result<RunRecord, StoreError> {
        let fail = |e| StoreError::sqlite(format!("looking up {reference}"), e);
        let not_found = || StoreError::RunNotFound {
            reference: reference.trim().to_string(),
        };
        let env = match env {
            "" => None,
            e => Some(e.strip_prefix(':').ok_or_else(not_found)?),
        };
        if let Some(pg) = &self.pg {
            return pg.latest(env)?.ok_or_else(not_found);
        }
        self.conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE ?1 IS NULL OR env = ?1 \
                     ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                [env],
                run_from_row,
            )
            .optional()
            .map_err(fail)?
            .ok_or_else(not_found)
    }

    /// The shortest prefix of run `id` that names it alone, and at least 8 characters: what
    /// messages print, so it can be pasted back (ids are time-ordered and share their start).
    pub fn short_id(&self, id: &str) -> String {
        const MIN_SHOWN: usize = 8;
        if let Some(pg) = &self.pg {
            let (before, after) = pg.neighbours(id).unwrap_or((None, None));
            return shortest(id, before, after, MIN_SHOWN);
        }
        let neighbour = |sql: &str| -> Option<String> {
            self.conn
                .query_row(sql, [id], |r| r.get::<_, String>(0))
                .optional()
                .ok()
                .flatten()
        };
        let before = neighbour("SELECT id FROM runs WHERE id < ?1 ORDER BY id DESC LIMIT 1");
        let after = neighbour("SELECT id FROM runs WHERE id > ?1 ORDER BY id LIMIT 1");
        shortest(id, before, after, MIN_SHOWN)
    }
}

/// The shortest prefix of `id` that its neighbours `before` / `after` do not share, at least `min`.
fn shortest(id: &str, before: Option<String>, after: Option<String>, min: usize) -> String {
    let common = |other: Option<String>| {
        other.map_or(0, |o| {
            id.chars().zip(o.chars()).take_while(|(a, b)| a == b).count()
        })
    };
    let len = (common(before).max(common(after)) + 1).max(min);
    id.get(..len).unwrap_or(id).to_string()
}

const RUN_COLUMNS: &str =
    "id, created_at, runbook_name, runbook_source, runbook_sha256, env, release, head_seq, head_hash";

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        created_at: r.get(1)?,
        runbook_name: r.get(2)?,
        runbook_source: r.get(3)?,
        runbook_sha256: r.get(4)?,
        env: r.get(5)?,
        release: r.get(6)?,
        head_seq: r.get::<_, i64>(7)?.max(0) as u64,
        head_hash: r.get(8)?,
    })
}
