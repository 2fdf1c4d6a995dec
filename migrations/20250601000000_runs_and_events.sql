-- Runs and their hash-chained event logs.
--
-- A run's state is never stored: it is a fold of its events. `runs.head_seq` / `runs.head_hash`
-- are a checkpoint of the last appended event, kept so that verification notices when the last
-- event of a log has been removed; nothing reads state from them.

CREATE TABLE runs (
    id              TEXT PRIMARY KEY NOT NULL,      -- UUID v7, lowercase hyphenated
    created_at      TEXT NOT NULL,                  -- RFC 3339 UTC, millisecond precision
    runbook_name    TEXT NOT NULL,
    runbook_source  TEXT NOT NULL,                  -- the Markdown the run was created from
    runbook_sha256  TEXT NOT NULL,                  -- sha256 of runbook_source, lowercase hex
    env             TEXT NOT NULL,
    release         TEXT NOT NULL,
    head_seq        INTEGER NOT NULL DEFAULT 0,
    head_hash       TEXT NOT NULL
);

CREATE TABLE events (
    run_id     TEXT NOT NULL REFERENCES runs(id),
    seq        INTEGER NOT NULL,                    -- 1 for run_created, then +1 per event
    time       TEXT NOT NULL,                       -- RFC 3339 UTC, millisecond precision
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,                       -- JSON
    prev_hash  TEXT NOT NULL,                       -- 64 zeros for the first event
    hash       TEXT NOT NULL,                       -- sha256 hex of the canonical encoding
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
