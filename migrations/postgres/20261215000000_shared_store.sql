-- The shared store on Postgres: runs and their hash-chained event logs, as in the SQLite store
-- (../20250601000000_runs_and_events.sql), in the schema `flightdeck`.
--
-- Times are RFC 3339 UTC with microsecond precision, kept as the text the hash covers. Writers
-- to one run take a per-run advisory lock in their transaction (see store/pg/write.rs), so a
-- run's log never forks; the primary key (run_id, seq) refuses a second event at a seq anyway.

CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    created_at      TEXT NOT NULL,
    runbook_name    TEXT NOT NULL,
    runbook_source  TEXT NOT NULL,
    runbook_sha256  TEXT NOT NULL,
    env             TEXT NOT NULL,
    release         TEXT NOT NULL,
    head_seq        BIGINT NOT NULL DEFAULT 0,
    head_hash       TEXT NOT NULL
);

CREATE INDEX runs_created_at ON runs (created_at);

CREATE TABLE events (
    run_id     TEXT NOT NULL REFERENCES runs (id),
    seq        BIGINT NOT NULL CHECK (seq >= 1),
    time       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- The log is append-only. This stops mistakes, not a superuser; `run verify` catches edits.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Live updates: whenever a run's head moves (or a run is made), every LISTENer on
-- `flightdeck_runs` hears "<run id> <head seq> <head hash>" when the transaction commits; never
-- an event's content. Followers refetch from the tables.
CREATE FUNCTION runs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('flightdeck_runs', NEW.id || ' ' || NEW.head_seq || ' ' || NEW.head_hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER runs_head_moved AFTER INSERT OR UPDATE OF head_seq, head_hash ON runs
    FOR EACH ROW EXECUTE FUNCTION runs_notify();
