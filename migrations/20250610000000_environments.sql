-- Environments: named targets with variables and the names of their secrets.
--
-- Secret values are never stored here: they live only in the OS keyring (service `flightdeck`,
-- account `<env>/<NAME>`). `secret_refs` keeps which names are set and when, so `secret list`
-- and redaction know what to look up without asking the keyring to enumerate.

CREATE TABLE environments (
    name        TEXT PRIMARY KEY NOT NULL,
    production  INTEGER NOT NULL DEFAULT 0 CHECK (production IN (0, 1)),
    created_at  TEXT NOT NULL                       -- RFC 3339 UTC
);

CREATE TABLE env_vars (
    env         TEXT NOT NULL REFERENCES environments(name),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (env, key)
) WITHOUT ROWID;

CREATE TABLE secret_refs (
    env         TEXT NOT NULL REFERENCES environments(name),
    name        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (env, name)
) WITHOUT ROWID;

-- The built-in environments; `production` asks before any step that changes the target.
INSERT INTO environments (name, production, created_at) VALUES
    ('sandbox', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('staging', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('production', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
